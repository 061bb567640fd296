"""A website that works offline and loads only what a page uses.

* **MathJax from the site itself.** MathJax 3 comes from the pip package
  ``django-static-mathjax`` (pinned in constraints.txt; it has no
  dependencies). At build time the components the book needs are copied into
  ``_build/html/_static/mathjax``: the loader (``startup.js``), ``core``, the TeX
  input with its extensions, the CommonHTML output with its fonts, and the
  assistive MathML that screen readers read. ``_config.yml`` points
  ``mathjax_path`` at ``startup.js`` and lists the components; the combined
  ``tex-chtml.js`` (1.16 MB) would also bring the context menu (0.43 MB).
* **No script the site does not use.** The theme loads Font Awesome's SVG
  script (1.5 MB) although its stylesheet already draws every icon from the
  web font; Thebe is off (``launch_buttons.thebe: false``), but sphinx-thebe
  still writes its configuration twice (a console error: ``THEBE_JS_URL`` is
  declared twice), loads its script and stylesheet, and names a Binder
  repository. Those are removed from every page after the build.
* **The search index only on the search page.** pydata-sphinx-theme puts
  Sphinx's search scripts and the whole ``searchindex.js`` (160 kB for 13
  chapters) on every page, for its optional search-as-you-type box. The book
  does not switch that on: its search box sends the reader to ``search.html``,
  which loads them itself. They are removed from every other page.
* The saved ipywidgets state (~100 kB a page) is dropped: the site shows
  ``explore``'s static scrubber instead of widgets.
"""

from __future__ import annotations

import re
import shutil
from importlib.resources import files
from pathlib import Path

from sphinx.application import Sphinx

# What startup.js loads for the components named in _config.yml (mathjax3_config.loader.load),
# and what those load on demand (TeX extensions by \require or autoload, CHTML fonts).
_KEEP = (
    "startup.js",
    "core.js",
    "input/tex.js",
    "input/tex/extensions",
    "output/chtml.js",
    "output/chtml",
    "a11y/assistive-mml.js",
)

#: Removed from every page: (what, pattern). Each pattern must match something on a chapter page,
#: or the theme changed and the removal needs a look (tests/test_site.py checks the result).
_UNUSED = (
    ("Font Awesome's SVG script", re.compile(r'<script[^>]*src="[^"]*scripts/fontawesome\.js[^"]*"[^>]*></script>\s*')),
    ("Thebe's configuration", re.compile(r"<script>const THEBE_JS_URL = [^<]*</script>\s*")),
    ("Thebe's script", re.compile(r'<script[^>]*src="[^"]*sphinx-thebe\.js[^"]*"[^>]*></script>\s*')),
    ("Thebe's stylesheet", re.compile(r'<link[^>]*href="[^"]*sphinx-thebe\.css[^"]*"[^>]*/>\s*')),
    ("Thebe's kernel settings", re.compile(r'<script type="text/x-thebe-config">.*?</script>\s*', re.S)),
)


def _copy_mathjax(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    source = Path(str(files("mathjax") / "static" / "mathjax" / "es5"))
    if not (source / "startup.js").is_file():
        raise FileNotFoundError(f"MathJax not found at {source}: pip install -c constraints.txt django-static-mathjax")
    target = Path(app.outdir) / "_static" / "mathjax"
    for item in _KEEP:
        src = source / item
        if not src.exists():
            raise FileNotFoundError(f"MathJax component {item} not found in {source}")
        dst = target / item
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def _drop_widget_state(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Remove the saved ipywidgets state (~100 kB a page): the site shows explore()'s static scrubber."""
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [
            js
            for js in scripts
            if getattr(js, "attributes", {}).get("type") != "application/vnd.jupyter.widget-state+json"
        ]


#: Removed from every page but search.html (which loads them for its results).
_SEARCH_ONLY = (
    (
        "the search scripts and index",
        re.compile(
            r'<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)"></script>\s*'
        ),
    ),
)


def strip_unused(page: str, *, search_page: bool = False) -> str:
    """A page without the scripts and styles the site does not use (see the module docstring)."""
    for _, pattern in _UNUSED if search_page else (*_UNUSED, *_SEARCH_ONLY):
        page = pattern.sub("", page)
    return page


def _strip_pages(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    # Sphinx copies html_static_path only when some page was rebuilt; the book's own CSS, JS and
    # fonts must not go stale when only they changed
    confdir = Path(app.confdir).resolve()
    for folder in app.config.html_static_path:
        own = (confdir / folder).resolve()
        if own.is_dir() and own.is_relative_to(confdir):  # the book's own, not the extensions'
            shutil.copytree(own, outdir / "_static", dirs_exist_ok=True)
    for page in outdir.rglob("*.html"):
        if "_static" in page.relative_to(outdir).parts:
            continue
        text = page.read_text(encoding="utf-8")
        stripped = strip_unused(text, search_page=page.relative_to(outdir).as_posix() == "search.html")
        if stripped != text:
            page.write_text(stripped, encoding="utf-8")


def _check_config(app: Sphinx, config) -> None:
    if "://" in config.mathjax_path:
        raise ValueError(f"mathjax_path must be a local path under _static, got {config.mathjax_path!r}")
    if (config.html_theme_options or {}).get("search_as_you_type"):
        raise ValueError(
            "html_theme_options.search_as_you_type needs searchindex.js on every page, "
            "which book/_ext/offline_assets.py removes: switch one of them off"
        )


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _check_config)
    app.connect("builder-inited", _copy_mathjax)
    app.connect("html-page-context", _drop_widget_state)
    app.connect("build-finished", _strip_pages)
    return {"version": "1.1", "parallel_read_safe": True, "parallel_write_safe": True}
