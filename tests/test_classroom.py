"""The nbgrader round trip: a release without solutions, autograding, manual grading, feedback, the exchange.

One release (every chapter) and two autograde runs serve most tests of this
module, since each autograde executes the notebooks (seconds per chapter). The
exchange round trip (release_assignment, fetch_assignment, submit, collect,
autograde, generate_feedback, release_feedback, fetch_feedback) and the
gradebook's safety use chapter 1 in courses of their own.
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("classroom", ROOT / "tools" / "classroom.py")
classroom = importlib.util.module_from_spec(spec)
sys.modules["classroom"] = classroom
spec.loader.exec_module(classroom)

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
NAMES = [md.stem for md in CHAPTERS]
STUB = re.compile(r"^(?P<indent>[ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)", re.M)
FIRST = "01_activations"
PLACEHOLDER = "YOUR ANSWER HERE"
# A softplus that returns its input unchanged (a ReLU without the smooth part), in an otherwise solved chapter 1.
WRONG = {"ex01-softplus-solution": "return x"}
FIRST_POINTS = {  # chapter 1's graded cells: three checks and one written answer, graded by hand
    "ex01-softplus-check": 3,
    "ex01-silu-grad-check": 3,
    "ex01-rounds-to-one-check": 2,
    "ex01-written-answer": 3,
}


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

    ``answers`` maps a solution cell's grade_id to other code (or a written answer) to type in instead.
    """
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    student = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    solutions = {
        grade_id: textwrap.dedent(classroom.SOLUTION.search(cell.source).group(1)).strip("\n").rstrip()
        if cell.cell_type == "code"
        else cell.source
        for grade_id, cell in nbgrader_cells(source, "solution").items()
    }
    answers = {**solutions, **(answers or {})}
    stubs = nbgrader_cells(student, "solution")
    assert stubs.keys() == solutions.keys()
    for grade_id, cell in stubs.items():
        if cell.cell_type == "markdown":
            assert cell.source.strip() == PLACEHOLDER, f"{name}: {grade_id} is not nbgrader's placeholder"
            cell.source = answers[grade_id]
            continue
        cell.source, n = STUB.subn(lambda m, code=answers[grade_id]: textwrap.indent(code, m["indent"]), cell.source)
        assert n == 1, f"{name}: no stub to fill in {grade_id}: {cell.source!r}"
    return student


