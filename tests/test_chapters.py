"""Every chapter follows the exercise conventions (README, "Writing a chapter"; DESIGN.md, "Exercises").

These checks read the chapter sources; the notebooks themselves run under nbval,
the release under tests/test_classroom.py, the website under tests/test_site.py.
"""

from __future__ import annotations

import re

import pytest

from chapter_cells import CHAPTERS, EXERCISE_HEADING, ROOT, all_chapters, nbgrader
from dlscratch.exercises import EXERCISES, FunctionExercise

READ = {chapter.path.stem: chapter for chapter in all_chapters()}
NAMES = sorted(READ)
TEMPLATE = ROOT / "tools" / "chapter_template.md"
ANSWER = re.compile(r"\A:::\{admonition\} Solution\n:class: dropdown\n.+\n:::\Z", re.S)


def test_there_are_chapters():
    assert len(NAMES) >= 4


@pytest.mark.parametrize("name", NAMES)
def test_at_least_three_exercises_one_coding_one_written(name):
    chapter = READ[name]
    text = chapter.path.read_text(encoding="utf-8")
    exercises = text[text.index("\n## Exercises") :]
    headings = EXERCISE_HEADING.findall(exercises)
    assert len(headings) >= 3, f"{name}: {len(headings)} exercises"
    assert [int(n) for n, _, _ in headings] == list(range(1, len(headings) + 1)), f"{name}: exercise numbers"
    ids = [eid for cell in chapter.check_cells for eid in re.findall(r'check\("([^"]+)"', cell.source)]
    assert any(isinstance(EXERCISES.get(eid), FunctionExercise) for eid in ids), f"{name}: no coding exercise"
    assert chapter.answer_cells, f"{name}: no written answer cell"


@pytest.mark.parametrize("name", NAMES)
def test_points_in_the_headings_match_the_graded_cells(name):
    chapter = READ[name]
    text = chapter.path.read_text(encoding="utf-8")
    stated = sum(int(points) for _, _, points in EXERCISE_HEADING.findall(text))
    graded = sum(nbgrader(c)["points"] for c in chapter.check_cells + chapter.answer_cells)
    assert stated == graded, f"{name}: the headings promise {stated} points, the graded cells give {graded}"


@pytest.mark.parametrize("name", NAMES)
def test_solution_cells(name):
    chapter = READ[name]
    assert chapter.solution_cells
    for cell in chapter.solution_cells:
        meta = nbgrader(cell)
        grade_id = meta.get("grade_id", "?")
        assert (meta.get("grade"), meta.get("locked"), meta.get("task")) == (False, False, False), grade_id
        assert meta.get("schema_version") == 3, grade_id
        assert cell.source.count("### BEGIN SOLUTION") == cell.source.count("### END SOLUTION") == 1, grade_id
        # a self-study reader in JupyterLab tries first: the solution opens collapsed
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, f"{grade_id}: not collapsed"


@pytest.mark.parametrize("name", NAMES)
def test_check_cells(name):
    chapter = READ[name]
    registered = {eid for eid in EXERCISES if eid.startswith(f"ch{chapter.number}.")}
    called = set()
    for cell in chapter.check_cells:
        meta = nbgrader(cell)
        grade_id = meta.get("grade_id", "?")
        assert (meta.get("locked"), meta.get("solution")) == (True, False), grade_id
        assert meta.get("points", 0) > 0, grade_id
        ids = re.findall(r'check\("([^"]+)"', cell.source)
        assert ids, f"{grade_id}: a graded code cell that calls no check()"
        assert all(eid.startswith(f"ch{chapter.number}.") for eid in ids), f"{grade_id}: {ids}"
        assert not cell.metadata.get("jupyter", {}).get("source_hidden"), f"{grade_id}: a check must be visible"
        called.update(ids)
    assert called == registered, f"{name}: never checked: {registered - called}; unknown: {called - registered}"


@pytest.mark.parametrize("name", NAMES)
def test_written_answer_cells(name):
    for cell in READ[name].answer_cells:
        meta = nbgrader(cell)
        grade_id = meta.get("grade_id", "?")
        assert (meta.get("grade"), meta.get("solution"), meta.get("locked")) == (True, True, False), grade_id
        assert meta.get("points", 0) > 0, grade_id
        assert meta.get("schema_version") == 3, grade_id
        # the website shows the model answer behind a "Solution" toggle; the release replaces the whole cell
        assert ANSWER.match(cell.source.strip()), f"{grade_id}: must be exactly one 'Solution' dropdown admonition"


@pytest.mark.parametrize("name", NAMES)
def test_grade_ids_are_unique_and_named_by_chapter(name):
    chapter = READ[name]
    ids = [nbgrader(c)["grade_id"] for c in chapter.notebook.cells if nbgrader(c)]
    assert len(ids) == len(set(ids)), f"{name}: duplicate grade_id"
    assert all(re.fullmatch(rf"ex{chapter.number}-[a-z0-9-]+", i) for i in ids), ids


@pytest.mark.parametrize("name", NAMES)
def test_nothing_outside_the_exercise_cells_uses_an_exercise_answer(name):
    """No ordinary cell prints or asserts what an exercise asks for (the answers live in solution cells)."""
    chapter = READ[name]
    answers = set()
    for cell in chapter.solution_cells:
        answers.update(re.findall(r"^(\w+)\s*=", cell.source, re.M))  # the names a value exercise assigns
    exercise_cells = {id(c) for c in chapter.solution_cells + chapter.check_cells}
    offenders = [
        f"{name}: a cell after the solutions uses {n!r}: {cell.source[:60]!r}"
        for cell in chapter.notebook.cells
        if cell.cell_type == "code" and id(cell) not in exercise_cells
        for n in answers
        if re.search(rf"\b{re.escape(n)}\b", cell.source)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_chapter_template_follows_the_conventions():
    """tools/chapter_template.md is what a new chapter starts from; it carries every convention above."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for needed in (
        "source_hidden: true",
        "### BEGIN SOLUTION",
        "### BEGIN HIDDEN TESTS",
        '+++ {"nbgrader"',
        ":::{admonition} Solution",
        ":class: dropdown",
        "switched_off",
        "Pitfall from the notes",
        "Learning goals",
        "## Exercises",
        "## Summary",
        "explore(",
    ):
        assert needed in text, f"the template lacks {needed!r}"
    assert len(CHAPTERS) == len(NAMES)
