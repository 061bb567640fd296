"""Chapter 2 support code: its figures draw, and its exercises accept the reference and reject the notes' bugs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlscratch import softmax as sm
from dlscratch.exercises import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, check
from dlscratch.exercises.ch02 import RUNNER_UP_SCORES
from dlscratch.plots.softmax import LOGITS, naive_and_stable, plot_hard_vs_soft, plot_softmax_bars, scaled_logits
from dlscratch.widgets import Choice, Slider, explore

# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("shift", "temperature", "dtype"),
    [
        (0.0, 1.0, "float32"),
        (120.0, 1.0, "float32"),
        (-120.0, 0.25, "float32"),
        (120.0, 4.0, "float64"),
        (40.0, 1.0, "float16"),
    ],
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
        scaled_logits([1.0], dtype="bfloat16")  # numpy has none; the chapter shows it with torch


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
        alt="a test figure with its controls",
        shift=Slider(-120.0, 120.0, step=10.0, value=0.0, frames=7),
        dtype=Choice(["float32", "float64", "float16"]),
        temperature=Slider(0.25, 4.0, step=0.25, value=1.0),
        static=("shift", "dtype"),
        mode="single",
    )
    _, frames = bars.static_frames()
    assert len(frames) == 21  # 7 shifts x 3 dtypes, as in the chapter


FRAMES = (-120.0, -80.0, -40.0, 0.0, 40.0, 80.0, 120.0)  # the chapter's scrubber


@pytest.mark.parametrize(
    ("dtype", "broken"),
    [
        ("float64", (False,) * 7),
        ("float32", (True, False, False, False, False, False, True)),
        ("float16", (True, True, True, False, True, True, True)),
    ],
)
def test_the_naive_formula_breaks_at_the_frames_the_chapter_names(dtype, broken):
    for shift, expected in zip(FRAMES, broken, strict=True):
        naive, stable = naive_and_stable(LOGITS, shift=shift, dtype=dtype)
        assert bool(np.isnan(naive).any()) == expected, (dtype, shift)
        assert stable.dtype == np.dtype(dtype)
        # shift-invariant up to the rounding of the shifted scores (float16: third decimal)
        np.testing.assert_allclose(stable, sm.softmax(LOGITS), atol=2e-3 if dtype == "float16" else 1e-6)


def test_float16_limits_are_the_chapters():
    """exp overflows past ln(65504) = 11.09 and rounds to 0 below about -17.3; the max-shift survives both."""
    assert 11.08 < math.log(float(np.finfo(np.float16).max)) < 11.09
    with np.errstate(over="ignore"):
        assert np.isfinite(np.exp(np.float16(11.08)))
        assert np.exp(np.float16(11.1)) == np.inf
    assert np.exp(np.float16(-17.3)) > 0
    assert np.exp(np.float16(-17.4)) == 0
    for scores in ([12.0, 9.0, 0.0], [-20.0, -21.0], [11.0, 11.0]):
        x16 = np.asarray(scores, dtype=np.float16)
        p16 = sm.softmax(x16)
        assert p16.dtype == np.float16
        np.testing.assert_allclose(p16, sm.softmax(x16.astype(float)), rtol=3e-3)


@pytest.mark.parametrize(("dtype", "limit"), [("float32", "88.72"), ("float64", "709.78"), ("float16", "11.09")])
def test_plot_softmax_bars_names_the_overflow_limit_of_its_dtype(dtype, limit):
    fig = Figure()
    update = plot_softmax_bars(fig)
    update(dtype=dtype)
    assert f"{dtype}: exp overflows above {limit}" in fig.axes[0].get_xlabel()


@pytest.mark.parametrize("num_classes", [2, 3, 10, 100, 1000])
def test_mean_shift_overflows_exactly_past_the_chapters_bound(num_classes):
    """The mean-shifted largest exponent is m - mean; with one score at the top it is (C-1)/C of the spread."""
    bound = math.log(np.finfo(np.float64).max) * num_classes / (num_classes - 1)
    for step, finite in ((-0.5, True), (0.5, False)):
        x = np.r_[np.zeros(num_classes - 1), bound + step]
        with np.errstate(over="ignore"):
            assert bool(np.isfinite(np.exp(x - x.mean())).all()) == finite
        assert np.all(np.isfinite(sm.softmax(x)))  # the max-shift never overflows


def test_mean_shift_bounds_hold_for_any_scores():
    rng = np.random.default_rng(7)
    for num_classes in (2, 5, 50):
        x = rng.normal(scale=100, size=(500, num_classes))  # (N, C)
        gap = x.max(axis=1) - x.mean(axis=1)
        spread = np.ptp(x, axis=1)
        assert np.all(spread / num_classes <= gap + 1e-9)
        assert np.all(gap <= spread * (num_classes - 1) / num_classes + 1e-9)


# ----------------------------------------------------------------------------- exercises
#
# Each model solution below is written independently of the package (the package's
# own functions are switched off while a coding exercise is checked).


def stable_softmax(x):
    """The chapter's per-row, max-shifted softmax, written out (``sm.softmax`` is switched off in checks)."""
    x = np.asarray(x, dtype=float)
    exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)


