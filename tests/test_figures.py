"""Every figure of the book redraws in place exactly as a fresh build draws it.

The plot functions return updaters (``dlscratch.widgets``, "Fast redraws"):
``explore`` builds a figure once and then only changes its artists. A stale
artist (a title, a hidden marker, a legend or axis limits left over from the
previous frame) would make a frame depend on what the reader looked at
before. These tests render each figure through a sequence of other settings
and compare the PNG with that of an explorer that went straight there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlscratch.plots.activations import plot_activation, plot_vanishing
from dlscratch.plots.architectures import plot_degradation, plot_nms
from dlscratch.plots.backprop import plot_backward_pass, plot_minibatch_training
from dlscratch.plots.batch_norm import plot_bn_training
from dlscratch.plots.cnn import plot_cnn_filters
from dlscratch.plots.convolution import KERNELS, plot_feature_map, plot_im2col
from dlscratch.plots.initialization import plot_activation_histograms, plot_init_training
from dlscratch.plots.losses import LOSS_CURVES, plot_loss_vs_logit
from dlscratch.plots.numgrad import (
    BOWLS,
    plot_descent,
    plot_directional,
    plot_gradient_field,
    plot_local_minima,
    plot_secant,
    plot_step_error,
)
from dlscratch.plots.optimizers import plot_digits_training, plot_schedules, plot_trajectories
from dlscratch.plots.pooling import plot_pool_gradient, plot_shift_robustness
from dlscratch.plots.regression import plot_training_curves, plot_weight_images
from dlscratch.plots.regularization import plot_dropout, plot_regularization, plot_search
from dlscratch.plots.softmax import plot_hard_vs_soft, plot_softmax_bars
from dlscratch.widgets import Choice, explore

#: plot -> the values each parameter takes here; the first value is the explorer's default.
FIGURES = {
    plot_activation: {
        "name": ["sigmoid", "step", "leaky_relu", "relu", "tanh"],
        "negative_slope": [0.1, 0.0, 0.5],
        "x_max": [6.0, 2.0, 12.0],
    },
    plot_vanishing: {"weight": [1.0, 0.5, 4.0], "depth": [20, 5, 40], "x0": [0.5, -2.0]},
    plot_softmax_bars: {
        "shift": [0.0, 120.0, -120.0],
        "temperature": [1.0, 0.25, 4.0],
        "dtype": ["float32", "float64", "float16"],
    },
    plot_hard_vs_soft: {"temperature": [1.0, 0.1, 3.0]},
    plot_loss_vs_logit: {
        "loss": list(LOSS_CURVES),
        "target": [1.0, 0.0, 0.5, 0.25],
        "log10_eps": [-7.0, -2.0],
        "z_max": [20.0, 5.0, 40.0],
    },
    plot_secant: {"h": [0.5, 0.1, 1.5], "name": ["sin", "exp", "x³ − 2x"], "x0": [1.0, -1.5]},
    plot_step_error: {"name": ["exp", "sin", "x³ − 2x"], "x0": [1.0, -1.0, 2.0]},
    plot_descent: {"lr": [0.1, 0.5, 1.05], "name": list(BOWLS), "num_steps": [20, 1, 50]},
    plot_directional: {"angle": [0.0, -180.0, 45.0], "name": list(reversed(BOWLS))},
    plot_gradient_field: {"name": list(BOWLS)},
    plot_local_minima: {"x0": [2.0, -2.5, 0.25, 2.5], "lr": [0.03, 0.01, 0.1], "num_steps": [30, 5]},
    plot_training_curves: {"lr": [3.0, 0.1, 30.0], "num_steps": [200, 10, 300]},
    plot_weight_images: {"num_steps": [200, 0, 300], "lr": [3.0, 0.1]},
    plot_trajectories: {
        "optimizer": ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"],
        "lr": [0.95, 0.001, 1.05, 0.3],
        "surface": ["bowl", "beale"],
    },
    plot_schedules: {"schedule": ["cosine", "constant", "step", "warm-up + cosine"]},
    plot_digits_training: {"lr": [0.01, 0.001, 0.1]},
    plot_backward_pass: {"step": [3, 0, 1, 5, 2], "graph": ["apples and oranges", "apples", "sigmoid"]},
    plot_minibatch_training: {"batch_size": [100, 10, 1438], "num_epochs": [50, 1, 20]},
    plot_activation_histograms: {
        "init": ["std 1", "std 0.01", "Xavier", "He"],
        "activation": ["sigmoid", "relu", "tanh"],
        "depth": [5, 20, 10],
    },
    plot_init_training: {"activation": ["relu", "sigmoid", "tanh"]},
    plot_cnn_filters: {"epoch": [20, 0, 5], "digit": [3, 8]},
    plot_feature_map: {"kernel": list(KERNELS), "stride": [1, 2], "pad": [0, 2, 1]},
    plot_im2col: {"position": [0, 3, 1, 2]},
    plot_bn_training: {"lr": [0.1, 1.0, 0.01], "init": ["std 0.1", "std 1", "std 0.01"]},
    plot_regularization: {
        "regularizer": ["none", "weight decay 0.01", "weight decay 0.03", "dropout 0.2", "dropout 0.5"]
    },
    plot_dropout: {"p": [0.5, 0.0, 0.9, 0.25]},
    plot_search: {"search": ["random", "grid"], "num_trials": [25, 1, 9]},
    plot_pool_gradient: {"pooling": ["max", "average"], "stride": [2, 1, 4]},
    plot_degradation: {"num_blocks": [12, 1, 4]},
    plot_nms: {"iou_threshold": [0.5, 0.05, 0.95, 0.3]},
    plot_shift_robustness: {
        "shift": [1, -2, 0, 2, -1],
        "pooling": ["max 2×2", "none", "average 2×2", "max 4×4"],
    },
}


def make(plot):
    return explore(
        plot, alt="a test figure with its controls", mode="single", **{k: Choice(v) for k, v in FIGURES[plot].items()}
    )


def settings(plot):
    """Each parameter moved alone to each of its values, then every parameter at its last value."""
    grid = FIGURES[plot]
    for name, values in grid.items():
        for value in values[1:]:
            yield {name: value}
    yield {name: values[-1] for name, values in grid.items()}


IDS = [plot.__name__ for plot in FIGURES]


def test_every_figure_of_the_book_is_listed_here():
    import importlib
    import pkgutil

    import dlscratch.plots

    found = set()
    for module in pkgutil.iter_modules(dlscratch.plots.__path__):
        mod = importlib.import_module(f"dlscratch.plots.{module.name}")
        found |= {f"{module.name}.{name}" for name in dir(mod) if name.startswith("plot_")}
    listed = {f"{plot.__module__.rsplit('.', 1)[1]}.{plot.__name__}" for plot in FIGURES}
    assert found == listed, f"add to FIGURES: {sorted(found - listed)}"


@pytest.mark.parametrize("plot", FIGURES, ids=IDS)
def test_plot_returns_an_updater(plot):
    ex = make(plot)
    assert callable(ex._updater), f"{plot.__name__} redraws from scratch: too slow for a slider"


@pytest.mark.parametrize("plot", FIGURES, ids=IDS)
def test_back_at_the_defaults_the_figure_is_the_fresh_one(plot):
    fresh = make(plot).render_png()
    ex = make(plot)
    frames = [ex.render_png(**s) for s in settings(plot)]
    assert frames[-1] != fresh, "moving every control changed nothing"
    assert ex.render_png() == fresh


@pytest.mark.parametrize("plot", FIGURES, ids=IDS)
def test_a_frame_does_not_depend_on_the_frames_before_it(plot):
    """The same settings visited in two orders, so that each one follows a different frame, give the same PNGs."""
    targets = list(settings(plot))
    forward, backward = make(plot), make(plot)
    there = {i: forward.render_png(**t) for i, t in enumerate(targets)}
    back = {i: backward.render_png(**targets[i]) for i in reversed(range(len(targets)))}
    for i, target in enumerate(targets):
        assert there[i] == back[i], f"{target} after {targets[i - 1] if i else 'the defaults'} differs"


# ----------------------------------------------------------------------------- every frame, as readers see it


def chapter_figures() -> list[tuple[str, object, dict]]:
    """(chapter, plot, explore keyword arguments) of every explore() call of the book, as the chapters make them."""
    import contextlib
    import io
    import os

    import jupytext

    import dlscratch.widgets as widgets

    calls = []
    original = widgets.explore

    def record(plot, /, **kwargs):
        calls.append((chapter.stem, plot, kwargs))
        return original(plot, **{**kwargs, "mode": "single"})

    root = Path(__file__).resolve().parents[1] / "chapters"
    widgets.explore = record
    cwd = os.getcwd()
    try:
        for chapter in sorted(root.glob("[0-9][0-9]_*.md")):
            namespace = {"__name__": "__chapter__"}
            os.chdir(root)
            with contextlib.redirect_stdout(io.StringIO()):
                for cell in jupytext.read(chapter).cells:
                    if cell.cell_type == "code":
                        exec(compile(cell.source, chapter.name, "exec"), namespace)
    finally:
        os.chdir(cwd)
        widgets.explore = original
    return calls


CHAPTER_FIGURES = chapter_figures()


def reachable_states(explorer) -> list[dict]:
    """Every static frame of the website, and the layout's probes (each extreme of every other control)."""
    states = list(explorer.layout_probes())
    return states


