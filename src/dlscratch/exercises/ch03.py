"""Exercises of chapter 3, loss functions (``chapters/03_losses.md``)."""

from __future__ import annotations

import math

import numpy as np

from .. import losses
from .core import Case, FunctionExercise, ValueExercise, register

# Deep Learning from Scratch's example (notes 003): class 2 is the right one.
_PROBS = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
_ONE_HOT = np.eye(10)[2]
_BATCH = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5], [0.0, 0.3, 0.7]])
_LABELS = np.array([0, 1, 2, 0])  # the last sample gave its true class probability 0

register(
    FunctionExercise(
        id="ch03.mini_batch_cross_entropy",
        switched_off=("dlscratch.losses.cross_entropy", "dlscratch.losses.nll_loss"),
        name="mini_batch_cross_entropy",
        cases=[
            Case((_PROBS, _ONE_HOT), losses.cross_entropy(_PROBS, _ONE_HOT), note="one sample, one-hot target"),
            Case((_PROBS, np.int64(2)), losses.cross_entropy(_PROBS, 2), note="one sample, a class label"),
            Case(
                (_BATCH[:3], np.eye(3)[_LABELS[:3]]),
                losses.cross_entropy(_BATCH[:3], _LABELS[:3]),
                note="a mini-batch of one-hot rows: the mean over the batch",
            ),
            Case(
                (_BATCH[:3], _LABELS[:3]),
                losses.cross_entropy(_BATCH[:3], _LABELS[:3]),
                note="a mini-batch of class labels",
            ),
            Case(
                (np.concatenate([_BATCH[:3], _BATCH[:3]]), np.concatenate([_LABELS[:3], _LABELS[:3]])),
                losses.cross_entropy(_BATCH[:3], _LABELS[:3]),
                note="the batch twice over has the same mean loss",
            ),
            Case(
                (_BATCH, _LABELS),
                losses.cross_entropy(_BATCH, _LABELS),
                note="a true-class probability of 0 costs -log(1e-7), with no log(0) warning",
            ),
        ],
        rtol=1e-5,  # log(p + 1e-7) (the notes) and log(max(p, 1e-7)) both pass
        atol=1e-8,
        hint="use probs.ndim (numpy has no .dim); labels pick probs[np.arange(N), labels]; divide by N",
    )
)

_LOGITS = np.array([[2.0, -1.0, 0.0], [-3.0, 5.0, 0.5]])
_SOFT = np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 0.5]])

register(
    FunctionExercise(
        id="ch03.sigmoid_cross_entropy",
        switched_off=("dlscratch.losses.sigmoid_cross_entropy",),
        name="sigmoid_cross_entropy",
        cases=[
            Case((0.0, 1.0), math.log(2.0), note="σ(0) = 1/2 costs log 2 for either target"),
            Case((0.0, 0.0), math.log(2.0)),
            Case((5.0, 0.0), losses.sigmoid_cross_entropy(5.0, 0.0), note="a confident wrong 'yes' costs about 5"),
            Case((-5.0, 1.0), losses.sigmoid_cross_entropy(-5.0, 1.0)),
            Case(
                (np.array([1.0, 1.0, -4000.0, -4000.0]), np.array([0.0, 0.0, 0.0, 1.0])),
                losses.sigmoid_cross_entropy([1, 1, -4000, -4000], [0, 0, 0, 1]),
                note="the notes' example: mean over the elements, no overflow",
            ),
            Case((np.array([4000.0]), np.array([0.0])), 4000.0, note="no overflow for large positive logits either"),
            Case((_LOGITS, _SOFT), losses.sigmoid_cross_entropy(_LOGITS, _SOFT), note="any shape, soft targets"),
        ],
        rtol=1e-9,
        atol=1e-12,
        hint="max(z, 0) - z*y + log1p(exp(-|z|)), averaged with np.mean; keep the (1 - y) term",
    )
)

register(
    ValueExercise(
        id="ch03.two_stage_ceiling",
        expected=-math.log(1e-7),
        rtol=1e-9,
        describe="the largest loss the two-stage cross-entropy with δ = 1e-7 can report,",
        hint="a probability that underflowed to 0 is clipped up to δ, and the loss is -log δ",
    )
)

register(
    ValueExercise(
        id="ch03.dim_pitfall_factor",
        expected=10.0,
        rtol=1e-5,  # the notes' +1e-7 inside the log moves the ratio by about 3e-7
        describe="correct loss / the notes' torch result =",
        hint="for a 1-D tensor of C classes, y.shape[0] is C, not the batch size 1",
    )
)
