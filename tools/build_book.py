"""Build the website in both languages from the same chapter sources.

    python tools/build_book.py            # English at _build/html, 中文 at _build/html/zh
    python tools/build_book.py --lang en  # one edition only (en or zh)
    python tools/build_book.py --gettext  # only refresh the message catalogs (the zh build does it first)

The Chinese edition is Sphinx's own translation mechanism: ``--gettext`` extracts
every translatable message of the sources into ``_build/gettext/*.pot`` (one
catalog per page), and ``sphinx-intl`` merges them into
``book/locales/zh_CN/LC_MESSAGES/**/*.po``. A message whose English changed
comes back *fuzzy* there (its old Chinese kept as a draft); a new one comes back
empty. ``tests/test_translations.py`` fails until every message is translated
and nothing is fuzzy.

Both editions read the same execution cache (``_build/.jupyter_cache``): the
chapters execute once, for whichever edition builds first, and the other takes
the cached outputs, so code, outputs and figures are the same bytes in both.
The Chinese edition builds into ``_build/zh/html`` (its own doctrees and
executed notebooks) and is then copied to ``_build/html/zh``: one site, the
language switch on every page leads between ``X.html`` and ``zh/X.html``.

Options after the known ones go to Sphinx as the Makefile gives them (-W, -n,
--keep-going).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"
TOC = ROOT / "book" / "_toc.yml"
LOCALES = ROOT / "book" / "locales"
#: Sphinx's name of the Chinese edition's language; the site path is zh/
ZH = "zh_CN"
EDITIONS = ("en", "zh")


def _overrides(language: str, nitpicky: bool) -> dict:
    overrides = {
        "external_toc_path": TOC.as_posix(),
        "latex_individualpages": False,
        # one cache for both editions: chapters execute once
        "nb_execution_cache_path": str(CACHE),
    }
    if nitpicky:
        overrides["nitpicky"] = True
    if language != "en":
        overrides["language"] = language
    return overrides


def _sphinx(builder: str, outdir: Path, doctrees: Path, language: str, args: argparse.Namespace) -> int:
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(
        ROOT,
        outdir,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides=_overrides(language, args.nitpicky),
        doctreedir=doctrees,
        builder=builder,
        warningiserror=args.warningiserror,
        keep_going=args.keep_going,
        freshenv=args.fresh,
        quiet=args.quiet,
    )
    if result:
        print(f"error: the {builder} build ({language}) failed with status {result}", file=sys.stderr)
        return int(result) if isinstance(result, int) else 1
    return 0


def build_en(args: argparse.Namespace) -> int:
    return _sphinx("html", BUILD / "html", BUILD / ".doctrees", "en", args)


def build_zh(args: argparse.Namespace) -> int:
    status = gettext(args)  # the catalogs follow the sources: what changed shows up as fuzzy
    if status:
        return status
    status = _sphinx("html", BUILD / "zh" / "html", BUILD / "zh" / ".doctrees", ZH, args)
    if status:
        return status
    site = BUILD / "html" / "zh"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(BUILD / "zh" / "html", site, ignore=shutil.ignore_patterns(".buildinfo"))
    return 0


def pot(args: argparse.Namespace, folder: Path) -> int:
    """Extract the messages of the current sources into ``folder/**/*.pot``."""
    return _sphinx("gettext", folder, folder.parent / f"{folder.name}-doctrees", "en", args)


def gettext(args: argparse.Namespace) -> int:
    """Extract the messages (.pot) and merge them into the zh_CN catalogs (.po): a changed English
    message comes back fuzzy, a new one empty. Then list what is to do."""
    folder = BUILD / "gettext"
    status = pot(args, folder)
    if status:
        return status
    status = subprocess.call(
        [sys.executable, "-m", "sphinx_intl", "update", "-p", str(folder), "-d", str(LOCALES), "-l", ZH, "-w", "0"],
        stdout=subprocess.DEVNULL if args.quiet else None,
    )
    if status:
        return status
    import translations  # tools/ is sys.path[0] when this file runs as a script

    todo = translations.report(translations.catalogs())
    if todo:
        print(f"The Chinese edition has {len(todo)} messages to do (tests/test_translations.py fails until they")
        print("are done; `python tools/translations.py export <catalog>` lists them for translating):")
        print("\n".join(f"  {line}" for line in todo[:30]) + ("\n  ..." if len(todo) > 30 else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=(*EDITIONS, "all"), default="all", help="which edition (default: both)")
    parser.add_argument("--gettext", action="store_true", help="refresh book/locales from the sources and stop")
    parser.add_argument("--pot-only", type=Path, metavar="DIR", help="only extract the messages into DIR/**/*.pot")
    parser.add_argument("-W", dest="warningiserror", action="store_true", help="warnings are errors")
    parser.add_argument("-n", dest="nitpicky", action="store_true", help="nitpicky mode")
    parser.add_argument("--keep-going", action="store_true", help="with -W, report every warning before failing")
    parser.add_argument("--fresh", action="store_true", help="re-read every source (the execution cache is kept)")
    parser.add_argument("-q", dest="quiet", action="store_true", help="only warnings and errors")
    args = parser.parse_args(argv)
    if args.pot_only:
        return pot(args, args.pot_only.resolve())
    if args.gettext:
        return gettext(args)
    for edition in EDITIONS if args.lang == "all" else (args.lang,):
        status = build_en(args) if edition == "en" else build_zh(args)
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
