"""The nbgrader round trip: a release without solutions, and autograding of handed-in notebooks.

One release (every chapter) and two autograde runs serve all the tests of this
module, since each autograde executes the notebooks (seconds per chapter).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("classroom", ROOT / "tools" / "classroom.py")
classroom = importlib.util.module_from_spec(spec)
sys.modules["classroom"] = classroom
spec.loader.exec_module(classroom)

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
NAMES = [md.stem for md in CHAPTERS]
STUB = re.compile(r"^(?P<indent>[ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)", re.M)
FIRST = "01_activations"
# A leaky ReLU that returns its input unchanged, in an otherwise solved chapter 1.
WRONG = {"ex01-leaky-relu-solution": "return x"}


def run(argv: list[str]) -> tuple[int, str, str]:
    """``classroom.main(argv)``: exit status, stdout, stderr (argparse errors exit with status 2)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = classroom.main(argv)
        except SystemExit as exit_:
            status = exit_.code
    return status, out.getvalue(), err.getvalue()


def nbgrader_cells(nb, key: str) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if c.metadata.get("nbgrader", {}).get(key)}


def answered(course: Path, name: str, answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The student notebook of ``name`` with the instructor's solutions typed in where the stubs are.

    ``answers`` maps a solution cell's grade_id to other code to type in instead.
    """
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    student = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    solutions = {
        grade_id: textwrap.dedent(classroom.SOLUTION.search(cell.source).group(1)).strip("\n").rstrip()
        for grade_id, cell in nbgrader_cells(source, "solution").items()
    }
    answers = {**solutions, **(answers or {})}
    stubs = nbgrader_cells(student, "solution")
    assert stubs.keys() == solutions.keys()
    for grade_id, cell in stubs.items():
        cell.source, n = STUB.subn(lambda m, code=answers[grade_id]: textwrap.indent(code, m["indent"]), cell.source)
        assert n == 1, f"{name}: no stub to fill in {grade_id}: {cell.source!r}"
    return student


def points(course: Path, name: str) -> dict[str, float]:
    """grade_id -> points of every check cell of the instructor's notebook."""
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    return {grade_id: cell.metadata["nbgrader"]["points"] for grade_id, cell in nbgrader_cells(source, "grade").items()}


def grades(course: Path, name: str, student: str) -> dict[str, float]:
    """grade_id -> points the gradebook gave ``student`` on assignment ``name``."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(name, name, student)
        return {g.name: g.score for g in notebook.grades}


def autograded(course: Path, student: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "autograded" / student / name / f"{name}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Every chapter released into a fresh course directory; and what ``release`` printed."""
    out = tmp_path_factory.mktemp("classroom")
    status, stdout, stderr = run(["release", "--out", str(out)])
    assert status == 0, stderr
    return out, stdout


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """Autograde, through both forms of the command:

    * ``--student wrong``: chapter 1 solved except for a leaky ReLU that returns x;
    * a class folder: ``untouched`` hands in chapter 1 as released, ``solved`` every
      chapter with the instructor's solutions (``wrong`` is graded already, so skipped).
    """
    out, _ = course
    hand_in = tmp_path_factory.mktemp("hand_in")
    wrong = hand_in / "mail" / f"{FIRST}.ipynb"
    wrong.parent.mkdir()
    nbformat.write(answered(out, FIRST, WRONG), wrong)
    one = run(["autograde", "--out", str(out), "--student", "wrong", str(wrong)])

    (hand_in / "class" / "untouched").mkdir(parents=True)
    shutil.copy(out / "release" / FIRST / f"{FIRST}.ipynb", hand_in / "class" / "untouched")
    for name in NAMES:  # the <assignment>/<assignment>.ipynb layout
        (hand_in / "class" / "solved" / name).mkdir(parents=True)
        nbformat.write(answered(out, name), hand_in / "class" / "solved" / name / f"{name}.ipynb")
    everyone = run(["autograde", str(hand_in / "class"), "--out", str(out)])
    return out, one, everyone


def test_release_strips_solutions_and_hidden_tests(course):
    out, stdout = course
    assert NAMES
    for name in NAMES:
        student = nbformat.read(out / "release" / name / f"{name}.ipynb", as_version=4)
        source = nbformat.read(out / "source" / name / f"{name}.ipynb", as_version=4)
        text = "\n".join(c.source for c in student.cells)
        assert "BEGIN SOLUTION" not in text
        assert "HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text
        graded = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert graded, f"{name}: no graded check cell"
        assert all(c.metadata["nbgrader"]["points"] > 0 for c in graded)
        assert any("BEGIN SOLUTION" in c.source for c in source.cells)  # the instructor keeps them
    assert "no solution text or hidden test" in stdout


def test_leak_detection_catches_a_left_over_solution():
    source = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "def f(x):\n    ### BEGIN SOLUTION\n    return np.where(x > 0, x, 0.01 * x)\n    ### END SOLUTION"
            )
        ]
    )
    student = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "def f(x):\n    return np.where(x > 0, x, 0.01 * x)", metadata={"nbgrader": {"solution": True}}
            )
        ]
    )
    assert classroom.leaks(student, classroom.secret_lines(source)) == ["cell 0: 'return np.where(x > 0, x, 0.01 * x)'"]


def test_autograde_runs_succeed(graded):
    _, (status, _, stderr), (status2, stdout2, stderr2) = graded
    assert status == 0, stderr
    assert status2 == 0, stderr2
    assert "autograded notebooks" in stdout2


