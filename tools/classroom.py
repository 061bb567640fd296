"""Run the course with nbgrader: ``python tools/classroom.py release|autograde [--out DIR] ...``.

``release [CHAPTER.md ...]`` writes, for every chapter ``chapters/NN_topic.md``,

* ``DIR/source/NN_topic/NN_topic.ipynb``: the instructor's version (solutions and hidden tests);
* ``DIR/release/NN_topic/NN_topic.ipynb``: the student version made by nbgrader's
  ``generate_assignment`` (solutions replaced by ``raise NotImplementedError()``,
  hidden tests removed, check cells locked).

It then verifies that no student notebook contains solution text or a hidden
test, and exits non-zero if one does.

``autograde [--student NAME] [SUBMISSION ...]`` grades handed-in notebooks
against a release in the same ``DIR``. A submission is named after its
assignment (``01_activations.ipynb``). With ``--student NAME``, each
SUBMISSION is one of that student's notebooks, or a folder holding them
(``<assignment>.ipynb`` or ``<assignment>/<assignment>.ipynb``). Without it,
each SUBMISSION is a class folder with one such folder per student, named by
the student's id. The notebooks are copied to nbgrader's
``DIR/submitted/<student>/<assignment>/<assignment>.ipynb`` (replacing an
earlier hand-in, which is then graded again); with no SUBMISSION, whatever is
already there (say from ``nbgrader collect``) and not yet graded is graded.
``nbgrader autograde`` executes every new submission with the hidden tests put
back (figures render once: ``DLSCRATCH_EXPLORE=single`` unless set), writes
``DIR/autograded/``, and records the points in ``DIR/gradebook.db``; the command
then prints each student's points per assignment from the gradebook. It exits
non-zero if nbgrader fails, and with a usage error for an unknown assignment
or a bad student id. ``DIR`` defaults to ``classroom/``.
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


def run_nbgrader(out: Path, command: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``nbgrader COMMAND ARGS`` on the course directory ``out``; its output is captured."""
    nbgrader = Path(sys.executable).with_name("nbgrader")
    return subprocess.run(
        [
            str(nbgrader),
            command,
            *args,
            f"--CourseDirectory.root={out}",
            f"--CourseDirectory.db_url=sqlite:///{out / 'gradebook.db'}",
            "--log-level=WARN",
        ],
        capture_output=True,
        text=True,
        check=False,
        # nbgrader runs `alembic` from PATH to set up its gradebook
        env={**os.environ, **env, "PATH": f"{nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )


def release(out: Path, chapters: list[Path]) -> int:
    out = out.resolve()
    for sub in ("source", "release", "gradebook.db"):
        target = out / sub
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    sources = {}
    for md in chapters:
        sources[md.stem] = notebook = jupytext.read(md)
        path = out / "source" / md.stem / f"{md.stem}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
    # one nbgrader run for every assignment in source/ (a process per chapter takes 3 times as long)
    result = run_nbgrader(out, "generate_assignment", "*", "--force")
    if result.returncode:
        print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
        raise SystemExit(f"nbgrader generate_assignment failed for {', '.join(sources)}")
    problems = []
    for name, notebook in sources.items():
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


STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]*")


class UsageError(Exception):
    """A bad command-line argument; the message names the argument and the value."""


def released_assignments(out: Path) -> list[str]:
    """The assignments that ``release`` wrote into ``out`` (a source notebook and a gradebook entry)."""
    db = out / "gradebook.db"
    if not db.is_file():
        raise UsageError(
            f"--out {out}: no gradebook.db there; run `python tools/classroom.py release --out {out}` first"
        )
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        names = {a.name for a in gb.assignments}
    return sorted(a for a in names if (out / "source" / a / f"{a}.ipynb").is_file())


def notebooks_in(path: Path) -> list[Path]:
    """``path`` itself, or the ``<assignment>.ipynb`` and ``<assignment>/<assignment>.ipynb`` in folder ``path``."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise UsageError(f"SUBMISSION {path}: no such file or folder")
    found = sorted(path.glob("*.ipynb")) + sorted(p for p in path.glob("*/*.ipynb") if p.parent.name == p.stem)
    if not found:
        raise UsageError(
            f"SUBMISSION {path}: no notebook in it (expected <assignment>.ipynb or <assignment>/<assignment>.ipynb)"
        )
    return found


def collect_submissions(student: str | None, paths: list[Path], assignments: list[str]) -> dict[tuple, Path]:
    """Map (student, assignment) to the handed-in notebook; reject anything nbgrader could not grade."""
    if student is not None and not STUDENT_ID.fullmatch(student):
        raise UsageError(f"--student {student!r}: a student id is letters, digits and . _ @ + - (no spaces)")
    handed_in: list[tuple[str, Path]] = []
    for path in paths:
        if student is not None:
            handed_in += [(student, nb) for nb in notebooks_in(path)]
        elif not path.is_dir():
            raise UsageError(
                f"SUBMISSION {path}: without --student, a SUBMISSION is a class folder with one folder per student"
            )
        else:
            folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
            if not folders:
                raise UsageError(f"SUBMISSION {path}: no student folders in it (or pass --student NAME)")
            for folder in folders:
                if not STUDENT_ID.fullmatch(folder.name):
                    raise UsageError(
                        f"SUBMISSION {folder}: folder name {folder.name!r} is not a student id "
                        "(letters, digits and . _ @ + -)"
                    )
                handed_in += [(folder.name, nb) for nb in notebooks_in(folder)]
    submissions: dict[tuple, Path] = {}
    for who, notebook in handed_in:
        if notebook.stem not in assignments:
            raise UsageError(
                f"SUBMISSION {notebook}: {notebook.stem!r} is not a released assignment "
                f"(released: {', '.join(assignments) or 'none'}); name a submission <assignment>.ipynb"
            )
        try:
            nbformat.read(notebook, as_version=4)
        except Exception as err:  # nbformat raises several kinds
            raise UsageError(f"SUBMISSION {notebook}: not a readable notebook ({err})") from err
        key = (who, notebook.stem)
        if key in submissions and submissions[key].resolve() != notebook.resolve():
            raise UsageError(
                f"SUBMISSION {notebook}: a second hand-in of {notebook.stem} by {who} (first: {submissions[key]})"
            )
        submissions[key] = notebook
    return submissions


def place(out: Path, submissions: dict[tuple, Path]) -> None:
    """Copy each notebook to nbgrader's ``submitted/`` and drop an earlier grading of it."""
    for (student, assignment), notebook in submissions.items():
        target = out / "submitted" / student / assignment / f"{assignment}.ipynb"
        if notebook.resolve() != target.resolve():
            if target.parent.exists():
                shutil.rmtree(target.parent)
            target.parent.mkdir(parents=True)
            shutil.copyfile(notebook, target)
        graded = out / "autograded" / student / assignment
        if graded.exists():
            shutil.rmtree(graded)


def score_table(out: Path, student: str | None) -> list[str]:
    """One line per submission in the gradebook: points earned / possible, and where points were lost."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            for sub in sorted(assignment.submissions, key=lambda s: s.student.id):
                if student is not None and sub.student.id != student:
                    continue
                lost = [
                    f"{g.name} {g.score:g}/{g.max_score:g}"
                    for nb in sub.notebooks
                    for g in nb.grades
                    if g.score < g.max_score
                ]
                if sub.needs_manual_grade:
                    lost.append("(needs manual grading)")
                rows.append((sub.student.id, assignment.name, f"{sub.score:g} / {sub.max_score:g}", ", ".join(lost)))
    if not rows:
        return []
    header = ("student", "assignment", "points", "lost points")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    return [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}".rstrip() for r in [header, *rows]]


def autograde(out: Path, student: str | None, paths: list[Path]) -> int:
    out = out.resolve()
    assignments = released_assignments(out)
    submissions = collect_submissions(student, paths, assignments)
    place(out, submissions)
    pending = sorted((out / "submitted").glob(f"{student or '*'}/*/*.ipynb"))
    if not pending:
        raise UsageError(
            f"--out {out}: nothing to grade in {out / 'submitted' / (student or '')}; pass SUBMISSION notebooks"
        )
    result = run_nbgrader(
        out,
        "autograde",
        "*",
        f"--CourseDirectory.student_id={student or '*'}",
        DLSCRATCH_EXPLORE=os.environ.get("DLSCRATCH_EXPLORE", "single"),
    )
    table = score_table(out, student)
    if table:
        print("\n".join(table))
    missing = [f"{who}/{a}" for who, a in submissions if not (out / "autograded" / who / a / f"{a}.ipynb").is_file()]
    if result.returncode or missing:
        print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
        print(
            f"nbgrader autograde failed (exit {result.returncode})"
            + (f"; not graded: {', '.join(missing)}" if missing else ""),
            file=sys.stderr,
        )
        return 1
    print(f"autograded notebooks (with the check cells' output): {out / 'autograded'}/<student>/<assignment>/")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["release", "autograde"])
    parser.add_argument(
        "--out", type=Path, metavar="DIR", default=ROOT / "classroom", help="the course directory (default: classroom/)"
    )
    parser.add_argument("--student", metavar="NAME", help="autograde: the student whose notebooks SUBMISSION are")
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="CHAPTER|SUBMISSION",
        help="release: chapters (default: every chapters/NN_*.md); autograde: notebooks or folders to grade",
    )
    args = parser.parse_intermixed_args(argv)
    if args.command == "release":
        if args.student is not None:
            parser.error(f"--student {args.student!r}: only autograde takes a student")
        chapters = args.paths or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
        return release(args.out, chapters)
    try:
        return autograde(args.out, args.student, args.paths)
    except UsageError as err:
        parser.error(str(err))


if __name__ == "__main__":
    raise SystemExit(main())
