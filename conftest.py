"""Project-wide pytest set-up.

* Chapter notebooks are collected from their jupytext sources ``chapters/*.md``
  (each exactly once); paired or stale ``chapters/*.ipynb`` files are ignored.
* ``explore`` figures render once at their defaults under the test runner.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

# Inherited by every kernel that nbval starts: one fast render per explore() figure.
os.environ["DLSCRATCH_EXPLORE"] = "single"

ROOT = Path(__file__).parent
CHAPTERS = ROOT / "chapters"

collect_ignore_glob = ["chapters/*.ipynb", "chapters/.ipynb_checkpoints/*", "_build/*", "classroom/*"]


def _is_chapter(path: Path) -> bool:
    return path.suffix == ".md" and path.parent == CHAPTERS and "jupytext:" in path.read_text(encoding="utf-8")[:2000]


def pytest_collect_file(file_path: Path, parent):
    opt = parent.config.option
    if (getattr(opt, "nbval", False) or getattr(opt, "nbval_lax", False)) and _is_chapter(file_path):
        return MarkdownNotebook.from_parent(parent, path=file_path)
    return None


try:
    import jupytext
    import nbval.plugin
except ImportError:  # pragma: no cover - the dev extra installs both
    MarkdownNotebook = None
else:

    class MarkdownNotebook(nbval.plugin.IPyNbFile):
        """nbval's notebook collector, reading the notebook from a jupytext ``.md`` file."""

        def collect(self):
            notebook = jupytext.read(self.path)
            with mock.patch.object(nbval.plugin.nbformat, "read", return_value=notebook):
                return list(super().collect())
