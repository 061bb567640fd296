"""Chapter 3 support code: the loss-vs-logit figure and the chapter's exercises."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlscratch import activations as act
from dlscratch import losses
from dlscratch.exercises import EXERCISES, ExerciseFailed, check
from dlscratch.plots.losses import LOSS_CURVES, loss_curve, plot_loss_vs_logit
from dlscratch.widgets import Choice, Slider, explore

Z = np.linspace(-25.0, 25.0, 501)


# ----------------------------------------------------------------------------- loss curves


@pytest.mark.parametrize("name", list(LOSS_CURVES))
@pytest.mark.parametrize("target", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("eps", [1e-9, 1e-7, 1e-3])
def test_slope_matches_central_difference(name, target, eps):
    h = 1e-3  # large enough to average out the rounding noise of log(1 - σ(z)) in the two-stage form
    value, slope = loss_curve(name, Z, target, eps)
    plus, _ = loss_curve(name, Z + h, target, eps)
    minus, _ = loss_curve(name, Z - h, target, eps)
    central = (plus - minus) / (2 * h)
    kink = math.log((1 - eps) / eps)  # the clip starts where σ(z) or 1 - σ(z) reaches eps
    smooth = np.abs(np.abs(Z) - kink) > 10 * h
    assert value.shape == slope.shape == Z.shape
    # 1 - σ(z) cancels for large z: the two-stage loss itself carries rounding noise of ~1e-16 / (1 - σ(z))
    atol = 1e-4 if name == "two-stage (clipped)" else 1e-5
    np.testing.assert_allclose(slope[smooth], central[smooth], atol=atol)


def test_cross_entropy_curve_is_the_package_loss():
    for target in (0.0, 0.5, 1.0):
        value, slope = loss_curve("cross-entropy", Z, target)
        assert np.allclose(value, losses.sigmoid_cross_entropy(Z, np.full_like(Z, target), reduction="none"))
        assert np.allclose(slope, act.sigmoid(Z) - target)


def test_two_stage_curve_saturates_at_minus_log_eps_with_zero_slope():
    value, slope = loss_curve("two-stage (clipped)", np.array([-40.0, -30.0, 0.0]), 1.0, eps=1e-9)
    assert value[0] == value[1] == pytest.approx(-math.log(1e-9))
    assert slope[0] == slope[1] == 0.0
    assert value[2] == pytest.approx(math.log(2))


def test_notes_curve_drops_the_one_minus_y_term():
    value, slope = loss_curve("notes 004 (no 1−y)", Z, 0.0)
    assert np.all(value == 0)
    assert np.all(slope == 0)
    value, _ = loss_curve("notes 004 (no 1−y)", np.array([-4000.0, 5.0]), 1.0)
    assert value[0] == 4000.0
    assert value[1] == pytest.approx(math.log1p(math.exp(-5)))


def test_mse_curve_gradient_vanishes_when_confidently_wrong():
    _, slope = loss_curve("MSE on σ(z)", np.array([-10.0]), 1.0)
    assert abs(slope[0]) < 1e-4


def test_curves_do_not_warn_and_do_not_modify_input():
    z = np.array([-4000.0, -1.0, 0.0, 1.0, 4000.0])
    before = z.copy()
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        for name in LOSS_CURVES:
            value, slope = loss_curve(name, z, 0.5)
            assert np.all(np.isfinite(value))
            assert np.all(np.isfinite(slope))
    assert np.array_equal(z, before)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "hinge"}, "name must be one of"),
        ({"target": 1.5}, "target must be in"),
        ({"eps": 0.0}, "eps must be in"),
    ],
)
def test_loss_curve_rejects_bad_input(kwargs, match):
    args = {"name": "cross-entropy", "z": Z, "target": 1.0, "eps": 1e-7, **kwargs}
    with pytest.raises(ValueError, match=match):
        loss_curve(**args)


@pytest.mark.parametrize("name", list(LOSS_CURVES))
@pytest.mark.parametrize("target", [0.0, 0.5, 1.0])
def test_plot_draws_two_panels(name, target):
    fig = Figure()
    plot_loss_vs_logit(fig, loss=name, target=target)
    assert len(fig.axes) == 2
    assert all(ax.get_xlabel() == "logit z" for ax in fig.axes)


def test_chapter_figure_has_at_most_30_static_frames():
    explorer = explore(
        plot_loss_vs_logit,
        loss=Choice(list(LOSS_CURVES)),
        target=Slider(0.0, 1.0, step=0.25, value=1.0, frames=3),
        log10_eps=Slider(-12.0, -2.0, step=1.0, value=-7.0),
        z_max=Slider(5.0, 40.0, step=5.0, value=20.0),
        static=("loss", "target"),
    )
    axes = [explorer.controls[n].static_values() for n in explorer.static]
    assert math.prod(len(a) for a in axes) == 12 <= 30


# ----------------------------------------------------------------------------- exercises


def test_chapter_3_exercises_are_registered():
    ids = {"ch03.mini_batch_cross_entropy", "ch03.sigmoid_cross_entropy", "ch03.two_stage_ceiling"}
    assert ids | {"ch03.dim_pitfall_factor"} <= set(EXERCISES)


def _package_mini_batch(probs, targets):
    return losses.cross_entropy(probs, targets)


def _notes_delta_mini_batch(probs, targets):
    """The notes' formula, with .ndim and labels turned into one-hot rows."""
    y, t = np.asarray(probs, dtype=float), np.asarray(targets)
    if y.ndim == 1:
        y = y.reshape(1, y.size)
        t = t.reshape(1, t.size) if t.ndim == 1 else t.reshape(1)
    if t.shape != y.shape:
        t = np.eye(y.shape[1])[t]
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]


