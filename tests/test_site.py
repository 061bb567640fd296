"""Checks of the built website in _build/html (``make test`` builds it first with -W).

The site must work offline: no page may load a script, style, font, image or
frame from another host. These checks read the HTML and CSS; the browser test
(test_browser.py) watches the requests a real browser makes.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
MAX_PAGE_BYTES = 512 * 1024  # the HTML alone; with all it loads a chapter page stays <= 2.5 MB (test_browser.py)
EXTERNAL = re.compile(r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//", re.S)  # http://, https://, //host


def chapter_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text(encoding="utf-8"))
    files = []
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", []) if c["file"].startswith("chapters/")]
    return files


@pytest.fixture(scope="module")
def pages() -> list[Path]:
    if not (HTML / "index.html").is_file():
        pytest.fail("no built site in _build/html: run `make book` (or `make test`, which builds it first)")
    # _static/ holds theme template fragments (Jinja macros), not pages
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts)


class LoadCollector(HTMLParser):
    """Collect every URL that a browser would fetch on its own while rendering the page."""

    FETCHING_LINK_RELS: ClassVar[set[str]] = {
        "stylesheet",
        "preload",
        "modulepreload",
        "icon",
        "shortcut",
        "apple-touch-icon",
        "manifest",
        "prefetch",
        "preconnect",
        "dns-prefetch",
    }

    def __init__(self):
        super().__init__()
        self.loads: list[tuple[str, str]] = []
        self.inline_styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed", "track", "input") and a.get("src"):
            self.loads.append((tag, a["src"]))
        if tag == "img" and a.get("srcset"):
            self.loads += [(tag, part.split()[0]) for part in a["srcset"].split(",") if part.strip()]
        if tag == "object" and a.get("data"):
            self.loads.append((tag, a["data"]))
        if tag == "link" and a.get("href"):
            rels = set((a.get("rel") or "").lower().split())
            if rels & self.FETCHING_LINK_RELS:
                self.loads.append((f"link rel={a.get('rel')}", a["href"]))
        if tag == "video" and a.get("poster"):
            self.loads.append((tag, a["poster"]))
        if a.get("style"):
            self.inline_styles.append(a["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_styles.append(data)


def css_external_urls(css: str) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]([^'\"]+)", css)
    return [u for u in urls if EXTERNAL.match(u)]


def test_every_chapter_in_the_toc_was_built(pages):
    built = {p.relative_to(HTML).with_suffix("").as_posix() for p in pages}
    missing = [c for c in chapter_files() if c not in built]
    assert not missing, f"chapters in book/_toc.yml with no page: {missing}"


def test_no_page_loads_anything_from_another_host(pages):
    offenders = []
    for page in pages:
        parser = LoadCollector()
        parser.feed(page.read_text(encoding="utf-8"))
        offenders += [f"{page.relative_to(HTML)}: <{tag}> {url}" for tag, url in parser.loads if EXTERNAL.match(url)]
        offenders += [
            f"{page.relative_to(HTML)}: style {u}" for s in parser.inline_styles for u in css_external_urls(s)
        ]
    assert not offenders, "external loads:\n" + "\n".join(offenders)


def test_no_stylesheet_imports_from_another_host():
    offenders = []
    for css in (HTML / "_static").rglob("*.css"):
        offenders += [f"{css.relative_to(HTML)}: {u}" for u in css_external_urls(css.read_text(errors="replace"))]
    assert not offenders, "external url()/@import in CSS:\n" + "\n".join(offenders)


def test_every_local_load_exists(pages):
    missing = []
    for page in pages:
        parser = LoadCollector()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, url in parser.loads:
            if EXTERNAL.match(url) or url.startswith(("data:", "#")):
                continue
            target = (page.parent / url.split("?")[0].split("#")[0]).resolve()
            if not target.exists():
                missing.append(f"{page.relative_to(HTML)}: <{tag}> {url}")
    assert not missing, "missing local files:\n" + "\n".join(missing)


def test_mathjax_is_served_locally():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert config["mathjax_path"] == "mathjax/startup.js"
    for component in ["startup", *config["mathjax3_config"]["loader"]["load"], "core", "output/chtml/fonts/tex"]:
        assert (HTML / "_static" / "mathjax" / f"{component}.js").is_file(), component
    assert "ui/menu" not in config["mathjax3_config"]["loader"]["load"]  # 0.43 MB the book does not use
    fonts = list((HTML / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10


def test_pages_are_within_the_size_budget(pages):
    too_big = {p.name: p.stat().st_size for p in pages if p.stat().st_size > MAX_PAGE_BYTES}
    assert not too_big, f"pages over {MAX_PAGE_BYTES} bytes: {too_big}"


#: The two editions: English at the site root, 中文 under zh/ (tools/build_book.py)
EDITIONS = ["", "zh/"]


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("chapter", chapter_files())
def test_chapter_page_has_scrubbers(chapter, edition):
    page = HTML / f"{edition}{chapter}.html"
    if not page.is_file():
        pytest.fail(f"{page} was not built: run `make book`")
    text = page.read_text(encoding="utf-8")
    # every explore() figure became a static scrubber with its frames embedded, no widget view
    blobs = re.findall(r'class="dls-explore-data">(.*?)</script>', text, re.S)
    assert blobs, f"{chapter}: no explore() scrubber on the page"
    for blob in blobs:
        frames = json.loads(blob.replace("<\\/", "</"))["frames"]
        assert len(frames) >= 2
        # each frame is an image file next to the page (book/_ext/explore_frames.py), loaded when shown
        for src in frames.values():
            assert re.fullmatch(r"\.\./_images/explore/[0-9a-f]{20}\.png", src), src
            assert (page.parent / src).resolve().is_file(), src
    assert "data:image/png;base64," not in text, "a frame is still embedded in the page"
    assert "widget-view+json" not in text
    assert "widget-state+json" not in text


# ----------------------------------------------------------------------------- exercises on the website


def _chapter_html(chapter: str, edition: str = "") -> str:
    page = HTML / f"{edition}{chapter}.html"
    if not page.is_file():
        pytest.fail(f"{page} was not built: run `make book`")
    return page.read_text(encoding="utf-8")


def _code(line: str) -> str:
    """A line without its comment and surrounding blanks (a comment-only line stays whole)."""
    return line.split("#", 1)[0].strip() or line.strip()


def test_no_page_shows_nbgrader_markers_or_hidden_tests(pages):
    from chapter_cells import all_chapters

    blocks = r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS"
    chapters = all_chapters()
    shown = {  # lines some chapter shows in the open are no secret (`for _ in range(10):`)
        _code(line)
        for chapter in chapters
        for cell in chapter.notebook.cells
        for line in re.sub(blocks, "", cell.source, flags=re.S).splitlines()
    }
    hidden = [
        line.strip()
        for chapter in chapters
        for cell in chapter.check_cells
        for block in re.findall(blocks, cell.source, re.S)
        for line in block.splitlines()
        if len(line.strip()) > 8 and _code(line) not in shown
    ]
    assert hidden, "no hidden tests in the chapters"
    offenders = []
    for page in [*pages, HTML / "searchindex.js", HTML / "zh" / "searchindex.js"]:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
            if marker in text:
                offenders.append(f"{page.relative_to(HTML)}: {marker}")
        offenders += [f"{page.relative_to(HTML)}: hidden test {line!r}" for line in hidden if line in text]
    assert not offenders, "\n".join(offenders)


#: the solution toggle's label and the written answers' title, by edition
SOLUTION = {"": "Solution", "zh/": "参考答案"}


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("chapter", chapter_files())
def test_every_solution_is_behind_a_solution_toggle(chapter, edition):
    from chapter_cells import code_lines, read_chapter

    text = _chapter_html(chapter, edition)
    label = SOLUTION[edition]
    source = read_chapter(ROOT / f"{chapter}.md")
    toggles = re.findall(r'<details class="admonition hide above-input">(.*?)</details>', text, re.S)
    solutions = [t for t in toggles if f'<p class="collapsed admonition-title">{label}</p>' in t]
    assert len(solutions) == len(source.solution_cells), f"{chapter}: {len(solutions)} toggles"
    assert "Show code cell source" not in text
    hidden_text = html.unescape(re.sub(r"<[^>]+>", "", "".join(solutions)))
    outside = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<details.*?</details>", "", text, flags=re.S)))
    flat_outside = " ".join(outside.split())
    for cell in source.solution_cells:
        body = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S).group(1)
        lines = code_lines(body)
        for line in lines:
            assert line in hidden_text, f"{chapter}: {line!r} is not behind its toggle"
        whole = " ".join(" ".join(lines).split())  # the solution as a whole: single lines may recur in the text
        assert whole not in flat_outside, f"{chapter}: a solution shows outside its toggle"
    # written answers: a dropdown admonition titled "Solution" (collapsed by sphinx-togglebutton)
    answers = re.findall(rf'<div class="[^"]*\bdropdown\b[^"]*">\s*<p class="admonition-title">{label}</p>', text)
    assert len(answers) == len(source.answer_cells) >= 1


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("chapter", chapter_files())
def test_no_numeric_exercise_is_answered_on_the_page(chapter, edition):
    """The answer of a numeric exercise appears nowhere on the page (the solution cells do not print it)."""
    import numpy as np

    from dlscratch.exercises import EXERCISES, ValueExercise

    text = html.unescape(re.sub(r"<[^>]+>", " ", _chapter_html(chapter, edition)))
    number = Path(chapter).name[:2]
    for exercise_id, exercise in EXERCISES.items():
        if not (exercise_id.startswith(f"ch{number}.") and isinstance(exercise, ValueExercise)):
            continue
        for value in np.ravel(np.asarray(exercise.expected, dtype=float)):
            if value == round(value) or not np.isfinite(value):
                continue  # whole numbers occur everywhere; only distinctive decimals are searched for
            shown = {f"{value:.{d}g}" for d in (4, 5, 6, 8)} | {repr(float(value))}
            found = sorted(s for s in shown if len(s.lstrip("-0.")) >= 4 and s in text)
            assert not found, f"{chapter}: the answer of {exercise_id} is on the page as {found}"


def test_no_page_loads_font_awesomes_script_or_thebe():
    """What the site does not use is not loaded (book/_ext/offline_assets.py)."""
    for page in sorted(p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts):
        text = page.read_text(encoding="utf-8")
        for unused in ("fontawesome.js", "THEBE_JS_URL", "sphinx-thebe", "x-thebe-config", "binder-examples"):
            assert unused not in text, f"{page.relative_to(HTML)}: {unused}"


# ----------------------------------------------------------------------------- the Chinese edition (zh/)


def test_every_page_exists_in_both_editions(pages):
    english = {p.relative_to(HTML).as_posix() for p in pages if p.relative_to(HTML).parts[0] != "zh"}
    chinese = {p.relative_to(HTML / "zh").as_posix() for p in pages if p.relative_to(HTML).parts[0] == "zh"}
    assert len(english) >= 19
    assert english == chinese, f"only in English: {english - chinese}; only in 中文: {chinese - english}"


def test_every_page_switches_to_the_same_page_in_the_other_edition(pages):
    problems = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if text.startswith('<meta http-equiv="Refresh"'):
            continue  # index.html: Jupyter Book's redirect to the first page
        rel = page.relative_to(HTML).as_posix()
        chinese = rel.startswith("zh/")
        twin = HTML / (rel[3:] if chinese else f"zh/{rel}")
        links = re.findall(r'<a class="btn btn-sm dls-language-switch" href="([^"]+)" hreflang="([^"]+)"', text)
        if len(links) != 1:
            problems.append(f"{rel}: {len(links)} language switches")
            continue
        href, lang = links[0]
        if (page.parent / href).resolve() != twin.resolve():
            problems.append(f"{rel}: the switch leads to {href}, not to its twin {twin.relative_to(HTML)}")
        if lang != ("en" if chinese else "zh-CN"):
            problems.append(f"{rel}: hreflang {lang}")
        html_lang = re.search(r'<html[^>]*\slang="([^"]+)"', text).group(1)
        if html_lang != ("zh-CN" if chinese else "en"):
            problems.append(f"{rel}: <html lang={html_lang!r}>")
    assert not problems, "\n".join(problems)


def test_the_chinese_contents_and_footer_are_in_chinese(pages):
    """The sidebar's part captions come from the root page's catalog (book/_ext/editions.py)."""
    for page in pages:
        if page.relative_to(HTML).parts[0] != "zh" or page.name in ("index.html",):
            continue
        captions = re.findall(
            r'<p aria-level="2" class="caption" role="heading"><span class="caption-text">([^<]*)<',
            page.read_text(encoding="utf-8"),
        )
        assert len(captions) == 5, (page, captions)
        assert all(re.search(r"[\u4e00-\u9fff]", c) for c in captions), (page, captions)
        # the footer's author and sentence too (_config.yml's English, replaced by book/_ext/editions.py)
        text = page.read_text(encoding="utf-8")
        assert "Every number in this book" not in text, page
        assert "Cell by Cell authors" not in text, page
        assert "本书中的每个数字都在单元格中计算" in text, page


class _ArticleText(HTMLParser):
    """The prose of a page's article: paragraphs, list items, headings and table cells.

    Left out: code, math, cell outputs (shared by both editions, like the code), the glossary's
    headwords (English by design: the glossary is English–中文) and the "英文" column of the
    chapter summaries' term tables."""

    BLOCKS: ClassVar[set[str]] = {"p", "li", "h1", "h2", "h3", "h4", "td", "th", "dt", "dd", "summary"}
    TRACKED: ClassVar[set[str]] = {"div", "table", "tr", "td", "th", "dt", "pre", "code", "script", "style", "math"}

    def __init__(self):
        super().__init__()
        self.blocks: list[str] = []
        self._open: list[tuple[str, bool]] = []  # tracked elements and whether each hides its content
        self._tables: list[dict] = []
        self._in_article = False
        self._current: list[str] = []
        self._cell: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self._open)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article":
            self._in_article = True
        if tag in self.BLOCKS:
            self._flush()
        if tag == "table":
            self._tables.append({"english": set(), "col": 0})
        if tag == "tr" and self._tables:
            self._tables[-1]["col"] = 0
        if tag in ("td", "th"):
            self._cell = []
        if tag in self.TRACKED:
            skip = (
                tag in ("pre", "code", "script", "style", "math", "dt")
                or (tag == "div" and "cell_output" in (a.get("class") or ""))
                or (tag == "td" and bool(self._tables) and self._tables[-1]["col"] in self._tables[-1]["english"])
            )
            self._open.append((tag, skip))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._flush()
        if tag in ("td", "th") and self._tables:
            table = self._tables[-1]
            if tag == "th" and "".join(self._cell).strip() == "英文":
                table["english"].add(table["col"])
            table["col"] += 1
        if tag == "table" and self._tables:
            self._tables.pop()
        if tag in self.TRACKED:
            while self._open:
                if self._open.pop()[0] == tag:
                    break
        if tag == "article":
            self._in_article = False

    def handle_data(self, data):
        self._cell.append(data)
        if self._in_article and not self._skipping():
            self._current.append(data)

    def _flush(self):
        text = " ".join("".join(self._current).split())
        if text:
            self.blocks.append(text)
        self._current = []


