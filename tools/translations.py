"""Work on the Chinese edition's message catalogs (book/locales/zh_CN/LC_MESSAGES).

    python tools/translations.py status                 # per catalog: messages, to do, fuzzy
    python tools/translations.py export chapters/05_backprop > todo.txt
    python tools/translations.py import chapters/05_backprop todo.txt
    python tools/translations.py check [CATALOG ...]    # what tests/test_translations.py checks

``export`` writes the messages still to do (empty or fuzzy) as plain text, no
escaping, one block per message::

    === 17
    <the English message, verbatim, possibly several lines>
    --- zh
    <the Chinese translation: write it here>

A fuzzy message also shows the old Chinese under ``--- old zh`` (the draft of
the English sentence before it changed). Write ``--- same`` instead of
``--- zh`` when the message is deliberately left as it is (a formula, a glossary
headword, a code-only line): the catalog then records that with a translator
comment, and the check accepts the copy. ``import`` reads such a file back,
verifies each block's English against the catalog, sets the translations and
clears the fuzzy flags. The catalogs are refreshed from the sources by
``python tools/build_book.py --gettext``.

The check compares each translation with its English message: the same
formulas ($...$), the same inline code, the same link and reference targets, the
same numbers, Chinese text in every translation that is not marked "same".
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "book" / "locales" / "zh_CN" / "LC_MESSAGES"
SAME = "same-as-source"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

_MATH = re.compile(r"\$\$.*?\$\$|(?<![\\$])\$(?!\s)(?:[^$\\]|\\.)+?(?<!\s)\$", re.S)
_ROLE = re.compile(r"\{(\w[\w:-]*)\}`([^`]*)`")
_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_LINK = re.compile(r"\]\(([^)\s]*)\)")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*")
#: large counts, which Chinese writes in 万 and 亿: "24 million" = "2400 万", "100 million" = "1 亿"
_SCALED = re.compile(r"(?<![A-Za-z0-9_.])(\d+(?:\.\d+)?)\s*(million|billion|万|亿)")
_SCALE = {"million": 10**6, "billion": 10**9, "万": 10**4, "亿": 10**8}


def _scaled(match: re.Match) -> str:
    """A count with its scale word, as a plain integer string."""
    value = round(float(match.group(1)) * _SCALE[match.group(2)])
    return str(value)


def _role_target(role: str, content: str) -> str:
    """The part of a role that must not change: its target (``text <target>``) or all of it."""
    if role in {"term", "doc", "ref", "numref", "eq", "download"}:
        found = re.search(r"<([^<>]+)>\s*$", content)
        target = (found.group(1) if found else content).strip()
        return f"{role}:{target.lower() if role == 'term' else target}"
    return f"{role}:{content}"


def invariants(text: str) -> dict[str, Counter]:
    """What a translation must keep from its English: formulas, code, targets, numbers."""
    math = _MATH.findall(text)
    rest = _MATH.sub(" ", text)
    roles = [_role_target(role, content) for role, content in _ROLE.findall(rest)]
    rest = _ROLE.sub(" ", rest)
    code = [m.group(2) for m in _CODE.finditer(rest)]
    rest = _CODE.sub(" ", rest)
    links = _LINK.findall(rest)
    rest = _LINK.sub(" ", rest)
    numbers = [_scaled(m) for m in _SCALED.finditer(rest)]
    rest = _SCALED.sub(" ", rest)
    numbers += _NUMBER.findall(rest)
    return {
        "formulas": Counter(m.strip() for m in math),
        "roles": Counter(roles),
        "code": Counter(code),
        "links": Counter(links),
        "numbers": Counter(numbers),
    }


def problems(msgid: str, msgstr: str, same_ok: bool) -> list[str]:
    """Why a translation is not acceptable (empty list: it is)."""
    if not msgstr:
        return ["not translated"]
    if msgstr == msgid:
        return [] if same_ok else ["identical to the English (mark it '--- same' if that is deliberate)"]
    found = []
    want, got = invariants(msgid), invariants(msgstr)
    for kind in want:
        if want[kind] != got[kind]:
            missing = want[kind] - got[kind]
            extra = got[kind] - want[kind]
            found.append(f"{kind} differ: missing {sorted(missing)} extra {sorted(extra)}")
    if not CJK.search(msgstr):
        found.append("no Chinese in the translation")
    return found


def catalogs(names: list[str] | None = None) -> list[Path]:
    if names:
        return [CATALOGS / (name if name.endswith(".po") else name + ".po") for name in names]
    return sorted(CATALOGS.rglob("*.po"))


def read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def write(path: Path, catalog) -> None:
    from babel.messages.pofile import write_po

    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, include_previous=True)


def messages(catalog):
    return [m for m in catalog if m.id]


def is_same(message) -> bool:
    return any(SAME in comment for comment in message.user_comments)


def report(paths: list[Path]) -> list[str]:
    """Every problem of the given catalogs, one line each."""
    lines = []
    for path in paths:
        rel = path.relative_to(CATALOGS).with_suffix("")
        for index, message in enumerate(messages(read(path))):
            if message.fuzzy:
                lines.append(f"{rel} #{index}: fuzzy (the English changed): {message.id[:70]!r}")
                continue
            for problem in problems(message.id, message.string, is_same(message)):
                lines.append(f"{rel} #{index}: {problem}: {message.id[:70]!r}")
    return lines


def export(name: str) -> str:
    path = catalogs([name])[0]
    blocks = []
    for index, message in enumerate(messages(read(path))):
        if message.string and not message.fuzzy:
            continue
        if "\n=== " in "\n" + message.id or "\n--- " in "\n" + message.id:
            raise SystemExit(f"{name} #{index}: the message contains a block marker; edit the .po file directly")
        block = f"=== {index}\n{message.id}\n"
        if message.fuzzy and message.string:
            block += f"--- old zh\n{message.string}\n"
        blocks.append(block + "--- zh\n\n")
    return "".join(blocks)


def parse_blocks(text: str) -> dict[int, tuple[str, str, bool]]:
    """index -> (English, translation, same) from an exported-and-filled file."""
    found: dict[int, tuple[str, str, bool]] = {}
    for chunk in re.split(r"^=== ", text, flags=re.M)[1:]:
        head, _, body = chunk.partition("\n")
        index = int(head.strip())
        parts = re.split(r"^--- (old zh|zh|same)[ \t]*$\n?", body, flags=re.M)
        english = parts[0][:-1] if parts[0].endswith("\n") else parts[0]  # export adds one newline
        kinds = dict(zip(parts[1::2], parts[2::2], strict=True))
        if "same" in kinds:
            found[index] = (english, english, True)
        elif "zh" in kinds:
            found[index] = (english, kinds["zh"].strip("\n"), False)
        else:
            raise SystemExit(f"block {index}: no '--- zh' or '--- same' line")
    return found


def import_(name: str, filled: Path) -> int:
    path = catalogs([name])[0]
    catalog = read(path)
    entries = messages(catalog)
    blocks = parse_blocks(filled.read_text(encoding="utf-8"))
    errors = 0
    for index, (english, chinese, same) in sorted(blocks.items()):
        if index >= len(entries) or entries[index].id != english:
            print(f"block {index}: its English is not message #{index} of {name}; export again", file=sys.stderr)
            errors += 1
            continue
        if not chinese.strip():
            continue
        message = entries[index]
        bad = problems(english, chinese, same)
        if bad:
            print(f"block {index}: " + "; ".join(bad), file=sys.stderr)
            errors += 1
        message.string = chinese
        message.flags.discard("fuzzy")
        message.previous_id = ()
        message.user_comments = [c for c in message.user_comments if SAME not in c]
        if same:
            message.user_comments.append(SAME)
    write(path, catalog)
    done = sum(1 for m in messages(catalog) if m.string and not m.fuzzy)
    print(f"{name}: {done}/{len(messages(catalog))} translated; {errors} blocks with problems (they were still stored)")
    return 1 if errors else 0


def status() -> int:
    for path in catalogs():
        entries = messages(read(path))
        todo = sum(1 for m in entries if not m.string)
        fuzzy = sum(1 for m in entries if m.fuzzy)
        name = path.relative_to(CATALOGS).with_suffix("")
        print(f"{name!s:36} {len(entries):5} messages {todo:5} to do {fuzzy:4} fuzzy")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"status", "export", "import", "check"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "status":
        return status()
    if command == "export":
        sys.stdout.write(export(rest[0]))
        return 0
    if command == "import":
        return import_(rest[0], Path(rest[1]))
    lines = report(catalogs(rest or None))
    print("\n".join(lines) if lines else "all messages translated and consistent")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
