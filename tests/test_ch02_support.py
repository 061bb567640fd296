"""Chapter 2 support code: its figures draw, and its exercises accept the reference and reject the notes' bugs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlscratch import softmax as sm
from dlscratch.exercises import EXERCISES, ExerciseFailed, check
from dlscratch.plots.softmax import LOGITS, naive_and_stable, plot_hard_vs_soft, plot_softmax_bars, scaled_logits
from dlscratch.widgets import Choice, Slider, explore

# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("shift", "temperature", "dtype"),
    [(0.0, 1.0, "float32"), (120.0, 1.0, "float32"), (-120.0, 0.25, "float32"), (120.0, 4.0, "float64")],
)
def test_plot_softmax_bars_draws_two_panels(shift, temperature, dtype):
    fig = Figure()
    plot_softmax_bars(fig, shift=shift, temperature=temperature, dtype=dtype)
    assert len(fig.axes) == 2
    assert all(ax.get_title() for ax in fig.axes)


def test_naive_breaks_exactly_where_the_chapter_says():
    naive, stable = naive_and_stable(LOGITS, temperature=1.0, shift=0.0)
    np.testing.assert_allclose(naive, stable, rtol=1e-6)
    naive, stable = naive_and_stable(LOGITS, temperature=1.0, shift=120.0)  # max score 123 > 88.72
    assert np.all(np.isnan(naive))
    np.testing.assert_allclose(stable, sm.softmax(LOGITS), rtol=1e-5)  # shift-invariant
    naive, _ = naive_and_stable(LOGITS, temperature=1.0, shift=-120.0)  # every exp underflows: 0/0
    assert np.all(np.isnan(naive))
    naive, _ = naive_and_stable(LOGITS, temperature=1.0, shift=120.0, dtype="float64")
    assert np.all(np.isfinite(naive))  # float64 survives up to 709.78


def test_scaled_logits_validates():
    assert scaled_logits([2.0], temperature=0.5, shift=1.0).dtype == np.float32
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        scaled_logits([1.0], temperature=0)
    with pytest.raises(ValueError, match="dtype must be"):
        scaled_logits([1.0], dtype="float16")


@pytest.mark.parametrize("temperature", [0.1, 1.0, 4.0])
def test_plot_hard_vs_soft_draws(temperature):
    fig = Figure()
    plot_hard_vs_soft(fig, temperature=temperature)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="temperature"):
        plot_hard_vs_soft(Figure(), temperature=-1.0)


def test_chapter_figures_stay_within_the_frame_budget():
    bars = explore(
        plot_softmax_bars,
        shift=Slider(-120.0, 120.0, step=10.0, value=0.0, frames=7),
        temperature=Slider(0.25, 4.0, step=0.25, value=1.0, frames=2),
        dtype=Choice(["float32", "float64"]),
        static=("shift", "temperature"),
        mode="single",
    )
    _, frames = bars.static_frames()
    assert len(frames) <= 30


# ----------------------------------------------------------------------------- exercises


def test_chapter_2_exercises_are_registered():
    assert {"ch02.softmax", "ch02.logsumexp", "ch02.softmax_jacobian", "ch02.temperature_overflow"} <= set(EXERCISES)


def test_reference_answers_pass(capsys):
    assert check("ch02.softmax", sm.softmax)
    assert check("ch02.logsumexp", sm.logsumexp)
    p = sm.softmax(np.array([1.0, 2.0, 3.0]))
    assert check("ch02.softmax_jacobian", np.diag(p) - np.outer(p, p))
    assert check("ch02.temperature_overflow", 3 / np.log(np.finfo(np.float32).max))
    assert "✓ ch02.softmax: all 8 checks passed" in capsys.readouterr().out


def test_naive_softmax_fails_with_the_overflow_named():
    with pytest.raises(
        ExerciseFailed, match=r"softmax\(\[1\.e\+00, .*, 4\.e\+03\]\) raised FloatingPointError: overflow"
    ) as info:
        check("ch02.softmax", sm.softmax_naive)
    assert "hint: shift = x.max" in str(info.value)


def test_notes_softmax_normalises_over_the_whole_batch():
    def softmax(x):  # the notes' (004) version: fine for one row, wrong for a batch
        exp_x = np.exp(x - np.max(x))
        return exp_x / exp_x.sum()

    with pytest.raises(ExerciseFailed, match=r"each row must sum to 1 on its own"):
        check("ch02.softmax", softmax)


def test_global_max_shift_underflows_far_rows():
    def softmax(x):  # per-row normalisation, but one global shift
        exp_x = np.exp(x - np.max(x))
        return exp_x / exp_x.sum(axis=-1, keepdims=True)

    with pytest.raises(ExerciseFailed, match=r"raised FloatingPointError: invalid value"):
        check("ch02.softmax", softmax)


def test_softmax_must_not_modify_its_input():
    def softmax(x):
        x -= x.max(axis=-1, keepdims=True)
        np.exp(x, out=x)
        x /= x.sum(axis=-1, keepdims=True)
        return x

    with pytest.raises(ExerciseFailed, match="modified its input array"):
        check("ch02.softmax", softmax)


def test_naive_logsumexp_fails_and_wrong_shape_is_named():
    with pytest.raises(ExerciseFailed, match="raised FloatingPointError"):
        check("ch02.logsumexp", lambda x: np.log(np.sum(np.exp(x), axis=-1)))
    with pytest.raises(ExerciseFailed, match=r"has shape \(3, 1\), expected shape \(3,\)"):
        check("ch02.logsumexp", lambda x: sm.logsumexp(x)[..., None] if np.ndim(x) > 1 else sm.logsumexp(x))


def test_value_exercises_reject_wrong_answers():
    with pytest.raises(ExerciseFailed, match="the Jacobian"):
        check("ch02.softmax_jacobian", np.diag(sm.softmax(np.array([1.0, 2.0, 3.0]))))  # forgot - p p^T
    with pytest.raises(ExerciseFailed, match="smallest safe temperature"):
        check("ch02.temperature_overflow", 3 / math.log(np.finfo(np.float64).max))  # float64's limit