def masked_softmax(x, mask):
    """A correct answer to exercise 1: the max and the sum run over the entries that take part."""
    x = np.asarray(x, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    any_allowed = mask.any(axis=-1, keepdims=True)  # (..., 1)
    shift = np.max(np.where(mask, x, -np.inf), axis=-1, keepdims=True)  # (..., 1)
    shift = np.where(any_allowed, shift, 0.0)
    exp_x = np.exp(np.where(mask, x, shift) - shift) * mask  # (..., C): masked entries contribute 0
    total = np.sum(exp_x, axis=-1, keepdims=True)
    return exp_x / np.where(any_allowed, total, 1.0)


def log_softmax_grad(x, dout):
    """A correct answer to exercise 2: (J^T dout)_j = dout_j - p_j * sum_i dout_i."""
    dout = np.asarray(dout, dtype=float)
    p = stable_softmax(x)
    return dout - p * dout.sum(axis=-1, keepdims=True)


def runner_up_probability(temperatures):
    """p_1(T) for the eight scores of exercise 3, at each of the given temperatures."""
    temperatures = np.atleast_1d(np.asarray(temperatures, dtype=float))
    return sm.softmax(RUNNER_UP_SCORES / temperatures[:, None])[:, 1]  # (K, C) -> (K,)


def runner_up_peak_by_zooming():
    """Exercise 3 solved as a student would: a grid of temperatures, refined around its best point."""
    lo, hi = 0.01, 100.0
    for _ in range(6):
        temperatures = np.geomspace(lo, hi, 801)
        p1 = runner_up_probability(temperatures)
        best = int(np.argmax(p1))
        lo, hi = temperatures[max(best - 1, 0)], temperatures[min(best + 1, len(temperatures) - 1)]
    return [temperatures[best], p1[best]]


def test_chapter_2_exercises_are_registered():
    assert isinstance(EXERCISES["ch02.masked_softmax"], FunctionExercise)
    assert isinstance(EXERCISES["ch02.log_softmax_grad"], FunctionExercise)
    assert isinstance(EXERCISES["ch02.runner_up_peak"], ValueExercise)
    assert sorted(eid for eid in EXERCISES if eid.startswith("ch02.")) == [
        "ch02.log_softmax_grad",
        "ch02.masked_softmax",
        "ch02.runner_up_peak",
    ]


def test_model_solutions_pass(capsys):
    assert check("ch02.masked_softmax", masked_softmax) is None
    assert check("ch02.log_softmax_grad", log_softmax_grad) is None
    assert check("ch02.runner_up_peak", runner_up_peak_by_zooming()) is None
    out = capsys.readouterr().out
    assert "✓ ch02.masked_softmax: all 8 checks passed" in out
    assert "✓ ch02.log_softmax_grad: all 6 checks passed" in out
    assert "✓ ch02.runner_up_peak: correct" in out


def test_log_softmax_grad_may_use_the_packages_softmax():
    assert (
        check("ch02.log_softmax_grad", lambda x, dout: dout - sm.softmax(x) * dout.sum(axis=-1, keepdims=True)) is None
    )


def test_log_softmax_grad_matches_torch_autograd():
    import torch

    x = torch.tensor(np.linspace(-5.0, 5.0, 24).reshape(2, 3, 4), requires_grad=True)
    dout = np.cos(np.arange(24.0)).reshape(2, 3, 4)
    torch.log_softmax(x, dim=-1).backward(torch.tensor(dout))
    np.testing.assert_allclose(log_softmax_grad(x.detach().numpy(), dout), x.grad.numpy(), rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- exercise 1: typical wrong answers


def test_masked_softmax_through_the_package_is_switched_off():
    def delegating(x, mask):
        return sm.softmax(np.where(mask, x, -np.inf))

    with pytest.raises(ExerciseFailed, match=r"called `dlscratch.softmax.softmax`, which is switched off") as info:
        check("ch02.masked_softmax", delegating)
    assert "hint" not in str(info.value)
    with pytest.raises(ExerciseFailed, match=r"masked_softmax is `dlscratch.softmax.softmax`, which is switched off"):
        check("ch02.masked_softmax", sm.softmax)


def test_masked_softmax_from_the_notes_exp_a_bug():
    def masked_softmax_from_notes(x, mask):
        c = np.max(np.where(mask, x, -np.inf), axis=-1, keepdims=True)
        exp_x = np.exp(np.where(mask, x, c) - c) * mask
        return exp_a / np.sum(exp_x, axis=-1, keepdims=True)  # noqa: F821 (the notes' name bug)

    with pytest.raises(ExerciseFailed, match=r"raised NameError: name 'exp_a' is not defined\n  hint: treat"):
        check("ch02.masked_softmax", masked_softmax_from_notes)


def test_masked_softmax_without_the_max_shift_overflows():
    def no_shift(x, mask):
        exp_x = np.exp(np.where(mask, x, -np.inf))
        return exp_x / np.sum(exp_x, axis=-1, keepdims=True)

    with pytest.raises(ExerciseFailed, match=r"raised FloatingPointError: overflow encountered in exp") as info:
        check("ch02.masked_softmax", no_shift)
    assert "±1000 do not overflow" not in str(info.value)  # an error shows the hint, not the case's note
    assert "hint: treat an entry that does not take part as if its score were minus infinity" in str(info.value)


def test_masked_softmax_whose_shift_includes_the_masked_scores():
    def shift_by_the_whole_row(x, mask):  # masks after the exponential: a masked 1e4 sets the shift
        exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True)) * mask
        return exp_x / np.sum(exp_x, axis=-1, keepdims=True)

    with pytest.raises(ExerciseFailed, match=r"masked_softmax\(\[0\.e\+00, 1\.e\+00, 1\.e\+04\].*invalid value"):
        check("ch02.masked_softmax", shift_by_the_whole_row)


