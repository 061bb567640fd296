"""Chapter 3 support code: the loss-vs-logit figure; the chapter's exercises pass their model solutions, fail
the typical mistakes with a useful message, and every number in the written model answer is right; the facts
the chapter teaches (sum against mean of squared errors, Gaussian maximum likelihood, the NaN of 0·log 0,
cross-entropy = entropy + KL, the logistic-regression loss) hold beyond its examples; and its text keeps the
exercises' answers, its Chinese terms and its attributions where they belong."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from dlscratch import activations as act
from dlscratch import losses
from dlscratch.exercises import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, check
from dlscratch.plots.losses import LOSS_CURVES, loss_curve, plot_loss_vs_logit
from dlscratch.softmax import softmax
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
    value, slope = loss_curve("without the (1 − y) term", Z, 0.0)
    assert np.all(value == 0)
    assert np.all(slope == 0)
    value, _ = loss_curve("without the (1 − y) term", np.array([-4000.0, 5.0]), 1.0)
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
    assert all(ax.get_xlabel() == "logit $z$" for ax in fig.axes)


def test_chapter_figure_has_at_most_30_static_frames():
    explorer = explore(
        plot_loss_vs_logit,
        alt="a test figure with its controls",
        loss=Choice(list(LOSS_CURVES)),
        target=Slider(0.0, 1.0, step=0.25, value=1.0, frames=3),
        log10_eps=Slider(-12.0, -2.0, step=1.0, value=-7.0),
        z_max=Slider(5.0, 40.0, step=5.0, value=20.0),
        static=("loss", "target"),
    )
    axes = [explorer.controls[n].static_values() for n in explorer.static]
    assert math.prod(len(a) for a in axes) == 12 <= 30


# ----------------------------------------------------------------------------- exercises
#
# The model solutions pass (written here independently: a delegation to the package fails), the typical
# mistakes fail on the case that names them, and every number of exercise 4's model answer is right.


def test_chapter_3_exercises_are_registered():
    ids = {eid for eid in EXERCISES if eid.startswith("ch03.")}
    assert ids == {"ch03.softmax_cross_entropy_grad", "ch03.sigmoid_focal_loss", "ch03.mse_steepest_push"}
    assert isinstance(EXERCISES["ch03.softmax_cross_entropy_grad"], FunctionExercise)
    assert isinstance(EXERCISES["ch03.sigmoid_focal_loss"], FunctionExercise)
    assert isinstance(EXERCISES["ch03.mse_steepest_push"], ValueExercise)


def _as_rows(logits, targets):
    """(N, C) float logits and (N, C) target rows, whatever form the targets come in."""
    x = np.array(logits, dtype=float, ndmin=2)
    t = np.asarray(targets)
    if t.shape != np.shape(logits):
        labels = t.reshape(-1)
        t = np.zeros(x.shape)
        for n, label in enumerate(labels):
            t[n, label] = 1.0
    return x, np.array(t, dtype=float, ndmin=2)


# ----------------------------------------------------------------------------- 1. the gradient of the softmax CE


def grad_row_by_row(logits, targets):
    """A correct answer: each row's own shifted softmax, Σt times it minus t, over N."""
    x, t = _as_rows(logits, targets)
    grad = np.empty_like(x)
    for n in range(x.shape[0]):
        e = np.exp(x[n] - x[n].max())
        grad[n] = (t[n].sum() * e / e.sum() - t[n]) / x.shape[0]
    return grad.reshape(np.shape(logits))


def grad_with_chapter_2_softmax(logits, targets):
    """A correct answer that uses the package's softmax, which the exercise allows."""
    x, t = _as_rows(logits, targets)
    return ((softmax(x) * t.sum(axis=1)[:, None] - t) / len(x)).reshape(np.shape(logits))


@pytest.mark.parametrize("answer", [grad_row_by_row, grad_with_chapter_2_softmax])
def test_softmax_ce_grad_correct_answers_pass(answer, capsys):
    assert check("ch03.softmax_cross_entropy_grad", answer) is None
    assert "✓ ch03.softmax_cross_entropy_grad: all 7 checks passed" in capsys.readouterr().out


