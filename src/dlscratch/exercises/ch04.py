"""Exercises of chapter 4, numerical differentiation (``chapters/04_numerical_gradient.md``)."""

from __future__ import annotations

import math

import numpy as np

from .. import numgrad
from .core import Case, FunctionExercise, ValueExercise, register


def function_2(x):
    """The notes' f(x0, x1) = x0² + x1²."""
    return x[0] ** 2 + x[1] ** 2


def sum_of_squares(x):
    """f(x) = Σ x², gradient 2x, for an array of any shape."""
    return float(np.sum(x**2))


def weighted_cubes(x):
    """f(x) = Σ c·x³ with c = 1, 2, 3, ... in C order, gradient 3c·x²; any shape."""
    coefficients = np.arange(1, x.size + 1, dtype=float).reshape(x.shape)
    return float(np.sum(coefficients * x**3))


def log_sum_exp(x):
    """f(x) = log Σ exp(x), gradient softmax(x); any shape."""
    m = np.max(x)
    return float(m + np.log(np.sum(np.exp(x - m))))


def _grad(f, x):
    return numgrad.numerical_gradient(f, x)


_MATRIX = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])  # (2, 3)
_CUBE = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)  # (2, 3, 4)

register(
    FunctionExercise(
        id="ch04.numerical_gradient",
        switched_off=("dlscratch.numgrad.numerical_gradient",),
        name="numerical_gradient",
        cases=[
            Case((function_2, np.array([3.0, 4.0])), np.array([6.0, 8.0]), note="the notes' example"),
            Case((sum_of_squares, _MATRIX), 2 * _MATRIX, note="a 2-D array: loop over every entry, not over rows"),
            Case((weighted_cubes, _MATRIX), _grad(weighted_cubes, _MATRIX), note="a different slope per entry"),
            Case((log_sum_exp, _CUBE), _grad(log_sum_exp, _CUBE), note="a 3-D array"),
            Case(
                (sum_of_squares, np.array([1, 2, 3])),
                np.array([2.0, 4.0, 6.0]),
                note="integer input: x + h must not be rounded back to an integer",
            ),
            Case((weighted_cubes, np.array(2.0)), np.array(12.0), note="a 0-d array is one entry"),
        ],
        rtol=1e-6,
        atol=1e-8,
        hint=(
            "work on a float copy (x.astype(float)), loop with np.ndindex(x.shape), and use the central "
            "difference (f(x + h) - f(x - h)) / (2h) with h = 1e-4"
        ),
    )
)

register(
    FunctionExercise(
        id="ch04.gradient_descent",
        switched_off=("dlscratch.numgrad.gradient_descent",),
        name="gradient_descent",
        cases=[
            Case(
                (function_2, np.array([-3.0, 4.0])),
                numgrad.gradient_descent(function_2, [-3.0, 4.0], lr=0.1, num_steps=100)[-1],
                {"lr": 0.1, "step_num": 100},
                note="the notes' example: close to (0, 0)",
            ),
            Case(
                (function_2, np.array([-3.0, 4.0])),
                numgrad.gradient_descent(function_2, [-3.0, 4.0], lr=0.01, num_steps=100)[-1],
                note="default lr = 0.01 and step_num = 100",
            ),
            Case(
                (sum_of_squares, _MATRIX),
                numgrad.gradient_descent(sum_of_squares, _MATRIX, lr=0.2, num_steps=7)[-1],
                {"lr": 0.2, "step_num": 7},
                note="a 2-D starting point",
            ),
            Case(
                (function_2, np.array([3, -4])),
                numgrad.gradient_descent(function_2, [3.0, -4.0], lr=0.3, num_steps=5)[-1],
                {"lr": 0.3, "step_num": 5},
                note="an integer starting point: x -= lr * grad cannot write floats into an int array",
            ),
            Case(
                (function_2, np.array([-3.0, 4.0])),
                np.array([-3.0, 4.0]),
                {"lr": 0.5, "step_num": 0},
                note="zero steps return the start",
            ),
        ],
        rtol=1e-6,
        atol=1e-9,
        hint="start from a float copy, x = np.array(init_x, dtype=float), and repeat x = x - lr * grad",
    )
)

register(
    ValueExercise(
        id="ch04.one_step_lr",
        expected=0.5,
        rtol=1e-6,
        describe="the learning rate",
        hint="one step maps x to (1 - 2·lr)·x for f = x0² + x1²",
    )
)

# f(x0, x1) = x0²·x1 + sin(x1) at (1, 2), direction (3, 4) / 5: ∇f = (2·x0·x1, x0² + cos x1) = (4, 1 + cos 2).
register(
    ValueExercise(
        id="ch04.directional_derivative",
        expected=(3 * 4 + 4 * (1 + math.cos(2.0))) / 5,
        rtol=1e-6,
        describe="the directional derivative",
        hint="D_u f = ∇f · u with the unit vector u = (0.6, 0.8)",
    )
)

register(
    ValueExercise(
        id="ch04.steepest_rate",
        expected=math.hypot(4.0, 1 + math.cos(2.0)),
        rtol=1e-6,
        describe="the largest rate of increase",
        hint="the largest directional derivative is the length of the gradient, |∇f|",
    )
)
