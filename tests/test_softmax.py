"""Tests for dlscratch.softmax: torch parity, extreme inputs, properties, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlscratch.softmax import log_softmax, logsumexp, softmax, softmax_naive

FUNCTIONS = [softmax, log_softmax, logsumexp]
SHAPES = [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 5)]
SHAPE_AXIS = [(shape, axis) for shape in SHAPES for axis in range(-len(shape), len(shape))]

MAX = np.finfo(np.float64).max
wide_floats = st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False)
wide_arrays = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), elements=wide_floats)


def _torch(fn_name, x, axis):
    t = torch.from_numpy(x)
    return getattr(torch, fn_name)(t, dim=axis).numpy()


@pytest.fixture
def no_warnings():
    """Turn any warning into an error inside the test, even when pytest runs without -W error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ----------------------------------------------------------------------------- parity with torch


@pytest.mark.parametrize(("shape", "axis"), SHAPE_AXIS)
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_matches_torch(shape, axis, scale):
    x = np.random.default_rng(0).normal(size=shape) * scale
    np.testing.assert_allclose(softmax(x, axis=axis), _torch("softmax", x, axis), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(log_softmax(x, axis=axis), _torch("log_softmax", x, axis), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(logsumexp(x, axis=axis), _torch("logsumexp", x, axis), rtol=1e-12, atol=1e-12)


def test_default_axis_is_last():
    x = np.arange(12.0).reshape(3, 4)  # (N, C)
    np.testing.assert_allclose(softmax(x), softmax(x, axis=1))
    np.testing.assert_allclose(softmax(x).sum(axis=1), np.ones(3))
    assert logsumexp(x).shape == (3,)
    assert logsumexp(x, axis=0).shape == (4,)


def test_non_finite_rows_match_torch(no_warnings):
    inf, nan = math.inf, math.nan
    x = np.array(
        [
            [1.0, -inf, 2.0],  # -inf is a class with probability 0
            [-inf, -inf, -inf],  # no defined softmax: NaN, logsumexp -inf
            [1.0, inf, 2.0],  # +inf: NaN, logsumexp +inf
            [inf, inf, inf],
            [-inf, inf, 0.0],
            [nan, 1.0, 2.0],  # NaN propagates to the whole row
        ]
    )
    for name, fn in [("softmax", softmax), ("log_softmax", log_softmax), ("logsumexp", logsumexp)]:
        ours, theirs = fn(x), _torch(name, x, -1)
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=name)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(softmax(x)[0], [1 / (1 + math.e), 0.0, math.e / (1 + math.e)], rtol=1e-12)
    assert np.isnan(softmax(x)[1]).all()
    assert logsumexp(x)[1] == -inf
    assert logsumexp(x)[2] == inf
    assert np.isnan(softmax(x)[5]).all()
    assert np.isnan(logsumexp(x)[5])


# ----------------------------------------------------------------------------- extreme finite input


def test_notes_example_1_1_1_4000(no_warnings):
    x = [1, 1, 1, 4000]
    np.testing.assert_array_equal(softmax(x), [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(log_softmax(x), [-3999.0, -3999.0, -3999.0, 0.0])
    assert float(logsumexp(x)) == 4000.0


@pytest.mark.parametrize("big", [1e308, MAX, -1e308, -MAX])
def test_huge_equal_entries(no_warnings, big):
    np.testing.assert_array_equal(softmax([big, big]), [0.5, 0.5])
    np.testing.assert_allclose(log_softmax([big, big]), [-math.log(2)] * 2, rtol=1e-15)
    # big + log 2 rounds to big: log 2 is far below the spacing of floats near 1e308
    assert float(logsumexp([big, big])) == big
    assert np.isfinite(logsumexp([big, big]))


def test_opposite_extremes(no_warnings):
    # x - max(x) = -2e308 overflows to -inf: harmless (exp gives 0), and silent
    np.testing.assert_array_equal(softmax([-1e308, 1e308]), [0.0, 1.0])
    np.testing.assert_array_equal(softmax([[MAX, -MAX], [-MAX, MAX]], axis=0), [[1.0, 0.0], [0.0, 1.0]])
    assert float(logsumexp([-MAX, MAX])) == MAX
    np.testing.assert_array_equal(log_softmax([-1e308, 1e308]), [-np.inf, 0.0])


def test_log_softmax_beats_log_of_softmax(no_warnings):
    x = np.array([0.0, -800.0])
    assert softmax(x)[1] == 0.0  # underflows, so log(softmax) would be -inf
    np.testing.assert_allclose(log_softmax(x), [0.0, -800.0], rtol=1e-15)


def test_float32_kept_and_stable(no_warnings):
    x = np.array([[0.0, 100.0], [1e38, -1e38]], dtype=np.float32)  # exp(100) overflows float32
    for fn in FUNCTIONS:
        out = fn(x)
        assert out.dtype == np.float32, fn.__name__
        assert np.isfinite(out).all(), fn.__name__
    np.testing.assert_allclose(softmax(x)[0], [math.exp(-100), 1.0], rtol=1e-6, atol=1e-44)


@pytest.mark.parametrize("x", [[1, 2, 3], [True, False], 3 * [np.int8(2)]])
def test_integer_and_bool_input_give_float64(x):
    for fn in FUNCTIONS:
        assert fn(x).dtype == np.float64


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_input_unchanged_and_not_shared(fn):
    x = np.random.default_rng(1).normal(size=(3, 4))
    before = x.copy()
    out = fn(x)
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(out, x)


# ----------------------------------------------------------------------------- the naive version


def test_softmax_naive_agrees_when_nothing_overflows():
    x = np.random.default_rng(2).normal(size=(4, 6))
    np.testing.assert_allclose(softmax_naive(x), softmax(x), rtol=1e-13)
    np.testing.assert_allclose(softmax_naive(x, axis=0), softmax(x, axis=0), rtol=1e-13)


@pytest.mark.parametrize(
    "x",
    [
        np.array([1.0, 1.0, 1.0, 4000.0]),  # the notes' example: exp(4000) = inf in float64
        np.array([0.0, 100.0], dtype=np.float32),  # float32 overflows beyond ~88.7
    ],
)
def test_softmax_naive_overflows_visibly(x):
    with pytest.warns(RuntimeWarning) as record:
        out = softmax_naive(x)
    messages = " | ".join(str(w.message) for w in record)
    assert "overflow encountered in exp" in messages
    assert "invalid value encountered in divide" in messages  # inf / inf
    assert np.isnan(out[-1])
    np.testing.assert_array_equal(softmax(x)[-1], 1.0)  # the stable version is fine


# ----------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(wide_arrays)
def test_property_finite_and_sums_to_one(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs = softmax(x)
        lse = logsumexp(x)
        log_probs = log_softmax(x)
    assert not np.isnan(probs).any()
    assert ((probs >= 0) & (probs <= 1)).all()
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(lse).all()
    assert not np.isnan(log_probs).any()
    assert (log_probs <= 0).all()


@settings(max_examples=200, deadline=None)
@given(wide_arrays)
def test_property_logsumexp_bounds(x):
    lse = logsumexp(x)
    top = x.max(axis=-1)
    num_classes = x.shape[-1]
    assert (lse >= top).all()
    assert (lse <= top + math.log(num_classes) + 1e-12 * np.abs(top) + 1e-12).all()


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5), elements=st.floats(-100, 100)),
    st.floats(-1e5, 1e5),
)
def test_property_shift_invariance(x, c):
    # exp(x + c) overflows for c near 1e5: only the max-shift makes this hold
    np.testing.assert_allclose(softmax(x + c), softmax(x), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(logsumexp(x + c), logsumexp(x) + c, rtol=1e-12, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(-50, 50)))
def test_property_log_softmax_is_log_of_softmax(x):
    np.testing.assert_allclose(np.exp(log_softmax(x)), softmax(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(log_softmax(x), x - logsumexp(x)[..., None], rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    arrays(
        np.float32,
        array_shapes(min_dims=1, max_dims=2, max_side=6),
        elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
    )
)
def test_property_float32_never_nan(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probs = softmax(x)
    assert probs.dtype == np.float32
    assert not np.isnan(probs).any()
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-5)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("fn", [*FUNCTIONS, softmax_naive])
def test_scalar_input_rejected(fn):
    with pytest.raises(ValueError, match=r"x must have at least 1 dimension.*3\.0"):
        fn(3.0)


@pytest.mark.parametrize("fn", [*FUNCTIONS, softmax_naive])
def test_axis_out_of_range(fn):
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\).*got 2"):
        fn(np.zeros((2, 3)), axis=2)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_axis_not_int(fn):
    with pytest.raises(TypeError, match=r"axis must be an int.*1\.5"):
        fn(np.zeros((2, 3)), axis=1.5)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_empty_axis(fn):
    with pytest.raises(ValueError, match=r"x must have at least one entry along axis 1, got shape \(2, 0\)"):
        fn(np.zeros((2, 0)))


@pytest.mark.parametrize("bad", ["abc", [1 + 2j, 3]])
def test_non_numeric_input(bad):
    with pytest.raises(TypeError, match="x must be real numbers"):
        softmax(bad)


@pytest.mark.parametrize("fn", [*FUNCTIONS, softmax_naive])
def test_ragged_input_names_x_and_where(fn):
    # numpy's own "setting an array element with a sequence" names neither the argument nor the place
    with pytest.raises(
        ValueError,
        match=r"^x must be a rectangular array, got a ragged nested sequence: x\[0\] has 2 entries but x\[1\] has 1",
    ):
        fn([[1.0, 2.0], [3.0]])


# ----------------------------------------------------------------------------- accuracy of log-sums near 0


def test_log_sum_close_to_zero_keeps_its_relative_accuracy(no_warnings):
    # log(1 + e^-40) of the rounded sum 1 + e^-40 = 1.0 would be 0 (PyTorch returns 0 here)
    assert float(logsumexp([0.0, -40.0])) == pytest.approx(math.exp(-40), rel=1e-15)
    assert log_softmax([0.0, -40.0])[0] == pytest.approx(-math.exp(-40), rel=1e-15)
    assert log_softmax([-40.0, 0.0, -40.0])[1] == pytest.approx(-2 * math.exp(-40), rel=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, array_shapes(min_dims=1, max_dims=1, min_side=1, max_side=8), elements=st.floats(-745, -1)),
    st.integers(0, 7),
)
def test_property_log_softmax_of_the_top_entry(rest, position):
    # with the maximum 0 the terms are exactly exp(rest): the top entry's log-probability is -log1p(sum exp(rest))
    x = np.insert(rest, min(position, rest.size), 0.0)
    expected = -math.log1p(math.fsum(math.exp(v) for v in rest))
    np.testing.assert_allclose(log_softmax(x)[min(position, rest.size)], expected, rtol=1e-15, atol=0)
    np.testing.assert_allclose(float(logsumexp(x)), -expected, rtol=1e-15, atol=0)


def test_underflow_is_silent_even_when_numpy_raises_on_it():
    x = np.array([[0.0, -800.0, 1e-310], [-1e308, 1e308, 0.0]])
    with np.errstate(all="raise"):
        for fn in FUNCTIONS:
            fn(x)