def test_softmax_ce_grad_agrees_with_autograd_and_a_central_difference():
    """The model solution is the gradient: torch's autograd and a central difference of the loss say so."""
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=3.0, size=(6, 5))
    labels = rng.integers(0, 5, size=6)
    rows = rng.uniform(size=(6, 5))  # non-negative rows that do not sum to 1
    for targets, torch_targets in ((labels, torch.tensor(labels)), (rows, torch.tensor(rows))):
        x = torch.tensor(logits, requires_grad=True)
        F.cross_entropy(x, torch_targets).backward()  # torch accepts rows that do not sum to 1, too
        np.testing.assert_allclose(grad_row_by_row(logits, targets), x.grad.numpy(), rtol=1e-12, atol=1e-15)

        def loss(z, targets=targets):
            return losses.softmax_cross_entropy(z, targets)

        h = 1e-5
        central = np.zeros_like(logits)
        for index in np.ndindex(logits.shape):
            step = np.zeros_like(logits)
            step[index] = h
            central[index] = (loss(logits + step) - loss(logits - step)) / (2 * h)
        np.testing.assert_allclose(grad_row_by_row(logits, targets), central, atol=1e-9)


def test_softmax_ce_grad_cases_are_the_gradient():
    """The expected values of the cases are torch's gradients, the far case included."""
    for case in EXERCISES["ch03.softmax_cross_entropy_grad"].cases:
        logits, targets = case.args
        x = torch.tensor(np.atleast_2d(logits), requires_grad=True)
        t = np.asarray(targets)
        torch_targets = torch.tensor(np.atleast_2d(t)) if t.shape == np.shape(logits) else torch.tensor(t.reshape(-1))
        F.cross_entropy(x, torch_targets).backward()
        np.testing.assert_allclose(case.expected, x.grad.numpy().reshape(np.shape(logits)), rtol=1e-12, atol=1e-15)


def grad_without_the_mean(logits, targets):
    x, t = _as_rows(logits, targets)
    return (softmax(x) * t.sum(axis=1)[:, None] - t).reshape(np.shape(logits))


def grad_dividing_a_sample_by_c(logits, targets):
    """The notes' y.dim bug in another form: one (C,) sample is taken for a batch of C."""
    x, t = _as_rows(logits, targets)
    return ((softmax(x) * t.sum(axis=1)[:, None] - t) / np.shape(logits)[0]).reshape(np.shape(logits))


def grad_p_minus_t(logits, targets):
    """Right for rows that sum to 1, but the notes' factor Σt is dropped."""
    x, t = _as_rows(logits, targets)
    return ((softmax(x) - t) / len(x)).reshape(np.shape(logits))


def grad_unshifted_softmax(logits, targets):
    x, t = _as_rows(logits, targets)
    e = np.exp(x)
    return ((e / e.sum(axis=1, keepdims=True) * t.sum(axis=1)[:, None] - t) / len(x)).reshape(np.shape(logits))


def grad_of_the_two_stage_loss(logits, targets):
    """The gradient of the clipped two-stage loss: 0 for a row whose true-class probability is below ε."""
    x, t = _as_rows(logits, targets)
    p = softmax(x)
    clipped = np.sum(t * p, axis=1, keepdims=True) < 1e-7
    return (np.where(clipped, 0.0, p * t.sum(axis=1)[:, None] - t) / len(x)).reshape(np.shape(logits))


def grad_subtracting_labels(logits, targets):
    """Labels used as if they were target rows."""
    x = np.asarray(logits, dtype=float)
    return softmax(x) - np.asarray(targets)