def test_masked_softmax_that_multiplies_a_masked_inf():
    def by_arithmetic(x, mask):  # pushes masked scores far down by arithmetic: inf * 0 is NaN
        scores = x * mask - 1e300 * ~mask
        exp_x = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
        return exp_x / np.sum(exp_x, axis=-1, keepdims=True)

    with pytest.raises(ExerciseFailed, match=r"masked_softmax\(\[ 2\., inf, 1\.\].*raised FloatingPointError: invalid"):
        check("ch02.masked_softmax", by_arithmetic)


def test_masked_softmax_with_one_global_max():
    def global_shift(x, mask):  # the notes' whole-array max, applied to the entries that take part
        x = np.asarray(x, dtype=float)
        scores = np.where(mask, x, -np.inf)
        exp_x = np.exp(scores - np.max(scores))
        return exp_x / np.sum(exp_x, axis=-1, keepdims=True)

    with pytest.raises(
        ExerciseFailed, match=r"masked_softmax\(\[\[ 1000\., 1001\.,.*raised FloatingPointError: invalid"
    ):
        check("ch02.masked_softmax", global_shift)


def test_masked_softmax_that_forgets_the_empty_row():
    def no_empty_rows(x, mask):
        scores = np.where(mask, x, -np.inf)
        exp_x = np.exp(scores - np.max(scores, axis=-1, keepdims=True))  # -inf - (-inf) in an empty row
        return exp_x / np.sum(exp_x, axis=-1, keepdims=True)

    with pytest.raises(
        ExerciseFailed, match=r"(?s)masked_softmax\(\[\[1\., 2\.\],.*invalid value encountered in subtract"
    ):
        check("ch02.masked_softmax", no_empty_rows)


