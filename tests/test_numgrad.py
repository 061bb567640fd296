"""Tests for dlscratch.numgrad: derivatives, gradients of any shape, no mutation, descent, checks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlscratch.numgrad import (
    GradientCheckResult,
    forward_diff,
    gradient_check,
    gradient_descent,
    numerical_diff,
    numerical_gradient,
    rel_error,
)


def function_1(x):
    """The notes' example f(x) = 0.01 x² + 0.1 x, f'(x) = 0.02 x + 0.1."""
    return 0.01 * x**2 + 0.1 * x


def function_2(x):
    """The notes' example f(x0, x1) = x0² + x1²."""
    return x[0] ** 2 + x[1] ** 2


# ----------------------------------------------------------------------------- scalar derivatives


@pytest.mark.parametrize(("x", "slope"), [(5.0, 0.2), (10.0, 0.3), (-5, 0.0)])
def test_numerical_diff_notes_example(x, slope):
    assert numerical_diff(function_1, x) == pytest.approx(slope, abs=1e-10)
    assert isinstance(numerical_diff(function_1, x), float)


def test_central_beats_forward():
    central_error = abs(numerical_diff(math.exp, 0.0) - 1.0)
    forward_error = abs(forward_diff(math.exp, 0.0) - 1.0)
    assert central_error < 1e-8  # ~ h²/6
    assert forward_error == pytest.approx(0.5e-4, rel=1e-3)  # ~ h/2: f''(0) h / 2


def test_error_orders():
    # halving h divides the central error by 4 (O(h²)) and the forward error by 2 (O(h))
    def errors(diff, h):
        return abs(diff(math.sin, 1.0, h=h) - math.cos(1.0))

    assert errors(numerical_diff, 1e-2) / errors(numerical_diff, 5e-3) == pytest.approx(4.0, rel=1e-3)
    assert errors(forward_diff, 1e-2) / errors(forward_diff, 5e-3) == pytest.approx(2.0, rel=1e-2)


def test_too_small_h_loses_to_rounding():
    # the notes' warning: h = 1e-50 makes x + h == x, so the difference is 0
    assert numerical_diff(function_1, 5.0, h=1e-50) == 0.0
    assert abs(numerical_diff(math.exp, 0.0, h=1e-13) - 1.0) > abs(numerical_diff(math.exp, 0.0) - 1.0)


def test_numerical_diff_accepts_numpy_scalars():
    assert numerical_diff(np.square, np.float32(3.0)) == pytest.approx(6.0, rel=1e-6)
    assert numerical_diff(np.square, np.array(3.0)) == pytest.approx(6.0, rel=1e-9)


# ----------------------------------------------------------------------------- gradients of any shape


@pytest.mark.parametrize(
    ("x", "expected"), [([3.0, 4.0], [6.0, 8.0]), ([0.0, 2.0], [0.0, 4.0]), ([3.0, 0.0], [6.0, 0.0])]
)
def test_numerical_gradient_notes_example(x, expected):
    np.testing.assert_allclose(numerical_gradient(function_2, np.array(x)), expected, rtol=1e-8, atol=1e-8)


def test_numerical_gradient_3d_matches_analytic():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    weights = rng.normal(size=(2, 3, 4))

    def f(v):
        return float(np.sum(np.sin(v) * weights) + 0.5 * np.sum(v**2) + v[1, 2, 3] * v[0, 0, 0])

    analytic = np.cos(x) * weights + x
    analytic[1, 2, 3] += x[0, 0, 0]
    analytic[0, 0, 0] += x[1, 2, 3]
    grad = numerical_gradient(f, x)
    assert grad.shape == (2, 3, 4)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, analytic, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_4d_matches_torch_autograd():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 2, 3, 3))  # (N, C, H, W)

    def f(v):
        return float(np.sum(np.tanh(v) ** 2) + np.prod(v[0, 0, 0]))

    x_torch = torch.from_numpy(x.copy()).requires_grad_(True)
    (torch.sum(torch.tanh(x_torch) ** 2) + torch.prod(x_torch[0, 0, 0])).backward()
    np.testing.assert_allclose(numerical_gradient(f, x), x_torch.grad.numpy(), rtol=1e-6, atol=1e-8)


def test_numerical_gradient_0d():
    grad = numerical_gradient(lambda v: v**3, np.array(2.0))
    assert grad.shape == ()
    assert float(grad) == pytest.approx(12.0, rel=1e-8)
    assert float(numerical_gradient(lambda v: v**3, 2.0)) == pytest.approx(12.0, rel=1e-8)


def test_numerical_gradient_integer_input():
    # the notes' version wrote x[i] = tmp + h into an int array, truncating h away (gradient 0)
    x = np.array([3, 4])
    np.testing.assert_allclose(numerical_gradient(function_2, x), [6.0, 8.0], rtol=1e-8)
    assert x.dtype.kind == "i"


