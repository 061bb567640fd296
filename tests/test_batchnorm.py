"""Tests for dlscratch.layers.BatchNorm: gradient checks, torch parity, running statistics, bad input, properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlscratch.layers import BatchNorm
from dlscratch.numgrad import numerical_gradient, rel_error

RTOL = 1e-7  # the float64 gradient-check threshold (cs231n; STYLE.md)
# (a batch of two is left out of the gradient check: its outputs are ±1 whatever x, so dx is ~ε, all rounding)
SHAPES = [(4, 3), (10, 1), (3, 5), (3, 2, 4, 4), (2, 3, 1, 5), (5, 1, 2, 2)]
TORCH = {2: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d}


def _rng(seed=0):
    return np.random.default_rng(seed)


def _case(shape, seed=0):
    """x, gamma, beta, dout for one test, with features of different offsets and scales."""
    rng = _rng(seed)
    C = shape[1]
    loc = rng.normal(scale=3.0, size=C).reshape([1, C] + [1] * (len(shape) - 2))
    scale = rng.uniform(0.5, 4.0, size=C).reshape(loc.shape)
    x = loc + scale * rng.normal(size=shape)
    return x, rng.uniform(0.5, 2.0, size=C), rng.normal(size=C), rng.normal(size=shape)


def _torch_layer(C, ndim, gamma, beta, **kwargs):
    layer = TORCH[ndim](C, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma))
        layer.bias.copy_(torch.from_numpy(beta))
    return layer


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("train", [True, False])
def test_gradient_check_x_gamma_beta(shape, train):
    x, gamma, beta, dout = _case(shape)
    bn = BatchNorm(shape[1], gamma=gamma.copy(), beta=beta.copy())
    if not train:  # running statistics that are not 0 and 1
        bn.running_mean, bn.running_var = _rng(1).normal(size=shape[1]), _rng(2).uniform(0.5, 2, size=shape[1])
    bn.forward(x, train=train)
    dx = bn.backward(dout)

    def loss(x_=x, gamma_=gamma, beta_=beta):
        layer = BatchNorm(shape[1], gamma=gamma_, beta=beta_)
        layer.running_mean, layer.running_var = bn.running_mean.copy(), bn.running_var.copy()
        if train:
            return float(np.sum(layer.forward(x_) * dout))
        return float(np.sum(layer.forward(x_, train=False) * dout))

    if train:
        bn.running_mean, bn.running_var = np.zeros(shape[1]), np.ones(shape[1])  # not used in training mode
    # h = 1e-5: the loss is not quadratic in x, and some entries of dx are small
    assert rel_error(dx, numerical_gradient(lambda v: loss(x_=v), x, h=1e-5)) < RTOL
    assert rel_error(bn.grads["gamma"], numerical_gradient(lambda v: loss(gamma_=v), gamma, h=1e-5)) < RTOL
    assert rel_error(bn.grads["beta"], numerical_gradient(lambda v: loss(beta_=v), beta, h=1e-5)) < RTOL


@pytest.mark.parametrize("shape", SHAPES)
def test_the_compact_formula(shape):
    """dx = γ / (m σ̃) · (m · dout - Σ dout - x̂ Σ dout x̂), per channel."""
    x, gamma, beta, dout = _case(shape, seed=3)
    bn = BatchNorm(shape[1], gamma=gamma, beta=beta)
    bn.forward(x)
    dx = bn.backward(dout)
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    view = [1, shape[1]] + [1] * (len(shape) - 2)
    m = x.size // shape[1]
    std = np.sqrt(x.var(axis=axes) + bn.eps).reshape(view)
    xhat = (x - x.mean(axis=axes).reshape(view)) / std
    expected = (
        gamma.reshape(view)
        / (m * std)
        * (m * dout - dout.sum(axis=axes).reshape(view) - xhat * np.sum(dout * xhat, axis=axes).reshape(view))
    )
    np.testing.assert_allclose(dx, expected, rtol=1e-10, atol=1e-13)


# ----------------------------------------------------------------------------- torch parity


@pytest.mark.parametrize("shape", [(8, 3), (16, 5), (2, 4), (4, 3, 5, 5), (2, 2, 3, 3), (3, 1, 2, 2)])
@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0, 0.0])
def test_matches_torch_over_several_steps(shape, momentum):
    x, gamma, beta, _ = _case(shape)
    C, ndim = shape[1], len(shape)
    ours = BatchNorm(C, momentum=momentum, gamma=gamma.copy(), beta=beta.copy())
    theirs = _torch_layer(C, ndim, gamma, beta, momentum=momentum)
    rng = _rng(5)
    for step in range(4):
        x = 2.0 + 3.0 * rng.normal(size=shape)
        dout = rng.normal(size=shape)
        xt = torch.tensor(x, requires_grad=True)
        theirs.zero_grad()
        out = theirs(xt)
        out.backward(torch.from_numpy(dout))
        np.testing.assert_allclose(ours.forward(x), out.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{step}")
        np.testing.assert_allclose(ours.backward(dout), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.grads["gamma"], theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.grads["beta"], theirs.bias.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12, atol=1e-14)
    theirs.eval()
    x = rng.normal(size=shape)
    xt = torch.tensor(x, requires_grad=True)
    out = theirs(xt)
    out.backward(torch.from_numpy(np.ones(shape)))
    np.testing.assert_allclose(ours.forward(x, train=False), out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.backward(np.ones(shape)), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 3), (6, 2), (1, 2, 3, 3)])
def test_a_fresh_layer_in_eval_mode_is_torchs(shape):
    x, gamma, beta, _ = _case(shape)
    theirs = _torch_layer(shape[1], len(shape), gamma, beta).eval()
    ours = BatchNorm(shape[1], gamma=gamma, beta=beta)
    np.testing.assert_allclose(ours.forward(x, train=False), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ours.running_mean, 0.0)
    np.testing.assert_array_equal(ours.running_var, 1.0)


@pytest.mark.parametrize("eps", [1e-5, 1e-3, 0.5])
def test_eps_as_torch(eps):
    x, gamma, beta, _ = _case((6, 3))
    x[:, 0] = 0.001 * x[:, 0]  # a tiny spread, where ε matters
    theirs = _torch_layer(3, 2, gamma, beta, eps=eps)
    ours = BatchNorm(3, eps=eps, gamma=gamma, beta=beta)
    np.testing.assert_allclose(ours.forward(x), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)


def test_the_notes_momentum_is_the_other_end():
    """The notes' update with momentum 0.9 (old value's weight) is ours with 0.1, for the mean."""
    rng = _rng(7)
    ours, moving = BatchNorm(2, momentum=0.1), np.zeros(2)
    for _ in range(6):
        x = rng.normal(loc=4.0, size=(10, 2))
        ours.forward(x)
        moving = 0.9 * moving + 0.1 * x.mean(0)
    np.testing.assert_allclose(ours.running_mean, moving, rtol=1e-12)


# ----------------------------------------------------------------------------- behaviour


def test_train_mode_statistics_and_running_update():
    x, _, _, _ = _case((12, 4))
    bn = BatchNorm(4, momentum=0.2)
    out = bn.forward(x)
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(0), x.var(0) / (x.var(0) + bn.eps), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.2 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.8 + 0.2 * x.var(0, ddof=1), rtol=1e-12)


def test_eval_mode_does_not_update_the_running_statistics():
    x, _, _, _ = _case((5, 3))
    bn = BatchNorm(3)
    bn.forward(x)
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    bn.forward(x + 10.0, train=False)
    np.testing.assert_array_equal(bn.running_mean, mean)
    np.testing.assert_array_equal(bn.running_var, var)


def test_four_dimensional_input_is_per_channel():
    x, gamma, beta, dout = _case((3, 2, 4, 5))
    bn4 = BatchNorm(2, gamma=gamma, beta=beta)
    bn2 = BatchNorm(2, gamma=gamma, beta=beta)
    rows = x.transpose(0, 2, 3, 1).reshape(-1, 2)  # (N·H·W, C)
    out2 = bn2.forward(rows).reshape(3, 4, 5, 2).transpose(0, 3, 1, 2)  # (N, C, H, W)
    np.testing.assert_allclose(bn4.forward(x), out2, rtol=1e-12)
    dx2 = bn2.backward(dout.transpose(0, 2, 3, 1).reshape(-1, 2)).reshape(3, 4, 5, 2).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(bn4.backward(dout), dx2, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(bn4.running_var, bn2.running_var, rtol=1e-12)


def test_gamma_and_beta_are_shared_and_learnable():
    gamma, beta = np.ones(3), np.zeros(3)
    bn = BatchNorm(3, gamma=gamma, beta=beta)
    assert bn.params["gamma"] is gamma
    assert bn.params["beta"] is beta
    x = _case((4, 3))[0]
    bn.forward(x)
    bn.backward(np.ones((4, 3)))
    assert set(bn.grads) == set(bn.params) == {"gamma", "beta"}
    gamma *= 2.0  # in place: the layer sees it
    np.testing.assert_allclose(bn.forward(x), 2.0 * BatchNorm(3).forward(x), rtol=1e-12)


def test_no_argument_is_modified():
    x, gamma, beta, dout = _case((4, 3, 2, 2))
    copies = [a.copy() for a in (x, gamma, beta, dout)]
    bn = BatchNorm(3, gamma=gamma, beta=beta)
    bn.forward(x)
    bn.backward(dout)
    bn.forward(x, train=False)
    bn.backward(dout)
    for before, after in zip(copies, (x, gamma, beta, dout), strict=True):
        np.testing.assert_array_equal(before, after)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("shape", "match"),
    [((4, 2), r"shape \(N, 3\) or \(N, 3, H, W\)"), ((4, 3, 2), "got shape"), ((3,), "got shape")],
)
def test_wrong_shapes_are_refused(shape, match):
    with pytest.raises(ValueError, match=match):
        BatchNorm(3).forward(np.ones(shape))


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1, 1)])
def test_one_value_per_channel_cannot_train(shape):
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm(3).forward(np.ones(shape))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        TORCH[len(shape)](3)(torch.ones(shape))
    assert BatchNorm(3).forward(np.ones(shape), train=False).shape == shape  # evaluation is fine


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_features": 0}, ValueError, "num_features"),
        ({"num_features": 2.0}, ValueError, "num_features"),
        ({"num_features": 2, "momentum": 1.5}, ValueError, "momentum"),
        ({"num_features": 2, "momentum": -0.1}, ValueError, "momentum"),
        ({"num_features": 2, "eps": 0.0}, ValueError, "eps"),
        ({"num_features": 2, "gamma": np.ones(3)}, ValueError, "gamma"),
        ({"num_features": 2, "beta": np.zeros((2, 1))}, ValueError, "beta"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        BatchNorm(**kwargs)


def test_backward_before_forward_and_bad_dout():
    with pytest.raises(RuntimeError):
        BatchNorm(2).backward(np.ones((3, 2)))
    bn = BatchNorm(2)
    bn.forward(np.arange(6.0).reshape(3, 2))
    with pytest.raises(ValueError, match="dout"):
        bn.backward(np.ones((2, 2)))
    with pytest.raises(TypeError, match="train"):
        bn.forward(np.ones((3, 2)), train="yes")


# ----------------------------------------------------------------------------- properties

_values = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    x=arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 4)), elements=_values),
    scale=st.floats(0.1, 100.0),
    shift=st.floats(-100.0, 100.0),
)
def test_invariant_to_a_shift_and_scale_of_the_input(x, scale, shift):
    """In training mode BN(a·x + b) = BN(x) for a > 0, when ε is negligible next to the variance."""
    spread = x.var(axis=0)
    if np.any(spread < 1e-2):
        return  # ε = 1e-5 is not negligible there
    bn = BatchNorm(x.shape[1], eps=1e-12)
    np.testing.assert_allclose(
        bn.forward(scale * x + shift), BatchNorm(x.shape[1], eps=1e-12).forward(x), rtol=1e-6, atol=1e-6
    )


@settings(max_examples=60, deadline=None)
@given(
    x=arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 4)), elements=_values),
    seed=st.integers(0, 2**16),
)
def test_outputs_and_gradients_stay_finite_and_centred(x, seed):
    """Even for constant features (variance 0), the output is finite and dx sums to 0 per feature."""
    dout = _rng(seed).normal(size=x.shape)
    bn = BatchNorm(x.shape[1])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        out = bn.forward(x)
        dx = bn.backward(dout)
    assert np.all(np.isfinite(out))
    assert np.all(np.isfinite(dx))
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-6 * (1 + np.abs(dx).max()))