def grad_by_finite_differences(logits, targets):
    from dlscratch import numgrad

    return numgrad.numerical_gradient(lambda z: losses.softmax_cross_entropy(z, targets), logits)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (grad_without_the_mean, "every row carries a factor 1/N"),
        (
            grad_dividing_a_sample_by_c,
            r"softmax_cross_entropy_grad\(\[0\., 0\., 0\., 0\.\], 3\) returned .*batch of one",
        ),
        (grad_p_minus_t, "the factor Σt of the notes' form stays in the gradient"),
        (grad_unshifted_softmax, "raised FloatingPointError: overflow"),
        (grad_of_the_two_stage_loss, "the confident mistake gets the full push"),
        (grad_subtracting_labels, r"softmax_cross_entropy_grad\(\[0\., 0\., 0\., 0\.\], 3\) returned \[-2\.75"),
        (grad_by_finite_differences, "`dlscratch.numgrad.numerical_gradient`, which is switched off"),
    ],
)
def test_softmax_ce_grad_mistakes(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("ch03.softmax_cross_entropy_grad", wrong)


def test_softmax_ce_grad_hint_comes_with_a_wrong_value():
    with pytest.raises(ExerciseFailed) as info:
        check("ch03.softmax_cross_entropy_grad", grad_without_the_mean)
    lines = str(info.value).splitlines()  # the failing case on one line (2-D arrays too), then the hint
    assert len(lines) == 2
    assert lines[0].startswith("✗ softmax_cross_entropy_grad([[ 2. , -1. , 0.5, 0. ], [ 0.3, 0.3, -2. , 1.5],")
    assert "every row carries a factor 1/N" in lines[-2]
    assert lines[-1].startswith("  hint: differentiate the notes' per-sample form")


# ----------------------------------------------------------------------------- 2. the focal loss


def focal_with_logaddexp(logits, targets, gamma=2.0):
    """A correct answer: log p_t = -log(1 + e^(-u)) and log(1 - p_t) = -log(1 + e^u), both by logaddexp."""
    z = np.asarray(logits, dtype=float)
    u = (2 * np.asarray(targets, dtype=float) - 1) * z
    return float(np.mean(np.exp(-gamma * np.logaddexp(0.0, u)) * np.logaddexp(0.0, -u)))


def focal_from_the_chapters_formula(logits, targets, gamma=2.0):
    """A correct answer: the chapter's stable cross-entropy times a stable sigmoid of the right sign."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets, dtype=float)
    bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    one_minus_pt = np.where(y == 1, act.sigmoid(-z), act.sigmoid(z))
    return np.mean(one_minus_pt**gamma * bce)


def focal_subtracting_from_one(logits, targets, gamma=2.0):
    """1 - p_t by subtraction: loses the relative accuracy of losses below 1e-12 or so, which the check forgives."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets, dtype=float)
    bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    pt = np.where(y == 1, act.sigmoid(z), act.sigmoid(-z))
    return np.mean((1 - pt) ** gamma * bce)


@pytest.mark.parametrize("answer", [focal_with_logaddexp, focal_from_the_chapters_formula, focal_subtracting_from_one])
def test_focal_correct_answers_pass(answer, capsys):
    assert check("ch03.sigmoid_focal_loss", answer) is None
    assert "✓ ch03.sigmoid_focal_loss: all 8 checks passed" in capsys.readouterr().out


def test_focal_cases_agree_with_torch():
    """torchvision's formula (cross-entropy with logits times (1 - p_t)^γ), in float64, for moderate logits."""
    for case in EXERCISES["ch03.sigmoid_focal_loss"].cases:
        z, y = (torch.tensor(np.asarray(a, dtype=float)) for a in case.args)
        if z.abs().max() > 30:
            continue
        gamma = case.kwargs.get("gamma", 2.0)
        p = torch.sigmoid(z)
        pt = p * y + (1 - p) * (1 - y)
        ce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
        assert case.expected == pytest.approx((ce * (1 - pt) ** gamma).mean().item(), rel=1e-12)
    far = EXERCISES["ch03.sigmoid_focal_loss"].cases[-1]
    ce = F.binary_cross_entropy_with_logits(*(torch.tensor(a) for a in far.args), reduction="none")
    assert far.expected == ce.mean().item() == 2000.0  # (1 - p_t)^γ is exactly 1 or 0 there


def focal_naive_log(logits, targets, gamma=2.0):
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets, dtype=float)
    pt = np.where(y == 1, act.sigmoid(z), 1 - act.sigmoid(z))
    return np.mean(-((1 - pt) ** gamma) * np.log(pt))


def focal_two_stage_clip(logits, targets, gamma=2.0):
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets, dtype=float)
    pt = np.where(y == 1, act.sigmoid(z), act.sigmoid(-z))
    return np.mean(-((1 - pt) ** gamma) * np.log(np.maximum(pt, 1e-7)))


def focal_with_pt_to_the_gamma(logits, targets, gamma=2.0):
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets, dtype=float)
    u = np.where(y == 1, z, -z)
    return np.mean(act.sigmoid(u) ** gamma * (np.maximum(-u, 0) + np.log1p(np.exp(-np.abs(u)))))