def test_unmodified_release_scores_zero(graded):
    out, _, (_, stdout, _) = graded
    assert points(out, FIRST) == {
        "ex01-leaky-relu-check": 2,
        "ex01-sigmoid-check": 3,
        "ex01-vanishing-check": 1,
        "ex01-overflow-check": 1,
    }
    assert grades(out, FIRST, "untouched") == dict.fromkeys(points(out, FIRST), 0.0)
    row = next(line for line in stdout.splitlines() if line.startswith("untouched "))
    assert row.split()[:5] == ["untouched", FIRST, "0", "/", "7"]


@pytest.mark.parametrize("name", NAMES)
def test_instructor_solution_gets_full_marks(graded, name):
    out, _, (_, stdout, _) = graded
    expected = points(out, name)
    assert expected, f"{name}: no graded check cell"
    assert grades(out, name, "solved") == expected
    total = f"{sum(expected.values()):g}"
    assert re.search(rf"^solved +{name} +{total} / {total}$", stdout, re.M), stdout


def test_wrong_solution_loses_that_exercise_with_feedback(graded):
    out, (_, stdout, _), (_, stdout2, _) = graded
    assert grades(out, FIRST, "wrong") == {
        "ex01-leaky-relu-check": 0.0,
        "ex01-sigmoid-check": 3.0,
        "ex01-vanishing-check": 1.0,
        "ex01-overflow-check": 1.0,
    }
    row = ["wrong", FIRST, "5", "/", "7", "ex01-leaky-relu-check", "0/2"]
    assert [line.split() for line in stdout.splitlines()[1:-1]] == [row]  # between header and footer: one student
    assert row in [line.split() for line in stdout2.splitlines()]  # still in the gradebook, not graded again

    check = nbgrader_cells(autograded(out, "wrong", FIRST), "grade")["ex01-leaky-relu-check"]
    assert check.source.startswith('check("ch01.leaky_relu", leaky_relu)')
    (error,) = [o for o in check.outputs if o.output_type == "error"]
    assert error.ename == "ExerciseFailed"
    assert error.evalue.splitlines()[0] == (
        "✗ leaky_relu(-2.0) returned -2.0, expected -0.02 (negative inputs are scaled by the default slope 0.01)"
    )
    assert error.evalue.splitlines()[1].startswith("  hint: use np.where")


def test_autograde_kernel_sees_the_explore_mode(graded):
    """DLSCRATCH_EXPLORE=single (conftest.py) reaches the kernel: one PNG per figure, no widget or scrubber."""
    out, _, _ = graded
    outputs = [o for c in autograded(out, "solved", FIRST).cells if c.cell_type == "code" for o in c.outputs]
    figures = [o for o in outputs if "<Explorer " in o.get("data", {}).get("text/plain", "")]
    assert figures, "chapter 1 shows no explore() figure"
    assert all("mode='single'" in o.data["text/plain"] and "image/png" in o.data for o in figures)
    assert all("text/html" not in o.get("data", {}) for o in figures)


def test_autograde_rejects_an_unknown_assignment(course, tmp_path):
    out, _ = course
    bad = tmp_path / "99_unknown.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), bad)
    status, _, stderr = run(["autograde", "--out", str(out), "--student", "alice", str(bad)])
    assert status == 2
    assert f"SUBMISSION {bad}: '99_unknown' is not a released assignment (released: {', '.join(NAMES)})" in stderr
    assert not (out / "submitted" / "alice").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--student", "../eve", "x.ipynb"], "--student '../eve': a student id is letters"),
        (["--student", "a*", "x.ipynb"], "--student 'a*': a student id is letters"),
        (["--student", "alice", "missing.ipynb"], "SUBMISSION missing.ipynb: no such file or folder"),
        (["lonely.ipynb"], "SUBMISSION lonely.ipynb: without --student, a SUBMISSION is a class folder"),
        (["--student", "nobody"], "submitted/nobody; pass SUBMISSION notebooks"),
    ],
)
def test_autograde_names_the_bad_argument(course, tmp_path, monkeypatch, args, message):
    out, _ = course
    monkeypatch.chdir(tmp_path)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "lonely.ipynb")
    status, _, stderr = run(["autograde", "--out", str(out), *args])
    assert status == 2
    assert message in stderr


def test_autograde_needs_a_release(tmp_path):
    status, _, stderr = run(["autograde", "--out", str(tmp_path), "--student", "alice", str(tmp_path)])
    assert status == 2
    assert f"--out {tmp_path}: no gradebook.db there; run `python tools/classroom.py release" in stderr


def test_a_new_hand_in_replaces_the_old_one_and_its_grading(tmp_path):
    old = tmp_path / "submitted" / "alice" / FIRST
    old.mkdir(parents=True)
    (old / "scratch.txt").write_text("old")
    (tmp_path / "autograded" / "alice" / FIRST).mkdir(parents=True)
    new = tmp_path / f"{FIRST}.ipynb"
    new.write_text("{}")
    classroom.place(tmp_path, {("alice", FIRST): new})
    assert sorted(p.name for p in old.iterdir()) == [f"{FIRST}.ipynb"]
    assert not (tmp_path / "autograded" / "alice" / FIRST).exists()


def test_autograde_fails_when_nbgrader_fails(course):
    """A submission nbgrader cannot grade (here: a folder for an assignment that was never released)."""
    out, _ = course
    stray = out / "submitted" / "zed" / "99_unknown" / "99_unknown.ipynb"
    stray.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), stray)
    try:
        status, _, stderr = run(["autograde", "--out", str(out), "--student", "zed"])
    finally:
        shutil.rmtree(out / "submitted" / "zed")
    assert status == 1
    assert "No assignment with ID '99_unknown' exists" in stderr
    assert stderr.rstrip().endswith("nbgrader autograde failed (exit 1)")
