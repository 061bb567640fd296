"""Tests for dlscratch.init: formulas, torch.nn.init parity on large draws, determinism, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlscratch.init import calculate_gain, he, he_std, xavier, xavier_std

# fan_in != fan_out by a wide margin, so that swapping them (torch stores (out, in)) would fail the tests
FAN_IN, FAN_OUT = 400, 2500


def torch_weight(init, *args, **kwargs) -> np.ndarray:
    """torch's initializer on an nn.Linear-shaped weight (out, in), returned as our (in, out)."""
    torch.manual_seed(0)
    w = torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)
    init(w, *args, **kwargs)
    return w.numpy().T


# ----------------------------------------------------------------------------- formulas


def test_std_formulas():
    assert xavier_std(FAN_IN, FAN_OUT) == pytest.approx(math.sqrt(2 / (FAN_IN + FAN_OUT)), rel=1e-15)
    assert xavier_std(FAN_IN, FAN_OUT, mode="fan_in") == pytest.approx(1 / math.sqrt(FAN_IN), rel=1e-15)
    assert xavier_std(FAN_IN, FAN_OUT, mode="fan_out", gain=5 / 3) == pytest.approx(5 / 3 / 50, rel=1e-15)
    assert he_std(FAN_IN, FAN_OUT) == pytest.approx(math.sqrt(2 / FAN_IN), rel=1e-15)
    assert he_std(FAN_IN, FAN_OUT, mode="fan_out") == pytest.approx(math.sqrt(2 / FAN_OUT), rel=1e-15)
    slope = 0.2
    assert he_std(FAN_IN, FAN_OUT, nonlinearity="leaky_relu", negative_slope=slope) == pytest.approx(
        math.sqrt(2 / ((1 + slope**2) * FAN_IN)), rel=1e-15
    )
    # relu ignores negative_slope; leaky_relu with slope 0 is relu
    assert he_std(10, 20, negative_slope=0.5) == he_std(10, 20)
    assert he_std(10, 20, nonlinearity="leaky_relu", negative_slope=0.0) == pytest.approx(he_std(10, 20))


@pytest.mark.parametrize(
    ("nonlinearity", "slope"),
    [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2)],
)
def test_gain_matches_torch(nonlinearity, slope):
    ours = calculate_gain(nonlinearity) if slope is None else calculate_gain(nonlinearity, slope)
    assert ours == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, slope), rel=1e-15)


# ----------------------------------------------------------------------------- large draws vs the formula and torch


@pytest.mark.parametrize(
    ("ours", "theirs", "std"),
    [
        (
            lambda rng: xavier(FAN_IN, FAN_OUT, rng=rng),
            lambda: torch_weight(torch.nn.init.xavier_normal_),
            math.sqrt(2 / (FAN_IN + FAN_OUT)),
        ),
        (
            lambda rng: xavier(FAN_IN, FAN_OUT, rng=rng, gain=5 / 3),
            lambda: torch_weight(torch.nn.init.xavier_normal_, gain=5 / 3),
            5 / 3 * math.sqrt(2 / (FAN_IN + FAN_OUT)),
        ),
        (
            lambda rng: he(FAN_IN, FAN_OUT, rng=rng),
            lambda: torch_weight(torch.nn.init.kaiming_normal_, nonlinearity="relu"),
            math.sqrt(2 / FAN_IN),
        ),
        (
            lambda rng: he(FAN_IN, FAN_OUT, rng=rng, mode="fan_out"),
            lambda: torch_weight(torch.nn.init.kaiming_normal_, mode="fan_out", nonlinearity="relu"),
            math.sqrt(2 / FAN_OUT),
        ),
        (
            lambda rng: he(FAN_IN, FAN_OUT, rng=rng, nonlinearity="leaky_relu", negative_slope=0.3),
            lambda: torch_weight(torch.nn.init.kaiming_normal_, a=0.3, nonlinearity="leaky_relu"),
            math.sqrt(2 / (1.09 * FAN_IN)),
        ),
    ],
    ids=["xavier", "xavier-tanh-gain", "he", "he-fan_out", "he-leaky"],
)
def test_normal_draws_match_formula_and_torch(ours, theirs, std):
    W, T = ours(np.random.default_rng(0)), theirs()
    assert W.shape == T.shape == (FAN_IN, FAN_OUT)
    assert W.dtype == np.float64
    assert abs(W.mean()) < 0.01 * std
    assert W.std() == pytest.approx(std, rel=0.01)  # 1e6 draws: the sampling error is ~0.07 %
    assert T.std() == pytest.approx(std, rel=0.01)
    assert W.std() == pytest.approx(T.std(), rel=0.05)