def test_masked_softmax_that_normalises_over_everything():
    def over_all_entries(x, mask):  # the masked entries get 0 but still count in the sum
        exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return np.where(mask, exp_x, 0.0) / np.sum(exp_x, axis=-1, keepdims=True)

    with pytest.raises(ExerciseFailed, match=r"the others share the whole 1"):
        check("ch02.masked_softmax", over_all_entries)


def test_masked_softmax_must_not_modify_its_input():
    def in_place(x, mask):
        x[~mask] = -np.inf
        return masked_softmax(x, mask)

    with pytest.raises(ExerciseFailed, match="modified its input array"):
        check("ch02.masked_softmax", in_place)


# ----------------------------------------------------------------------------- exercise 2: typical wrong answers


def test_log_softmax_grad_with_the_jacobian_untransposed():
    def untransposed(x, dout):  # J dout instead of J^T dout
        p = stable_softmax(x)
        return dout - np.sum(p * dout, axis=-1, keepdims=True)

    with pytest.raises(ExerciseFailed, match=r"\(the gradient of one log-probability, log p_0"):
        check("ch02.log_softmax_grad", untransposed)


def test_log_softmax_grad_with_the_softmax_backward_instead():
    def softmax_backward(x, dout):  # the chapter's rule for the softmax, not the log-softmax
        p = stable_softmax(x)
        return p * (dout - np.sum(p * dout, axis=-1, keepdims=True))

    with pytest.raises(ExerciseFailed, match=r"log_softmax_grad\(\[1\., 2\., 3\.\], \[1\., 0\., 0\.\]\) returned"):
        check("ch02.log_softmax_grad", softmax_backward)


def test_log_softmax_grad_summing_over_the_whole_batch():
    def global_sum(x, dout):
        return dout - stable_softmax(x) * np.sum(dout)

    with pytest.raises(ExerciseFailed, match=r"each row on its own"):
        check("ch02.log_softmax_grad", global_sum)


def test_log_softmax_grad_without_the_max_shift_overflows():
    def naive(x, dout):
        exp_x = np.exp(x)
        return dout - exp_x / exp_x.sum(axis=-1, keepdims=True) * dout.sum(axis=-1, keepdims=True)

    with pytest.raises(ExerciseFailed, match=r"\[ 1000\., 0\., -1000\.\].*raised FloatingPointError: overflow"):
        check("ch02.log_softmax_grad", naive)


def test_log_softmax_grad_must_not_modify_dout():
    def in_place(x, dout):
        dout -= stable_softmax(x) * dout.sum(axis=-1, keepdims=True)
        return dout

    with pytest.raises(ExerciseFailed, match="modified its input array"):
        check("ch02.log_softmax_grad", in_place)


def test_log_softmax_grad_by_numerical_differences_is_switched_off():
    from dlscratch.numgrad import numerical_gradient

    def numerically(x, dout):
        return numerical_gradient(lambda v: float(np.sum(dout * sm.log_softmax(v))), x)

    with pytest.raises(ExerciseFailed, match=r"`dlscratch.numgrad.numerical_gradient`, which is switched off"):
        check("ch02.log_softmax_grad", numerically)


# ----------------------------------------------------------------------------- exercise 3


def test_runner_up_peak_is_where_the_model_answer_says():
    temperature, peak = EXERCISES["ch02.runner_up_peak"].expected
    assert 1.573 < temperature < 1.574
    assert 0.2975 < peak < 0.2977
    temperatures = np.geomspace(0.05, 50.0, 20001)
    p1 = runner_up_probability(temperatures)
    assert math.isclose(temperatures[np.argmax(p1)], temperature, rel_tol=1e-3)
    assert math.isclose(p1.max(), peak, rel_tol=1e-6)
    assert p1[0] < 1e-6  # 0 as T -> 0
    assert math.isclose(runner_up_probability(1e6)[0], 1 / 8, rel_tol=1e-5)  # 1/8 as T -> inf
    assert peak > 1 / 8


