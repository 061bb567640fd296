"""Build the website's Chinese web fonts: the glyphs the book uses, cut from Droid Sans Fallback.

The book's 中文 must render on a machine without any CJK font, offline. So the
site ships its own font, served from ``_static``, in two cuts:

* ``book/_static/fonts/dls-cjk.woff2``: the characters of the English edition's
  sources (the 中文 terms of the glossary, chapter summaries, notation; a few
  hundred glyphs, about 35 kB instead of 4 MB). ``book/_static/dlscratch.css``
  names it after the reader's own fonts, with a ``unicode-range`` so that a page
  without Chinese never loads it.
* ``book/_static/fonts/dls-cjk-zh.woff2``: every character of the Chinese
  edition: the sources, the translations in ``book/locales`` and, when the
  site is built, the Chinese of the built pages and scripts (the theme's and
  Sphinx's own interface words, e.g. 搜索). ``dlscratch-zh.css`` (added to the
  Chinese edition's pages only, by ``book/_ext/editions.py``) declares it for
  the same family, so a Chinese page loads this one file and no other.

Run ``python tools/cjk_font.py`` after adding Chinese text or translations
(after ``make book`` for the interface words); ``tests/test_project.py`` and
``tests/test_site.py`` fail while a character is missing.

The glyphs come from Debian's ``fonts-droid-fallback`` package (Apache License
2.0, ``book/_static/fonts/LICENSE-DroidSansFallback.txt``): the font file is
taken from ``/usr/share/fonts/truetype/droid`` if the package is installed,
otherwise from ``--source FILE``, otherwise the package is fetched with
``apt-get download`` and unpacked into a temporary folder (nothing is
installed). Why not Noto Sans CJK SC, the nicer face: its outlines cost about
250 bytes a glyph in woff2 against about 72 here, and the Chinese edition uses
a few thousand characters; with Noto a chapter page would be over the 2.5 MB
budget on a machine without a CJK font. Readers who have a CJK font (every
Windows, macOS, iOS and Android machine) see their own: the CSS names the
common ones first. woff2 needs the ``brotli`` package (in the test extra).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "book" / "_static" / "fonts"
TARGET = FONTS / "dls-cjk.woff2"
TARGET_ZH = FONTS / "dls-cjk-zh.woff2"
LOCALES = ROOT / "book" / "locales" / "zh_CN" / "LC_MESSAGES"
BUILT_ZH = ROOT / "_build" / "html" / "zh"
INSTALLED = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
PACKAGE = "fonts-droid-fallback"
FACE = "Droid Sans Fallback"
#: CJK ideographs, CJK punctuation and full-width forms: what the system's Latin fonts lack
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
SOURCES = ("book/*.md", "chapters/*.md", "README.md")


def book_characters(root: Path = ROOT) -> set[str]:
    """Every CJK character of the book's sources."""
    found: set[str] = set()
    for pattern in SOURCES:
        for path in sorted(root.glob(pattern)):
            found.update(CJK.findall(path.read_text(encoding="utf-8")))
    return found


def translation_characters(root: Path = ROOT) -> set[str]:
    """Every CJK character of the Chinese edition's translations (the msgstr of every catalog)."""
    from babel.messages.pofile import read_po

    found: set[str] = set()
    for path in sorted((root / LOCALES.relative_to(ROOT)).rglob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    found.update(CJK.findall(message.string))
    return found


def built_characters(site: Path = BUILT_ZH) -> set[str]:
    """Every CJK character of the built Chinese edition's pages and scripts (empty before a build)."""
    found: set[str] = set()
    for pattern in ("**/*.html", "**/*.js"):
        for path in site.glob(pattern):
            found.update(CJK.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def edition_characters() -> set[str]:
    """What the Chinese edition's font must cover."""
    return book_characters() | translation_characters() | built_characters()


def font_characters(path: Path = TARGET) -> set[str]:
    from fontTools.ttLib import TTFont

    with TTFont(path) as font:
        return {chr(code) for code in font.getBestCmap()}


def _source_font(given: Path | None, scratch: Path) -> Path:
    if given is not None:
        if not given.is_file():
            raise SystemExit(f"--source {given}: no such file")
        return given
    if INSTALLED.is_file():
        return INSTALLED
    print(f"fetching Debian's {PACKAGE} (apt-get download; nothing is installed) ...")
    subprocess.run(["apt-get", "download", PACKAGE], cwd=scratch, check=True)
    (deb,) = scratch.glob(f"{PACKAGE}_*.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(scratch / "root")], check=True)
    return scratch / "root" / INSTALLED.relative_to("/")


def build(characters: set[str], target: Path, source: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    with TTFont(source) as font:
        if font["name"].getDebugName(1) != FACE:
            raise SystemExit(f"{source}: not {FACE!r} but {font['name'].getDebugName(1)!r}")
    options = subset.Options()
    options.flavor = "woff2"  # brotli, and the glyf table transformed: about half of woff's zlib
    options.name_IDs = ["*"]  # keep the copyright and licence names
    options.notdef_outline = True
    options.hinting = False  # a fallback face for screens: hints would be a third of the file
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(target), options)
    missing = characters - font_characters(target)
    if missing:
        raise SystemExit(f"{FACE} has no glyph for: {''.join(sorted(missing))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="DroidSansFallbackFull.ttf (default: installed, else downloaded)")
    args = parser.parse_args(argv)
    if not BUILT_ZH.is_dir():
        print(f"note: no {BUILT_ZH.relative_to(ROOT)} yet: the interface words of the Chinese edition are not included")
    with tempfile.TemporaryDirectory() as scratch:
        source = _source_font(args.source, Path(scratch))
        for target, characters in ((TARGET, book_characters()), (TARGET_ZH, edition_characters())):
            build(characters, target, source)
            print(f"{target.relative_to(ROOT)}: {len(characters)} characters, {target.stat().st_size / 1024:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
