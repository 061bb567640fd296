"""The Chinese edition's message catalogs (book/locales/zh_CN): complete, current, consistent.

* Every message of every catalog is translated and none is fuzzy (a fuzzy
  message is one whose English changed since it was translated:
  ``make translations`` marks it, and this test fails until it is redone).
* The catalogs hold exactly the messages of the current sources: an edited
  English sentence whose catalog was not refreshed would silently show in
  English on the Chinese site.
* Each translation keeps its English's formulas, inline code, link and role
  targets and numbers, and contains Chinese (``tools/translations.py``).
* The glossary is the single source of the Chinese terms: where a chapter
  introduces a glossary term (in bold, or as a ``{term}`` reference), its
  translation uses the glossary's Chinese term.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
CATALOGS = ROOT / "book" / "locales" / "zh_CN" / "LC_MESSAGES"


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


translations = _tool("translations")


def _pages() -> list[str]:
    """Every page of the book (the toc's files), as catalog names."""
    toc = (ROOT / "book" / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"(?:root|file):\s*(\S+)", toc)


def test_every_page_has_a_catalog():
    pages = _pages()
    assert len(pages) == 17, pages  # intro, notation, glossary, 13 chapters, bibliography
    missing = [page for page in pages if not (CATALOGS / f"{page}.po").is_file()]
    assert not missing, f"no catalog for {missing}: run `make translations`"
    extra = sorted(
        str(p.relative_to(CATALOGS).with_suffix(""))
        for p in CATALOGS.rglob("*.po")
        if str(p.relative_to(CATALOGS).with_suffix("")) not in pages
    )
    assert not extra, f"catalogs of pages that are not in the book: {extra}"


@pytest.mark.parametrize("page", _pages())
def test_every_message_is_translated_none_fuzzy_and_consistent(page):
    problems = translations.report([CATALOGS / f"{page}.po"])
    assert not problems, f"{len(problems)} messages to do (python tools/translations.py export {page}):\n" + "\n".join(
        problems[:40]
    )


def _current_messages(tmp: Path) -> dict[str, set[str]]:
    """The messages of the current sources: Sphinx's gettext builder over the book (cached outputs)."""
    out = tmp / "gettext"
    result = subprocess.run(
        [sys.executable, str(TOOLS / "build_book.py"), "--pot-only", str(out), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    from babel.messages.pofile import read_po

    found = {}
    for pot in out.rglob("*.pot"):
        with pot.open("rb") as handle:
            found[str(pot.relative_to(out).with_suffix(""))] = {m.id for m in read_po(handle) if m.id}
    return found


def test_the_catalogs_hold_the_messages_of_the_current_sources(tmp_path_factory):
    """Edit a sentence without `make translations`, and this fails (the zh site would show the English)."""
    current = _current_messages(tmp_path_factory.mktemp("pot"))
    assert set(current) == set(_pages())
    stale = {}
    for page, ids in current.items():
        with (CATALOGS / f"{page}.po").open("rb") as handle:
            from babel.messages.pofile import read_po

            have = {m.id for m in read_po(handle) if m.id}  # obsolete (#~) entries are not messages
        if ids != have:
            stale[page] = (sorted(ids - have)[:3], sorted(have - ids)[:3])
    assert not stale, f"catalogs out of date; run `make translations` and translate what it lists: {stale}"


def test_the_check_catches_what_it_should():
    """tools/translations.py's check is what the tests rely on: it must fail on each kind of mistake."""
    english = (
        "The **loss** is $L = -\\log y_t$ for `y[t]`, chapter 3; see [notation](notation.md) and {cite}`he2016deep`."
    )
    good = "**损失**为 $L = -\\log y_t$（对 `y[t]`），见第 3 章；参见[符号说明](notation.md)与 {cite}`he2016deep`。"
    assert translations.problems(english, good, same_ok=False) == []
    bad = {
        "formula": good.replace("-\\log y_t", "-\\ln y_t"),
        "code": good.replace("`y[t]`", "`y(t)`"),
        "link": good.replace("(notation.md)", "(glossary.md)"),
        "number": good.replace("第 3 章", "第三章"),
        "citation": good.replace("he2016deep", "he2016"),
        "English left": english.replace("The", "Le"),
    }
    for what, text in bad.items():
        assert translations.problems(english, text, same_ok=False), what
    assert translations.problems(english, "", same_ok=False) == ["not translated"]
    assert translations.problems(english, english, same_ok=False)
    assert translations.problems(english, english, same_ok=True) == []
    # large counts in Chinese units: 24 million = 2400 万, 100 million = 1 亿, but not 24 万
    assert translations.problems("24 million weights, over 100 million", "2400 万个权重，超过 1 亿", False) == []
    assert translations.problems("24 million weights", "24 万个权重", False)
    # a {term} reference may show Chinese but keeps its target
    assert translations.problems("a {term}`loss function`", "{term}`损失函数 <loss function>`", False) == []
    assert translations.problems("a {term}`loss function`", "{term}`损失函数`", False)


def test_export_and_import_round_trip(tmp_path, monkeypatch):
    """The translators' workflow: export the to-do list, fill it, import it back; a changed English is refused."""
    from babel.messages.catalog import Catalog

    folder = tmp_path / "LC_MESSAGES"
    folder.mkdir()
    catalog = Catalog(locale="zh_CN")
    catalog.add("Pooling")
    catalog.add("\nx = 1\n")
    catalog.add("Take $K$ windows.", "旧译文", flags=["fuzzy"])
    translations.write(folder / "demo.po", catalog)
    monkeypatch.setattr(translations, "CATALOGS", folder)
    todo = translations.export("demo")
    assert todo.count("=== ") == 3
    assert "--- old zh\n旧译文" in todo
    filled = (
        todo.replace("Pooling\n--- zh\n", "Pooling\n--- zh\n池化\n")
        .replace("\nx = 1\n\n--- zh\n", "\nx = 1\n\n--- same\n")
        .replace("--- zh\n\n", "--- zh\n取 $K$ 个窗口。\n")
    )
    (tmp_path / "filled.txt").write_text(filled, encoding="utf-8")
    assert translations.import_("demo", tmp_path / "filled.txt") == 0
    assert translations.report([folder / "demo.po"]) == []
    assert translations.export("demo") == ""
    # a block whose English does not match its catalog message is refused
    (tmp_path / "wrong.txt").write_text("=== 0\nPoolin\n--- zh\n池化\n", encoding="utf-8")
    assert translations.import_("demo", tmp_path / "wrong.txt") == 1


def _glossary_terms() -> list[tuple[list[str], list[str]]]:
    """(English headwords, their Chinese forms) of every glossary entry that gives a Chinese term.

    The Chinese term is how each definition begins (before the pinyin in parentheses);
    "A / B" gives alternatives."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    entries: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```\{glossary\}\n(.*?)```", text, re.S):
        heads: list[str] = []
        definition: list[str] = []
        for line in [*block.split("\n"), "END"]:
            if line and not line.startswith(" "):
                if definition:
                    entries.append((heads, definition))
                    heads, definition = [], []
                heads.append(line.strip())
            elif line.strip():
                definition.append(line.strip())
    found = []
    for heads, definition in entries:
        lead = re.match(r"[^(（.;；]*", " ".join(definition)).group(0).strip()
        if translations.CJK.search(lead):
            found.append((heads, [form.strip() for form in lead.split(" / ")]))
    return found


def test_the_glossary_gives_the_chinese_terms():
    terms = dict((tuple(h), f) for h, f in _glossary_terms())
    assert len(terms) > 120
    assert terms[("activation function",)] == ["激活函数"]
    assert terms[("vanishing gradient",)] == ["梯度消失"]
    assert "交叉熵误差" in terms[("cross-entropy error",)]
    assert "卷积核" in terms[("kernel", "filter")]
    assert terms[("pooling layer",)] == ["池化层"]
    assert "批量归一化" in terms[("batch normalization", "BN")]


def _squeeze(text: str) -> str:
    """Compare terms without spaces (Logistic回归 = Logistic 回归) and with 1x1 = 1×1."""
    return re.sub(r"\s+", "", text).lower().replace("×", "x")


def test_the_chinese_chapters_use_the_glossarys_terms():
    """Where a chapter marks a glossary term (bold or {term}), the translation says it in the glossary's Chinese.

    Only an entry's first headword counts: the others are abbreviations and names (BN, ResNet, tanh) or
    related terms with their own Chinese (residual block beside residual network)."""
    terms = _glossary_terms()
    mismatches = []
    checked = 0
    for path in sorted(CATALOGS.rglob("*.po")):
        if path.stem == "glossary":
            continue
        for message in translations.messages(translations.read(path)):
            if not message.string or message.string == message.id:
                continue
            english = message.id.lower()
            for heads, forms in terms:
                marked = any(
                    f"**{head.lower()}**" in english
                    or re.search(r"\{term\}`[^`]*?<?" + re.escape(head.lower()) + ">?`", english)
                    for head in heads[:1]
                )
                if not marked:
                    continue
                checked += 1
                if not any(_squeeze(form) in _squeeze(message.string) for form in forms):
                    mismatches.append(f"{path.stem}: {heads[0]} → {' / '.join(forms)}: {message.string[:80]}")
    assert checked > 100, checked
    assert not mismatches, f"{len(mismatches)} terms differ from the glossary:\n" + "\n".join(mismatches)
