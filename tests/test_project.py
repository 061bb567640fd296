"""The project's set-up files agree with each other (a newcomer runs exactly what the README says)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(req: str) -> str:
    return canonical(re.split(r"[\s<>=!~;\[]", req.strip(), maxsplit=1)[0])


def pinned(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[canonical(name)] = version.strip()
    return pins


def direct_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return {requirement_name(r) for r in reqs} - {"dlscratch"}


def conda_pip_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            return dep["pip"]
    raise AssertionError("environment.yml has no pip: section")


def test_constraints_pin_every_direct_dependency():
    pins = pinned(ROOT / "constraints.txt")
    missing = sorted(direct_dependencies() - set(pins))
    assert not missing, f"constraints.txt does not pin: {missing}"
    assert pins["torch"] == "2.13.0", "torch must stay the CPU build that lies on this machine's disk"


def test_environment_yml_matches_pyproject_and_constraints():
    pins = pinned(ROOT / "constraints.txt")
    reqs = [r for r in conda_pip_requirements() if not r.startswith("-")]
    env_pins = {}
    for r in reqs:
        assert "==" in r, f"environment.yml: {r!r} is not pinned with =="
        name, version = r.split("==", 1)
        env_pins[canonical(name)] = version
    assert set(env_pins) == direct_dependencies(), (
        f"only in environment.yml: {sorted(set(env_pins) - direct_dependencies())}; "
        f"only in pyproject.toml: {sorted(direct_dependencies() - set(env_pins))}"
    )
    drift = {n: (v, pins.get(n)) for n, v in env_pins.items() if pins.get(n) != v}
    assert not drift, f"environment.yml vs constraints.txt (name: (env, constraints)): {drift}"
    assert "-e ." in conda_pip_requirements()
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.11" in env["dependencies"]


def test_makefile_installs_through_the_constraints_file():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    assert installs
    assert all("-c constraints.txt" in line for line in installs), installs


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in ("make lab", "make test", "make book"):
        assert f"`{command}`" in readme or f"\n{command}" in readme, f"README does not show {command}"
    assert re.search(r"^\s*make test\b", ci, re.M), ".ci/run must call `make test`"
    assert "chromium" in ci


def test_readme_lists_every_chapter_of_the_toc():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text(encoding="utf-8"))
    chapters = [c["file"] for p in toc["parts"] for c in p["chapters"] if c["file"].startswith("chapters/")]
    assert chapters
    for chapter in chapters:
        assert Path(chapter).name in readme, f"README's chapter list lacks {chapter}"
        assert (ROOT / f"{chapter}.md").is_file()


def test_no_notebook_outputs_or_paired_ipynb_are_committed():
    gitignore = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert "chapters/*.ipynb" in gitignore
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert tracked.stdout.split() == [], f"committed notebooks (the .md files are the sources): {tracked.stdout}"


def test_the_sites_cjk_font_has_every_chinese_character_of_the_book():
    """The site's two font cuts (book/_static/fonts) have every Chinese character of their edition's sources
    (dls-cjk.woff2: the book's sources; dls-cjk-zh.woff2: those and the translations); new Chinese text
    needs a new cut. tests/test_site.py checks the built pages, the theme's words included."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cjk_font", ROOT / "tools" / "cjk_font.py")
    cjk_font = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cjk_font)
    used = cjk_font.book_characters()
    assert len(used) > 100
    missing = used - cjk_font.font_characters()
    assert not missing, f"not in the site's CJK font: {''.join(sorted(missing))}; run `python tools/cjk_font.py`"
    chinese = used | cjk_font.translation_characters()
    assert len(chinese) > 1000
    missing = chinese - cjk_font.font_characters(cjk_font.TARGET_ZH)
    assert not missing, f"not in dls-cjk-zh.woff2: {''.join(sorted(missing))}; run `python tools/cjk_font.py`"
    licence = (ROOT / "book" / "_static" / "fonts" / "LICENSE-DroidSansFallback.txt").read_text()
    assert "Apache License" in licence
    assert "Version 2.0, January 2004" in licence


#: The chapters of DESIGN.md, in order; the ones in book/_toc.yml are on the site, the others are coming.
PLANNED = [
    "Activation functions",
    "Softmax and numerical stability",
    "Loss functions",
    "Numerical differentiation and gradient descent",
    "Backpropagation",
    "Optimizers",
    "Initialization",
    "Batch normalization",
    "Regularization",
    "Convolution",
    "Pooling",
    "A CNN from scratch",
    "CNN architectures",
]


def chapters_on_the_site() -> set[int]:
    import yaml

    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part.get("chapters", [])]
    return {int(Path(f).name[:2]) for f in files if f.startswith("chapters/")}


def test_the_intro_lists_every_chapter_with_its_status():
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (.+?) \| (on this site|coming) \|$", intro, re.M)
    assert [int(r[0]) for r in rows] == list(range(1, len(PLANNED) + 1))
    site = chapters_on_the_site()
    for number, title, _, status in rows:
        assert PLANNED[int(number) - 1] in title, title
        assert (status == "on this site") == (int(number) in site), f"chapter {number}: {status}"


def test_a_reference_to_a_chapter_that_is_not_here_says_it_is_coming():
    site = chapters_on_the_site()
    problems = []
    prose = [*sorted((ROOT / "chapters").glob("*.md")), *sorted((ROOT / "book").glob("*.md"))]
    code = sorted((ROOT / "src" / "dlscratch").rglob("*.py"))  # docstrings: only "coming" that is here now
    for path in [*prose, *code]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(?i)(?<!coming\s)\bchapters?\s(\d+)", text) if path in prose else ():
            number = int(match.group(1))
            if number not in site and "| " not in text[text.rfind("\n", 0, match.start()) : match.start()]:
                problems.append(f"{path.name}: {text[match.start() : match.start() + 40]!r}")
        for match in re.finditer(r"coming\schapter\s(\d+),\s\*([^*]+)\*", text):
            number = int(match.group(1))
            if number in site:
                problems.append(f"{path.name}: chapter {number} is here now, not coming")
            elif PLANNED[number - 1] != " ".join(match.group(2).split()):
                problems.append(f"{path.name}: chapter {number} is *{PLANNED[number - 1]}*, not *{match.group(2)}*")
    assert not problems, "\n".join(problems)