def grade_by_hand(course: Path, name: str, student: str, scores: dict[str, float]) -> None:
    """What an instructor does in formgrader: give the written answers their points."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for grade_id, score in scores.items():
            grade = gb.find_grade(grade_id, name, name, student)
            grade.manual_score, grade.needs_manual_grade = score, False  # as formgrader's "save" does
        gb.db.commit()


def nbgrader_in(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` run in ``folder`` as a user would type it (the folder's nbgrader_config.py applies)."""
    nbgrader = Path(sys.executable).with_name("nbgrader")
    result = subprocess.run(
        [str(nbgrader), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env, "PATH": f"{nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def visible_text(page: str) -> str:
    """The text of an HTML page, tags removed and entities decoded (what a reader could read or copy)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


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
    status, stdout, stderr = run(["release", "--out", str(out), "--course", "dl101"])
    assert status == 0, stderr
    return out, stdout


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """Autograde, through both forms of the command:

    * ``--student wrong``: chapter 1 solved except for a softplus that returns x;
    * a class folder: ``untouched`` hands in chapter 1 as released, ``solved`` every
      chapter with the instructor's solutions and model answers (``wrong`` is graded
      already, so skipped).

    Then the instructor grades the written answers of ``solved`` by hand, and nbgrader
    writes the feedback of chapter 1.
    """
    out, _ = course
    hand_in = tmp_path_factory.mktemp("hand_in")
    wrong = hand_in / "mail" / f"{FIRST}.ipynb"
    wrong.parent.mkdir()
    nbformat.write(answered(out, FIRST, WRONG), wrong)
    one = run(["autograde", "--out", str(out), "--student", "wrong", str(wrong)])

    (hand_in / "class" / "untouched").mkdir(parents=True)
    for name in NAMES:  # every chapter as released
        shutil.copy(out / "release" / name / f"{name}.ipynb", hand_in / "class" / "untouched")
    for name in NAMES:  # the <assignment>/<assignment>.ipynb layout
        (hand_in / "class" / "solved" / name).mkdir(parents=True)
        nbformat.write(answered(out, name), hand_in / "class" / "solved" / name / f"{name}.ipynb")
    everyone = run(["autograde", str(hand_in / "class"), "--out", str(out)])
    for name in NAMES:
        written = {
            i: c.metadata["nbgrader"]["points"]
            for i, c in nbgrader_cells(source_of(out, name), "solution").items()
            if c.cell_type == "markdown"
        }
        grade_by_hand(out, name, "solved", written)
    nbgrader_in(out, "generate_feedback", "*", "--force")
    return out, one, everyone


def source_of(course: Path, name: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)


def test_release_strips_solutions_model_answers_and_hidden_tests(course):
    out, stdout = course
    assert NAMES
    for name in NAMES:
        student = nbformat.read(out / "release" / name / f"{name}.ipynb", as_version=4)
        source = source_of(out, name)
        text = "\n".join(c.source for c in student.cells)
        assert "BEGIN SOLUTION" not in text
        assert "HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text
        assert ":::{admonition} Solution" not in text, f"{name}: a model answer reached the students"
        assert not classroom.leaks(student, classroom.secret_lines(source))
        graded = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert graded, f"{name}: no graded check cell"
        assert all(c.metadata["nbgrader"]["points"] > 0 for c in graded)
        written = [c for c in graded if c.cell_type == "markdown"]
        assert written, f"{name}: no written answer cell"
        assert all(c.source.strip() == PLACEHOLDER for c in written), f"{name}: a written answer is not a placeholder"
        # collapsed solutions are for self-study; a student's stub and the instructor's source are open
        assert not any("jupyter" in c.metadata for c in student.cells + source.cells)
        assert any("BEGIN SOLUTION" in c.source for c in source.cells)  # the instructor keeps them
        assert any(":::{admonition} Solution" in c.source for c in source.cells)
    assert "no solution text, model answer or hidden test" in stdout


def test_release_writes_the_course_config(course):
    out, _ = course
    config = (out / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.course_id = 'dl101'" in config
    assert "ClearHiddenTests" in config
    # nbgrader itself reads it in the course folder: no warning about a missing config or course id
    listing = nbgrader_in(out, "db", "assignment", "list")
    assert FIRST in listing.stdout
    assert "nbgrader_config.py" not in listing.stderr
    assert "course_id" not in listing.stderr


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
    assert points(out, FIRST) == FIRST_POINTS
    assert grades(out, FIRST, "untouched") == dict.fromkeys(FIRST_POINTS, 0.0)
    row = next(line for line in stdout.splitlines() if line.startswith("untouched "))
    assert row.split()[:5] == ["untouched", FIRST, "0", "/", "11"]
    for name in NAMES:
        assert set(grades(out, name, "untouched").values()) == {0.0}
    assert "needs manual grading" not in row  # an untouched answer cell scores 0 by itself


@pytest.mark.parametrize("name", NAMES)
def test_instructor_solution_gets_full_marks_once_the_written_answers_are_graded(graded, name):
    out, _, (_, stdout, _) = graded
    expected = points(out, name)
    assert expected, f"{name}: no graded check cell"
    assert grades(out, name, "solved") == expected
    row = next(line for line in stdout.splitlines() if re.match(rf"solved +{name} ", line))
    assert "to grade by hand: " in row
    assert "lost" not in row


def test_wrong_solution_loses_that_exercise_with_feedback(graded):
    out, (_, stdout, _), (_, stdout2, _) = graded
    assert grades(out, FIRST, "wrong") == {**dict(FIRST_POINTS), "ex01-softplus-check": 0.0, "ex01-written-answer": 0.0}
    row = f"wrong  {FIRST}  5 / 11  lost: ex01-softplus-check 0/3; to grade by hand: ex01-written-answer"
    assert [" ".join(line.split()) for line in stdout.splitlines()[1:-1]] == [" ".join(row.split())]  # one student
    assert " ".join(row.split()) in [" ".join(line.split()) for line in stdout2.splitlines()]  # not graded again

    check = nbgrader_cells(autograded(out, "wrong", FIRST), "grade")["ex01-softplus-check"]
    assert check.source.startswith('check("ch01.softplus", softplus)')
    (error,) = [o for o in check.outputs if o.output_type == "error"]
    assert error.ename == "ExerciseFailed"
    assert (
        error.evalue.splitlines()[0]
        == "✗ softplus(0.0) returned 0.0, expected 0.6931471805599453 (softplus(0) = log 2)"
    )
    assert error.evalue.splitlines()[1].startswith("  hint: reread the section on overflow")
    # the cell shows the message, not 30 lines of traceback through the checker
    assert len(error.traceback) == 2
    assert not any("core.py" in line for line in error.traceback)


def hidden_tests(source: nbformat.NotebookNode) -> list[str]:
    """The hidden-test lines that are secret: not those the chapter also shows in the open (`for _ in range(100):`)."""
    shown = {
        classroom._code(line) for cell in source.cells for line in classroom.HIDDEN.sub("", cell.source).splitlines()
    }
    return [
        line.strip()
        for cell in source.cells
        for block in classroom.HIDDEN.findall(cell.source)
        for line in block.splitlines()
        if len(line.strip()) > 8 and classroom._code(line) not in shown
    ]


@pytest.mark.parametrize("name", NAMES)
def test_untouched_feedback_shows_no_solution_hint_or_hidden_test(graded, name):
    out, _, _ = graded
    source = source_of(out, name)
    assert hidden_tests(source)
    text = visible_text((out / "feedback" / "untouched" / name / f"{name}.html").read_text(encoding="utf-8"))
    assert "raise NotImplementedError()" in text
    assert "replace `raise NotImplementedError()` with your solution" in text
    assert "hint:" not in text
    assert "YOUR ANSWER HERE" in text
    leaked = [line for line in classroom.secret_lines(source) if line in text]
    assert not leaked, f"the untouched notebook's feedback shows: {leaked}"
    assert not [line for line in hidden_tests(source) if line in text], "hidden tests in the feedback"
    assert "HIDDEN TESTS" not in text


def test_feedback_of_a_wrong_answer_shows_the_failure_but_no_hidden_test(graded):
    out, _, _ = graded
    text = visible_text((out / "feedback" / "wrong" / FIRST / f"{FIRST}.html").read_text(encoding="utf-8"))
    assert "✗ softplus(0.0) returned 0.0, expected 0.6931471805599453" in text
    assert "hint: reread the section on overflow" in text
    assert not [line for line in hidden_tests(source_of(out, FIRST)) if line in text], "hidden tests in the feedback"


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
    assert stderr.rstrip().endswith("nbgrader autograde failed (exit 1); not graded: zed/99_unknown")


# ----------------------------------------------------------------------------- the gradebook is never lost


def submissions(course: Path) -> list[tuple[str, str]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return sorted((s.student.id, a.name) for a in gb.assignments for s in a.submissions)


@pytest.fixture
def small_course(tmp_path):
    """Chapter 1 released, and one submission of it in the gradebook (as nbgrader records a hand-in)."""
    out = tmp_path / "course"
    status, _, stderr = run(["release", "--out", str(out), str(ROOT / "chapters" / f"{FIRST}.md")])
    assert status == 0, stderr
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb, warnings.catch_warnings():
        # nbgrader's add_submission trips a SQLAlchemy 2 autoflush warning; the submission is recorded all the same
        warnings.simplefilter("ignore", SAWarning)
        gb.add_student("alice")
        gb.add_submission(FIRST, "alice")
    assert submissions(out) == [("alice", FIRST)]
    return out


def test_a_second_release_keeps_the_gradebook(tmp_path):
    out = tmp_path / "course"
    chapter = str(ROOT / "chapters" / f"{FIRST}.md")
    assert run(["release", "--out", str(out), chapter])[0] == 0
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        gb.add_student("alice", first_name="Alice")  # the roster an instructor entered
    status, stdout, stderr = run(["release", "--out", str(out), chapter])
    assert status == 0, stderr
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        assert gb.find_student("alice").first_name == "Alice"
        assert [a.name for a in gb.assignments] == [FIRST]
    assert "course 'dlbook'" in stdout  # the default course id, kept from the first release


def test_release_refuses_to_replace_a_gradebook_with_submissions(small_course):
    before = (small_course / "gradebook.db").read_bytes()
    status, _, stderr = run(["release", "--out", str(small_course), str(ROOT / "chapters" / f"{FIRST}.md")])
    assert status == 1
    assert f"holds 1 submission(s) of the chapters being released (alice/{FIRST})" in stderr
    assert "pass --force (make release FORCE=1)" in stderr
    assert (small_course / "gradebook.db").read_bytes() == before
    assert not list(small_course.glob("gradebook-*.db"))


def test_releasing_another_chapter_keeps_the_submissions(small_course):
    status, _, stderr = run(["release", "--out", str(small_course), str(ROOT / "chapters" / "02_softmax.md")])
    assert status == 0, stderr
    assert submissions(small_course) == [("alice", FIRST)]
    assert (small_course / "release" / FIRST / f"{FIRST}.ipynb").is_file()  # chapter 1's release is untouched


def test_force_backs_the_gradebook_up_first(small_course):
    status, stdout, stderr = run(
        ["release", "--force", "--out", str(small_course), str(ROOT / "chapters" / f"{FIRST}.md")]
    )
    assert status == 0, stderr
    (backup,) = small_course.glob("gradebook-*.db")
    assert f"copied to {backup}" in stdout
    with Gradebook(f"sqlite:///{backup}") as gb:
        assert [s.student.id for s in gb.find_assignment(FIRST).submissions] == ["alice"]
    assert submissions(small_course) == []


def test_autograde_never_reports_success_for_a_submission_the_gradebook_lacks(small_course):
    """The old failure: the gradebook was lost, and autograde printed nothing and exited 0."""
    hand_in = small_course / "submitted" / "bob" / FIRST / f"{FIRST}.ipynb"
    hand_in.parent.mkdir(parents=True)
    shutil.copy(small_course / "release" / FIRST / f"{FIRST}.ipynb", hand_in)
    (small_course / "autograded" / "bob" / FIRST).mkdir(parents=True)  # graded once, into a gradebook now gone
    shutil.copy(hand_in, small_course / "autograded" / "bob" / FIRST / f"{FIRST}.ipynb")
    status, _, stderr = run(["autograde", "--out", str(small_course), "--student", "bob"])
    assert status == 1
    assert f"not graded: bob/{FIRST}" in stderr


def test_release_names_a_bad_course_id(tmp_path):
    status, _, stderr = run(["release", "--out", str(tmp_path), "--course", "my course"])
    assert status == 2
    assert "--course 'my course': a course id is letters, digits and . _ -" in stderr


# ----------------------------------------------------------------------------- nbgrader's exchange, end to end


def test_the_exchange_round_trip(tmp_path):
    """Instructor and student as on a JupyterHub, with a local exchange directory and no flags but the course's."""
    course, exchange, home = tmp_path / "course", tmp_path / "exchange", tmp_path / "alice"
    home.mkdir()
    status, _, stderr = run(
        [
            "release",
            "--out",
            str(course),
            "--course",
            "dl101",
            "--exchange",
            str(exchange),
            str(ROOT / "chapters" / f"{FIRST}.md"),
        ]
    )
    assert status == 0, stderr
    nbgrader_in(course, "release_assignment", FIRST)
    student = ["--course", "dl101", f"--Exchange.root={exchange}", "--CourseDirectory.student_id=alice"]
    listing = nbgrader_in(home, "list", *student)
    assert f"dl101 {FIRST}" in listing.stdout + listing.stderr

    nbgrader_in(home, "fetch_assignment", FIRST, *student)
    fetched = home / FIRST / f"{FIRST}.ipynb"
    assert "raise NotImplementedError()" in fetched.read_text()
    nbformat.write(answered(course, FIRST, {"ex01-silu-grad-solution": "return np.ones_like(x)"}), fetched)
    nbgrader_in(home, "submit", FIRST, *student)

    nbgrader_in(course, "collect", FIRST)
    assert (course / "submitted" / "alice" / FIRST / f"{FIRST}.ipynb").is_file()
    nbgrader_in(course, "autograde", FIRST, DLSCRATCH_EXPLORE="single")
    assert grades(course, FIRST, "alice") == {**FIRST_POINTS, "ex01-silu-grad-check": 0.0, "ex01-written-answer": 0.0}
    grade_by_hand(course, FIRST, "alice", {"ex01-written-answer": 2})
    nbgrader_in(course, "generate_feedback", FIRST)
    nbgrader_in(course, "release_feedback", FIRST)

    nbgrader_in(home, "fetch_feedback", FIRST, *student)
    (page,) = (home / FIRST / "feedback").glob(f"*/{FIRST}.html")
    text = visible_text(page.read_text(encoding="utf-8"))
    assert "Score: 7.0 / 11.0" in text or "7.0 / 11.0" in text
    assert "✗ silu_grad(0.0) returned 1.0, expected 0.5" in text
    assert "✓ ch01.softplus: all 8 checks passed" in text
    assert not [line for line in hidden_tests(source_of(course, FIRST)) if line in text], "hidden tests in feedback"


# ----------------------------------------------------------------------------- the instructor's formgrader


@pytest.mark.lab
def test_make_formgrader_serves_the_gradebook(graded):
    """`make formgrader` starts JupyterLab in the course folder with nbgrader's UI: the written answers are there."""
    import json
    import secrets
    import socket
    import time
    import urllib.request

    out, _, _ = graded
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nformgrader:", 1)[1].split("\n\n", 1)[0]
    assert "cd classroom" in recipe
    assert "lab-reader-config" not in recipe  # the instructor keeps nbgrader's UI
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(8)
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_CONFIG_PATH",)}
    env["JUPYTER_CONFIG_DIR"] = str(out / ".jupyter")
    jupyter = Path(sys.executable).with_name("jupyter")
    args = [
        str(jupyter),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
    ]
    proc = subprocess.Popen(
        [*args, *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=out,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def get(path: str, **query: str):
        params = "".join(f"&{k}={v}" for k, v in query.items())
        with urllib.request.urlopen(f"{base}{path}?token={token}{params}", timeout=30) as response:
            return response.read().decode()

    def put(path: str, data: dict):
        request = urllib.request.Request(
            f"{base}{path}",
            data=json.dumps(data).encode(),
            method="PUT",
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get("/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start within 60 s")
                time.sleep(0.5)
        assert "formgrader" in get("/formgrader").lower()
        assignments = {a["name"]: a for a in json.loads(get("/formgrader/api/assignments"))}
        assert set(assignments) == set(NAMES)
        assert assignments[FIRST]["num_submissions"] == 3  # wrong, untouched, solved
        assert assignments[NAMES[1]]["num_submissions"] == 2  # untouched, solved
        notebooks = json.loads(get(f"/formgrader/api/submitted_notebooks/{FIRST}/{FIRST}"))
        by_student = {n["student"]: n for n in notebooks}
        assert by_student["solved"]["needs_manual_grade"] is False  # graded by hand in the fixture
        assert by_student["solved"]["score"] == sum(FIRST_POINTS.values())
        assert by_student["wrong"]["needs_manual_grade"] is True  # its written answer waits for the instructor
        # the instructor reads the wrong student's written answer and gives it 2 of 3 points, in formgrader
        grades_ = json.loads(get("/formgrader/api/grades", submission_id=by_student["wrong"]["id"]))
        (written,) = [g for g in grades_ if g["name"] == "ex01-written-answer"]
        saved = json.loads(put(f"/formgrader/api/grade/{written['id']}", {"manual_score": 2}))
        assert saved["needs_manual_grade"] is False
        notebooks = json.loads(get(f"/formgrader/api/submitted_notebooks/{FIRST}/{FIRST}"))
        wrong = next(n for n in notebooks if n["student"] == "wrong")
        assert wrong["needs_manual_grade"] is False
        assert wrong["score"] == 5 + 2
    finally:
        proc.terminate()
        proc.wait(timeout=20)