def _prose(text: str) -> list[str]:
    parser = _ArticleText()
    parser.feed(re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]|\$\$.*?\$\$", " ", text, flags=re.S))
    return parser.blocks


def _pre_blocks(text: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", block) for block in re.findall(r"<pre[^>]*>(.*?)</pre>", text, re.S)]


@pytest.mark.parametrize("chapter", chapter_files())
def test_a_chinese_chapter_shares_the_english_code_outputs_and_figures(chapter):
    """No second copy: the code cells, their outputs and the figures are the same bytes in both editions.

    This also shows that the chapters executed once: several print timings (chapter 1's activations in
    ms), which a second execution for the Chinese edition would not reproduce."""
    english, chinese = _chapter_html(chapter), _chapter_html(chapter, "zh/")
    assert _pre_blocks(english) == _pre_blocks(chinese)
    images = re.compile(r'<img[^>]*src="([^"]+)"')
    assert images.findall(english) == images.findall(chinese)
    for src in images.findall(chinese):
        if not src.startswith("data:"):
            shared = (HTML / chapter).parent / src
            assert shared.read_bytes() == ((HTML / "zh" / chapter).parent / src).read_bytes(), src


def test_the_chinese_pages_are_in_chinese(pages):
    """Every block of prose with three English words in a row (outside code and math) has Chinese in it too."""
    english_run = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")
    cjk = re.compile(r"[\u3400-\u9fff]")
    untranslated = []
    chinese_pages = [p for p in pages if p.relative_to(HTML).parts[0] == "zh"]
    assert len(chinese_pages) >= 19
    for page in chinese_pages:
        if page.name in ("genindex.html", "search.html", "bibliography.html"):
            continue  # the index lists English names; the bibliography is the works' own titles
        for block in _prose(page.read_text(encoding="utf-8")):
            if english_run.search(block) and not cjk.search(block):
                untranslated.append(f"{page.relative_to(HTML)}: {block[:100]}")
    assert not untranslated, f"{len(untranslated)} blocks in English on the Chinese site:\n" + "\n".join(
        untranslated[:60]
    )


def test_each_editions_font_has_every_chinese_character_of_its_pages(pages):
    """A Chinese page loads dls-cjk-zh.woff2 (dlscratch-zh.css), an English one dls-cjk.woff2 (dlscratch-cjk.css),
    never both: each must cover its
    edition's characters, the theme's interface words (搜索, 目录, ...) included."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cjk_font", ROOT / "tools" / "cjk_font.py")
    cjk_font = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cjk_font)
    chinese = cjk_font.built_characters(HTML / "zh")
    assert len(chinese) > 1000
    missing = chinese - cjk_font.font_characters(cjk_font.TARGET_ZH)
    assert not missing, f"not in dls-cjk-zh.woff2: {''.join(sorted(missing))}; run `python tools/cjk_font.py`"
    english = set()
    for page in pages:
        if page.relative_to(HTML).parts[0] != "zh":
            english.update(cjk_font.CJK.findall(page.read_text(encoding="utf-8")))
    missing = english - cjk_font.font_characters(cjk_font.TARGET)
    assert not missing, f"not in dls-cjk.woff2: {''.join(sorted(missing))}; run `python tools/cjk_font.py`"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if text.startswith('<meta http-equiv="Refresh"'):
            continue
        chinese = page.relative_to(HTML).parts[0] == "zh"
        assert ("dlscratch-zh.css" in text) == chinese, page
        assert ("dlscratch-cjk.css" in text) != chinese, page


def test_no_emphasis_marker_shows_as_text(pages):
    """A `**` or `*` left in the prose is Markdown that did not render. In Chinese this happens silently:
    CommonMark opens `**` after a letter only when no punctuation follows (`呈**“之”字形**` stays literal)."""
    stray = re.compile(r"\*\*|(?<![\w*])\*[^*\s][^*]*\*(?![\w*])")
    found = []
    for page in pages:
        found += [
            f"{page.relative_to(HTML)}: {b[:120]}" for b in _prose(page.read_text(encoding="utf-8")) if stray.search(b)
        ]
    assert not found, "\n".join(found)
