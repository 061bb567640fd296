"""The nbgrader release: student notebooks carry no solution and no hidden test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("classroom", ROOT / "tools" / "classroom.py")
classroom = importlib.util.module_from_spec(spec)
sys.modules["classroom"] = classroom
spec.loader.exec_module(classroom)


def test_release_strips_solutions_and_hidden_tests(tmp_path, capsys):
    chapters = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    assert classroom.main(["release", "--out", str(tmp_path)]) == 0
    for md in chapters:
        student = nbformat.read(tmp_path / "release" / md.stem / f"{md.stem}.ipynb", as_version=4)
        source = nbformat.read(tmp_path / "source" / md.stem / f"{md.stem}.ipynb", as_version=4)
        text = "\n".join(c.source for c in student.cells)
        assert "BEGIN SOLUTION" not in text
        assert "HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text
        graded = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert graded, f"{md.name}: no graded check cell"
        assert all(c.metadata["nbgrader"]["points"] > 0 for c in graded)
        assert any("BEGIN SOLUTION" in c.source for c in source.cells)  # the instructor keeps them
    assert "no solution text or hidden test" in capsys.readouterr().out


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
