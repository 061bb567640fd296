"""Exercises of chapter 4, numerical differentiation and gradient descent (``chapters/04_numerical_gradient.md``).

The chapter differentiates once and runs gradient descent on two bowls whose
axes are the coordinate axes. The exercises carry both ideas one step further:
a central difference of the *gradient* gives the Hessian, the matrix of second
derivatives that the chapter names in its Taylor section but never computes;
on a quadratic whose coordinates are coupled, the largest stable learning rate
is set by the largest eigenvalue of that matrix, not by a diagonal entry; and
near a minimum every smooth function is such a quadratic (the Rosenbrock
function, exercise 3).

The package has no Hessian and no learning-rate limit, so nothing is switched
off: the Hessian exercise may, and is meant to, use ``numgrad.numerical_gradient``.
"""

from __future__ import annotations

import math

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- exercise 1: numerical_hessian
# Each test function has its Hessian written out by hand, so the cases compare with the exact matrix.

_A3 = np.array([[3.0, -1.0, 0.5], [-1.0, 2.0, 0.0], [0.5, 0.0, 1.0]])  # (3, 3), symmetric
_B3 = np.array([1.0, -2.0, 0.5])  # (3,)


def quadratic(x):
    """f(x) = ½ xᵀAx + bᵀx with the symmetric A above: the Hessian is A at every point."""
    return float(0.5 * x @ _A3 @ x + _B3 @ x)


def exp_ridge(x):
    """f(x0, x1) = exp(x0 + 2 x1): Hessian exp(x0 + 2 x1) [[1, 2], [2, 4]], large third derivatives."""
    return float(np.exp(x[0] + 2.0 * x[1]))


def _exp_ridge_hessian(x) -> np.ndarray:
    return math.exp(x[0] + 2.0 * x[1]) * np.array([[1.0, 2.0], [2.0, 4.0]])


def mixed_cubic(x):
    """f(x0, x1) = x0² x1 + x1³: Hessian [[2 x1, 2 x0], [2 x0, 6 x1]]."""
    return float(x[0] ** 2 * x[1] + x[1] ** 3)


def _mixed_cubic_hessian(x) -> np.ndarray:
    return np.array([[2.0 * x[1], 2.0 * x[0]], [2.0 * x[0], 6.0 * x[1]]])


def log_sum_exp(x):
    """f(x) = log Σ exp(x) (chapter 2): Hessian diag(p) - p pᵀ with p = softmax(x)."""
    m = np.max(x)
    return float(m + np.log(np.sum(np.exp(x - m))))


def _log_sum_exp_hessian(x) -> np.ndarray:
    p = np.exp(x - np.max(x))
    p = p / p.sum()
    return np.diag(p) - np.outer(p, p)


def quartic(x):
    """f(x) = Σ x⁴, one variable here: Hessian [[12 x²]]."""
    return float(np.sum(x**4))


_LSE_POINT = np.array([0.5, -1.0, 2.0, 0.0])

register(
    FunctionExercise(
        id="ch04.numerical_hessian",
        name="numerical_hessian",
        cases=[
            Case(
                (quadratic, np.array([0.5, -1.0, 2.0])),
                _A3,
                note="a quadratic: its Hessian is its matrix, off-diagonal entries included",
            ),
            Case(
                (exp_ridge, np.array([0.5, 0.25])),
                _exp_ridge_hessian([0.5, 0.25]),
                note="large third derivatives: a one-sided difference is not accurate enough here",
            ),
            Case(
                (mixed_cubic, np.array([1.0, 2.0])),
                _mixed_cubic_hessian([1.0, 2.0]),
                note="mixed partial derivatives: the off-diagonal entries",
            ),
            Case(
                (log_sum_exp, _LSE_POINT),
                _log_sum_exp_hessian(_LSE_POINT),
                note="log-sum-exp of four numbers: a 4 x 4 Hessian",
            ),
            Case((quartic, np.array([1.5])), np.array([[12.0 * 1.5**2]]), note="one variable: a 1 x 1 matrix"),
            Case(
                (mixed_cubic, np.array([1, 2])),
                _mixed_cubic_hessian([1.0, 2.0]),
                note="integer input: a step of 1e-4 must not be rounded away",
            ),
        ],
        switched_off=(),  # the package has no Hessian; numgrad.numerical_gradient may (and should) be used
        rtol=1e-5,
        atol=1e-6,
        hint=(
            "column j of the Hessian is the derivative of the whole gradient with respect to x_j: take a "
            "central difference of the gradient along the j-th axis, on a float copy of x, and divide by the "
            "distance between the two points (reread 'The derivative and two difference quotients')"
        ),
    )
)


