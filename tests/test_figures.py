"""Every figure of the book redraws in place exactly as a fresh build draws it.

The plot functions return updaters (``dlscratch.widgets``, "Fast redraws"):
``explore`` builds a figure once and then only changes its artists. A stale
artist (a title, a hidden marker, a legend or axis limits left over from the
previous frame) would make a frame depend on what the reader looked at
before. These tests render each figure through a sequence of other settings
and compare the PNG with that of an explorer that went straight there.
"""

from __future__ import annotations

import pytest

from dlscratch.plots.activations import plot_activation, plot_vanishing
from dlscratch.plots.losses import LOSS_CURVES, plot_loss_vs_logit
from dlscratch.plots.numgrad import BOWLS, plot_descent, plot_directional, plot_secant, plot_step_error
from dlscratch.plots.softmax import plot_hard_vs_soft, plot_softmax_bars
from dlscratch.widgets import Choice, explore

#: plot -> the values each parameter takes here; the first value is the explorer's default.
FIGURES = {
    plot_activation: {
        "name": ["sigmoid", "step", "leaky_relu", "relu"],
        "x_max": [6.0, 2.0, 12.0],
        "negative_slope": [0.1, 0.0, 0.5],
    },
    plot_vanishing: {"weight": [1.0, 0.5, 4.0], "depth": [20, 5, 40], "x0": [0.5, -2.0]},
    plot_softmax_bars: {
        "shift": [0.0, 120.0, -120.0],
        "temperature": [1.0, 0.25, 4.0],
        "dtype": ["float32", "float64"],
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
    plot_descent: {"lr": [0.1, 0.02, 1.1], "name": list(BOWLS), "num_steps": [20, 1, 50]},
    plot_directional: {"angle": [0.0, -180.0, 45.0], "name": list(reversed(BOWLS))},
}


def make(plot):
    return explore(plot, mode="single", **{k: Choice(v) for k, v in FIGURES[plot].items()})


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
