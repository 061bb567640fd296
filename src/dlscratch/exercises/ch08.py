"""Exercises of chapter 8, batch normalization (``chapters/08_batch_norm.md``).

The chapter derives the backward pass of batch normalization, which averages
over the batch, and places layer normalization beside it, which averages over
the features of each sample. The exercises carry the chapter's ideas to cases
it did not treat:

1. the backward pass of *layer* normalization (the chapter shows only its
   forward pass): the same graph along the other axis, with ``γ`` now
   varying along the averaged axis;
2. how long the running mean of the notes' ``batch_norm`` (``momentum=0.99``
   in their convention) takes to forget its start.

``dlscratch.layers.BatchNorm`` (whose backward pass, applied to the
transposed input, would answer exercise 1) is switched off while exercise 1 is
checked.
"""

from __future__ import annotations

import math

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- exercise 1: layer_norm_backward


def _layer_norm_backward(x, gamma, dout, eps=1e-5):
    """dx of out = γ · (x - μ) / √(σ² + ε) + β with μ, σ² the mean and biased variance of each row of x (N, D)."""
    D = x.shape[1]
    mean = x.mean(axis=1, keepdims=True)  # (N, 1)
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)  # (N, 1)
    xhat = (x - mean) / std  # (N, D)
    dxhat = dout * gamma  # (N, D): γ varies along the averaged axis, so it goes inside the sums
    return (D * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True)) / (
        D * std
    )


def _case(N, D, seed, note, *, eps=None, offset=0.0, scale=1.0, gamma=None, dout=None):
    rng = np.random.default_rng(seed)
    x = offset + scale * rng.normal(size=(N, D))
    gamma = rng.uniform(0.5, 2.0, size=D) if gamma is None else np.asarray(gamma, dtype=float)
    dout = rng.normal(size=(N, D)) if dout is None else np.asarray(dout, dtype=float)
    kwargs = {} if eps is None else {"eps": eps}
    expected = _layer_norm_backward(x, gamma, dout, **kwargs)
    return Case((x, gamma, dout), expected, kwargs=kwargs, note=note)


register(
    FunctionExercise(
        id="ch08.layer_norm_backward",
        name="layer_norm_backward",
        cases=[
            _case(4, 5, 0, "a few samples of five features, γ different for every feature"),
            _case(1, 6, 1, "a single sample: layer normalization needs no batch"),
            _case(3, 2, 2, "two features per sample"),
            _case(5, 4, 3, "γ equal to 1 for every feature: the normalization alone", gamma=np.ones(4)),
            _case(2, 5, 4, "a gradient equal for every feature moves nothing", gamma=np.ones(5), dout=np.ones((2, 5))),
            _case(3, 8, 5, "inputs far from 0 with a large spread", offset=100.0, scale=30.0),
            _case(4, 3, 6, "a larger ε", eps=0.5),
            _case(3, 4, 7, "features of tiny spread: ε matters", scale=1e-3),
        ],
        switched_off=("dlscratch.layers.BatchNorm",),
        rtol=1e-7,
        atol=1e-10,
        hint=(
            "layer normalization runs the graph of batch normalization along the other axis: each sample is "
            "normalized with its own mean and variance over its features. Redo the backward pass of 'The "
            "backward pass' along that axis, and mind that γ now differs along the averaged axis, so the "
            "gradient reaching x̂ is no longer γ times one shared factor"
        ),
    )
)

# ----------------------------------------------------------------------------- exercise 2: notes_momentum_steps

#: the ``momentum`` of exercise 2, in the notes' convention (the weight of the old value)
NOTES_MOMENTUM = 0.99
#: how close the running mean must come to the batch mean: within this share of the distance it started at
TOLERANCE = 0.01

register(
    ValueExercise(
        id="ch08.notes_momentum_steps",
        expected=math.ceil(math.log(TOLERANCE) / math.log(NOTES_MOMENTUM)),
        rtol=0.0,
        atol=0.0,
        describe="the number of training steps",
        hint=(
            "first decide which of the two conventions of 'Training and evaluation: running statistics' the "
            "notes' code uses; then write the distance between the running mean and the batch mean after k "
            "steps, and find the smallest k that brings it below 1 % of where it started"
        ),
    )
)
