"""Tests for dlscratch.softmax_regression: the loss, its chain-rule gradient, and full-batch training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_info

from dlscratch.losses import softmax_cross_entropy
from dlscratch.numgrad import gradient_check
from dlscratch.softmax_regression import SoftmaxRegression, TrainingHistory, train


def random_problem(seed: int, n: int = 12, d: int = 5, c: int = 4, scale: float = 1.0):
    """A model with random weights and a labelled batch ``X`` (n, d), ``y`` (n,)."""
    rng = np.random.default_rng(seed)
    model = SoftmaxRegression(d, c, rng=rng, weight_scale=scale)
    model.params["b"] = scale * rng.standard_normal(c)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n)
    return model, X, y


# ----------------------------------------------------------------------------- the model


def test_starts_at_zero_and_the_loss_is_log_c():
    model = SoftmaxRegression(64, 10)
    assert np.array_equal(model.params["W"], np.zeros((64, 10)))
    assert np.array_equal(model.params["b"], np.zeros(10))
    X = np.random.default_rng(0).random((7, 64))
    assert model.loss(X, np.arange(7)) == pytest.approx(math.log(10), rel=1e-15)


def test_random_start_is_seeded():
    a = SoftmaxRegression(3, 2, rng=np.random.default_rng(5)).params["W"]
    b = SoftmaxRegression(3, 2, rng=np.random.default_rng(5)).params["W"]
    assert np.array_equal(a, b)
    assert 0 < np.abs(a).max() < 0.1  # weight_scale 0.01


@pytest.mark.parametrize(("n", "d", "c"), [(1, 1, 2), (12, 5, 4), (30, 64, 10)])
def test_loss_logits_and_accuracy_match_the_definitions(n, d, c):
    model, X, y = random_problem(n + d + c, n, d, c)
    logits = X @ model.params["W"] + model.params["b"]
    assert model.logits(X).shape == (n, c)
    assert np.allclose(model.logits(X), logits)
    assert model.loss(X, y) == pytest.approx(softmax_cross_entropy(logits, y), rel=1e-12)
    assert np.array_equal(model.predict(X), logits.argmax(axis=1))
    assert model.accuracy(X, y) == pytest.approx(np.mean(logits.argmax(axis=1) == y))


@pytest.mark.parametrize("seed", range(4))
def test_gradient_matches_the_numerical_gradient(seed):
    model, X, y = random_problem(seed)
    grads = model.gradient(X, y)
    assert set(grads) == set(model.params)
    for key, param in model.params.items():
        assert grads[key].shape == param.shape

        def loss(value, key=key):
            saved = model.params[key]
            model.params[key] = value
            try:
                return model.loss(X, y)
            finally:
                model.params[key] = saved

        result = gradient_check(loss, param, grads[key])
        assert result.ok, f"{key}: relative error {result.rel_error:.1e}"


def test_gradient_is_the_chain_rule_formula():
    """dW = Xᵀ(P − T)/N and db = Σ(P − T)/N, with P the softmax probabilities and T one-hot."""
    model, X, y = random_problem(7)
    logits = X @ model.params["W"] + model.params["b"]
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    G = (P - np.eye(4)[y]) / len(y)
    grads = model.gradient(X, y)
    assert np.allclose(grads["W"], X.T @ G, atol=1e-15)
    assert np.allclose(grads["b"], G.sum(axis=0), atol=1e-15)


def test_gradient_matches_torch_autograd():
    model, X, y = random_problem(11, n=9, d=6, c=5)
    W = torch.tensor(model.params["W"], requires_grad=True)
    b = torch.tensor(model.params["b"], requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.tensor(X) @ W + b, torch.tensor(y))
    loss.backward()
    grads = model.gradient(X, y)
    assert model.loss(X, y) == pytest.approx(loss.item(), rel=1e-13)
    assert np.allclose(grads["W"], W.grad.numpy(), atol=1e-14)
    assert np.allclose(grads["b"], b.grad.numpy(), atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-1e6, 1e6), scale=st.floats(1e-3, 1e3))
def test_no_overflow_for_large_logits(shift, scale):
    """The max-shift keeps the loss and gradient finite however large the logits (warnings are errors)."""
    model, X, y = random_problem(3, scale=scale)
    model.params["b"] = model.params["b"] + shift
    assert math.isfinite(model.loss(X, y))
    assert all(np.all(np.isfinite(g)) for g in model.gradient(X, y).values())


def test_inputs_are_not_modified():
    model, X, y = random_problem(2)
    X_before, y_before = X.copy(), y.copy()
    params_before = {k: v.copy() for k, v in model.params.items()}
    model.gradient(X, y)
    model.loss(X, y)
    assert np.array_equal(X, X_before)
    assert np.array_equal(y, y_before)
    assert all(np.array_equal(model.params[k], params_before[k]) for k in params_before)


def test_lists_are_accepted():
    model = SoftmaxRegression(2, 3)
    assert model.loss([[1.0, 2.0], [0, 1]], [0, 2]) == pytest.approx(math.log(3))


@pytest.mark.parametrize(
    ("X", "y", "error", "message"),
    [
        (np.ones((3, 4)), [0, 1, 2], ValueError, r"shape \(N, 5\)"),  # wrong number of features
        (np.ones(5), [0], ValueError, r"shape \(N, 5\)"),  # one sample must still be a row
        (np.ones((0, 5)), [], ValueError, "N >= 1"),
        (np.full((2, 5), np.nan), [0, 1], ValueError, "finite"),
        ("pixels", [0], TypeError, "real numbers"),
        (np.ones((2, 5)), [0, 1, 2], ValueError, r"shape \(2,\)"),
        (np.ones((2, 5)), [0.0, 1.0], TypeError, "integer class labels"),
        (np.ones((2, 5)), [0, 3], ValueError, r"\[0, 3\)"),
        (np.ones((2, 5)), [-1, 0], ValueError, r"\[0, 3\)"),
        (np.ones((2, 5)), [[0], [1, 2]], TypeError, "integer class labels"),  # ragged
        (np.ones((2, 5)), "ab", TypeError, "integer class labels"),
    ],
)
def test_bad_input_names_the_argument(X, y, error, message):
    model = SoftmaxRegression(5, 3)
    with pytest.raises(error, match=message):
        model.gradient(X, y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_features": 0, "num_classes": 3}, "num_features"),
        ({"num_features": 2.5, "num_classes": 3}, "num_features"),
        ({"num_features": 2, "num_classes": 1}, "num_classes"),
        ({"num_features": 2, "num_classes": True}, "num_classes"),
    ],
)
def test_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SoftmaxRegression(**kwargs)


def test_bad_rng_and_scale():
    with pytest.raises(TypeError, match="Generator"):
        SoftmaxRegression(2, 3, rng=0)
    with pytest.raises(ValueError, match="weight_scale"):
        SoftmaxRegression(2, 3, rng=np.random.default_rng(0), weight_scale=-1.0)


# ----------------------------------------------------------------------------- training


def test_train_is_the_gradient_descent_loop():
    model, X, y = random_problem(4)
    start = {k: v.copy() for k, v in model.params.items()}
    history = train(model, X, y, lr=0.5, num_steps=25)

    reference = SoftmaxRegression(5, 4)
    reference.params = {k: v.copy() for k, v in start.items()}
    losses = []
    for _ in range(25):
        losses.append(reference.loss(X, y))
        grads = reference.gradient(X, y)
        for key in reference.params:
            reference.params[key] -= 0.5 * grads[key]
    losses.append(reference.loss(X, y))

    assert isinstance(history, TrainingHistory)
    assert np.allclose(history.train_loss, losses, rtol=1e-13)
    assert all(np.allclose(model.params[k], reference.params[k], atol=1e-14) for k in start)
    assert history.train_accuracy[-1] == reference.accuracy(X, y)


def test_train_records_the_test_set_and_the_weights():
    model, X, y = random_problem(5, n=40)
    X_test, y_test = X[30:], y[30:]
    history = train(model, X[:30], y[:30], lr=1.0, num_steps=23, X_test=X_test, y_test=y_test, weights_every=10)
    assert history.train_loss.shape == history.test_accuracy.shape == (24,)
    assert history.test_loss[-1] == pytest.approx(model.loss(X_test, y_test), rel=1e-13)
    assert history.test_accuracy[-1] == model.accuracy(X_test, y_test)
    assert list(history.weight_steps) == [0, 10, 20, 23]
    assert history.weights.shape == (4, 5, 4)
    assert np.array_equal(history.weights[-1], model.params["W"])


def test_train_without_a_test_set_records_nan_and_no_weights():
    model, X, y = random_problem(6)
    history = train(model, X, y, lr=0.1, num_steps=3)
    assert np.all(np.isnan(history.test_loss))
    assert np.all(np.isnan(history.test_accuracy))
    assert history.weights.shape == (0, 5, 4)
    assert history.weight_steps.shape == (0,)


def test_zero_steps_change_nothing():
    model, X, y = random_problem(8)
    before = model.params["W"].copy()
    history = train(model, X, y, lr=1.0, num_steps=0)
    assert history.train_loss.shape == (1,)
    assert np.array_equal(model.params["W"], before)


def test_a_small_learning_rate_lowers_the_loss_every_step():
    """The loss is convex and smooth: small enough steps against the gradient always descend."""
    model, X, y = random_problem(9)
    history = train(model, X, y, lr=0.05, num_steps=50)
    assert np.all(np.diff(history.train_loss) < 0)


def test_separable_data_are_learned():
    rng = np.random.default_rng(1)
    centers = 3 * np.eye(3)  # (3, 3): one cluster per class, far apart
    y = rng.integers(0, 3, size=60)
    X = centers[y] + 0.3 * rng.standard_normal((60, 3))
    model = SoftmaxRegression(3, 3)
    history = train(model, X, y, lr=1.0, num_steps=100)
    assert history.train_accuracy[-1] == 1.0
    assert history.train_loss[-1] < 0.1


def test_train_restores_the_blas_threads():
    before = [info["num_threads"] for info in threadpool_info()]
    model, X, y = random_problem(10)
    train(model, X, y, lr=0.1, num_steps=2)
    assert [info["num_threads"] for info in threadpool_info()] == before


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": 0.0, "num_steps": 1}, ValueError, "lr"),
        ({"lr": float("nan"), "num_steps": 1}, ValueError, "lr"),
        ({"lr": 0.1, "num_steps": -1}, ValueError, "num_steps"),
        ({"lr": 0.1, "num_steps": 1.5}, ValueError, "num_steps"),
        ({"lr": 0.1, "num_steps": 1, "weights_every": -2}, ValueError, "weights_every"),
        ({"lr": 0.1, "num_steps": 1, "X_test": np.ones((2, 5))}, ValueError, "together"),
        ({"lr": 0.1, "num_steps": 1, "X_test": np.ones((2, 4)), "y_test": [0, 1]}, ValueError, "X_test"),
        ({"lr": 0.1, "num_steps": 1, "X_test": np.ones((2, 5)), "y_test": [0, 9]}, ValueError, "y_test"),
    ],
)
def test_train_rejects_bad_arguments(kwargs, error, message):
    model, X, y = random_problem(0)
    with pytest.raises(error, match=message):
        train(model, X, y, **kwargs)


def test_train_needs_a_model():
    with pytest.raises(TypeError, match="SoftmaxRegression"):
        train(object(), np.ones((2, 5)), [0, 1], lr=0.1, num_steps=1)
