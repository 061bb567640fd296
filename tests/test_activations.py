"""dlscratch.activations: values and derivatives vs torch, properties, bad input, no mutation."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlscratch import activations as act

EPS = np.finfo(np.float64).eps
EXTREMES = np.array([-1000.0, -745.0, -710.0, -709.5, -40.0, -1e-300, 0.0, 1e-300, 40.0, 709.5, 710.0, 1000.0])
X = np.concatenate([np.linspace(-40, 40, 801), EXTREMES])

# (ours, our derivative, torch equivalent); leaky slope 0.01 is the default of both libraries
PAIRS = {
    "sigmoid": (act.sigmoid, act.sigmoid_grad, torch.sigmoid),
    "tanh": (act.tanh, act.tanh_grad, torch.tanh),
    "relu": (act.relu, act.relu_grad, torch.relu),
    "leaky_relu": (act.leaky_relu, act.leaky_relu_grad, F.leaky_relu),
    "leaky_relu_0.2": (
        lambda x: act.leaky_relu(x, 0.2),
        lambda x: act.leaky_relu_grad(x, 0.2),
        lambda t: F.leaky_relu(t, 0.2),
    ),
}
FUNCTIONS = [
    act.step,
    act.step_grad,
    act.sigmoid,
    act.sigmoid_grad,
    act.sigmoid_clipped,
    act.tanh,
    act.tanh_grad,
    act.relu,
    act.relu_grad,
    act.leaky_relu,
    act.leaky_relu_grad,
]
floats64 = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, width=64)


def torch_value_and_grad(f_torch, x: np.ndarray):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = f_torch(t)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("name", PAIRS)
def test_values_match_torch_to_1e_15(name):
    f, _, f_torch = PAIRS[name]
    expected, _ = torch_value_and_grad(f_torch, X)
    # below the smallest normal float (σ(x) for x < -708) torch rounds to 0; ours keeps subnormals
    np.testing.assert_allclose(f(X), expected, rtol=1e-15, atol=np.finfo(np.float64).tiny)


@pytest.mark.parametrize("name", PAIRS)
def test_derivatives_match_torch_autograd(name):
    # torch's backward computes y(1-y) and 1-y^2, exact to one eps in absolute terms (see chapter 1)
    _, df, f_torch = PAIRS[name]
    _, expected = torch_value_and_grad(f_torch, X)
    np.testing.assert_allclose(df(X), expected, rtol=0, atol=EPS)


def test_step_matches_torch_heaviside():
    expected = torch.heaviside(torch.tensor(X), torch.tensor(0.0, dtype=torch.float64)).numpy()
    assert np.array_equal(act.step(X), expected)
    assert np.all(act.step_grad(X) == 0)


@pytest.mark.parametrize(
    ("f", "df"),
    [
        (act.sigmoid, act.sigmoid_grad),
        (act.tanh, act.tanh_grad),
        (act.relu, act.relu_grad),
        (act.leaky_relu, act.leaky_relu_grad),
    ],
)
def test_derivative_is_the_central_difference(f, df):
    x = np.linspace(-5, 5, 1001)
    x = x[np.abs(x) > 1e-3]
    h = 1e-6
    np.testing.assert_allclose(df(x), (f(x + h) - f(x - h)) / (2 * h), rtol=0, atol=1e-8)


@pytest.mark.parametrize("x", [30.0, 100.0, 700.0, -30.0, -700.0])
def test_tail_derivatives_keep_relative_accuracy(x):
    z = math.exp(-abs(x))
    assert act.sigmoid_grad(x) == pytest.approx(z / (1 + z) ** 2, rel=1e-14)
    z2 = math.exp(-2 * abs(x))
    assert act.tanh_grad(x) == pytest.approx(4 * z2 / (1 + z2) ** 2, rel=1e-14)


def test_sigmoid_never_overflows_or_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y = act.sigmoid(EXTREMES)
    assert np.all(np.isfinite(y))
    assert y[0] == 0.0
    assert y[-1] == 1.0
    assert act.sigmoid(-740.0) == pytest.approx(math.exp(-740.0), rel=1e-12)


def test_clipped_sigmoid_collapses_the_far_tail():
    assert act.sigmoid_clipped(-740.0) == act.sigmoid_clipped(-709.0)
    assert act.sigmoid(-740.0) < act.sigmoid(-709.0)
    np.testing.assert_allclose(
        act.sigmoid_clipped(np.linspace(-700, 700, 51)), act.sigmoid(np.linspace(-700, 700, 51)), rtol=1e-13, atol=0
    )


def test_the_naive_formula_does_overflow():
    # the reason sigmoid() exists: if this stopped warning, the chapter's claim would be wrong
    with pytest.warns(RuntimeWarning, match="overflow"):
        1 / (1 + np.exp(-np.array([-1000.0])))


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=floats64))
@settings(max_examples=150, deadline=None)
def test_sigmoid_properties(x):
    s = act.sigmoid(x)
    assert s.shape == x.shape
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(act.sigmoid(-x), 1 - s, rtol=0, atol=2 * EPS)  # symmetric about (0, 1/2)
    assert np.all(act.sigmoid_grad(x) <= 0.25)
    assert np.all(act.tanh_grad(x) <= 1.0)


@given(st.lists(floats64, min_size=2, max_size=40))
@settings(max_examples=150, deadline=None)
def test_monotone(values):
    x = np.sort(np.array(values))
    for f in (act.sigmoid, act.tanh, act.relu, act.leaky_relu, act.step):
        assert np.all(np.diff(f(x)) >= 0), f.__name__


@given(arrays(np.float64, array_shapes(max_dims=2, max_side=6), elements=floats64))
@settings(max_examples=100, deadline=None)
def test_tanh_is_odd_and_bounded(x):
    t = act.tanh(x)
    assert np.all(np.abs(t) <= 1)
    np.testing.assert_array_equal(act.tanh(-x), -t)
    np.testing.assert_allclose(t, 2 * act.sigmoid(2 * x) - 1, rtol=0, atol=4 * EPS)


@pytest.mark.parametrize("f", FUNCTIONS)
@pytest.mark.parametrize("shape", [(), (7,), (2, 3), (2, 3, 4, 5)])
def test_any_shape_and_input_unchanged(f, shape):
    x = np.random.default_rng(0).normal(scale=5, size=shape)
    before = x.copy()
    y = f(x)
    assert np.shape(y) == shape
    np.testing.assert_array_equal(x, before)
    assert y is not x


@pytest.mark.parametrize("f", FUNCTIONS)
def test_scalar_in_scalar_out(f):
    y = f(0.5)
    assert isinstance(y, np.float64)


@pytest.mark.parametrize("f", [act.sigmoid, act.tanh, act.relu, act.leaky_relu, act.step])
def test_float32_stays_float32_and_ints_become_float64(f):
    assert f(np.array([1.0, -2.0], dtype=np.float32)).dtype == np.float32
    assert f(np.array([1, -2])).dtype == np.float64
    assert f([True, False]).dtype == np.float64


@pytest.mark.parametrize("f", FUNCTIONS)
def test_nan_propagates(f):
    assert np.isnan(f(np.array([np.nan]))[0])


@pytest.mark.parametrize("f", FUNCTIONS)
@pytest.mark.parametrize("bad", ["1.0", np.array(["a", "b"]), np.array([1 + 2j]), {"x": 1}, None])
def test_non_numeric_input_is_a_clear_type_error(f, bad):
    with pytest.raises(TypeError, match=r"x must be real numbers"):
        f(bad)


@pytest.mark.parametrize("f", FUNCTIONS)
@pytest.mark.parametrize(
    ("ragged", "where"),
    [
        ([[1, 2], [3]], r"x\[0\] has 2 entries but x\[1\] has 1 entry"),
        ([1.0, [2.0]], r"x\[0\] is a scalar but x\[1\] has 1 entry"),
        ([[[1, 2], [3]], [[4, 5], [6, 7]]], r"x\[0\]\[0\] has 2 entries but x\[0\]\[1\] has 1 entry"),
        ([np.zeros(3), np.zeros(2)], r"x\[0\] has 3 entries but x\[1\] has 2 entries"),
    ],
)
def test_ragged_input_is_a_value_error_saying_where(f, ragged, where):
    # numpy's own message ("setting an array element with a sequence") names neither argument nor place
    with pytest.raises(ValueError, match=r"^x must be a rectangular array, got a ragged nested sequence: " + where):
        f(ragged)


@pytest.mark.parametrize("f", [act.leaky_relu, act.leaky_relu_grad])
@pytest.mark.parametrize(("slope", "error"), [(-0.1, ValueError), (float("nan"), ValueError), ("0.1", TypeError)])
def test_bad_slope(f, slope, error):
    with pytest.raises(error, match="negative_slope"):
        f(1.0, negative_slope=slope)


# ----------------------------------------------------------------------------- the whole float range, every dtype

DTYPES = [np.float16, np.float32, np.float64]


def special_values(dtype) -> np.ndarray:
    """Both signs of: the largest finite float, a third of it, 1e4, the smallest normal and subnormal, 0, inf."""
    info = np.finfo(dtype)
    big = [info.max, info.max / 3, min(1e4, float(info.max) / 7), info.tiny, info.smallest_subnormal, 0.0, np.inf]
    return np.array([sign * v for v in big for sign in (-1, 1)], dtype=dtype)


def quiet(f, *args, **kwargs):
    """Call f with every numpy floating-point event (underflow included) raised as an error, and warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return f(*args, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("f", FUNCTIONS)
def test_special_values_never_warn_and_keep_the_dtype(f, dtype):
    x = special_values(dtype)
    y = quiet(f, x)
    assert y.dtype == dtype
    assert np.isfinite(y[np.isfinite(x)]).all()  # finite in, finite out (leaky_relu's default slope is 0.01)
    assert not np.isnan(y).any()  # no NaN from inf either
    assert np.isnan(quiet(f, np.array([np.nan], dtype=dtype))).all()


def test_tanh_grad_at_huge_inputs_is_zero_without_warning():
    # the outside check: 2|x| overflowed for |x| > 8.99e307 (numpy's "overflow encountered in multiply")
    for dtype in DTYPES:
        big = np.finfo(dtype).max
        x = np.array([-big, -big / 2, big / 2 * 1.0001, big], dtype=dtype)
        np.testing.assert_array_equal(quiet(act.tanh_grad, x), 0.0)
    assert quiet(act.tanh_grad, 1e308) == 0.0
    assert quiet(act.tanh_grad, -1e308) == 0.0


def test_documented_values_at_inf_and_minus_zero():
    inf = np.inf
    expected = {  # f(-inf), f(inf)
        act.step: [0, 1],
        act.step_grad: [0, 0],
        act.sigmoid: [0, 1],
        act.sigmoid_grad: [0, 0],
        act.sigmoid_clipped: [1 / (1 + math.exp(709)), 1],
        act.tanh: [-1, 1],
        act.tanh_grad: [0, 0],
        act.relu: [0, inf],
        act.relu_grad: [0, 1],
        act.leaky_relu: [-inf, inf],
        act.leaky_relu_grad: [0.01, 1],
    }
    for f, values in expected.items():
        np.testing.assert_array_equal(quiet(f, np.array([-inf, inf])), values, err_msg=f.__name__)
    assert quiet(act.leaky_relu, -inf, negative_slope=0.0) == 0.0  # as relu, not 0 * -inf = NaN
    assert quiet(act.leaky_relu, -1e308, negative_slope=10.0) == -inf  # -1e309 is past the float range
    # -0.0 is 0 everywhere; the sign survives where the formula keeps it
    assert math.copysign(1, act.tanh(-0.0)) == -1
    assert math.copysign(1, act.leaky_relu(-0.0)) == -1
    assert math.copysign(1, act.relu(-0.0)) == 1
    for f in FUNCTIONS:
        assert f(-0.0) == f(0.0), f.__name__


@pytest.mark.parametrize("dtype", DTYPES)
def test_subnormal_inputs(dtype):
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.array([-tiny, tiny], dtype=dtype)
    np.testing.assert_array_equal(quiet(act.sigmoid, x), 0.5)
    np.testing.assert_array_equal(quiet(act.sigmoid_grad, x), 0.25)
    np.testing.assert_array_equal(quiet(act.tanh, x), x)  # tanh(x) = x - x^3/3: x is the nearest float
    np.testing.assert_array_equal(quiet(act.tanh_grad, x), 1.0)
    np.testing.assert_array_equal(quiet(act.relu, x), [0, tiny])
    np.testing.assert_array_equal(quiet(act.leaky_relu, x), [0, tiny])  # 0.01 * -tiny rounds to -0.0
    np.testing.assert_array_equal(quiet(act.relu_grad, x), [0, 1])


def test_clipped_sigmoid_in_float32_is_float64_rounded():
    # the bound 709 is a float64 bound: in float32, e^709 overflowed (inf, RuntimeWarning) before the fix
    x = np.array([-1000.0, -709.0, -100.0, -80.0, 0.0, 30.0], dtype=np.float32)
    out = quiet(act.sigmoid_clipped, x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, act.sigmoid_clipped(x.astype(np.float64)).astype(np.float32))
    np.testing.assert_allclose(out, act.sigmoid(x), rtol=1e-6, atol=1e-44)


# ----------------------------------------------------------------------------- accuracy against mpmath

EXACT = {  # evaluated with 200-bit mpmath numbers (see ulp_error)
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "sigmoid_grad": lambda x: mpmath.exp(-abs(x)) / (1 + mpmath.exp(-abs(x))) ** 2,
    "tanh": mpmath.tanh,
    "tanh_grad": lambda x: 4 * mpmath.exp(-2 * abs(x)) / (1 + mpmath.exp(-2 * abs(x))) ** 2,
}
# the largest errors over 80 000 log-uniform inputs per case: 2.1, 4.0, 1.2, 3.9 ulp (float64);
# 2.7, 3.9, 1.4, 3.9 ulp (float32, computed in float32, whose exp alone is off by up to 2.2 ulp)
ULP_BOUND = {"sigmoid": 3.0, "sigmoid_grad": 5.0, "tanh": 1.5, "tanh_grad": 5.0}
ULP_BOUND_32 = {"sigmoid": 4.0, "sigmoid_grad": 6.0, "tanh": 2.0, "tanh_grad": 6.0}


def ulp_error(got, name: str, x, dtype) -> float:
    """|got - f(x)| for f = EXACT[name], in units of dtype's spacing at f(x) (the smallest subnormal near 0)."""
    with mpmath.workprec(200):
        exact = EXACT[name](mpmath.mpf(float(x)))
        nearest = abs(dtype(float(exact)))
        spacing = max(float(np.spacing(nearest)), float(np.finfo(dtype).smallest_subnormal))
        return float(abs(mpmath.mpf(float(got)) - exact) / spacing)


@pytest.mark.parametrize("name", list(EXACT))
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
@settings(max_examples=300, deadline=None)
def test_accurate_for_every_finite_float64(name, x):
    assert ulp_error(quiet(getattr(act, name), x), name, x, np.float64) <= ULP_BOUND[name]


@pytest.mark.parametrize("name", list(EXACT))
@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
@settings(max_examples=300, deadline=None)
def test_accurate_for_every_finite_float32(name, x):
    got = quiet(getattr(act, name), np.float32(x))
    assert got.dtype == np.float32
    assert ulp_error(got, name, x, np.float32) <= ULP_BOUND_32[name]


@pytest.mark.parametrize("name", list(EXACT))
@given(st.floats(min_value=-40, max_value=40, width=64))
@settings(max_examples=300, deadline=None)
def test_accurate_where_the_values_vary(name, x):
    # the whole-range tests mostly draw huge |x|, where the results are 0, 1 or -1; this one stays in the middle
    assert ulp_error(quiet(getattr(act, name), x), name, x, np.float64) <= ULP_BOUND[name]


def test_tanh_grad_near_its_cap_is_still_accurate():
    # below the cap (373.9) the results are tiny normal or subnormal numbers: capping must not change them
    x = np.linspace(340.0, 380.0, 401)
    got = quiet(act.tanh_grad, x)
    assert max(ulp_error(g, "tanh_grad", v, np.float64) for g, v in zip(got, x, strict=True)) <= ULP_BOUND["tanh_grad"]
    assert got[0] > 0
    assert got[-1] == 0
