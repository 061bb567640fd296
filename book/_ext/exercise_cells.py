"""Exercise cells on the website: solutions behind a "Solution" toggle, no nbgrader markers, no hidden tests.

The chapters are nbgrader source notebooks, so their exercise cells carry
``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers and check cells carry
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` blocks. A reader of the
site needs none of that. Before MyST-NB wraps hidden inputs in their toggles,
this post-transform

* deletes the marker lines and every hidden-test block from each exercise cell's
  source (the code that ran is unchanged; only what is shown changes);
* hides the source of every nbgrader solution cell behind a toggle labelled
  "Solution" (so no chapter can show a solution by forgetting a tag).

Written answers are markdown cells whose model answer is a dropdown admonition
titled "Solution"; the site shows them as they are.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

HIDDEN_TESTS = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*(?:\n|$)", re.S | re.M
)
MARKER = re.compile(r"^[ \t]*### (?:BEGIN|END) SOLUTION[ \t]*(?:\n|$)", re.M)
#: The toggle's two labels, by edition (book/_ext/editions.py); the written answers' "Solution"
#: admonitions are translated with the chapter text.
LABELS = {"en": ("Solution", "Hide the solution"), "zh_CN": ("参考答案", "隐藏参考答案")}
SHOW, HIDE = LABELS["en"]


def reader_source(source: str) -> str:
    """The source of an exercise cell as the site shows it."""
    return MARKER.sub("", HIDDEN_TESTS.sub("", source)).rstrip()


class ExerciseCells(SphinxPostTransform):
    """Strip nbgrader markers and hidden tests; hide solution cells behind "Solution"."""

    default_priority = 150  # before myst_nb's HideInputCells (199), which builds the toggles
    formats = ("html",)

    def run(self, **kwargs) -> None:
        for cell in list(self.document.findall(nodes.container)):
            if cell.get("nb_element") != "cell_code":
                continue
            nbgrader = (cell.get("cell_metadata") or {}).get("nbgrader") or {}
            if not nbgrader:
                continue
            for source in cell.findall(nodes.container):
                if source.get("nb_element") != "cell_code_source":
                    continue
                for block in list(source.findall(nodes.literal_block)):
                    text = reader_source(block.astext())
                    new = nodes.literal_block(text, text)
                    new.attributes.update({k: v for k, v in block.attributes.items() if k != "ids"})
                    new["ids"] = block["ids"]
                    new.source, new.line = block.source, block.line
                    block.replace_self(new)
            if nbgrader.get("solution"):
                cell["hide_mode"] = "input"
                cell["prompt_show"], cell["prompt_hide"] = LABELS.get(self.config.language, LABELS["en"])


def setup(app: Sphinx) -> dict:
    app.add_post_transform(ExerciseCells)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