def focal_without_the_factor(logits, targets, gamma=2.0):
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets, dtype=float)
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def focal_without_the_one_minus_y_term(logits, targets, gamma=2.0):
    """Note 004's mistake carried over: only the y log p term, so a target of 0 costs nothing."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets, dtype=float)
    return np.mean(y * act.sigmoid(-z) ** gamma * (np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))))


def focal_summed(logits, targets, gamma=2.0):
    return focal_from_the_chapters_formula(logits, targets, gamma) * np.size(logits)


def focal_by_the_package(logits, targets, gamma=2.0):
    y = np.asarray(targets, dtype=float)
    bce = losses.sigmoid_cross_entropy(logits, targets, reduction="none")
    return np.mean(np.where(y == 1, act.sigmoid(-np.asarray(logits)), act.sigmoid(logits)) ** gamma * bce)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (focal_naive_log, "raised FloatingPointError: divide by zero"),
        (focal_two_stage_clip, r"returned 8\.05904782547916\d*, expected 2000\.0 \(logits of ±4000"),
        (focal_with_pt_to_the_gamma, r"sigmoid_focal_loss\(3\.0, 1\.0\) returned .*easy, right answer"),
        (focal_without_the_factor, r"sigmoid_focal_loss\(0\.0, 1\.0\) returned 0\.69314"),
        (focal_without_the_one_minus_y_term, r"sigmoid_focal_loss\(0\.0, 0\.0\) returned 0\.0, .*'no'"),
        (focal_summed, "the mean over all elements"),
        (focal_by_the_package, "`dlscratch.losses.sigmoid_cross_entropy`, which is switched off"),
    ],
)
def test_focal_mistakes(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("ch03.sigmoid_focal_loss", wrong)


def test_focal_overflow_gets_the_hint():
    with pytest.raises(ExerciseFailed) as info:
        check("ch03.sigmoid_focal_loss", focal_naive_log)
    assert str(info.value).splitlines()[1].startswith("  hint: reread 'Sigmoid cross-entropy, derived stably'")


# ----------------------------------------------------------------------------- 3. where the MSE pushes hardest


def steepest_by_narrowing_a_grid():
    """A student's way: evaluate the figure's slope on a grid and zoom in on its most negative value."""
    lo, hi = -10.0, 10.0
    for _ in range(8):
        z = np.linspace(lo, hi, 101)
        _, slope = loss_curve("MSE on σ(z)", z, target=1.0)
        best = z[np.argmin(slope)]
        width = (hi - lo) / 50
        lo, hi = best - width, best + width
    return [best, float(loss_curve("MSE on σ(z)", np.array([best]), target=1.0)[1][0])]


def test_steepest_push_answers(capsys):
    check("ch03.mse_steepest_push", steepest_by_narrowing_a_grid())
    check("ch03.mse_steepest_push", [-math.log(2), -8 / 27])
    assert capsys.readouterr().out.count("✓ ch03.mse_steepest_push: correct") == 2


def test_steepest_push_is_where_the_calculus_says():
    z = np.linspace(-5.0, 5.0, 1_000_001)
    _, slope = loss_curve("MSE on σ(z)", z, target=1.0)
    assert np.all(slope < 0)
    assert z[np.argmin(slope)] == pytest.approx(-math.log(2), abs=2e-5)
    assert slope.min() == pytest.approx(-8 / 27, rel=1e-9)
    assert act.sigmoid(-math.log(2)) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ([-8 / 27, -math.log(2)], "swapped"),
        ([-math.log(2), 8 / 27], "the sign of the slope"),
        ([0.0, -0.25], "where σ' is largest, not the slope of the loss"),
        ([-math.log(2), -4 / 27], "the ½ convention, not the figure's loss"),
        ([math.log(2), -8 / 27], "σ = 2/3"),
    ],
)
def test_wrong_steepest_push_fails(answer, why):
    with pytest.raises(ExerciseFailed, match="differs from the answer"):
        check("ch03.mse_steepest_push", answer)


# ----------------------------------------------------------------------------- 4. the written answer


def test_written_answer_a_double_softmax():
    """A softmax before nn.CrossEntropyLoss: the true class gets at most e/(e + 9) ≈ 0.23, so the loss never falls
    below log(1 + 9/e) ≈ 1.46; and a saturated softmax in the model sends back almost no gradient."""
    best = math.e / (math.e + 9)
    floor = math.log1p(9 / math.e)
    assert round(best, 2) == 0.23
    assert round(floor, 2) == 1.46
    assert floor == pytest.approx(-math.log(best))
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    one_hot = torch.eye(10, dtype=torch.float64)[:1]  # the best the model's softmax can output for class 0
    assert loss(one_hot, torch.tensor([0])).item() == pytest.approx(floor, rel=1e-12)
    assert torch.softmax(one_hot, dim=1)[0, 0].item() == pytest.approx(best, rel=1e-12)
    # no other output of a softmax does better: random points of the simplex, sharp and flat
    rng = np.random.default_rng(0)
    for alpha in (0.05, 1.0, 20.0):
        probs = torch.tensor(rng.dirichlet(np.full(10, alpha), size=20_000))
        assert loss(probs, torch.zeros(20_000, dtype=torch.long)).min().item() > floor
    # the gradient reaching the model's logits through its own saturated softmax
    inner = torch.tensor([[12.0] + [0.0] * 9], dtype=torch.float64, requires_grad=True)
    loss(torch.softmax(inner, dim=1), torch.tensor([0])).sum().backward()
    assert inner.grad.abs().max().item() < 1e-4


def test_written_answer_b_label_smoothing():
    """The smoothed loss is smallest at p = t (0.91 and 0.01), a logit gap of log 91 ≈ 4.51; beyond it the
    true class's gradient entry turns positive; with one-hot targets it stays negative at every finite gap."""
    eps, num_classes = 0.1, 10
    top, rest = 1 - eps + eps / num_classes, eps / num_classes
    assert (round(top, 2), round(rest, 2)) == (0.91, 0.01)
    gap = math.log(top / rest)
    assert gap == pytest.approx(math.log(91))
    assert round(gap, 2) == 4.51

    def grad(g, label_smoothing, shift=0.0):
        x = torch.tensor([[g + shift] + [shift] * (num_classes - 1)], dtype=torch.float64, requires_grad=True)
        F.cross_entropy(x, torch.tensor([0]), label_smoothing=label_smoothing).backward()
        return x.grad[0].numpy()

    assert np.allclose(grad(gap, eps), 0.0, atol=1e-15)
    assert np.allclose(grad(gap, eps, shift=7.5), 0.0, atol=1e-15)  # adding a constant changes nothing
    assert np.allclose(softmax(np.array([gap] + [0.0] * 9)), [top] + [rest] * 9)
    assert grad(6.0, eps)[0] > 0 > grad(3.0, eps)[0]  # pushed back beyond the gap, forward below it
    assert all(grad(g, 0.0)[0] < 0 for g in (0.0, 4.51, 10.0, 20.0, 30.0))  # one-hot: always pushed further
    # the model solution of exercise 1 says the same
    smoothed = (1 - eps) * np.eye(num_classes)[0] + eps / num_classes
    assert np.allclose(grad_row_by_row(np.array([gap] + [0.0] * 9), smoothed), 0.0, atol=1e-15)


