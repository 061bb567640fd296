"""Build the website's Chinese web font: the glyphs the book uses, cut from Noto Sans CJK SC.

The book's 中文 terms (glossary, chapter summaries, notation) must render on a
machine without any CJK font, offline. So the site ships its own font, served
from ``_static``: ``book/_static/fonts/dls-cjk.woff`` holds only the characters
that occur in the book's sources (a few hundred glyphs, tens of kB instead of
16 MB), and ``book/_static/dlscratch.css`` names it in the font stack after the
reader's own fonts, with a ``unicode-range`` so that a page without Chinese
never loads it.

Run ``python tools/cjk_font.py`` after adding Chinese text;
``tests/test_project.py`` fails while a character of the sources is missing
from the font. The glyphs come from Debian's ``fonts-noto-cjk`` package
(SIL Open Font License 1.1, ``book/_static/fonts/OFL.txt``): the font file is
taken from ``/usr/share/fonts/opentype/noto`` if the package is installed,
otherwise from ``--source FILE``, otherwise the package is fetched with
``apt-get download`` and unpacked into a temporary folder (nothing is installed).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "book" / "_static" / "fonts" / "dls-cjk.woff"
INSTALLED = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FACE = "Noto Sans CJK SC"
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
    print("fetching Debian's fonts-noto-cjk (apt-get download; nothing is installed) ...")
    subprocess.run(["apt-get", "download", "fonts-noto-cjk"], cwd=scratch, check=True)
    (deb,) = scratch.glob("fonts-noto-cjk_*.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(scratch / "root")], check=True)
    return scratch / "root" / INSTALLED.relative_to("/")


def build(source: Path | None = None, target: Path = TARGET) -> set[str]:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    characters = book_characters()
    with tempfile.TemporaryDirectory() as scratch:
        path = _source_font(source, Path(scratch))
        collection = TTCollection(path)
        numbers = [i for i, f in enumerate(collection.fonts) if f["name"].getDebugName(1) == FACE]
        if not numbers:
            raise SystemExit(f"{path}: no face named {FACE!r}")
        options = subset.Options()
        options.flavor = "woff"  # zlib: needs nothing beyond fontTools (woff2 would need brotli)
        options.font_number = numbers[0]
        options.layout_features = ["*"]
        options.name_IDs = ["*"]  # keep the copyright and licence names
        options.notdef_outline = True
        font = subset.load_font(str(path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(characters)))
        subsetter.subset(font)
        target.parent.mkdir(parents=True, exist_ok=True)
        subset.save_font(font, str(target), options)
    missing = characters - font_characters(target)
    if missing:
        raise SystemExit(f"{FACE} has no glyph for: {''.join(sorted(missing))}")
    return characters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="NotoSansCJK-Regular.ttc (default: installed, else downloaded)")
    args = parser.parse_args(argv)
    characters = build(args.source)
    print(f"{TARGET.relative_to(ROOT)}: {len(characters)} characters, {TARGET.stat().st_size / 1024:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
