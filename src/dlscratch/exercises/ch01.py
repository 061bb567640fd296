"""Exercises of chapter 1, activation functions (``chapters/01_activations.md``)."""

from __future__ import annotations

import math

import numpy as np

from .. import activations as act
from .core import Case, FunctionExercise, ValueExercise, register

_GRID = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
_MATRIX = np.array([[-2.0, -1e-3, 0.0], [1e-3, 2.0, 1e3]])

register(
    FunctionExercise(
        id="ch01.leaky_relu",
        name="leaky_relu",
        cases=[
            Case((2.0,), 2.0, note="positive inputs pass through"),
            Case((-2.0,), -0.02, note="negative inputs are scaled by the default slope 0.01"),
            Case((0.0,), 0.0),
            Case((_GRID,), act.leaky_relu(_GRID), note="it must work element-wise on arrays"),
            Case((_MATRIX,), act.leaky_relu(_MATRIX), note="any shape"),
            Case((_GRID,), act.leaky_relu(_GRID, 0.2), {"negative_slope": 0.2}),
            Case((_GRID,), act.leaky_relu(_GRID, 0.0), {"negative_slope": 0.0}, note="slope 0 is ReLU"),
            Case((np.array([-1000.0, 1000.0]),), np.array([-10.0, 1000.0])),
        ],
        hint="use np.where(x > 0, x, negative_slope * x): an `if` cannot look at a whole array",
    )
)

_WIDE = np.array([-1000.0, -745.0, -709.5, -30.0, -1.0, 0.0, 1.0, 30.0, 709.5, 1000.0])

register(
    FunctionExercise(
        id="ch01.sigmoid",
        name="sigmoid",
        cases=[
            Case((0.0,), 0.5),
            Case((2.0,), 1 / (1 + math.exp(-2.0))),
            Case((np.array([-1.0, 1.0]),), act.sigmoid(np.array([-1.0, 1.0])), note="element-wise on arrays"),
            Case((_MATRIX,), act.sigmoid(_MATRIX), note="any shape"),
            Case((_WIDE,), act.sigmoid(_WIDE), note="no overflow, no warning, even at ±1000"),
        ],
        rtol=1e-12,
        atol=0.0,
        hint="only ever exponentiate -|x|: for x < 0 use e^x / (1 + e^x)",
    )
)

register(
    ValueExercise(
        id="ch01.sigmoid_grad_max",
        expected=0.25,
        describe="max σ'(x) =",
        hint="σ'(x) = σ(x)(1 - σ(x)) is largest where σ(x) = 1/2",
    )
)

register(
    ValueExercise(
        id="ch01.exp_overflow_float64",
        expected=math.log(np.finfo(np.float64).max),
        rtol=1e-9,
        describe="the largest x with a finite np.exp(x) in float64, about",
        hint="e^x overflows where x > ln(largest float64) = ln(1.797e308)",
    )
)

register(
    ValueExercise(
        id="ch01.vanishing_product",
        expected=0.25**10,
        rtol=1e-9,
        describe="the largest possible product of 10 sigmoid derivatives,",
        hint="each factor σ'(z) is at most 1/4",
    )
)