# ----------------------------------------------------------------------------- exercise 2: largest_stable_lr


def _largest_stable_lr(A) -> float:
    """2 / λmax: along each eigenvector of A one step multiplies by 1 - lr·λ, and |1 - lr·λ| < 1 iff lr < 2/λ."""
    return 2.0 / float(np.linalg.eigvalsh(np.asarray(A, dtype=float)).max())


_COUPLED = np.array([[2.0, 1.0], [1.0, 2.0]])  # eigenvalues 3 and 1: the limit is 2/3, not 2/2
_ANTI = np.array([[1.0, -0.9], [-0.9, 1.0]])  # eigenvalues 1.9 and 0.1
_TRIDIAGONAL = np.array([[4, 1, 0], [1, 3, 1], [0, 1, 2]])  # integers; eigenvalues 3 - √3, 3, 3 + √3

register(
    FunctionExercise(
        id="ch04.largest_stable_lr",
        name="largest_stable_lr",
        cases=[
            Case((np.array([[5.0]]),), 0.4, note="one variable: the curvature is the number itself"),
            Case(
                (np.diag([0.5, 4.0]),),
                0.5,
                note="uncoupled: the steepest axis sets the limit, as for the chapter's elongated bowl",
            ),
            Case((_COUPLED,), 2.0 / 3.0, note="coupled coordinates: the diagonal entries are not the curvatures"),
            Case((_ANTI,), 2.0 / 1.9, note="negative coupling: the steepest direction is (1, -1)"),
            Case(
                (_TRIDIAGONAL,),
                2.0 / (3.0 + math.sqrt(3.0)),
                note="three coupled variables, integer entries",
            ),
            Case((100.0 * _COUPLED,), 2.0 / 300.0, note="a hundred times steeper: a hundred times smaller"),
        ],
        switched_off=(),  # the package computes no learning-rate limit
        rtol=1e-8,
        atol=0.0,
        hint=(
            "write one step of gradient descent on this f as a multiplication of x by a matrix; along an "
            "eigenvector of A that matrix multiplies by a single number, as in 'The learning rate: too small, "
            "good, too large'. Which eigenvalue is the first to make that number leave the interval (-1, 1)?"
        ),
    )
)


# ----------------------------------------------------------------------------- exercise 3: rosenbrock_lr


def rosenbrock(x):
    """f(x0, x1) = (1 - x0)² + 100 (x1 - x0²)², minimum 0 at (1, 1)."""
    return float((1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2)


#: The exact Hessian of the Rosenbrock function at its minimum (1, 1).
ROSENBROCK_HESSIAN = np.array([[802.0, -400.0], [-400.0, 200.0]])

register(
    ValueExercise(
        id="ch04.rosenbrock_lr",
        expected=_largest_stable_lr(ROSENBROCK_HESSIAN),
        rtol=1e-5,
        describe="the largest stable learning rate near (1, 1),",
        hint=(
            "at a minimum the gradient vanishes, so Taylor's formula to second order leaves only the quadratic "
            "term: the Hessian at (1, 1) plays the part of the matrix A of exercise 2"
        ),
    )
)
