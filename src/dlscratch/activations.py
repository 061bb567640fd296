"""Activation functions and their derivatives (chapter 1, ``chapters/01_activations.md``).

Every function takes a number or an array of any shape, works element-wise,
returns a new array (a numpy scalar for a scalar input) and never modifies its
input. Integer and bool input is computed in float64; float16/32/64 input keeps
its dtype. ``f_grad(x)`` is the derivative ``f'(x)``, evaluated at the *input*
``x`` (the layers of chapter 5 reuse the forward output instead).

At the kinks the derivatives follow PyTorch's autograd, so that the book can
compare them exactly: ``relu_grad(0) = 0``, ``leaky_relu_grad(0) = slope``,
``step_grad(x) = 0`` everywhere (the step's jump at 0 has no derivative).

References: Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.3;
Glorot & Bengio (2010); Nair & Hinton (2010); Maas, Hannun & Ng (2013).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_positive

__all__ = [
    "leaky_relu",
    "leaky_relu_grad",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_clipped",
    "sigmoid_grad",
    "step",
    "step_grad",
    "tanh",
    "tanh_grad",
]


def _out(a: np.ndarray):
    """Return a 0-d result as a numpy scalar, anything else unchanged."""
    return a[()] if a.ndim == 0 else a


def step(x):
    """Heaviside step: 1 where ``x > 0``, else 0 (NaN stays NaN).

    Parameters
    ----------
    x : (...) array_like

    Returns
    -------
    (...) ndarray of 0.0 and 1.0, same floating dtype as ``x``.
    """
    x = as_float_array(x)
    return _out(np.where(np.isnan(x), x, (x > 0).astype(x.dtype)))


def step_grad(x):
    """Derivative of :func:`step`: 0 everywhere (NaN stays NaN); the jump at 0 has none."""
    x = as_float_array(x)
    return _out(np.where(np.isnan(x), x, np.zeros_like(x)))


def sigmoid(x):
    """Logistic sigmoid ``σ(x) = 1 / (1 + e^{-x})``, with no overflow for any input.

    The textbook formula computes ``e^{-x}``, which overflows to ``inf`` (with a
    RuntimeWarning) once ``-x > 709.78`` in float64. This version splits on the
    sign and only ever exponentiates ``-|x|`` (so the exponential lies in
    ``(0, 1]``)::

        x >= 0:  σ(x) = 1 / (1 + e^{-x})
        x <  0:  σ(x) = e^{x} / (1 + e^{x})      (the same value, multiplied by e^x / e^x)

    Both branches are exact rewrites, so the result is accurate to a few ulp
    everywhere, including tiny values such as ``σ(-740) ≈ 4e-322``, which
    :func:`sigmoid_clipped` (the notes' fix) rounds to ``σ(-709)``.

    Parameters
    ----------
    x : (...) array_like

    Returns
    -------
    (...) ndarray in ``[0, 1]``, same floating dtype as ``x``.
    """
    x = as_float_array(x)
    z = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
    return _out(np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False))


def sigmoid_clipped(x, max_exp: float = 709.0):
    """The notes' fix for the overflow: clip ``x`` at ``-max_exp`` before ``1 / (1 + e^{-x})``.

    Correct for ``x >= -max_exp`` in float64, but every ``x < -max_exp`` gets
    the same value ``σ(-max_exp)`` instead of its own (ever smaller) value.
    Chapter 1 compares it with :func:`sigmoid`; use :func:`sigmoid` in code.
    """
    max_exp = check_positive(max_exp, "max_exp")
    x = as_float_array(x)
    return _out(1 / (1 + np.exp(-np.clip(x, -max_exp, None))))


def sigmoid_grad(x):
    """Derivative ``σ'(x) = σ(x) (1 - σ(x))``; at most 1/4, at ``x = 0``.

    Computed as ``σ(-|x|) σ(|x|) = (z / (1 + z)) (1 / (1 + z))`` with
    ``z = e^{-|x|}`` (the same value: σ' is even), which keeps full relative
    accuracy in the tails and never rounds above 1/4. The product
    ``s * (1 - s)`` loses it there: for ``x = 30``, ``1 - s`` subtracts two
    numbers that agree in 13 digits.
    """
    x = as_float_array(x)
    z = np.exp(-np.abs(x))
    return _out((z / (1 + z)) * (1 / (1 + z)))


def tanh(x):
    """Hyperbolic tangent ``(e^x - e^{-x}) / (e^x + e^{-x}) = 2σ(2x) - 1``, in ``(-1, 1)``.

    Uses :func:`numpy.tanh`, which never overflows. The notes' formula
    ``(1 - e^{-2x}) / (1 + e^{-2x})`` gives ``inf/inf = nan`` for ``x < -354.9``.
    """
    x = as_float_array(x)
    return _out(np.tanh(x))


def tanh_grad(x):
    """Derivative ``tanh'(x) = 1 - tanh(x)^2``; at most 1, at ``x = 0``.

    Computed as ``4 (z / (1 + z)) (1 / (1 + z))`` with ``z = e^{-2|x|}`` (that is ``sech^2 x``),
    accurate in the tails, where ``1 - tanh(x)^2`` cancels to 0 or to ~1e-16.
    """
    x = as_float_array(x)
    z = np.exp(-2 * np.abs(x))
    return _out(4 * (z / (1 + z)) * (1 / (1 + z)))


def relu(x):
    """Rectified linear unit ``max(0, x)`` (NaN stays NaN)."""
    x = as_float_array(x)
    return _out(np.where(x > 0, x, np.where(np.isnan(x), x, 0)).astype(x.dtype, copy=False))


def relu_grad(x):
    """Derivative of :func:`relu`: 1 where ``x > 0``, else 0 (0 at the kink, as in PyTorch)."""
    x = as_float_array(x)
    return _out(np.where(np.isnan(x), x, (x > 0).astype(x.dtype)))


def leaky_relu(x, negative_slope: float = 0.01):
    """Leaky ReLU: ``x`` where ``x > 0``, else ``negative_slope * x``.

    Parameters
    ----------
    x : (...) array_like
    negative_slope : float, default 0.01
        The slope for ``x <= 0`` (PyTorch's name and default); must be >= 0.
        ``0`` gives :func:`relu`.
    """
    negative_slope = check_positive(negative_slope, "negative_slope", allow_zero=True)
    x = as_float_array(x)
    return _out(np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False))


def leaky_relu_grad(x, negative_slope: float = 0.01):
    """Derivative of :func:`leaky_relu`: 1 where ``x > 0``, else ``negative_slope`` (also at 0, as in PyTorch)."""
    negative_slope = check_positive(negative_slope, "negative_slope", allow_zero=True)
    x = as_float_array(x)
    g = np.where(x > 0, 1.0, negative_slope).astype(x.dtype, copy=False)
    return _out(np.where(np.isnan(x), x, g))
