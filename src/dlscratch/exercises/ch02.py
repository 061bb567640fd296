"""Exercises of chapter 2, softmax and numerical stability (``chapters/02_softmax.md``)."""

from __future__ import annotations

import math

import numpy as np

from .. import softmax as sm
from .core import Case, FunctionExercise, ValueExercise, register

_ROW = np.array([1.0, 2.0, 3.0])
_BATCH = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0], [5.0, 5.0, 5.0]])  # (N, C) = (3, 3)
_CUBE = np.arange(24.0).reshape(2, 3, 4) / 3  # (2, 3, 4): any leading axes
_HUGE = np.array([1.0, 1.0, 1.0, 4000.0])  # the notes' example (004)
_FAR_APART = np.array([[0.0, 1.0], [-1000.0, -1001.0], [1000.0, 1001.0]])  # rows far from each other
_TINY = np.array([-1000.0, -1000.0])

register(
    FunctionExercise(
        id="ch02.softmax",
        switched_off=("dlscratch.softmax.softmax", "dlscratch.softmax.log_softmax"),
        name="softmax",
        cases=[
            Case((_ROW,), sm.softmax(_ROW), note="one row of logits"),
            Case((np.zeros(4),), np.full(4, 0.25), note="equal logits give equal probabilities"),
            Case((_BATCH,), sm.softmax(_BATCH), note="a batch (N, C): each row must sum to 1 on its own"),
            Case((_CUBE,), sm.softmax(_CUBE), note="any shape: normalise over the last axis"),
            Case((_HUGE,), np.array([0.0, 0.0, 0.0, 1.0]), note="exp(4000) overflows: subtract the max first"),
            Case((_TINY,), np.array([0.5, 0.5]), note="exp(-1000) underflows to 0, and 0/0 is NaN"),
            Case((_FAR_APART,), sm.softmax(_FAR_APART), note="subtract each row's own max, not the global max"),
            Case((np.array([1e308, 1e308]),), np.array([0.5, 0.5])),
        ],
        rtol=1e-12,
        atol=1e-300,
        hint="shift = x.max(axis=-1, keepdims=True); e = np.exp(x - shift); return e / e.sum(axis=-1, keepdims=True)",
    )
)

register(
    FunctionExercise(
        id="ch02.logsumexp",
        switched_off=("dlscratch.softmax.logsumexp", "dlscratch.softmax.log_softmax"),
        name="logsumexp",
        cases=[
            Case((_ROW,), sm.logsumexp(_ROW), note="log(e^1 + e^2 + e^3)"),
            Case((np.zeros(2),), math.log(2.0), note="log(1 + 1)"),
            Case((_BATCH,), sm.logsumexp(_BATCH), note="a batch (N, C) gives N numbers"),
            Case((_CUBE,), sm.logsumexp(_CUBE), note="any shape: reduce the last axis"),
            Case((np.array([1000.0, 1000.0]),), 1000.0 + math.log(2.0), note="exp(1000) overflows"),
            Case((_TINY,), -1000.0 + math.log(2.0), note="exp(-1000) underflows: log(0) = -inf"),
            Case((_FAR_APART,), sm.logsumexp(_FAR_APART), note="each row has its own max"),
        ],
        rtol=1e-12,
        atol=0.0,
        hint="logsumexp(x) = m + log(sum(exp(x - m))) with m = x.max(axis=-1, keepdims=True); then drop that axis",
    )
)

_J = np.diag(sm.softmax(_ROW)) - np.outer(sm.softmax(_ROW), sm.softmax(_ROW))

register(
    ValueExercise(
        id="ch02.softmax_jacobian",
        expected=_J,
        rtol=1e-9,
        atol=1e-12,
        describe="the Jacobian",
        hint="J[i, j] = p_i (δ_ij - p_j), i.e. np.diag(p) - np.outer(p, p) with p = softmax([1, 2, 3])",
    )
)

register(
    ValueExercise(
        id="ch02.temperature_overflow",
        expected=3.0 / math.log(float(np.finfo(np.float32).max)),
        rtol=1e-6,
        describe="the smallest safe temperature",
        hint="the largest score is 3 / T; exp overflows in float32 once it exceeds ln(3.4e38) ≈ 88.72",
    )
)