def test_numerical_gradient_float32_input():
    x = np.array([[1.0, -2.0]], dtype=np.float32)
    grad = numerical_gradient(lambda v: np.sum(v**2), x)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [[2.0, -4.0]], rtol=1e-8)
    assert x.dtype == np.float32


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=3), elements=st.floats(-10, 10)),
    st.floats(0.1, 5),
)
def test_property_gradient_of_weighted_cubic(x, c):
    grad = numerical_gradient(lambda v: c * np.sum(v**3) + np.sum(v), x)
    np.testing.assert_allclose(grad, 3 * c * x**2 + 1, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- never mutates the caller's array


def test_numerical_gradient_leaves_x_unchanged():
    x = np.random.default_rng(2).normal(size=(3, 2))
    before = x.copy()
    seen = []

    def f(v):
        seen.append(v)
        assert v.shape == x.shape
        assert not np.shares_memory(v, x)
        return float(np.sum(v**2))

    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert len(seen) == 2 * x.size


def test_numerical_gradient_leaves_x_unchanged_when_f_raises_midway():
    x = np.arange(6.0).reshape(2, 3)  # (2, 3)
    before = x.copy()
    calls = 0

    def f(v):
        nonlocal calls
        calls += 1
        if calls == 4:  # in the middle of the second entry, while it is perturbed by -h
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_leaves_x_unchanged_when_f_writes_into_its_argument():
    x = np.ones(4)

    def f(v):
        v[...] = 0.0
        return 0.0

    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, np.ones(4))


# ----------------------------------------------------------------------------- gradient descent


def test_gradient_descent_notes_example():
    x0 = np.array([-3.0, 4.0])
    path = gradient_descent(function_2, x0, lr=0.1, num_steps=100)
    assert path.shape == (101, 2)
    np.testing.assert_array_equal(path[0], [-3.0, 4.0])
    np.testing.assert_allclose(path[-1], [0.0, 0.0], atol=1e-8)
    np.testing.assert_array_equal(x0, [-3.0, 4.0])
    # each step multiplies x by (1 - 2 lr) = 0.8 for this quadratic
    np.testing.assert_allclose(path[1], 0.8 * x0, rtol=1e-8)


def test_gradient_descent_converges_on_an_ill_conditioned_quadratic():
    target = np.array([[1.0, -3.0], [0.5, 2.0]])
    scales = np.array([[1.0, 10.0], [0.5, 3.0]])

    def f(v):
        return float(np.sum(scales * (v - target) ** 2))

    path = gradient_descent(f, np.zeros((2, 2)), lr=0.04, num_steps=400)
    assert path.shape == (401, 2, 2)
    np.testing.assert_allclose(path[-1], target, atol=1e-6)
    values = [f(p) for p in path]
    assert all(later <= earlier for earlier, later in itertools.pairwise(values))


def test_learning_rate_too_large_or_too_small():
    # Deep Learning from Scratch §4.4.1 (the notes' source) prints these two end points
    x0 = np.array([-3.0, 4.0])
    too_large = gradient_descent(function_2, x0, lr=10.0, num_steps=100)
    np.testing.assert_allclose(too_large[-1], [-2.58983747e13, -1.29524862e12], rtol=1e-8)
    too_small = gradient_descent(function_2, x0, lr=1e-10, num_steps=100)
    np.testing.assert_allclose(too_small[-1], [-2.99999994, 3.99999992], rtol=1e-8)
    assert not np.array_equal(too_small[-1], x0)


def test_gradient_descent_with_analytic_gradient_matches_numerical():
    x0 = np.array([[1.0, 2.0, -1.0]])
    numeric = gradient_descent(lambda v: np.sum(v**4), x0, lr=0.01, num_steps=20)
    analytic = gradient_descent(lambda v: np.sum(v**4), x0, lr=0.01, num_steps=20, grad=lambda v: 4 * v**3)
    np.testing.assert_allclose(numeric, analytic, rtol=1e-7)


def test_gradient_descent_zero_steps_and_scalar():
    np.testing.assert_array_equal(gradient_descent(function_2, [1.0, 2.0], num_steps=0), [[1.0, 2.0]])
    path = gradient_descent(lambda v: (v - 2.0) ** 2, 0.0, lr=0.25, num_steps=3)
    assert path.shape == (4,)
    np.testing.assert_allclose(path, [0.0, 1.0, 1.5, 1.75], rtol=1e-8)


@pytest.mark.parametrize("lr", [0, -0.1, np.nan, np.inf])
def test_gradient_descent_bad_lr(lr):
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got"):
        gradient_descent(function_2, [1.0, 2.0], lr=lr)


