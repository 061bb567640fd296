# Deep Learning, Cell by Cell: every target creates .venv itself when it is missing.
#   make lab     open the book in JupyterLab (chapters/*.md open as notebooks)
#   make test    lint, unit tests, every chapter through nbval, site build -W, site + browser checks
#   make book    build the static website into _build/html (English) and _build/html/zh (中文)
# Other targets: install, translations (refresh the 中文 catalogs after editing prose),
# release (nbgrader assignments; COURSE=<id>, FORCE=1), formgrader (the
# instructor's JupyterLab in classroom/, with nbgrader's UI), bench, constraints, clean.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888
# JupyterLab refuses to start as root (containers, CI) unless told it may
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# Both editions (English at _build/html, 中文 at _build/html/zh) from the same sources, one execution cache
BOOK_FLAGS := -W -n --keep-going

.PHONY: install lab formgrader test lint unit book book-fresh translations release bench constraints clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt tools/jupyterlab-overrides.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "error: Python 3.11 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Run: make PYTHON=python3.11 ..."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt pip setuptools
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@# JupyterLab: a click on a chapter's .md opens it as a notebook (jupytext)
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	cp tools/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(STAMP)

# Readers get no nbgrader UI (tools/lab-reader-config switches its server and lab extensions off).
lab: $(STAMP)
	cd chapters && JUPYTER_CONFIG_PATH="$(CURDIR)/tools/lab-reader-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  ../$(BIN)/jupyter lab --port=$(PORT) $(LAB_ROOT_FLAG)

# The instructor's JupyterLab in classroom/ (after `make release`): formgrader, manual grading, feedback.
formgrader: $(STAMP)
	@test -f classroom/nbgrader_config.py || { echo "error: no classroom/ yet; run make release first"; exit 1; }
	cd classroom && ../$(BIN)/jupyter lab --port=$(PORT) $(LAB_ROOT_FLAG)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(STAMP)
	$(BIN)/python -m pytest src tests -m "not site and not browser and not lab"

# The site build runs first (with -W: any Sphinx warning fails); then one pytest run
# covers unit tests, the chapter notebooks (nbval), the site and browser checks, and
# prints the summary line.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/build_book.py $(BOOK_FLAGS)
	$(BIN)/python -m pytest

book: $(STAMP)
	$(BIN)/python tools/build_book.py $(BOOK_FLAGS)
	@echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html (中文: _build/html/zh/index.html)"

# After editing a chapter's prose: refresh the Chinese catalogs (book/locales), then translate what
# tools/translations.py lists (changed sentences come back fuzzy) and run make book.
translations: $(STAMP)
	$(BIN)/python tools/build_book.py --gettext -q
	$(BIN)/python tools/translations.py status

book-fresh: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/zh _build/gettext _build/gettext-doctrees _build/.jupyter_cache
	$(MAKE) book

release: $(STAMP)
	$(BIN)/python tools/classroom.py release $(if $(COURSE),--course $(COURSE)) $(if $(FORCE),--force)

# Budgets of DESIGN.md: chapter run times and kernel redraws, then the end-to-end live redraw in JupyterLab
# (a real browser: key press on a slider to the new image).
bench: $(STAMP)
	$(BIN)/python tools/bench.py
	$(BIN)/python tools/bench_kernels.py
	$(BIN)/python tools/bench_lab.py

# Re-pin after changing dependencies: the versions in the current .venv become the constraints.
constraints: $(STAMP)
	$(BIN)/python tools/freeze_constraints.py > constraints.txt

clean:
	rm -rf _build classroom .pytest_cache .hypothesis chapters/*.ipynb
	find book/locales -name '*.mo' -delete