# ----------------------------------------------------------------------------- what the chapter teaches
#
# The chapter asserts each fact on its own examples; these check the same facts on many inputs.


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 4)])
def test_sum_of_squared_errors_against_mse_loss(shape):
    """½Σ(y − t)² is half of MSELoss(reduction="sum") and n/2 times the mean MSELoss; gradients y − t and 2(y − t)/n."""
    rng = np.random.default_rng(sum(shape))
    y, t = rng.normal(size=shape), rng.normal(size=shape)
    sse = 0.5 * np.sum((y - t) ** 2)
    n = y.size
    y_t = torch.tensor(y, requires_grad=True)
    mean = torch.nn.MSELoss()(y_t, torch.tensor(t))
    mean.backward()
    assert mean.item() == pytest.approx(2 * sse / n, rel=1e-13)
    assert mean.item() == pytest.approx(losses.mse(y, t), rel=1e-13)
    np.testing.assert_allclose(y_t.grad.numpy(), 2 * (y - t) / n, rtol=1e-13)
    summed = torch.nn.MSELoss(reduction="sum")(torch.tensor(y), torch.tensor(t)).item()
    assert summed == pytest.approx(2 * sse, rel=1e-13)
    assert 0.5 * losses.mse(y, t, reduction="sum") == pytest.approx(sse, rel=1e-13)