@pytest.mark.parametrize(
    ("ours", "theirs", "bound"),
    [
        (
            lambda rng: xavier(FAN_IN, FAN_OUT, rng=rng, distribution="uniform"),
            lambda: torch_weight(torch.nn.init.xavier_uniform_),
            math.sqrt(6 / (FAN_IN + FAN_OUT)),
        ),
        (
            lambda rng: he(FAN_IN, FAN_OUT, rng=rng, distribution="uniform"),
            lambda: torch_weight(torch.nn.init.kaiming_uniform_, nonlinearity="relu"),
            math.sqrt(6 / FAN_IN),
        ),
        (
            lambda rng: he(FAN_IN, FAN_OUT, rng=rng, distribution="uniform", mode="fan_out"),
            lambda: torch_weight(torch.nn.init.kaiming_uniform_, mode="fan_out", nonlinearity="relu"),
            math.sqrt(6 / FAN_OUT),
        ),
    ],
    ids=["xavier", "he", "he-fan_out"],
)
def test_uniform_draws_fill_exactly_the_formula_bounds(ours, theirs, bound):
    W, T = ours(np.random.default_rng(0)), theirs()
    for draw in (W, T):
        assert draw.shape == (FAN_IN, FAN_OUT)
        # 1e6 uniform draws come within ~1e-6 of each end and never pass it
        assert -bound <= draw.min() < -bound * (1 - 1e-4)
        assert bound * (1 - 1e-4) < draw.max() <= bound
        assert draw.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert W.std() == pytest.approx(T.std(), rel=0.05)


def test_dlfs_xavier_and_he_values():
    # DLFS: "Xavier" std = 1/sqrt(n), "He" std = sqrt(2/n), n = nodes of the previous layer
    W = xavier(100, 100, rng=np.random.default_rng(0), mode="fan_in")
    assert W.std() == pytest.approx(0.1, rel=0.02)
    assert he_std(100, 100) == pytest.approx(math.sqrt(2) * 0.1)


def test_variance_is_kept_through_a_deep_relu_stack_with_he_but_not_with_small_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 256))
    he_x, small_x = x, x
    for _ in range(10):
        he_x = np.maximum(he_x @ he(256, 256, rng=rng), 0)
        small_x = np.maximum(small_x @ (0.01 * rng.normal(size=(256, 256))), 0)
    # He keeps the second moment of the ReLU outputs at E[x²] = 1 in expectation; one draw of ten
    # 256-wide layers scatters around it (0.56 to 1.7 over seeds 0-9), while std 0.01 collapses it
    assert 1 / 3 < np.mean(he_x**2) < 3
    assert np.mean(small_x**2) < 1e-10


# ----------------------------------------------------------------------------- determinism and no global state


@pytest.mark.parametrize("init", [xavier, he])
@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_same_seed_same_weights(init, distribution):
    a = init(30, 20, rng=np.random.default_rng(42), distribution=distribution)
    b = init(30, 20, rng=np.random.default_rng(42), distribution=distribution)
    c = init(30, 20, rng=np.random.default_rng(43), distribution=distribution)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_the_global_numpy_random_state_is_left_alone():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global state is the point)
    xavier(5, 5, rng=np.random.default_rng(0))
    he(5, 5, rng=np.random.default_rng(0), distribution="uniform")
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: xavier(10, 5), TypeError, "rng"),  # rng is required
        (lambda: xavier(10, 5, rng=0), TypeError, "rng must be a numpy.random.Generator"),
        (lambda: he(10, 5, rng=np.random.RandomState(0)), TypeError, "rng"),
        (lambda: xavier(0, 5, rng=np.random.default_rng()), ValueError, "fan_in"),
        (lambda: he(10, -1, rng=np.random.default_rng()), ValueError, "fan_out"),
        (lambda: xavier(10.0, 5, rng=np.random.default_rng()), TypeError, "fan_in"),
        (lambda: he(True, 5, rng=np.random.default_rng()), TypeError, "fan_in"),
        (lambda: xavier(10, 5, rng=np.random.default_rng(), distribution="gaussian"), ValueError, "distribution"),
        (lambda: xavier(10, 5, rng=np.random.default_rng(), gain=0), ValueError, "gain"),
        (lambda: xavier(10, 5, rng=np.random.default_rng(), mode="avg"), ValueError, "mode"),
        (lambda: he(10, 5, rng=np.random.default_rng(), mode="in"), ValueError, "mode"),
        (lambda: he(10, 5, rng=np.random.default_rng(), nonlinearity="tanh"), ValueError, "nonlinearity"),
        (
            lambda: he(10, 5, rng=np.random.default_rng(), nonlinearity="leaky_relu", negative_slope=-0.1),
            ValueError,
            "negative_slope",
        ),
        (lambda: calculate_gain("softmax"), ValueError, "nonlinearity"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_fans_are_keyword_free_but_rng_is_keyword_only():
    with pytest.raises(TypeError):
        xavier(10, 5, np.random.default_rng(0))  # rng must be named
