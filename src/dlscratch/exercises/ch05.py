"""Exercises of chapter 5, backpropagation (``chapters/05_backprop.md``).

The chapter differentiates layers that see one row per sample, and graphs in
which every value feeds one node. The exercises carry its ideas to the cases
it leaves out: a linear layer applied to the last axis of an input of any
shape (a sentence of word vectors, an image's pixels), where one weight matrix
is used at every position, so that the gradients of all its uses add up; and a
shopping graph in which two inputs feed two nodes each. The written exercise
counts what a backward pass costs against the numerical gradient of chapter 4;
``tests/test_ch05_support.py`` checks the numbers of its model answer.

``dlscratch.layers`` (whose ``Affine`` on a reshaped input, or ``Mul`` with
broadcasting, computes the weight gradient) and ``dlscratch.numgrad`` (whose
numerical gradient of a linear function is exact to about 1e-11) are switched
off while the coding exercise is checked.
"""

from __future__ import annotations

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- 1. linear_weight_grad


def _linear_weight_grad(x, dout) -> np.ndarray:
    """dL/dW of out = x @ W for x of shape (..., D): the sum over every position of x[..., d] * dout[..., m]."""
    x = np.asarray(x, dtype=float)
    dout = np.asarray(dout, dtype=float)
    leading = list(range(x.ndim - 1))  # every axis but the features: samples, positions, ...
    return np.tensordot(x, dout, axes=(leading, leading))  # (D, M)


def _case_arrays(shape_x, shape_dout, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape_x), rng.normal(size=shape_dout)


_ONE_X, _ONE_DOUT = np.array([1.0, -2.0, 0.5]), np.array([3.0, -1.0])  # one sample: (D,) = (3,), (M,) = (2,)
_BATCH_X, _BATCH_DOUT = _case_arrays((4, 3), (4, 2), 1)  # (N, D), (N, M)
_SEQ_X, _SEQ_DOUT = _case_arrays((2, 5, 3), (2, 5, 4), 2)  # (N, T, D): 2 sentences of 5 word vectors
_IMG_X, _IMG_DOUT = _case_arrays((2, 4, 4, 3), (2, 4, 4, 2), 3)  # (N, H, W, C): a 1x1 convolution
_COLUMN_X, _COLUMN_DOUT = _case_arrays((6, 1), (6, 1), 4)  # D = M = 1
_INT_X = np.arange(-6, 6).reshape(2, 2, 3)  # integers (N, T, D)
_INT_DOUT = np.linspace(-1.0, 1.0, 8).reshape(2, 2, 2)

register(
    FunctionExercise(
        id="ch05.linear_weight_grad",
        name="linear_weight_grad",
        cases=[
            Case((_ONE_X, _ONE_DOUT), np.outer(_ONE_X, _ONE_DOUT), note="one sample without a batch axis"),
            Case(
                (_BATCH_X, _BATCH_DOUT),
                _linear_weight_grad(_BATCH_X, _BATCH_DOUT),
                note="a batch of rows, as for the chapter's Affine layer",
            ),
            Case(
                (_SEQ_X, _SEQ_DOUT),
                _linear_weight_grad(_SEQ_X, _SEQ_DOUT),
                note="sentences: the weights are used at every word of every sentence",
            ),
            Case(
                (_IMG_X, _IMG_DOUT),
                _linear_weight_grad(_IMG_X, _IMG_DOUT),
                note="images with the channels last: the weights are used at every pixel",
            ),
            Case(
                (_COLUMN_X, _COLUMN_DOUT),
                _linear_weight_grad(_COLUMN_X, _COLUMN_DOUT),
                note="one input and one output feature: a 1 x 1 result",
            ),
            Case(
                (_INT_X, _INT_DOUT),
                _linear_weight_grad(_INT_X, _INT_DOUT),
                note="integer inputs",
            ),
        ],
        switched_off=("dlscratch.layers", "dlscratch.numgrad"),
        rtol=1e-10,
        atol=1e-12,
        hint=(
            "write one entry of the output as a sum over d, and ask which entries of the output the weight in "
            "row d, column m takes part in: it is used at every position of every sample, and where one value "
            "is used many times its gradients add (reread 'Where gradients add' and the Affine derivation)"
        ),
    )
)


# ----------------------------------------------------------------------------- 2. shop_gradient

#: the shop of exercise 2: n pens at price a, m notebooks at price o, tax factor τ on the goods,
#: delivery f per item, untaxed: total = τ (a n + o m) + f (n + m)
SHOP = {"a": 120.0, "n": 4.0, "o": 90.0, "m": 5.0, "f": 3.0, "tax": 1.08}


def shop_total(a, n, o, m, f, tax) -> float:
    """The total of exercise 2's shop: ``tax * (a * n + o * m) + f * (n + m)``."""
    return tax * (a * n + o * m) + f * (n + m)


def _shop_gradient() -> np.ndarray:
    """[∂/∂a, ∂/∂n, ∂/∂o, ∂/∂m, ∂/∂f, ∂/∂τ] of :func:`shop_total` at :data:`SHOP`, by hand."""
    a, n, o, m, f, tax = SHOP.values()
    return np.array([tax * n, tax * a + f, tax * m, tax * o + f, n + m, a * n + o * m])


register(
    ValueExercise(
        id="ch05.shop_gradient",
        expected=_shop_gradient(),
        rtol=1e-9,
        atol=1e-9,
        describe="[∂/∂a, ∂/∂n, ∂/∂o, ∂/∂m, ∂/∂f, ∂/∂τ] of the total,",
        hint=(
            "draw the graph: the number of pens feeds two nodes (the price of the pens and the number of "
            "items), and so does the number of notebooks; each path back from the total gives one product of "
            "local derivatives, and a value that feeds two nodes gets the sum of both"
        ),
    )
)
