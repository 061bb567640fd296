"""Turn the chapters into nbgrader assignments: ``python tools/classroom.py release [--out DIR]``.

For every chapter ``chapters/NN_topic.md`` this writes

* ``DIR/source/NN_topic/NN_topic.ipynb``: the instructor's version (solutions and hidden tests);
* ``DIR/release/NN_topic/NN_topic.ipynb``: the student version made by nbgrader's
  ``generate_assignment`` (solutions replaced by ``raise NotImplementedError()``,
  hidden tests removed, check cells locked).

It then verifies that no student notebook contains solution text or a hidden
test, and exits non-zero if one does. ``DIR`` defaults to ``classroom/``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)


def secret_lines(source_nb) -> list[str]:
    """Every non-trivial line inside a solution or hidden-test block of the source notebook."""
    lines = []
    for cell in source_nb.cells:
        for block in SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source):
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 8]
    return lines


def leaks(release_nb, secrets: list[str]) -> list[str]:
    """Markers anywhere, and solution or hidden-test lines in the cells nbgrader manages."""
    found = []
    for i, cell in enumerate(release_nb.cells):
        text = cell.source
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            if marker in text:
                found.append(f"cell {i}: marker {marker!r}")
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") or meta.get("grade"):
            found += [f"cell {i}: {line!r}" for line in secrets if line in text]
    return found


def release(out: Path, chapters: list[Path]) -> int:
    out = out.resolve()
    for sub in ("source", "release", "gradebook.db"):
        target = out / sub
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    nbgrader = Path(sys.executable).with_name("nbgrader")
    problems = []
    for md in chapters:
        name = md.stem
        notebook = jupytext.read(md)
        source = out / "source" / name / f"{name}.ipynb"
        source.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, source)
        result = subprocess.run(
            [
                str(nbgrader),
                "generate_assignment",
                name,
                "--force",
                f"--CourseDirectory.root={out}",
                f"--CourseDirectory.db_url=sqlite:///{out / 'gradebook.db'}",
                "--log-level=WARN",
            ],
            capture_output=True,
            text=True,
            check=False,
            # nbgrader runs `alembic` from PATH to set up its gradebook
            env={**os.environ, "PATH": f"{nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
        )
        if result.returncode:
            print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
            raise SystemExit(f"nbgrader generate_assignment failed for {name}")
        student = nbformat.read(out / "release" / name / f"{name}.ipynb", as_version=4)
        n_solutions = sum(bool(SOLUTION.search(c.source)) for c in notebook.cells)
        n_todo = sum("raise NotImplementedError()" in c.source for c in student.cells)
        found = leaks(student, secret_lines(notebook))
        if n_todo < n_solutions:
            found.append(f"{n_solutions} solution cells but only {n_todo} stubs")
        problems += [f"{name}: {p}" for p in found]
        print(f"{name}: {n_solutions} exercises with solutions -> {out / 'release' / name}")
    if problems:
        print("student release leaks:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    print(f"released {len(chapters)} chapters into {out / 'release'}; no solution text or hidden test in them")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["release"])
    parser.add_argument("--out", type=Path, default=ROOT / "classroom")
    parser.add_argument("chapters", nargs="*", type=Path, help="default: every chapters/NN_*.md")
    args = parser.parse_intermixed_args(argv)
    chapters = args.chapters or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    return release(args.out, chapters)


if __name__ == "__main__":
    raise SystemExit(main())
