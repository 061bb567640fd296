"""Run the course with nbgrader: ``python tools/classroom.py release|autograde [--out DIR] ...``.

``release [--course ID] [--exchange DIR] [--force] [CHAPTER.md ...]`` writes, for
every chapter ``chapters/NN_topic.md`` (or the ones named),

* ``DIR/source/NN_topic/NN_topic.ipynb``: the instructor's version (solutions,
  model answers and hidden tests);
* ``DIR/release/NN_topic/NN_topic.ipynb``: the student version made by nbgrader's
  ``generate_assignment`` (solutions replaced by ``raise NotImplementedError()``,
  model answers by nbgrader's "YOUR ANSWER HERE", hidden tests removed, check
  cells locked, no collapsed cells);
* ``DIR/nbgrader_config.py``: the course id (``--course``, default ``dlbook``,
  kept from an earlier release unless given) and, with ``--exchange``, the
  exchange directory, so that nbgrader commands run in ``DIR`` need no flags.

It then verifies that no student notebook contains solution text, a model
answer or a hidden test, and exits non-zero if one does. The gradebook
``DIR/gradebook.db`` is never lost: a release updates it, and if it holds
submissions of a chapter being released, release refuses (exit 1) unless
``--force`` is given, which first copies it to ``DIR/gradebook-<time>.db`` and
then starts a new one.

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
non-zero if nbgrader fails or a submission did not reach the gradebook, and
with a usage error for an unknown assignment or a bad student id. ``DIR``
defaults to ``classroom/``.
"""

from __future__ import annotations

import argparse
import datetime
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
DEFAULT_COURSE = "dlbook"
COURSE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def model_answer_cells(notebook) -> list:
    """The written-answer cells: markdown cells that nbgrader grades by hand (``solution`` and ``grade``)."""
    return [c for c in notebook.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]


def secret_lines(source_nb) -> list[str]:
    """Every non-trivial line of a solution, a hidden test or a model answer of the source notebook,
    except the lines that the chapter also shows in the open (those are no secret: `for _ in range(10):`)."""
    lines = []
    for cell in source_nb.cells:
        for block in SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source):
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 8]
    for cell in model_answer_cells(source_nb):
        lines += [ln.strip() for ln in cell.source.splitlines() if len(ln.strip()) > 8 and not ln.startswith(":")]
    public = set()
    for cell in source_nb.cells:
        if cell.cell_type == "markdown" and cell in model_answer_cells(source_nb):
            continue
        visible = HIDDEN.sub("", SOLUTION.sub("", cell.source))
        public.update(_code(ln) for ln in visible.splitlines())
    return [line for line in lines if _code(line) not in public]