@pytest.mark.parametrize("sigma", [0.1, 1.0, 7.5])
def test_gaussian_negative_log_likelihood_is_a_scaled_squared_error(sigma):
    rng = np.random.default_rng(7)
    y, t = rng.normal(size=50), rng.normal(scale=3.0, size=50)
    nll = -torch.distributions.Normal(torch.tensor(y), sigma).log_prob(torch.tensor(t)).numpy()
    np.testing.assert_allclose(nll, (y - t) ** 2 / (2 * sigma**2) + 0.5 * math.log(2 * math.pi * sigma**2))
    # a constant prediction: the summed NLL is smallest at the mean of the targets (its derivative vanishes there)
    assert np.sum(t.mean() - t) / sigma**2 == pytest.approx(0.0, abs=1e-12)
    total = [np.sum((c - t) ** 2) / (2 * sigma**2) for c in (t.mean() - 1e-3, t.mean(), t.mean() + 1e-3)]
    assert total[1] < min(total[0], total[2])


def test_zero_times_log_zero_at_a_non_target_class():
    """Summing t·log y over all classes gives NaN once a non-target probability underflows; indexing does not."""
    for far in (750.0, 800.0, 1e4):
        x = np.array([far, 0.0, -far / 2])
        p = softmax(x)
        assert p[0] == 1.0
        assert p[1] == p[2] == 0.0
        t = np.array([1.0, 0.0, 0.0])
        with np.errstate(divide="ignore", invalid="ignore"):
            assert np.isnan(-np.sum(t * np.log(p)))
        assert -np.log(p[0]) == 0.0
        assert losses.cross_entropy(p, t, eps=0) == 0.0  # the package skips the zero-target terms
        assert losses.cross_entropy(p, 0, eps=0) == 0.0
        assert losses.softmax_cross_entropy(x, t) == 0.0
        assert F.cross_entropy(torch.tensor(x)[None], torch.tensor(t)[None]).item() == 0.0


def _kl(t, p):
    keep = t > 0
    return float(np.sum(t[keep] * np.log(t[keep] / p[keep])))


def test_cross_entropy_is_entropy_plus_kl_divergence():
    rng = np.random.default_rng(11)
    for _ in range(200):
        t = rng.dirichlet(np.full(6, 0.5))
        t[rng.random(6) < 0.3] = 0.0  # some classes the target never names
        if t.sum() == 0:
            continue
        t /= t.sum()
        p = rng.dirichlet(np.ones(6))
        entropy = -np.sum(t[t > 0] * np.log(t[t > 0]))
        kl = _kl(t, p)
        assert kl >= 0
        assert losses.cross_entropy(p, t, eps=0) == pytest.approx(entropy + kl, rel=1e-12, abs=1e-14)
        kl_torch = F.kl_div(torch.log(torch.tensor(p)), torch.tensor(t), reduction="sum").item()
        assert kl_torch == pytest.approx(kl, rel=1e-10, abs=1e-14)
    votes = np.array([0.6, 0.3, 0.1])
    assert _kl(votes, votes) == 0.0
    assert _kl(votes, np.array([0.5, 0.4, 0.1])) != pytest.approx(_kl(np.array([0.5, 0.4, 0.1]), votes))


def test_cross_entropy_and_kl_have_the_same_gradient():
    rng = np.random.default_rng(5)
    targets = torch.tensor(softmax(rng.normal(size=(4, 5))))
    logits = torch.tensor(rng.normal(scale=2.0, size=(4, 5)), requires_grad=True)
    F.cross_entropy(logits, targets).backward()
    grad_ce, logits.grad = logits.grad.clone(), None
    F.kl_div(F.log_softmax(logits, 1), targets, reduction="batchmean").backward()
    torch.testing.assert_close(grad_ce, logits.grad)