@pytest.mark.parametrize(
    ("num_steps", "error"), [(-1, ValueError), (2.5, TypeError), (True, TypeError), ("3", TypeError)]
)
def test_gradient_descent_bad_num_steps(num_steps, error):
    with pytest.raises(error, match="num_steps must be"):
        gradient_descent(function_2, [1.0, 2.0], num_steps=num_steps)


def test_gradient_descent_bad_grad():
    with pytest.raises(ValueError, match=r"grad must return an array of x0's shape \(2,\), got shape \(3,\)"):
        gradient_descent(function_2, [1.0, 2.0], grad=lambda v: np.zeros(3))
    with pytest.raises(TypeError, match="grad must be a callable"):
        gradient_descent(function_2, [1.0, 2.0], grad=np.zeros(2))


# ----------------------------------------------------------------------------- rel_error and gradient_check


def test_rel_error_values():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [3.0]) == 0.5
    assert rel_error([1.0, 100.0], [1.0, 101.0]) == pytest.approx(1 / 201)
    assert rel_error([3.0], [1.0]) == rel_error([1.0], [3.0])
    assert rel_error(0.0, 1e-10) == pytest.approx(1e-2)  # the 1e-8 floor near zero
    assert rel_error(0.0, 0.0) == 0.0
    assert np.isnan(rel_error([np.nan], [1.0]))


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"a and b must have the same shape, got a \(2,\) and b \(2, 1\)"):
        rel_error([1.0, 2.0], [[1.0], [2.0]])


def test_gradient_check_passes_for_correct_gradient():
    x = np.random.default_rng(3).normal(size=(3, 4))
    before = x.copy()
    result = gradient_check(lambda v: np.sum(v**3), x, 3 * x**2)
    assert isinstance(result, GradientCheckResult)
    assert result.ok is True
    assert result.rel_error < 1e-7
    assert result.numerical_grad.shape == (3, 4)
    np.testing.assert_array_equal(x, before)
    assert gradient_check(lambda v: np.sum(v**3), x, lambda v: 3 * v**2).ok


def test_gradient_check_catches_a_wrong_gradient():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    wrong = 3 * x**2
    wrong[1, 0] *= 1.01  # a 1% bug in one entry
    result = gradient_check(lambda v: np.sum(v**3), x, wrong)
    assert result.ok is False
    assert result.rel_error == pytest.approx(0.01 / 2.01, rel=1e-4)
    assert result.worst_index == (1, 0)


def test_gradient_check_rtol():
    result = gradient_check(lambda v: np.sum(v**2), [1.0], [2.0 * 1.001], rtol=1e-2)
    assert result.ok
    assert not gradient_check(lambda v: np.sum(v**2), [1.0], [2.0 * 1.001]).ok


def test_gradient_check_shape_mismatch():
    with pytest.raises(ValueError, match=r"analytic_grad must have the shape of x \(2, 2\), got shape \(4,\)"):
        gradient_check(lambda v: np.sum(v), np.ones((2, 2)), np.ones(4))


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("h", [0, -1e-4, np.nan])
@pytest.mark.parametrize(
    "call",
    [
        lambda h: numerical_diff(math.exp, 0.0, h=h),
        lambda h: forward_diff(math.exp, 0.0, h=h),
        lambda h: numerical_gradient(np.sum, np.ones(2), h=h),
        lambda h: gradient_check(np.sum, np.ones(2), np.ones(2), h=h),
    ],
)
def test_bad_h(call, h):
    with pytest.raises(ValueError, match="h must be a finite number > 0, got"):
        call(h)


def test_bad_h_type():
    with pytest.raises(TypeError, match="h must be a real number, got str"):
        numerical_gradient(np.sum, np.ones(2), h="1e-4")


@pytest.mark.parametrize("fn", [numerical_diff, forward_diff])
def test_diff_rejects_arrays(fn):
    with pytest.raises(ValueError, match=r"x must be a scalar \(use numerical_gradient for arrays\), got shape \(2,\)"):
        fn(np.exp, np.array([1.0, 2.0]))


def test_f_must_be_callable_and_return_a_scalar():
    with pytest.raises(TypeError, match="f must be a callable"):
        numerical_gradient(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match=r"f must return a scalar, got a value of shape \(2,\)"):
        numerical_gradient(lambda v: v**2, np.ones(2))
    with pytest.raises(TypeError, match="f must return a real number"):
        numerical_diff(lambda v: "x", 1.0)
    with pytest.raises(TypeError, match="f must return a real number"):
        numerical_diff(lambda v: 1j * v, 1.0)


def test_rtol_must_be_positive():
    with pytest.raises(ValueError, match="rtol must be a finite number > 0"):
        gradient_check(np.sum, [1.0], [1.0], rtol=0)
