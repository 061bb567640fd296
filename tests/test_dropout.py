"""Tests for dlscratch.layers.Dropout: the keep rate, inverted vs classic scaling, training vs evaluation, the
expectation, a backward pass with the forward pass's mask, torch.nn.Dropout parity, bad input, no mutation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlscratch.layers import Dropout
from dlscratch.numgrad import numerical_gradient, rel_error

PS = [0.1, 0.3, 0.5, 0.9]
SCALINGS = ["inverted", "classic"]


def _drop(p=0.5, seed=0, scaling="inverted"):
    return Dropout(p, rng=np.random.default_rng(seed), scaling=scaling)


@pytest.mark.parametrize("p", PS)
def test_keep_rate_is_one_minus_p(p):
    drop = _drop(p)
    drop.forward(np.ones(1_000_000))
    kept = drop.mask.mean()
    sigma = math.sqrt(p * (1 - p) / 1_000_000)
    assert abs(kept - (1 - p)) < 5 * sigma


@pytest.mark.parametrize("p", PS)
def test_inverted_and_classic_training_values(p):
    x = np.full((200, 50), 3.0)
    inverted, classic = _drop(p, 1), _drop(p, 1, "classic")
    out_inv, out_cls = inverted.forward(x), classic.forward(x)
    assert np.array_equal(inverted.mask, classic.mask)  # the mask depends on the generator only
    np.testing.assert_allclose(out_inv, np.where(inverted.mask, 3.0 / (1 - p), 0.0), rtol=1e-15)
    assert np.array_equal(out_cls, np.where(classic.mask, 3.0, 0.0))


@pytest.mark.parametrize("p", PS)
def test_evaluation_is_deterministic(p):
    x = np.random.default_rng(2).normal(size=(4, 6))
    inverted, classic = _drop(p), _drop(p, scaling="classic")
    assert np.array_equal(inverted.forward(x, train=False), x)
    np.testing.assert_allclose(classic.forward(x, train=False), (1 - p) * x, rtol=1e-15)
    assert np.array_equal(inverted.forward(x, train=False), inverted.forward(x, train=False))


@pytest.mark.parametrize("scaling", SCALINGS)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_the_expected_training_output_is_the_evaluation_output(p, scaling):
    x = np.random.default_rng(3).normal(size=8)
    drop = _drop(p, 4, scaling)
    batch = np.broadcast_to(x, (100_000, 8))  # 100 000 masks of the same input
    mean = drop.forward(batch).mean(axis=0)
    evaluated = drop.forward(x, train=False)
    standard_error = np.abs(x) * math.sqrt(p / (1 - p) / 100_000) * (1 - p if scaling == "classic" else 1)
    assert np.all(np.abs(mean - evaluated) < 5 * standard_error + 1e-12)


@pytest.mark.parametrize("scaling", SCALINGS)
def test_backward_uses_the_mask_of_the_forward_pass(scaling):
    p = 0.4
    drop = _drop(p, 5, scaling)
    x = np.random.default_rng(6).normal(size=(10, 7))
    out = drop.forward(x)
    dout = np.random.default_rng(7).normal(size=(10, 7))
    dx = drop.backward(dout)
    factor = drop.mask / (1 - p) if scaling == "inverted" else drop.mask * 1.0
    np.testing.assert_allclose(dx, dout * factor, rtol=1e-15)
    np.testing.assert_allclose(out, x * factor, rtol=1e-15)
    assert np.all(dx[~drop.mask] == 0)  # no gradient where the signal was dropped
    drop.forward(x, train=False)  # evaluation: the constant factor
    expected = dout if scaling == "inverted" else (1 - p) * dout
    np.testing.assert_allclose(drop.backward(dout), expected, rtol=1e-15)


@pytest.mark.parametrize("scaling", SCALINGS)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4, 4)])
def test_gradient_check_with_a_fixed_mask(scaling, shape):
    """With the generator re-seeded for every call, the mask is fixed and the layer is a linear function."""
    x = np.random.default_rng(8).normal(size=shape)
    weights = np.random.default_rng(9).normal(size=shape)

    def loss(v):
        return float(np.sum(_drop(0.3, 10, scaling).forward(v) * weights))

    drop = _drop(0.3, 10, scaling)
    drop.forward(x)
    assert rel_error(drop.backward(weights), numerical_gradient(loss, x)) < 1e-7


def test_the_generator_fixes_the_mask():
    x = np.ones((20, 20))
    a, b, c = _drop(0.5, 11), _drop(0.5, 11), _drop(0.5, 12)
    a.forward(x)
    b.forward(x)
    c.forward(x)
    assert np.array_equal(a.mask, b.mask)
    assert not np.array_equal(a.mask, c.mask)
    first = a.mask.copy()
    a.forward(x)
    assert not np.array_equal(first, a.mask)  # a new mask on every training pass


@pytest.mark.parametrize("scaling", SCALINGS)
def test_p_zero_and_p_one(scaling):
    x = np.random.default_rng(13).normal(size=(6, 5))
    assert np.array_equal(_drop(0.0, scaling=scaling).forward(x), x)
    assert np.array_equal(_drop(0.0, scaling=scaling).forward(x, train=False), x)
    everything = _drop(1.0, scaling=scaling)
    assert np.array_equal(everything.forward(x), np.zeros_like(x))
    assert np.all(np.isfinite(everything.backward(np.ones_like(x))))


@settings(max_examples=50, deadline=None)
@given(p=st.floats(0.0, 0.95), seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200))
def test_outputs_are_zero_or_scaled_inputs(p, seed, n):
    x = np.random.default_rng(seed).normal(size=n)
    drop = Dropout(p, rng=np.random.default_rng(seed))
    out = drop.forward(x)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[drop.mask], x[drop.mask] / (1 - p), rtol=1e-12)
    assert np.all(out[~drop.mask] == 0)


# ----------------------------------------------------------------------------- torch.nn.Dropout


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_torch_dropout_has_the_same_scaling_and_keep_rate(p):
    torch.manual_seed(0)
    module = torch.nn.Dropout(p)
    x = torch.full((1000, 1000), 2.0, dtype=torch.float64)
    theirs = module.train()(x)
    ours = _drop(p, 14).forward(x.numpy())
    assert set(torch.unique(theirs).tolist()) == set(np.unique(ours).tolist()) == {0.0, 2.0 / (1 - p)}
    sigma = math.sqrt(p * (1 - p) / x.numel())
    assert abs((theirs > 0).double().mean().item() - (1 - p)) < 5 * sigma
    assert abs((ours > 0).mean() - (1 - p)) < 5 * sigma
    assert abs(theirs.mean().item() - ours.mean()) < 0.01  # both ≈ 2: the expectation kept
    assert torch.equal(module.eval()(x), x)


@pytest.mark.parametrize("shape", [(50, 20), (4, 3, 5, 5)])
def test_same_mask_same_output_and_gradient_as_torch(shape):
    p = 0.35
    drop = _drop(p, 15)
    x = np.random.default_rng(16).normal(size=shape)
    dout = np.random.default_rng(17).normal(size=shape)
    ours = drop.forward(x)
    dx = drop.backward(dout)
    x_t = torch.tensor(x, requires_grad=True)
    mask = torch.from_numpy(drop.mask)
    theirs = x_t * mask / (1 - p)  # what nn.Dropout computes with this mask
    theirs.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(dx, x_t.grad.numpy(), rtol=1e-15)


def test_notes_randn_mask_keeps_phi_of_minus_p():
    """The notes' torch.randn(...) > p keeps Φ(-p) (31 % at p = 0.5); our uniform mask keeps 1 - p."""
    torch.manual_seed(1)
    draws = torch.randn(1_000_000)
    for p in (0.2, 0.5):
        phi = 0.5 * (1 + math.erf(-p / math.sqrt(2)))
        assert abs((draws > p).double().mean().item() - phi) < 0.002
    assert abs(0.5 * (1 + math.erf(-0.5 / math.sqrt(2))) - 0.3085) < 1e-4


