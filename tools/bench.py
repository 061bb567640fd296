"""Measure the budgets of DESIGN.md (``make bench``); not a test, so it never flakes a CI run.

1. Each chapter, executed top to bottom in a fresh kernel exactly as the book
   build runs it (``explore`` in its default mode: live widget + static frames).
   Budget: < 30 s each (the issues' budgets: chapter 1 < 15 s, chapters 2-4 < 20 s), the book < 3 min.
2. Each ``explore`` figure of every chapter, in live mode: the time from moving
   one control to the new PNG in the widget (``Explorer.update``), over every
   control and several values. Budget: < 100 ms for every one (the max, not the median).

Prints a table and exits non-zero if a budget is broken.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from pathlib import Path

import jupytext
import matplotlib
import nbclient

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_BUDGET_S = {"01_activations": 15.0, "02_softmax": 20.0, "03_losses": 20.0, "04_numerical_gradient": 20.0}
DEFAULT_CHAPTER_BUDGET_S = 30.0
BOOK_BUDGET_S = 180.0  # DESIGN.md: the whole book in < 3 min
REDRAW_BUDGET_MS = 100.0


def time_chapter(md: Path) -> float:
    notebook = jupytext.read(md)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(md.parent)}}
    )
    os.environ["DLSCRATCH_EXPLORE"] = "auto"
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def collect_explorers(md: Path):
    """Run the chapter's code in this process (live mode) and return the Explorers it built."""
    import dlscratch.widgets as widgets

    made = []
    original = widgets.explore

    def recording_explore(*args, **kwargs):
        kwargs["mode"] = "live"
        ex = original(*args, **kwargs)
        made.append(ex)
        return ex

    widgets.explore = recording_explore
    try:
        namespace = {"__name__": "__chapter__"}
        cwd = os.getcwd()
        os.chdir(md.parent)
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the chapter's own prints are not the table
                for cell in jupytext.read(md).cells:
                    if cell.cell_type == "code" and not cell.source.lstrip().startswith(("%", "!")):
                        exec(compile(cell.source, f"{md.name}", "exec"), namespace)
        finally:
            os.chdir(cwd)
    finally:
        widgets.explore = original
    return made


def control_values(control):
    from dlscratch.widgets import Checkbox, Choice

    if isinstance(control, Checkbox):
        return [not control.value, control.value]
    if isinstance(control, Choice):
        return [*[v for v in control.options if v != control.value][:4], control.value]
    values = control.static_values()
    return [values[len(values) // 4], values[-1], values[0], control.value]


def time_redraws(explorer) -> list[float]:
    _ = explorer.widget  # build the live widget once, as displaying it does
    times = []
    for name, control in explorer.controls.items():
        for value in control_values(control):
            start = time.perf_counter()
            explorer.update(**{name: value})
            times.append((time.perf_counter() - start) * 1e3)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", type=Path)
    args = parser.parse_args(argv)
    chapters = [c.resolve() for c in args.chapters] or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    matplotlib.use("Agg")
    failures = []
    total = 0.0
    print(f"{'chapter':<28}{'execute (s)':>12}{'budget':>8}   explore redraws (ms): median / max over n")
    for md in chapters:
        seconds = time_chapter(md)
        total += seconds
        budget = CHAPTER_BUDGET_S.get(md.stem, DEFAULT_CHAPTER_BUDGET_S)
        redraws = []
        for ex in collect_explorers(md):
            t = time_redraws(ex)
            redraws.append(
                f"{getattr(ex.plot, '__name__', 'plot')} {statistics.median(t):.0f} / {max(t):.0f} over {len(t)}"
            )
            if max(t) > REDRAW_BUDGET_MS:  # DESIGN.md: *each* change redraws in < 100 ms
                failures.append(f"{md.stem}: {ex.plot.__name__} slowest redraw {max(t):.0f} ms")
        print(f"{md.stem:<28}{seconds:>12.1f}{budget:>8.0f}   " + "; ".join(redraws))
        if seconds > budget:
            failures.append(f"{md.stem}: executed in {seconds:.1f} s > {budget:.0f} s")
    whole_book = not args.chapters
    print(f"{'all chapters' if whole_book else 'these chapters':<28}{total:>12.1f}{BOOK_BUDGET_S:>8.0f}")
    if whole_book and total > BOOK_BUDGET_S:
        failures.append(f"the whole book executed in {total:.1f} s > {BOOK_BUDGET_S:.0f} s")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}")
    if failures:
        print("over budget:\n  " + "\n  ".join(failures))
        return 1
    print("all within budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