def test_logistic_regression_loss_is_the_two_class_cross_entropy():
    rng = np.random.default_rng(2)
    z = rng.normal(scale=4.0, size=30)
    y = (rng.random(30) < 0.5).astype(float)
    f = act.sigmoid(z)
    bce = -np.mean(y * np.log(f) + (1 - y) * np.log(1 - f))
    assert losses.sigmoid_cross_entropy(z, y) == pytest.approx(bce, rel=1e-10)
    assert torch.nn.BCELoss()(torch.tensor(f), torch.tensor(y)).item() == pytest.approx(bce, rel=1e-10)
    two_class = np.stack([f, 1 - f], axis=1)  # (N, 2)
    assert losses.cross_entropy(two_class, (1 - y).astype(int), eps=0) == pytest.approx(bce, rel=1e-10)
    # the term note 004 drops is all of the loss of the outputs whose target is 0
    dropped = np.mean(y * np.log1p(np.exp(-z)))
    assert bce - dropped == pytest.approx(np.mean((1 - y) * -np.log(1 - f)), rel=1e-10)


def test_bce_on_probabilities_caps_each_element_at_100():
    p = torch.sigmoid(torch.tensor([-4000.0, -200.0, -50.0]))
    capped = F.binary_cross_entropy(p, torch.ones(3), reduction="none").numpy()
    exact = F.binary_cross_entropy_with_logits(torch.tensor([-4000.0, -200.0, -50.0]), torch.ones(3), reduction="none")
    assert np.array_equal(capped[:2], [100.0, 100.0])
    assert capped[2] == pytest.approx(50.0, rel=1e-12)
    np.testing.assert_allclose(exact.numpy(), [4000.0, 200.0, 50.0], rtol=1e-12)


# ----------------------------------------------------------------------------- the chapter's text

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "03_losses.md"


def _body_and_summary():
    text = CHAPTER.read_text(encoding="utf-8")
    start, end = text.index("\n## Exercises"), text.index("\n## Summary")
    return text[:start], text[end:]


def test_the_body_and_summary_do_not_give_the_exercises_away():
    """Exercise 3 asks for -log 2 and -8/27; exercise 4 for the double-softmax floor and the smoothing gap."""
    body, summary = _body_and_summary()
    for text in (body, summary):
        for answer in ("8/27", "0.2963", "0.296", "log 91", "log(91)", "4.51", "0.91", "1.46", "e/(e + 9)"):
            assert answer not in text, answer
        assert "label_smoothing" not in text
        assert not re.search(r"-\s*\\?log\s*2\b", text), "the logit of exercise 3"


def test_code_cells_of_the_body_fit_80_characters():
    from chapter_cells import long_code_lines

    body, _ = _body_and_summary()
    too_long = long_code_lines(body)
    assert not too_long, too_long


def test_the_notes_appear_only_in_pitfalls_and_in_the_notes_lines():
    """Teach first: a prose paragraph that names the notes opens with "In the notes", or sits in a pitfall box."""
    from chapter_cells import notes_narrated

    body, _ = _body_and_summary()
    assert notes_narrated(body) == []


# The notes' own words for the terms of chapter 3 (notes 002, 003, 004, verbatim).
NOTES_WORDING = (
    "损失函数",
    "均方误差",
    "均方根差 = sqrt(均方误差)",
    "交叉熵误差",
    "交叉熵损失函数",
    "Mini-batch 交叉熵",
    "one-hot表示",
    "one-hot向量",
    "该样本预测的类别概率值",
    "将网络层的输出(logits)变为概率",
    "log_softmax函数",
    "nll loss",
    "Logistic回归",
    "softmax/sigmoid + cross entropy合并处理",
    "分阶段处理",
    "概率的上下界",
    "概率小的值会舍入到0",
    "导致上式直接溢出变成nan",
    "数值稳定性问题",
)


def test_summary_terms_are_the_notes_own():
    """Every 中文 entry of the summary's "from the notes" table occurs in the notes' wording (spaces ignored)."""
    _, summary = _body_and_summary()
    rows = [row for row in re.findall(r"^\| (.+?) \| (.+?) \|$", summary, re.M) if row[0] != "English"]
    assert len(rows) >= 10
    notes = "".join(NOTES_WORDING).replace(" ", "").lower()
    for _, chinese in rows:
        for term in re.split(r" / |，|；|（.*?）", chinese):
            term = term.replace(" ", "").lower()
            if term:
                assert term in notes, f"{term!r} is not in the notes"
