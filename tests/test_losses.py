"""Tests for dlscratch.losses: torch parity, the notes' examples, properties, bad input."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlscratch.losses import cross_entropy, mse, nll_loss, rmse, sigmoid_cross_entropy, softmax_cross_entropy
from dlscratch.softmax import log_softmax, softmax

REDUCTIONS = ["mean", "sum", "none"]
BATCH_SHAPES = [(1, 1), (1, 4), (5, 3), (8, 10)]


def _t(x):
    return torch.from_numpy(np.asarray(x))


def _assert_matches(ours, theirs, rtol=1e-12, atol=1e-12):
    theirs = theirs.numpy()
    if isinstance(ours, float):
        assert theirs.shape == ()
    else:
        assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def _batch(shape, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape) * scale
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    onehot = np.eye(shape[-1])[labels]  # (N, C)
    return logits, labels, onehot


# ----------------------------------------------------------------------------- the notes' examples (004, 003)


def test_notes_two_stage_cross_entropy_is_20_72():
    probs = softmax([1, 1, 1, 4000])  # [0, 0, 0, 1]: the true class underflowed
    assert cross_entropy(probs, [1, 0, 0, 0], eps=1e-9) == 20.72326583694641  # = -log(1e-9)
    assert cross_entropy(probs, 0, eps=1e-9) == 20.72326583694641
    assert cross_entropy(probs, [1, 0, 0, 0]) == pytest.approx(-math.log(1e-7))  # the default eps


def test_notes_fused_softmax_cross_entropy_is_3999():
    assert softmax_cross_entropy([1, 1, 1, 4000], [1, 0, 0, 0]) == 3999.0
    assert softmax_cross_entropy([1, 1, 1, 4000], 0) == 3999.0
    assert softmax_cross_entropy([[1, 1, 1, 4000]], [0]) == 3999.0


def test_notes_sigmoid_example():
    x = np.array([1, 1, -4000, -4000])
    y = np.array([0, 0, 0, 1])
    per_element = sigmoid_cross_entropy(x, y, reduction="none")
    np.testing.assert_allclose(per_element, [math.log1p(math.e)] * 2 + [0.0, 4000.0], rtol=1e-15)
    assert per_element[3] == 4000.0  # the notes' 4000: the only y = 1 term
    assert sigmoid_cross_entropy(-4000.0, 1.0) == 4000.0
    # the notes drop the (1 - y) log(1 - σ) term; the full loss also charges the two y = 0, z = 1 entries
    assert sigmoid_cross_entropy(x, y, reduction="sum") == pytest.approx(4000 + 2 * math.log1p(math.e), rel=1e-15)
    assert sigmoid_cross_entropy(x, y) == pytest.approx((4000 + 2 * math.log1p(math.e)) / 4, rel=1e-15)
    # the two-stage version saturates at -log(EPS) as in the notes, for expit and for their clipped sigmoid
    expit = np.exp(-np.logaddexp(0, -x.astype(float)))  # [0.73, 0.73, 0, 0]
    notes_sigmoid = 1 / (1 + np.exp(-np.clip(x, -709, None)))  # [0.73, 0.73, 1.2e-308, 1.2e-308]
    assert cross_entropy(expit, y, eps=1e-9) == 20.72326583694641
    assert cross_entropy(notes_sigmoid, y, eps=1e-9) == 20.72326583694641


def test_notes_mse_half_convention():
    # Deep Learning from Scratch's example used in the notes (003): class 2 is correct
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    notes_mse = 0.5 * np.sum((y - t) ** 2)
    assert 0.5 * mse(y, t, reduction="sum") == pytest.approx(notes_mse, rel=1e-15)
    assert 0.5 * mse(y, t, reduction="sum") == pytest.approx(0.0975)
    assert mse(y, t) == pytest.approx(0.0195)  # mean over the 10 elements, like torch
    assert rmse(y, t) == pytest.approx(math.sqrt(0.0195))
    # cross-entropy: the notes' log(y + 1e-7) vs our clip; equal to well within eps / p
    notes_ce = -np.sum(t * np.log(y + 1e-7))
    assert cross_entropy(y, t) == pytest.approx(-math.log(0.6), rel=1e-15)
    assert cross_entropy(y, t) == pytest.approx(notes_ce, rel=1e-6)
    assert cross_entropy(y, 2) == cross_entropy(y, t)


# ----------------------------------------------------------------------------- parity with torch


@pytest.mark.parametrize("shape", BATCH_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("scale", [1.0, 50.0])
def test_softmax_cross_entropy_matches_torch(shape, reduction, scale):
    logits, labels, onehot = _batch(shape, scale=scale)
    expected = F.cross_entropy(_t(logits), _t(labels), reduction=reduction)
    _assert_matches(softmax_cross_entropy(logits, labels, reduction=reduction), expected)
    _assert_matches(softmax_cross_entropy(logits, onehot, reduction=reduction), expected)
    soft = softmax(np.random.default_rng(1).normal(size=shape))  # probability targets
    expected_soft = F.cross_entropy(_t(logits), _t(soft), reduction=reduction)
    _assert_matches(softmax_cross_entropy(logits, soft, reduction=reduction), expected_soft)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_single_sample_matches_torch(reduction):
    logits = np.array([0.5, -1.0, 2.0])
    expected = F.cross_entropy(_t(logits), torch.tensor(2), reduction=reduction)
    _assert_matches(softmax_cross_entropy(logits, 2, reduction=reduction), expected)
    _assert_matches(softmax_cross_entropy(logits, np.int64(2), reduction=reduction), expected)
    _assert_matches(softmax_cross_entropy(logits, [0, 0, 1], reduction=reduction), expected)
    expected_nll = F.nll_loss(_t(log_softmax(logits)), torch.tensor(1), reduction=reduction)
    _assert_matches(nll_loss(log_softmax(logits), 1, reduction=reduction), expected_nll)


@pytest.mark.parametrize("shape", BATCH_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(shape, reduction):
    logits, labels, onehot = _batch(shape, seed=3)
    log_probs = log_softmax(logits)
    expected = F.nll_loss(_t(log_probs), _t(labels), reduction=reduction)
    _assert_matches(nll_loss(log_probs, labels, reduction=reduction), expected)
    _assert_matches(nll_loss(log_probs, onehot, reduction=reduction), expected)


@pytest.mark.parametrize("shape", BATCH_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_of_probs_matches_torch(shape, reduction):
    logits, labels, onehot = _batch(shape, seed=4, scale=1.0)  # no probability below eps
    probs = softmax(logits)
    expected = F.nll_loss(torch.log(_t(probs)), _t(labels), reduction=reduction)
    _assert_matches(cross_entropy(probs, labels, reduction=reduction), expected)
    _assert_matches(cross_entropy(probs, onehot, reduction=reduction), expected)
    expected_fused = F.cross_entropy(_t(logits), _t(labels), reduction=reduction)
    _assert_matches(cross_entropy(probs, labels, reduction=reduction), expected_fused)


@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("scale", [1.0, 40.0, 1e4])
def test_sigmoid_cross_entropy_matches_torch(shape, reduction, scale):
    rng = np.random.default_rng(5)
    logits = rng.normal(size=shape) * scale
    for targets in [rng.integers(0, 2, size=shape).astype(float), rng.uniform(size=shape)]:
        expected = F.binary_cross_entropy_with_logits(_t(logits), _t(targets), reduction=reduction)
        _assert_matches(sigmoid_cross_entropy(logits, targets, reduction=reduction), expected)


@pytest.mark.parametrize("shape", [(), (6,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_matches_torch(shape, reduction):
    rng = np.random.default_rng(6)
    y, t = rng.normal(size=shape), rng.normal(size=shape)
    expected = F.mse_loss(_t(y), _t(t), reduction=reduction)
    _assert_matches(mse(y, t, reduction=reduction), expected)
    if reduction == "mean":
        assert rmse(y, t) == pytest.approx(math.sqrt(expected.item()), rel=1e-12)


def test_minus_inf_logits_match_torch():
    logits = np.array([[-np.inf, 0.0, 1.0], [2.0, -np.inf, -np.inf]])
    for labels in ([1, 0], [2, 0], [0, 0]):
        expected = F.cross_entropy(_t(logits), _t(np.array(labels)), reduction="none")
        np.testing.assert_allclose(softmax_cross_entropy(logits, labels, reduction="none"), expected.numpy())
    assert softmax_cross_entropy(logits, [0, 0], reduction="none")[0] == np.inf
    assert softmax_cross_entropy(logits, [[0, 1, 0], [1, 0, 0]]) == pytest.approx(math.log1p(math.e) / 2, rel=1e-15)


# ----------------------------------------------------------------------------- conventions


def test_mini_batch_loss_is_mean_over_batch():
    logits, labels, _ = _batch((6, 4), seed=7)
    per_sample = [softmax_cross_entropy(row, label) for row, label in zip(logits, labels, strict=True)]
    assert softmax_cross_entropy(logits, labels) == pytest.approx(np.mean(per_sample), rel=1e-14)
    assert softmax_cross_entropy(logits, labels, reduction="sum") == pytest.approx(np.sum(per_sample), rel=1e-14)
    np.testing.assert_allclose(softmax_cross_entropy(logits, labels, reduction="none"), per_sample, rtol=1e-14)
    probs = softmax(logits)
    per_sample_ce = [cross_entropy(row, label) for row, label in zip(probs, labels, strict=True)]
    assert cross_entropy(probs, labels) == pytest.approx(np.mean(per_sample_ce), rel=1e-14)


def test_reduction_none_shapes():
    logits, labels, _ = _batch((5, 3))
    assert softmax_cross_entropy(logits, labels, reduction="none").shape == (5,)
    assert softmax_cross_entropy(logits[0], labels[0], reduction="none").shape == ()
    assert cross_entropy(softmax(logits), labels, reduction="none").shape == (5,)
    assert nll_loss(log_softmax(logits), labels, reduction="none").shape == (5,)
    assert sigmoid_cross_entropy(logits, np.zeros((5, 3)), reduction="none").shape == (5, 3)
    assert mse(logits, logits, reduction="none").shape == (5, 3)
    assert isinstance(softmax_cross_entropy(logits, labels), float)
    assert isinstance(mse(logits, logits), float)


def test_perfect_prediction_costs_zero():
    assert cross_entropy([0.0, 1.0, 0.0], 1) == 0.0  # no upper clip at 1 - eps
    assert cross_entropy([[0.0, 1.0]], [[0, 1]]) == 0.0
    assert nll_loss([-np.inf, 0.0], 1) == 0.0
    assert mse([1.0, 2.0], [1.0, 2.0]) == 0.0


def test_eps_zero_gives_inf_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cross_entropy([1.0, 0.0], 1, eps=0) == np.inf
        assert cross_entropy([1.0, 0.0], [0, 1], eps=0) == np.inf
        assert cross_entropy([1.0, 0.0], [1, 0], eps=0) == 0.0  # 0 * log 0 counts as 0
        assert nll_loss([0.0, -np.inf], [1, 0]) == 0.0


def test_float32_inputs():
    logits = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    assert softmax_cross_entropy(logits, [2]) == pytest.approx(
        softmax_cross_entropy(logits.astype(float), [2]), rel=1e-6
    )
    assert cross_entropy(softmax(logits), [2]) == pytest.approx(softmax_cross_entropy(logits, [2]), rel=1e-6)
    assert sigmoid_cross_entropy(logits, np.ones((1, 3), dtype=np.float32)) > 0


@pytest.mark.parametrize(
    "call",
    [
        lambda x, t: cross_entropy(x, t),
        lambda x, t: nll_loss(np.log(x), t),
        lambda x, t: softmax_cross_entropy(x, t),
    ],
)
@pytest.mark.parametrize("targets", [np.array([[0, 0, 1], [1, 0, 0]]), np.array([2, 0])])
def test_class_losses_leave_inputs_unchanged(call, targets):
    x = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    x_before, targets_before = x.copy(), targets.copy()
    call(x, targets)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(targets, targets_before)


@pytest.mark.parametrize("loss", [sigmoid_cross_entropy, mse, rmse])
def test_elementwise_losses_leave_inputs_unchanged(loss):
    y = np.array([[0.2, -3.0, 0.5], [0.6, 0.3, 4.0]])
    t = np.array([[0.0, 0.0, 1.0], [1.0, 0.5, 0.0]])
    y_before, t_before = y.copy(), t.copy()
    loss(y, t)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(t, t_before)


# ----------------------------------------------------------------------------- properties

batch_logits = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(1, 6)),
    elements=st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=200, deadline=None)
@given(batch_logits, st.data())
def test_property_softmax_cross_entropy_nonnegative_and_forms_agree(logits, data):
    n, c = logits.shape
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    onehot = np.eye(c)[labels]  # (N, C)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_label = softmax_cross_entropy(logits, labels, reduction="none")
        by_onehot = softmax_cross_entropy(logits, onehot, reduction="none")
    assert (by_label >= 0).all()
    assert not np.isnan(by_label).any()
    np.testing.assert_allclose(by_label, by_onehot, rtol=1e-15)
    np.testing.assert_allclose(nll_loss(log_softmax(logits), labels, reduction="none"), by_label, rtol=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.floats(0, 1)),
    st.data(),
    st.sampled_from([1e-7, 1e-9, 0.1]),
)
def test_property_cross_entropy_nonnegative_and_forms_agree(probs, data, eps):
    n, c = probs.shape
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    by_label = cross_entropy(probs, labels, eps, reduction="none")
    by_onehot = cross_entropy(probs, np.eye(c)[labels], eps, reduction="none")
    np.testing.assert_array_equal(by_label, by_onehot)
    assert (by_label >= 0).all()
    assert (by_label <= -math.log(eps) + 1e-12).all()  # clipping bounds the loss


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        array_shapes(min_dims=0, max_dims=2, max_side=5),
        elements=st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
    ),
    st.data(),
)
def test_property_sigmoid_cross_entropy_nonnegative(logits, data):
    targets = data.draw(arrays(np.float64, logits.shape, elements=st.floats(0, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = sigmoid_cross_entropy(logits, targets, reduction="none")
    assert np.isfinite(losses).all()
    assert (losses >= 0).all()


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=4), elements=st.floats(-1e6, 1e6)), st.data())
def test_property_mse_nonnegative_and_symmetric(y, data):
    t = data.draw(arrays(np.float64, y.shape, elements=st.floats(-1e6, 1e6)))
    assert mse(y, t) >= 0
    assert mse(y, t) == mse(t, y)
    assert rmse(y, t) == pytest.approx(math.sqrt(mse(y, t)), rel=1e-15)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("loss", [cross_entropy, softmax_cross_entropy])
@pytest.mark.parametrize("label", [3, -1, 10])
def test_label_out_of_range(loss, label):
    probs = np.full((2, 3), 1 / 3)
    with pytest.raises(
        ValueError, match=rf"targets must be class labels in \[0, 3\) for C=3 classes, got label {label}"
    ):
        loss(probs, [0, label])


def test_label_out_of_range_single_sample_and_nll():
    with pytest.raises(ValueError, match=r"targets .*\[0, 4\).*got label 4"):
        softmax_cross_entropy([1, 1, 1, 4000], 4)
    with pytest.raises(ValueError, match=r"targets .*\[0, 2\).*got label 5"):
        nll_loss([[-0.1, -2.0]], [5])


@pytest.mark.parametrize("labels", [[0.0, 1.0], [0.5, 1], [True, False]])
def test_non_integer_labels(labels):
    with pytest.raises(ValueError, match=r"targets of shape \(2,\) are class labels and must be integers"):
        cross_entropy(np.full((2, 3), 1 / 3), labels)


@pytest.mark.parametrize("loss", [cross_entropy, nll_loss, softmax_cross_entropy])
def test_target_shape_mismatch_names_both_shapes(loss):
    scores = np.full((2, 3), -1.0) if loss is nll_loss else np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match=r"targets must have shape \(2, 3\).*or \(2,\).*got shape \(4,\)"):
        loss(scores, [0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"targets must have shape.*got shape \(2, 4\)"):
        loss(scores, np.zeros((2, 4)))


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan, np.inf])
def test_cross_entropy_rejects_non_probabilities(bad):
    probs = np.array([[0.5, 0.5], [0.5, bad]])
    with pytest.raises(ValueError, match=rf"probs must be probabilities in \[0, 1\], got {bad!r} at index \(1, 1\)"):
        cross_entropy(probs, [0, 1])


@pytest.mark.parametrize("bad", [-1.0, 2.0, np.nan])
def test_onehot_targets_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"targets of the same shape as probs \(3,\) are one-hot.*\[0, 1\]"):
        cross_entropy([0.2, 0.3, 0.5], [0.0, bad, 1.0])


def test_labels_passed_as_onehot_shape_get_a_hint():
    with pytest.raises(ValueError, match=r"got 2\.0 at index \(0,\); class labels need shape \(\)"):
        cross_entropy([0.5, 0.5], [2, 0])


@pytest.mark.parametrize("shape", [(), (2, 2, 2), (0, 3), (2, 0)])
def test_class_scores_shape(shape):
    with pytest.raises(ValueError, match="logits must"):
        softmax_cross_entropy(np.zeros(shape), 0)


@pytest.mark.parametrize("eps", [-1e-7, 1.0, 2.0, np.nan])
def test_cross_entropy_bad_eps(eps):
    with pytest.raises(ValueError, match="eps must"):
        cross_entropy([0.5, 0.5], 0, eps=eps)


def test_nll_rejects_logits_and_nan():
    with pytest.raises(
        ValueError, match=r"log_probs must be log-probabilities.*got 2\.0 at index \(1,\).*softmax_cross"
    ):
        nll_loss([-1.0, 2.0], 0)
    with pytest.raises(ValueError, match=r"log_probs must be log-probabilities.*nan"):
        nll_loss([-1.0, np.nan], 0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_softmax_cross_entropy_rejects_nan_and_plus_inf(bad):
    with pytest.raises(ValueError, match=rf"logits must be finite or -inf, got {bad!r}"):
        softmax_cross_entropy([[0.0, bad]], [0])


def test_softmax_cross_entropy_rejects_all_minus_inf_row():
    with pytest.raises(ValueError, match=r"logits must have at least one entry > -inf in every row.*row 1"):
        softmax_cross_entropy([[0.0, 1.0], [-np.inf, -np.inf]], [0, 1])


def test_sigmoid_cross_entropy_bad_input():
    with pytest.raises(
        ValueError, match=r"logits and targets must have the same shape, got logits \(3,\) and targets \(2,\)"
    ):
        sigmoid_cross_entropy([0.0, 1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\], got 2\.0 at index \(1,\)"):
        sigmoid_cross_entropy([0.0, 1.0], [0, 2])
    with pytest.raises(ValueError, match="logits must be finite, got -inf"):
        sigmoid_cross_entropy([0.0, -np.inf], [0, 1])
    with pytest.raises(ValueError, match="logits must not be empty"):
        sigmoid_cross_entropy([], [])


def test_mse_bad_input():
    with pytest.raises(ValueError, match=r"y and t must have the same shape, got y \(2,\) and t \(3,\)"):
        mse([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"y and t must have the same shape, got y \(2, 1\) and t \(2,\)"):
        rmse([[1], [2]], [1, 2])  # no silent broadcasting to (2, 2)
    with pytest.raises(TypeError, match="t must be real numbers"):
        mse([1.0], ["a"])
    with pytest.raises(ValueError, match="y must not be empty"):
        mse([], [])


@pytest.mark.parametrize("reduction", ["avg", None, "MEAN"])
def test_bad_reduction(reduction):
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\)"):
        softmax_cross_entropy([1.0, 2.0], 0, reduction=reduction)


@pytest.mark.parametrize("targets", ["1", np.array([object(), 1])])
def test_non_numeric_targets(targets):
    with pytest.raises(TypeError, match="targets must be integer class labels or one-hot rows"):
        cross_entropy([[0.5, 0.5], [0.5, 0.5]], targets)


# ----------------------------------------------------------------------------- the mean never overflows on the way

MAX = np.finfo(np.float64).max
huge = st.floats(0.5 * MAX, MAX)  # near the top of the float range


def exact_mean(values) -> Fraction:
    return sum(Fraction(v) for v in np.asarray(values, dtype=float).reshape(-1).tolist()) / np.size(values)


def rounded(exact: Fraction) -> float:
    """The float64 nearest to exact (Python rounds correctly), inf past the float range."""
    try:
        return float(exact)
    except OverflowError:
        return math.inf


def ulps_from(got: float, exact: Fraction) -> float:
    """|got - exact| in units of the float64 spacing at exact (exact must round to a finite float64)."""
    return float(abs(Fraction(got) - exact) / Fraction(math.ulp(float(exact))))


def assert_mean_is_exact_mean_rounded(got: float, per_sample) -> None:
    """``got`` is finite and within 1.5 ulp of the exact mean of ``per_sample`` (which may hold inf)."""
    per_sample = np.asarray(per_sample, dtype=float)
    assert np.isfinite(per_sample).all()
    assert math.isfinite(got)
    assert ulps_from(got, exact_mean(per_sample)) <= 1.5


@settings(max_examples=200, deadline=None)
@given(st.lists(huge, min_size=2, max_size=20))
def test_property_sigmoid_cross_entropy_mean_near_the_top_of_the_range(magnitudes):
    # per element the loss is |z| (+ log 2 * 0), every one near 1.8e308: the sum overflows, the mean does not
    logits = -np.array(magnitudes)
    targets = np.ones_like(logits)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        per_element = sigmoid_cross_entropy(logits, targets, reduction="none")
        mean = sigmoid_cross_entropy(logits, targets)
        total = sigmoid_cross_entropy(logits, targets, reduction="sum")
    np.testing.assert_array_equal(per_element, magnitudes)
    assert_mean_is_exact_mean_rounded(mean, per_element)
    assert total == rounded(exact_mean(per_element) * len(magnitudes))  # almost always inf: past the float range


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(huge, huge, st.integers(0, 1)), min_size=1, max_size=10), st.integers(0, 10))
def test_property_softmax_cross_entropy_mean_near_the_top_of_the_range(rows, num_easy):
    # logits (a, -b) with a, b near 1.8e308: class 1 costs a + b (mostly past the float range), class 0 costs 0;
    # num_easy rows of zero loss bring the mean back under finfo.max whenever the exact mean is there
    logits = np.array([[a, -b] for a, b, _ in rows] + [[0.0, -1e4]] * num_easy)  # (N, 2)
    labels = np.array([label for _, _, label in rows] + [0] * num_easy)
    # each per-sample loss is a + b rounded once to 53 bits (computed halved, so it never overflows): the mean is
    # within 1.5 ulp of the exact mean of those per-sample values (the module's contract), not of the exact a + b
    exact = [
        2 * Fraction(float((Fraction(a) + Fraction(b)) / 2)) if label == 1 else Fraction(0) for a, b, label in rows
    ]
    exact += [Fraction(0)] * num_easy
    exact_mean_loss = sum(exact) / len(exact)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean = softmax_cross_entropy(logits, labels)
        none = softmax_cross_entropy(logits, labels, reduction="none")
        onehot_mean = softmax_cross_entropy(logits, np.eye(2)[labels])
    assert mean == onehot_mean
    # per sample a + b, mostly past finfo.max: inf in "none", yet counted with its exact size in the mean
    np.testing.assert_array_equal(none, [rounded(e) for e in exact])
    if exact_mean_loss > Fraction(MAX) * (1 + Fraction(1, 2**54)):
        assert mean == np.inf
    else:
        assert math.isfinite(mean)
        assert ulps_from(mean, exact_mean_loss) <= 1.5


def test_the_outside_checks_examples():
    # each exact mean is a float64; summing before dividing gave inf
    assert sigmoid_cross_entropy([-1e308, -1e308], [1, 1]) == 1e308
    assert softmax_cross_entropy([[1e308, 0.0], [1e308, 0.0]], [1, 1]) == 1e308
    assert softmax_cross_entropy([[MAX, -MAX], [0.0, 0.0]], [1, 0]) == MAX  # (2 MAX + log 2) / 2
    assert nll_loss([[-1e308, 0.0]] * 3, [0, 0, 0]) == 1e308
    assert nll_loss([[-1e308, -1e308], [0.0, 0.0]], [[1, 1], [1, 1]]) == 1e308  # a row of several ones
    assert mse([2.0**512, 0.0], [0.0, 0.0]) == 2.0**1023
    assert mse([1e308, 0.0], [-1e308, 0.0]) == np.inf  # (2e308)^2 / 2: the exact mean is past the range
    assert rmse([1e308, 0.0], [-1e308, 0.0]) == pytest.approx(math.sqrt(2) * 1e308, rel=1e-15)
    assert rmse([1e200], [0.0]) == 1e200  # mse is inf, its root is not
    assert rmse([1e-200], [0.0]) == 1e-200  # mse underflows to 0, its root does not
    assert rmse([5e-324], [0.0]) == 5e-324


REDUCIBLE = {  # name -> (loss(x, targets, reduction), draw (x, targets) from a numpy Generator)
    "softmax_cross_entropy": (
        softmax_cross_entropy,
        lambda rng, n: (rng.normal(size=(n, 4)) * 10.0 ** rng.uniform(-3, 300), rng.integers(0, 4, n)),
    ),
    "sigmoid_cross_entropy": (
        sigmoid_cross_entropy,
        lambda rng, n: (rng.normal(size=n) * 10.0 ** rng.uniform(-3, 307), rng.uniform(size=n)),
    ),
    "cross_entropy": (cross_entropy, lambda rng, n: (softmax(rng.normal(size=(n, 5)) * 30), rng.integers(0, 5, n))),
    "nll_loss": (
        nll_loss,
        lambda rng, n: (-np.abs(rng.normal(size=(n, 3))) * 10.0 ** rng.uniform(-3, 307), rng.integers(0, 3, n)),
    ),
    # squares up to 1e300 here: "none" stays finite (test_property_mse_and_rmse_against_fractions goes further)
    "mse": (mse, lambda rng, n: (rng.normal(size=n) * 10.0 ** rng.uniform(-150, 149), rng.normal(size=n))),
}


@pytest.mark.parametrize("name", REDUCIBLE)
@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300))
def test_property_mean_and_sum_against_fractions(name, seed, n):
    # "sum" is the exact sum of the per-sample losses, correctly rounded; "mean" is within 1.5 ulp of the exact mean
    loss, draw = REDUCIBLE[name]
    x, targets = draw(np.random.default_rng(seed), n)
    per_sample = loss(x, targets, reduction="none")
    exact_sum = exact_mean(per_sample) * per_sample.size
    assert loss(x, targets, reduction="sum") == rounded(exact_sum)
    assert ulps_from(loss(x, targets), exact_sum / per_sample.size) <= 1.5


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), scale=st.floats(-170, 154))
def test_property_mse_and_rmse_against_fractions(seed, n, scale):
    # exact: the mean of (y - t)^2 over exact rationals; squares near finfo.max and below the smallest normal
    rng = np.random.default_rng(seed)
    y, t = rng.normal(size=n) * 10.0**scale, rng.normal(size=n) * 10.0**scale
    exact = sum((Fraction(a) - Fraction(b)) ** 2 for a, b in zip(y.tolist(), t.tolist(), strict=True)) / n
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got_mse, got_rmse = mse(y, t), rmse(y, t)
    if exact > Fraction(MAX):
        assert got_mse == np.inf
    elif exact >= Fraction(np.finfo(np.float64).tiny):
        assert ulps_from(got_mse, exact) <= 3  # measured: 1.4
    with mpmath.workprec(200):
        root = mpmath.sqrt(mpmath.mpf(exact.numerator) / exact.denominator)
        assert abs(mpmath.mpf(got_rmse) - root) <= 2 * math.ulp(float(root))  # measured: 1.2 ulp


# ----------------------------------------------------------------------------- float32 and float16 input


float32_logits = arrays(
    np.float32,
    st.tuples(st.integers(1, 6), st.integers(1, 6)),
    elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=200, deadline=None)
@given(float32_logits, st.data())
def test_property_float32_logits_are_reduced_in_float64(logits, data):
    # every float32 loss fits a float64 (|z| <= 3.4e38); computing in float32 gave inf
    n, c = logits.shape
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    as64 = logits.astype(np.float64)
    for reduction in REDUCTIONS:
        ours = softmax_cross_entropy(logits, labels, reduction=reduction)
        np.testing.assert_array_equal(ours, softmax_cross_entropy(as64, labels, reduction=reduction))
        assert np.isfinite(ours).all()
        targets = (np.arange(c) < c // 2).astype(np.float32) * np.ones_like(logits)  # (N, C) of 0 and 1
        ours = sigmoid_cross_entropy(logits, targets, reduction=reduction)
        np.testing.assert_array_equal(ours, sigmoid_cross_entropy(as64, targets, reduction=reduction))
        assert np.isfinite(ours).all()
        ours = mse(logits, np.zeros_like(logits), reduction=reduction)  # squares up to 1.2e77
        np.testing.assert_array_equal(ours, mse(as64, np.zeros(as64.shape), reduction=reduction))
        assert np.isfinite(ours).all()
    assert softmax_cross_entropy(logits, labels, reduction="none").dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_low_precision_input_gives_the_float64_loss(dtype):
    big = float(np.finfo(dtype).max)
    logits = np.array([[big, -big], [0.0, 0.0]], dtype=dtype)
    assert softmax_cross_entropy(logits, [1, 0]) == pytest.approx((2 * big + math.log(2)) / 2, rel=1e-15)
    none = softmax_cross_entropy(logits, [1, 0], reduction="none")
    assert none.dtype == np.float64
    assert none[0] == 2 * big  # 6.8e38 in float32 would have been inf
    assert sigmoid_cross_entropy(np.array([-big], dtype=dtype), np.ones(1, dtype=dtype)) == big
    assert mse(np.array([big], dtype=dtype), np.zeros(1, dtype=dtype)) == big**2
    probs = np.array([[0.25, 0.75]], dtype=dtype)
    assert cross_entropy(probs, [0]) == -math.log(0.25)
    assert nll_loss(np.log(probs), [1]) == pytest.approx(-math.log(0.75), rel=1e-3)
    assert nll_loss(np.log(probs), [1], reduction="none").dtype == np.float64


# ----------------------------------------------------------------------------- non-finite input, documented


def test_mse_non_finite_input_without_warning():
    inf, nan = np.inf, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(mse([nan, 0.0], [0.0, 0.0]))
        assert mse([inf, 0.0], [0.0, 0.0]) == inf
        assert math.isnan(mse([inf], [inf]))  # inf - inf
        assert rmse([inf], [0.0]) == inf
        np.testing.assert_array_equal(mse([inf, 1e200, 2.0], [0.0, 0.0, 0.0], reduction="none"), [inf, inf, 4.0])


def test_classification_losses_never_warn_for_finite_input():
    logits = np.array([[MAX, -MAX, 0.0], [-MAX, -MAX, 5e-324], [0.0, -0.0, -np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for reduction in REDUCTIONS:
                for labels in ([1, 0, 2], [0, 2, 0]):
                    softmax_cross_entropy(logits, labels, reduction=reduction)
                sigmoid_cross_entropy(logits[:, :2], np.ones((3, 2)), reduction=reduction)
                nll_loss(log_softmax(logits), [0, 2, 1], reduction=reduction)
                cross_entropy(softmax(logits[:2]), [0, 1], reduction=reduction)
    assert softmax_cross_entropy(logits, [0, 2, 2], reduction="none")[2] == np.inf  # target logit -inf


def test_tiny_losses_keep_their_relative_accuracy():
    # log(1 + e^-40) computed as log of the rounded 1 + e^-40 would be log(1.0) = 0 (PyTorch returns 0 here)
    assert softmax_cross_entropy([0.0, -40.0], 0) == pytest.approx(math.exp(-40), rel=1e-15)
    assert nll_loss(log_softmax([0.0, -40.0]), 0) == pytest.approx(math.exp(-40), rel=1e-15)
    assert sigmoid_cross_entropy(40.0, 1.0) == pytest.approx(math.exp(-40), rel=1e-15)


# ----------------------------------------------------------------------------- ragged input


RAGGED = [[0, 1], [1]]
RAGGED_WHERE = r"got a ragged nested sequence: {0}\[0\] has 2 entries but {0}\[1\] has 1 entry"


@pytest.mark.parametrize("loss", [cross_entropy, nll_loss, softmax_cross_entropy])
def test_ragged_targets_name_targets_and_the_shapes_expected(loss):
    scores = np.log(np.full((2, 2), 0.5)) if loss is nll_loss else np.full((2, 2), 0.5)
    expected = r"targets must be a rectangular array of shape \(2, 2\) \(one-hot rows\) or \(2,\) \(class labels\)"
    with pytest.raises(ValueError, match=expected + ".*" + RAGGED_WHERE.format("targets")):
        loss(scores, RAGGED)


@pytest.mark.parametrize(
    ("loss", "name"), [(cross_entropy, "probs"), (nll_loss, "log_probs"), (softmax_cross_entropy, "logits")]
)
def test_ragged_scores_name_the_argument(loss, name):
    expected = rf"{name} must be a rectangular array of shape \(C,\) for one sample or \(N, C\) for a mini-batch"
    with pytest.raises(ValueError, match=expected + ", " + RAGGED_WHERE.format(name)):
        loss([[0.0, 0.0], [0.0]], [0, 1])


@pytest.mark.parametrize(
    ("loss", "first", "second"),
    [(mse, "y", "t"), (rmse, "y", "t"), (sigmoid_cross_entropy, "logits", "targets")],
)
def test_ragged_elementwise_inputs_name_the_argument(loss, first, second):
    with pytest.raises(
        ValueError, match=rf"^{first} must be a rectangular array of any shape, " + RAGGED_WHERE.format(first)
    ):
        loss(RAGGED, [[0, 1], [1, 0]])
    with pytest.raises(
        ValueError, match=rf"^{second} must be a rectangular array of shape \(2, 2\), the shape of {first}"
    ):
        loss([[0.0, 1.0], [1.0, 0.0]], RAGGED)


@pytest.mark.parametrize(
    "ragged",
    [
        [1, [0]],  # a number beside a list
        [[[0, 1], [1, 0]], [[0, 1], [1]]],  # ragged one level further down
        [np.zeros(2), np.zeros(1)],  # arrays of different lengths
    ],
)
def test_ragged_at_any_depth(ragged):
    with pytest.raises(
        ValueError, match=r"^targets must be a rectangular array .* got a ragged nested sequence: targets\["
    ):
        softmax_cross_entropy(np.zeros((2, 2)), ragged)