# ----------------------------------------------------------------------------- bad input, no mutation


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"p": -0.1}, ValueError, "p must be a finite number >= 0"),
        ({"p": 1.5}, ValueError, r"p must be a drop probability in \[0, 1\], got 1.5"),
        ({"p": "half"}, TypeError, "p must be a real number"),
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
        ({"scaling": "dlfs"}, ValueError, "scaling must be 'inverted' or 'classic', got 'dlfs'"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    arguments = {"p": 0.5, "rng": np.random.default_rng(0), **kwargs}
    p = arguments.pop("p")
    with pytest.raises(error, match=match):
        Dropout(p, **arguments)


def test_rng_is_required():
    with pytest.raises(TypeError, match="rng"):
        Dropout(0.5)


def test_bad_calls():
    drop = _drop()
    with pytest.raises(RuntimeError):
        drop.backward(np.ones(3))  # backward before forward
    with pytest.raises(TypeError, match="x must be real numbers"):
        drop.forward("abc")
    drop.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="dout"):
        drop.backward(np.ones((3, 2)))
    with pytest.raises(TypeError, match="train"):
        drop.forward(np.ones(3), train="yes")


@pytest.mark.parametrize("scaling", SCALINGS)
def test_no_argument_or_dout_is_modified(scaling):
    drop = _drop(0.5, 18, scaling)
    x = np.random.default_rng(19).normal(size=(5, 4))
    dout = np.random.default_rng(20).normal(size=(5, 4))
    x_before, dout_before = x.copy(), dout.copy()
    out = drop.forward(x)
    dx = drop.backward(dout)
    assert np.array_equal(x, x_before)
    assert np.array_equal(dout, dout_before)
    out += 1.0
    dx += 1.0
    assert np.array_equal(x, x_before)
    assert np.array_equal(dout, dout_before)