def _code(line: str) -> str:
    """A line without its comment and surrounding blanks (a comment-only line stays whole)."""
    return line.split("#", 1)[0].strip() or line.strip()


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
    """``nbgrader COMMAND ARGS`` in the course folder ``out`` (so its nbgrader_config.py applies), output captured."""
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
        cwd=out,
        # nbgrader runs `alembic` from PATH to set up its gradebook
        env={**os.environ, **env, "PATH": f"{nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )


def course_config(out: Path, course: str | None, exchange: Path | None) -> str:
    """Write ``out/nbgrader_config.py``; return the course id (the given one, the one already there, or the default)."""
    path = out / "nbgrader_config.py"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if course is None:
        found = re.search(r"^c\.CourseDirectory\.course_id = ['\"](.*?)['\"]", old, re.M)
        course = found.group(1) if found else DEFAULT_COURSE
    if not COURSE_ID.fullmatch(course):
        raise UsageError(f"--course {course!r}: a course id is letters, digits and . _ - (no spaces or slashes)")
    exchange_line = "# c.Exchange.root = '/srv/nbgrader/exchange'   # nbgrader's default; JupyterHub shares it"
    found = re.search(r"^c\.Exchange\.root = .*$", old, re.M)
    if exchange is not None:
        exchange_line = f"c.Exchange.root = {str(exchange.resolve())!r}"
    elif found:
        exchange_line = found.group(0)
    path.write_text(
        "# nbgrader configuration of this course, written by `make release` (tools/classroom.py release).\n"
        "# Run nbgrader commands in this folder: nbgrader release_assignment 01_activations, collect, autograde,\n"
        "# formgrader, generate_feedback ... Set the course id with `make release COURSE=<id>` (or edit it here).\n"
        "from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor\n"
        "from nbgrader.preprocessors import ClearHiddenTests, GetGrades\n"
        "\n"
        "c = get_config()  # noqa: F821  (nbgrader provides it)\n"
        f"c.CourseDirectory.course_id = {course!r}\n"
        f"{exchange_line}\n"
        "# Feedback shows a student's graded notebook without the hidden tests, so they stay hidden next term.\n"
        "c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]\n",
        encoding="utf-8",
    )
    return course


def submissions_in_gradebook(db: Path, assignments: list[str]) -> list[str]:
    """``student/assignment`` for every submission of ``assignments`` recorded in gradebook ``db``."""
    if not db.is_file():
        return []
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        return sorted(
            f"{sub.student.id}/{a.name}" for a in gb.assignments if a.name in assignments for sub in a.submissions
        )


def release(
    out: Path, chapters: list[Path], *, course: str | None = None, exchange: Path | None = None, force: bool = False
) -> int:
    out = out.resolve()
    names = [md.stem for md in chapters]
    db = out / "gradebook.db"
    graded = submissions_in_gradebook(db, names)
    if graded and not force:
        print(
            f"release refused: {db} holds {len(graded)} submission(s) of the chapters being released "
            f"({', '.join(graded[:6])}{', ...' if len(graded) > 6 else ''}); a new release could not be graded "
            "against them. Release other chapters only, or pass --force (make release FORCE=1) to copy the "
            "gradebook to a backup and start a new one.",
            file=sys.stderr,
        )
        return 1
    out.mkdir(parents=True, exist_ok=True)
    course = course_config(out, course, exchange)
    if graded:
        backup = out / f"gradebook-{datetime.datetime.now():%Y%m%d-%H%M%S}.db"
        shutil.copy2(db, backup)
        db.unlink()
        print(f"--force: the gradebook with {len(graded)} submission(s) was copied to {backup}; starting a new one")
    sources = {}
    for md in chapters:
        sources[md.stem] = notebook = jupytext.read(md)
        for cell in notebook.cells:  # collapsed for the self-study reader, not for the instructor or students
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
            if cell.metadata.get("jupyter") == {}:
                del cell.metadata["jupyter"]
        for sub in ("source", "release"):
            if (out / sub / md.stem).exists():
                shutil.rmtree(out / sub / md.stem)
        path = out / "source" / md.stem / f"{md.stem}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    # one nbgrader run for every assignment in source/ (a process per chapter takes 3 times as long)
    every = sorted(p.name for p in (out / "source").iterdir() if p.is_dir())
    targets = ["*"] if every == sorted(names) else names
    for target in targets:
        result = run_nbgrader(out, "generate_assignment", target, "--force")
        if result.returncode:
            print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
            raise SystemExit(f"nbgrader generate_assignment failed for {target}")
    problems = []
    for name, notebook in sources.items():
        student = nbformat.read(out / "release" / name / f"{name}.ipynb", as_version=4)
        n_solutions = sum(bool(SOLUTION.search(c.source)) for c in notebook.cells)
        n_todo = sum("raise NotImplementedError()" in c.source for c in student.cells)
        n_answers = len(model_answer_cells(notebook))
        n_placeholders = sum(c.source.strip() == "YOUR ANSWER HERE" for c in model_answer_cells(student))
        found = leaks(student, secret_lines(notebook))
        if n_todo < n_solutions:
            found.append(f"{n_solutions} solution cells but only {n_todo} stubs")
        if n_placeholders < n_answers:
            found.append(f"{n_answers} written answers but only {n_placeholders} placeholders")
        found += [f"cell {i}: collapsed" for i, c in enumerate(student.cells) if "jupyter" in c.metadata]
        problems += [f"{name}: {p}" for p in found]
        print(f"{name}: {n_solutions} coding/numeric and {n_answers} written exercises -> {out / 'release' / name}")
    if problems:
        print("student release leaks:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    print(
        f"released {len(chapters)} chapters of course {course!r} into {out / 'release'}; "
        "no solution text, model answer or hidden test in them"
    )
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
    """One line per submission in the gradebook: points so far / possible, points lost, answers to grade by hand."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            for sub in sorted(assignment.submissions, key=lambda s: s.student.id):
                if student is not None and sub.student.id != student:
                    continue
                grades = [g for nb in sub.notebooks for g in nb.grades]
                lost = [
                    f"{g.name} {g.score:g}/{g.max_score:g}"
                    for g in grades
                    if not g.needs_manual_grade and g.score < g.max_score
                ]
                by_hand = [g.name for g in grades if g.needs_manual_grade]
                notes = ([f"lost: {', '.join(lost)}"] if lost else []) + (
                    [f"to grade by hand: {', '.join(by_hand)}"] if by_hand else []
                )
                rows.append((sub.student.id, assignment.name, f"{sub.score:g} / {sub.max_score:g}", "; ".join(notes)))
    if not rows:
        return []
    header = ("student", "assignment", "points", "notes")
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
    recorded = {tuple(row.split()[:2]) for row in table[1:]}
    missing = [
        f"{who}/{a}"
        for who, a in {(p.parts[-3], p.parts[-2]) for p in pending} | set(submissions)
        if not (out / "autograded" / who / a / f"{a}.ipynb").is_file() or (who, a) not in recorded
    ]
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
    parser.add_argument("--course", metavar="ID", help=f"release: the nbgrader course id (default {DEFAULT_COURSE!r})")
    parser.add_argument("--exchange", type=Path, metavar="DIR", help="release: nbgrader's exchange directory")
    parser.add_argument(
        "--force", action="store_true", help="release: back up a gradebook with submissions and start a new one"
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="CHAPTER|SUBMISSION",
        help="release: chapters (default: every chapters/NN_*.md); autograde: notebooks or folders to grade",
    )
    args = parser.parse_intermixed_args(argv)
    try:
        if args.command == "release":
            if args.student is not None:
                raise UsageError(f"--student {args.student!r}: only autograde takes a student")
            chapters = args.paths or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
            for md in chapters:
                if md.suffix != ".md" or not md.is_file():
                    raise UsageError(f"CHAPTER {md}: not a chapter file (expected chapters/NN_topic.md)")
            return release(args.out, chapters, course=args.course, exchange=args.exchange, force=args.force)
        for flag in ("course", "exchange"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag} {getattr(args, flag)}: only release takes a {flag}")
        if args.force:
            raise UsageError("--force: only release takes --force")
        return autograde(args.out, args.student, args.paths)
    except UsageError as err:
        parser.error(str(err))


if __name__ == "__main__":
    raise SystemExit(main())