def artists_outside(fig) -> list[str]:
    """Text and axes that stick out of the figure (more than one device pixel)."""
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox.padded(1)
    out = []
    for artist in [*fig.texts, *(t for ax in fig.axes for t in ax.texts), *fig.axes]:
        if not artist.get_visible():
            continue
        box = artist.get_tightbbox(renderer) if hasattr(artist, "get_tightbbox") else artist.get_window_extent(renderer)
        if (
            box is not None
            and box.width > 0
            and not (inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1))
        ):
            label = artist.get_text() if hasattr(artist, "get_text") else (artist.get_title() or "an axes")
            out.append(f"{type(artist).__name__} {label!r}: {box.bounds}")
    return out


def legends_over_data(fig) -> list[str]:
    """Legends that cover a plotted data point (lines in data coordinates, scatter points)."""
    import numpy as np
    from matplotlib.collections import PathCollection

    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer).padded(-2)
        clip = ax.bbox
        points = []
        for line in ax.get_lines():
            if line.get_visible() and line.get_transform() == ax.transData:
                xy = np.column_stack(line.get_data()).astype(float)
                points.append(ax.transData.transform(xy[np.isfinite(xy).all(axis=1)]))
        for collection in ax.collections:
            if isinstance(collection, PathCollection) and collection.get_visible():
                points.append(collection.get_offset_transform().transform(collection.get_offsets()))
        for xy in points:
            if len(xy) == 0:
                continue
            shown = (xy[:, 0] >= clip.x0) & (xy[:, 0] <= clip.x1) & (xy[:, 1] >= clip.y0) & (xy[:, 1] <= clip.y1)
            covered = shown & (xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)
            if covered.any():
                found.append(f"the legend of {ax.get_title()!r} covers {int(covered.sum())} data points")
                break
    return found