@pytest.mark.parametrize("answer", [_package_mini_batch, _notes_delta_mini_batch])
def test_mini_batch_correct_answers_pass(answer, capsys):
    assert check("ch03.mini_batch_cross_entropy", answer)
    assert "✓ ch03.mini_batch_cross_entropy: all 6 checks passed" in capsys.readouterr().out


def test_mini_batch_notes_dim_bug_is_reported():
    def mini_batch_cee(y, t):
        delta = 1e-7
        if y.dim == 1:
            t = t.reshape(1, t.size)
            y = y.reshape(1, y.size)
        return -np.sum(t * np.log(y + delta)) / y.shape[0]

    with pytest.raises(ExerciseFailed, match=r"raised AttributeError: 'numpy\.ndarray' object has no attribute 'dim'"):
        check("ch03.mini_batch_cross_entropy", mini_batch_cee)


def test_mini_batch_sum_instead_of_mean_fails():
    def summed(probs, targets):
        return losses.cross_entropy(probs, targets, reduction="sum")

    with pytest.raises(ExerciseFailed, match="a mini-batch of one-hot rows: the mean over the batch"):
        check("ch03.mini_batch_cross_entropy", summed)


def test_mini_batch_without_clipping_fails_on_log_zero():
    def unclipped(probs, targets):
        return losses.cross_entropy(probs, targets, eps=0)

    with pytest.raises(ExerciseFailed, match="returned inf"):
        check("ch03.mini_batch_cross_entropy", unclipped)


def _package_sigmoid_ce(logits, targets):
    return losses.sigmoid_cross_entropy(logits, targets)


def test_sigmoid_ce_correct_answer_passes(capsys):
    assert check("ch03.sigmoid_cross_entropy", _package_sigmoid_ce)
    assert "all 7 checks passed" in capsys.readouterr().out


def test_sigmoid_ce_notes_version_fails_on_the_missing_term():
    def notes(logits, targets):
        z = np.asarray(logits, dtype=float)
        return np.mean(np.asarray(targets) * (np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))))

    with pytest.raises(ExerciseFailed, match=r"sigmoid_cross_entropy\(0.0, 0.0\) returned 0.0"):
        check("ch03.sigmoid_cross_entropy", notes)


def test_sigmoid_ce_naive_version_fails_on_overflow():
    def naive(logits, targets):
        z, y = np.asarray(logits, dtype=float), np.asarray(targets, dtype=float)
        p = 1 / (1 + np.exp(-z))
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))

    with pytest.raises(ExerciseFailed, match="raised FloatingPointError"):
        check("ch03.sigmoid_cross_entropy", naive)


def test_value_exercises():
    assert check("ch03.two_stage_ceiling", -np.log(1e-7))
    assert check("ch03.dim_pitfall_factor", 10.0)
    with pytest.raises(ExerciseFailed, match="differs"):
        check("ch03.two_stage_ceiling", -np.log(1e-9))
    with pytest.raises(ExerciseFailed, match="differs"):
        check("ch03.dim_pitfall_factor", 3.0)
