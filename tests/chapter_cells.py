"""Reading the exercise cells of the chapters (shared by the exercise, chapter and classroom tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
CHECK_CALL = re.compile(r"""check\(\s*["'](ch\d\d\.\w+)["']""")
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
EXERCISE_HEADING = re.compile(r"^\*\*Exercise (\d+) \((.+?), (\d+) points?\)\.\*\*", re.M)


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@dataclass
class ChapterExercises:
    """The exercise cells of one chapter, in order."""

    path: Path
    notebook: object
    solution_cells: list = field(default_factory=list)
    check_cells: list = field(default_factory=list)
    answer_cells: list = field(default_factory=list)  # written answers (markdown, graded by hand)
    solutions: dict[str, str] = field(default_factory=dict)  # exercise id -> the solution code before its check

    @property
    def number(self) -> str:
        return self.path.name[:2]


def read_chapter(path: Path) -> ChapterExercises:
    notebook = jupytext.read(path)
    chapter = ChapterExercises(path, notebook)
    pending: list[str] = []
    for cell in notebook.cells:
        meta = nbgrader(cell)
        if cell.cell_type == "code" and meta.get("solution"):
            chapter.solution_cells.append(cell)
            pending += SOLUTION.findall(cell.source)
        elif cell.cell_type == "code" and meta.get("grade"):
            chapter.check_cells.append(cell)
            for exercise_id in CHECK_CALL.findall(cell.source):
                chapter.solutions[exercise_id] = "\n".join(pending)
            pending = []
        elif cell.cell_type == "markdown" and meta.get("solution"):
            chapter.answer_cells.append(cell)
    return chapter


def all_chapters() -> list[ChapterExercises]:
    return [read_chapter(path) for path in CHAPTERS]


def code_lines(source: str) -> list[str]:
    """The code of ``source`` line by line, without comments and blank lines."""
    lines = []
    for line in source.splitlines():
        code = line.split("#", 1)[0].strip()
        if code:
            lines.append(code)
    return lines


TOKEN = re.compile(r"\w+|[^\w\s]")


def shared_code(text: str, source: str, width: int = 5) -> list[str]:
    """Every run of ``width`` tokens of a code line of ``source`` that also occurs in ``text``."""
    words = TOKEN.findall(text)
    seen = {tuple(words[i : i + width]) for i in range(len(words) - width + 1)}
    found = []
    for line in code_lines(source):
        tokens = TOKEN.findall(line)
        runs = [tuple(tokens[i : i + width]) for i in range(len(tokens) - width + 1)]
        found += [" ".join(run) for run in runs if run in seen]
    return found


def long_code_lines(text: str, width: int = 80) -> list[str]:
    """The lines of ``text``'s code cells longer than ``width`` characters (what a page shows unwrapped)."""
    return [
        line
        for cell in re.findall(r"```\{code-cell\} ipython3\n(.*?)```", text, re.S)
        for line in cell.splitlines()
        if len(line) > width
    ]


def notes_narrated(body: str) -> list[str]:
    """Headings and prose paragraphs of ``body`` that narrate the notes instead of teaching.

    Teach first: a paragraph that names the notes opens with "In the notes", or sits in a
    "Pitfall from the notes" box; code (cells and quoted code) may name them; no heading does."""
    body = re.sub(r"```.*?```", "", body, flags=re.S)
    body = re.sub(r":::\{admonition\} Pitfall from the notes.*?\n:::\n", "", body, flags=re.S)
    found = [heading for heading in re.findall(r"^#+ .*$", body, re.M) if "notes" in heading]
    found += [
        paragraph[:120]
        for paragraph in re.split(r"\n\s*\n", body)
        if re.search(r"\bnotes?\b", paragraph, re.I) and not paragraph.startswith("In the notes")
    ]
    return found
