"""Exercises of chapter 6, optimizers (``chapters/06_optimizers.md``).

The chapter builds Adam from momentum and RMSprop, and analyses momentum on a
quadratic through the roots of its characteristic equation. The exercises
carry both ideas to cases the chapter does not do: Adamax, which replaces
Adam's moving average of squared gradients by a decaying maximum of their
sizes (an optimizer the package does not have; PyTorch's ``torch.optim.Adamax``
takes the same steps, ``tests/test_ch06_support.py`` checks it), and the
convergence rate of momentum where a root of the characteristic equation is
real, not complex.

While ``adamax_step`` is checked, all of :mod:`dlscratch.optim` is switched
off: the package and each of its modules.
"""

from __future__ import annotations

import math

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- exercise 1: adamax_step


def _adamax_step(param, m, u, grad, *, step, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
    """m ← β₁m + (1 − β₁)g, u ← max(β₂u, |g| + ε), θ ← θ − η/(1 − β₁ᵗ) · m/u (torch.optim.Adamax)."""
    param, m, u, grad = (np.array(a, dtype=float) for a in (param, m, u, grad))
    m = beta1 * m + (1 - beta1) * grad
    u = np.maximum(beta2 * u, np.abs(grad) + eps)
    return param - lr / (1 - beta1**step) * m / u, m, u


def _adamax_run(grads, *, lr, step=1):
    """The state (θ, m, u) after a sequence of steps from θ = m = u = 0, starting at step number ``step``."""
    grads = [np.asarray(g, dtype=float) for g in grads]
    state = (np.zeros_like(grads[0]), np.zeros_like(grads[0]), np.zeros_like(grads[0]))
    for t, g in enumerate(grads, start=step):
        state = _adamax_step(*state, g, step=t, lr=lr)
    return state


_ZERO2 = np.zeros(2)
_GRAD2 = np.array([3.0, -0.002])
# (θ, m, u) after three steps, then the inputs of a fourth with a smaller gradient: u decays instead of jumping
_THETA3, _M3, _U3 = _adamax_run([[1.0, -1.0], [2.0, 0.5], [-0.5, 4.0]], lr=0.01)
_SMALL = np.array([0.1, -0.2])
_MATRIX = np.array([[0.5, -2.0, 0.0], [1e-3, 7.0, -0.25]])  # (2, 3): any shape

register(
    FunctionExercise(
        id="ch06.adamax_step",
        name="adamax_step",
        cases=[
            Case(
                (_ZERO2, _ZERO2, _ZERO2, _GRAD2),
                _adamax_step(_ZERO2, _ZERO2, _ZERO2, _GRAD2, step=1),
                {"step": 1},
                note="the first step: every coordinate moves by about the learning rate, whatever its gradient",
            ),
            Case(
                (_THETA3, _M3, _U3, _SMALL),
                _adamax_step(_THETA3, _M3, _U3, _SMALL, step=4, lr=0.01),
                {"step": 4, "lr": 0.01},
                note="a smaller gradient than before: the maximum decays by beta2 instead of following it down",
            ),
            Case(
                (np.full(2, 0.5), np.array([0.2, -0.1]), np.array([1.0, 2.0]), np.array([-4.0, 2.5])),
                _adamax_step(
                    np.full(2, 0.5), np.array([0.2, -0.1]), np.array([1.0, 2.0]), np.array([-4.0, 2.5]), step=10
                ),
                {"step": 10},
                note="a larger gradient than the decayed maximum: it becomes the new maximum",
            ),
            Case(
                (np.ones(3), np.zeros(3), np.zeros(3), np.zeros(3)),
                (np.ones(3), np.zeros(3), np.full(3, 1e-8)),
                {"step": 1},
                note="a zero gradient at the start: no step, and no division by zero",
            ),
            Case(
                (_MATRIX, np.zeros_like(_MATRIX), np.zeros_like(_MATRIX), _MATRIX),
                _adamax_step(_MATRIX, np.zeros_like(_MATRIX), np.zeros_like(_MATRIX), _MATRIX, step=1, beta1=0.5),
                {"step": 1, "beta1": 0.5},
                note="a matrix of parameters, and another beta1 (so another bias correction)",
            ),
            Case(
                ([1.0, 2.0], [0.0, 0.0], [0.0, 0.0], [1, -1]),
                _adamax_step([1.0, 2.0], [0.0, 0.0], [0.0, 0.0], [1, -1], step=1, lr=0.5, beta2=0.9, eps=0.0),
                {"step": 1, "lr": 0.5, "beta2": 0.9, "eps": 0.0},
                note="lists of numbers, integer gradients, and other hyperparameters",
            ),
        ],
        switched_off=(
            "dlscratch.optim",
            "dlscratch.optim.optimizers",
            "dlscratch.optim.schedules",
            "dlscratch.optim.surfaces",
        ),
        rtol=1e-10,
        atol=1e-14,
        hint=(
            "write Adam's step from the section 'Adam: momentum and RMSprop together' and change only the "
            "second moment: keep the first moment and its bias correction; the maximum needs no correction. "
            "Work on float copies, so that the caller's arrays stay as they were"
        ),
    )
)


# ----------------------------------------------------------------------------- exercise 2: momentum_halving_steps

#: the quadratic f(x) = ½ (λ₁ x₁² + λ₂ x₂²) of the exercise, and the hyperparameters of heavy-ball momentum
HALVING_CURVATURES = (1.0, 100.0)
HALVING_LR, HALVING_MOMENTUM = 0.01, 0.5


def _momentum_rate(curvatures, lr, momentum) -> float:
    """The asymptotic factor per step of heavy-ball momentum on ½ Σ λ x²: the largest |root| of
    r² − (1 + μ − ηλ) r + μ = 0 over the curvatures λ."""
    return max(float(np.max(np.abs(np.roots([1.0, -(1 + momentum - lr * lam), momentum])))) for lam in curvatures)


register(
    ValueExercise(
        id="ch06.momentum_halving_steps",
        expected=math.log(2) / -math.log(_momentum_rate(HALVING_CURVATURES, HALVING_LR, HALVING_MOMENTUM)),
        rtol=1e-3,
        describe="the number of steps that halve the distance,",
        hint=(
            "each curvature gives its own recurrence of two terms and its own characteristic equation, as in "
            "'Momentum'; the slowest direction sets the rate. Check whether the roots are complex there: "
            "if they are real, their size is not the square root of the momentum"
        ),
    )
)
