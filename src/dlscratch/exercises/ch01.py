"""Exercises of chapter 1, activation functions (``chapters/01_activations.md``).

Both coding exercises carry the chapter's ideas to functions the chapter does
not write: softplus (the sign split of the stable sigmoid, and ``log1p``) and
the derivative of SiLU (the product rule on top of a stable sigmoid).
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations as act
from .core import Case, FunctionExercise, ValueExercise, register


def _softplus(x) -> np.ndarray:
    """log(1 + e^x), computed exactly where it matters (the reference for the cases)."""
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _silu_grad(x) -> np.ndarray:
    """d/dx [x σ(x)] = σ(x) (1 + x (1 - σ(x))), with 1 - σ(x) = σ(-x)."""
    x = np.asarray(x, dtype=float)
    return act.sigmoid(x) * (1.0 + x * act.sigmoid(-x))


_GRID = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
_MATRIX = np.array([[-2.0, -1e-3, 0.0], [1e-3, 2.0, 30.0]])
_FAR = np.array([-1000.0, -745.0, -740.0, -40.0, 40.0, 745.0, 1000.0])

register(
    FunctionExercise(
        id="ch01.softplus",
        name="softplus",
        cases=[
            Case((0.0,), math.log(2.0), note="softplus(0) = log 2"),
            Case((1.0,), math.log1p(math.e)),
            Case((-1.0,), math.log1p(math.exp(-1.0))),
            Case((_GRID,), _softplus(_GRID), note="element-wise on arrays"),
            Case((_MATRIX,), _softplus(_MATRIX), note="any shape"),
            Case((np.array([1000.0]),), np.array([1000.0]), note="far right, softplus(x) is x: no overflow"),
            Case(
                (np.array([-40.0, -740.0]),),
                np.array([math.exp(-40.0), math.exp(-740.0)]),
                note="far left, softplus(x) ≈ e^x: tiny, but not 0 (1 + tiny rounds to 1 before the log)",
            ),
            Case((_FAR,), _softplus(_FAR), note="no warning anywhere"),
        ],
        switched_off=("dlscratch.losses.sigmoid_cross_entropy",),  # with target 0 it is softplus
        rtol=1e-12,
        atol=0.0,
        hint=(
            "reread the section on overflow: split by sign so that only e^(-|x|) is ever "
            "computed, and remember that log(1 + u) loses a tiny u unless you use the function made for it"
        ),
    )
)

register(
    FunctionExercise(
        id="ch01.silu_grad",
        name="silu_grad",
        cases=[
            Case((0.0,), 0.5, note="SiLU'(0) = σ(0) = 1/2"),
            Case((2.0,), float(_silu_grad(2.0))),
            Case((-2.0,), float(_silu_grad(-2.0)), note="negative: SiLU is not monotone"),
            Case((_GRID,), _silu_grad(_GRID), note="element-wise on arrays"),
            Case((_MATRIX,), _silu_grad(_MATRIX), note="any shape"),
            Case(
                (np.array([-1.2784645427610738]),),
                np.array([0.0]),
                note="SiLU has its minimum here, so the derivative is 0",
            ),
            Case((_FAR,), _silu_grad(_FAR), note="saturated tails: 0 on the left, 1 on the right, no warning"),
        ],
        switched_off=(),  # the package has no SiLU; act.sigmoid may be used
        rtol=1e-9,
        atol=1e-12,
        hint=(
            "SiLU is a product of x and σ(x): differentiate it with the product rule and write σ' in terms "
            "of σ (the table in 'Derivatives side by side'); a sigmoid that overflows fails the far cases"
        ),
    )
)

register(
    ValueExercise(
        id="ch01.sigmoid_rounds_to_one",
        expected=np.array([37.0, 17.0]),
        rtol=0.0,
        describe="the smallest integers (float64, float32) with σ(x) == 1.0,",
        hint=(
            "σ(x) = 1/(1 + e^(-x)) is exactly 1.0 once 1 + e^(-x) rounds to 1: compare e^(-x) with the gap "
            "between 1 and the next float of that type"
        ),
    )
)