def test_runner_up_peak_rejects_wrong_answers():
    with pytest.raises(ExerciseFailed, match=r"runner-up's peak, \[1\.0, 0\.26.*differs from the answer"):
        check("ch02.runner_up_peak", [1.0, float(runner_up_probability(1.0)[0])])  # the value at T = 1
    with pytest.raises(ExerciseFailed, match="differs from the answer"):
        check("ch02.runner_up_peak", [1.57, 0.298])  # rounded by hand: 0.2 % off
    with pytest.raises(ExerciseFailed, match="differs from the answer"):
        check("ch02.runner_up_peak", [0.2976, 1.5733])  # the two numbers swapped


# ----------------------------------------------------------------------------- exercise 4: the written model answer


def test_written_answer_part_a_the_temperature_derivative():
    """d log p_k / d beta = x_k - xbar, d xbar / d beta = Var_p(x) > 0, and which classes peak."""
    x = RUNNER_UP_SCORES
    for beta in (0.1, 0.7, 2.0):
        h = 1e-6
        p = sm.softmax(beta * x)
        dlogp = (sm.log_softmax((beta + h) * x) - sm.log_softmax((beta - h) * x)) / (2 * h)
        np.testing.assert_allclose(dlogp, x - p @ x, atol=1e-8)
        dmean = (sm.softmax((beta + h) * x) @ x - sm.softmax((beta - h) * x) @ x) / (2 * h)
        assert math.isclose(dmean, p @ (x - p @ x) ** 2, rel_tol=1e-6)  # the variance under p
        assert dmean > 0
    assert x.mean() == 9 / 8  # "the plain mean is 9/8"
    temperature, _ = EXERCISES["ch02.runner_up_peak"].expected
    assert math.isclose(sm.softmax(x / temperature) @ x, 4.0, rel_tol=1e-9)  # the peak: the weighted mean is 4
    # only the runner-up peaks; the winner only gains and the zeros only lose as T falls
    probs = sm.softmax(x / np.geomspace(100.0, 0.05, 4001)[:, None])  # (K, C), T falling
    assert np.all(np.diff(probs[:, 0]) > 0)
    assert np.all(np.diff(probs[:, 2:], axis=0) < 0)
    assert 0 < np.argmax(probs[:, 1]) < len(probs) - 1


def test_written_answer_part_b_the_smooth_maximum():
    x, temperature, classes = np.array([3.0, 1.0, 0.2, -1.0]), 0.25, 4
    assert np.array_equal(x, LOGITS)  # "the chapter's four scores"
    assert x[0] - x[1] == 2.0  # Δ = 2: the lead of the top score
    gap = temperature * float(sm.logsumexp(x / temperature)) - x.max()
    bound = (classes - 1) * temperature * math.exp(-2.0 / temperature)  # Δ = 3 - 1 = 2
    log_bound = temperature * math.log(classes)
    assert 0 < gap <= temperature * math.log1p((classes - 1) * math.exp(-2.0 / temperature)) <= bound
    assert round(log_bound, 2) == 0.35  # T log C ≈ 0.35
    assert round(bound, 5) == 0.00025  # ≈ 2.5e-4
    assert round(gap, 6) == 0.000087  # ≈ 8.7e-5
    # the bounds for any scores and temperatures, and the gradient is softmax(x / T)
    rng = np.random.default_rng(2)
    scores = rng.normal(scale=3.0, size=(50, 6))
    for t in (0.05, 0.5, 5.0):
        smooth_max = t * sm.logsumexp(scores / t)
        assert np.all(scores.max(axis=1) <= smooth_max + 1e-12)  # equal up to rounding when one score dominates
        assert np.all(smooth_max <= scores.max(axis=1) + t * math.log(6))
    row, t, h = scores[0], 0.5, 1e-6
    grad = [(t * sm.logsumexp((row + h * e) / t) - t * sm.logsumexp((row - h * e) / t)) / (2 * h) for e in np.eye(6)]
    np.testing.assert_allclose(grad, sm.softmax(row / t), atol=1e-8)
