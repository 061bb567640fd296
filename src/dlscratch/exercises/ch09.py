"""Exercises of chapter 9, regularization (``chapters/09_regularization.md``).

The chapter trains with penalties through their (sub)gradients and shows that
the L1 subgradient makes small weights hop around zero instead of landing on
it. The exercises carry the ideas to cases the chapter did not treat:

1. the *proximal* step for the L1 penalty (soft thresholding): a gradient
   step on the loss, then the exact minimiser of the L1 term plus the
   squared distance to that point, which sets small weights exactly to 0;
2. the variance that inverted dropout adds to a single activation.

``dlscratch.regularization`` (the penalties and their subgradients) is
switched off while exercise 1 is checked.
"""

from __future__ import annotations

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- exercise 1: l1_proximal_step


def _l1_proximal_step(w, grad, *, lr, lam):
    z = np.asarray(w, dtype=float) - lr * np.asarray(grad, dtype=float)  # the plain gradient step
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0.0)  # then shrink towards 0 by lr·lam, not past it


def _case(w, grad, lr, lam, note):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    return Case((w, grad), _l1_proximal_step(w, grad, lr=lr, lam=lam), kwargs={"lr": lr, "lam": lam}, note=note)


register(
    FunctionExercise(
        id="ch09.l1_proximal_step",
        name="l1_proximal_step",
        cases=[
            _case([2.0, -3.0], [0.0, 0.0], 0.1, 1.0, "no loss gradient: every weight moves lr·lam towards 0"),
            _case([0.05, -0.05, 0.0], [0.0, 0.0, 0.0], 0.1, 1.0, "a weight closer to 0 than lr·lam lands on 0"),
            _case([1.0, -1.0], [2.0, -2.0], 0.1, 0.0, "no penalty: a plain gradient step"),
            _case([0.3, 0.3], [5.0, -5.0], 0.1, 1.0, "the loss gradient may carry a weight across 0 first"),
            _case([0.1, -0.2], [1.0, -2.0], 0.1, 0.5, "weights the gradient step puts within lr·lam of 0"),
            _case(
                np.linspace(-1.0, 1.0, 12).reshape(3, 4),
                np.linspace(0.5, -0.5, 12).reshape(3, 4),
                0.2,
                2.0,
                "a (3, 4) weight matrix, shape kept",
            ),
            _case(np.array(4.0), np.array(1.0), 0.5, 3.0, "a 0-d array"),
        ],
        switched_off=("dlscratch.regularization",),
        rtol=1e-12,
        atol=1e-15,
        hint=(
            "after the gradient step, each weight solves its own one-dimensional problem: minimise lr·lam·|v| plus "
            "half the squared distance from v to where the gradient step landed. Treat a positive, a negative and a "
            "zero result separately, as in the section on the L1 penalty"
        ),
    )
)

# ----------------------------------------------------------------------------- exercise 2: dropout_variance

#: the activation and the drop probability of exercise 2
DROPOUT_X = 1.5
DROPOUT_P = 0.3

register(
    ValueExercise(
        id="ch09.dropout_variance",
        expected=DROPOUT_X**2 * DROPOUT_P / (1.0 - DROPOUT_P),
        rtol=1e-6,
        describe="the variance of the training output",
        hint=(
            "the training output takes only two values; write down each with its probability, then the "
            "variance is the mean square minus the square of the mean"
        ),
    )
)