FIGURE_IDS = [f"{chapter}-{plot.__name__}" for chapter, plot, _ in CHAPTER_FIGURES]


def test_the_chapters_figures_were_found():
    assert len(CHAPTER_FIGURES) >= 9
    assert {plot for _, plot, _ in CHAPTER_FIGURES} == set(FIGURES)


@pytest.mark.parametrize(("chapter", "plot", "kwargs"), CHAPTER_FIGURES, ids=FIGURE_IDS)
def test_every_frame_fits_the_figure_and_no_legend_hides_data(chapter, plot, kwargs):
    explorer = explore(plot, **{**kwargs, "mode": "static"})
    problems = []
    for state in reachable_states(explorer):
        explorer.render_png(**state)
        fig = explorer._fig
        problems += [f"{state}: {p}" for p in artists_outside(fig) + legends_over_data(fig)]
    assert not problems, "\n".join(problems[:12])


@pytest.mark.parametrize(("chapter", "plot", "kwargs"), CHAPTER_FIGURES, ids=FIGURE_IDS)
def test_labels_are_mathtext_not_ascii_formulas(chapter, plot, kwargs):
    """Axis labels, titles and legends write formulas as mathtext ($p_0$), not as p_0 or d a_L / d a_0."""
    import re

    explorer = explore(plot, **{**kwargs, "mode": "single"})
    fig = explorer._fig
    texts = [fig._suptitle.get_text() if fig._suptitle else ""]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
    ascii_math = re.compile(r"(?<![$\\\w])[a-zA-Z]_[\w(]|\^[\w(]|\b[a-z]+_\(|d\s?\w+\s?/\s?d\s?\w+")
    offenders = [t for t in texts if ascii_math.search(re.sub(r"\$[^$]*\$", "", t))]
    assert not offenders, offenders
