"""Activation functions and their derivatives (chapter 1, ``chapters/01_activations.md``).

Every function takes a number or an array of any shape, works element-wise,
returns a new array (a numpy scalar for a scalar input) and never modifies its
input. Integer and bool input is computed in float64; float16/32/64 input keeps
its dtype. ``f_grad(x)`` is the derivative ``f'(x)``, evaluated at the *input*
``x`` (the layers of chapter 5 reuse the forward output instead).

At the kinks the derivatives follow PyTorch's autograd, so that the book can
compare them exactly: ``relu_grad(0) = 0``, ``leaky_relu_grad(0) = slope``,
``step_grad(x) = 0`` everywhere (the step's jump at 0 has no derivative).

Every finite input, from subnormals to ``±finfo.max`` of float16, float32
or float64, gives a finite result and no ``RuntimeWarning`` (not even for
underflow, under any ``np.errstate``); ``-0.0`` gives the same value as ``0``
(``tanh`` and ``leaky_relu`` keep its sign). Infinite input gives the limits:
``step`` and ``sigmoid`` 0 and 1, ``tanh`` -1 and 1, ``sigmoid_grad`` and
``tanh_grad`` 0, ``relu`` 0 and ``inf``, ``leaky_relu`` ``-inf`` and ``inf``
(0 at ``-inf`` for ``negative_slope=0``, as ``relu``), the ``*_grad`` of the
piecewise-linear functions their slopes there. ``NaN`` in gives ``NaN`` out,
in every function. The one non-finite result of finite input is
``leaky_relu`` with ``negative_slope > 1``, whose exact value can exceed the
largest float: it rounds to ``-inf``, silently.

Accuracy, measured against ``mpmath`` on 80 000 log-uniform inputs per
function and dtype (largest error, in ulp of the exact value): ``sigmoid``
2.1, ``tanh`` 1.2, ``sigmoid_grad`` 4.0, ``tanh_grad`` 3.9 in float64;
2.7, 1.4, 3.9, 3.9 in float32, which is computed in float32 (numpy's float32
``exp`` alone is off by up to 2.2 ulp). ``tests/test_activations.py`` checks
3, 1.5, 5, 5 ulp (float64) and 4, 2, 6, 6 (float32) on random inputs over the
whole finite range.

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


def _exp_neg_2abs(x: np.ndarray) -> np.ndarray:
    """``e^{-2|x|}`` without overflowing ``2|x|`` (a RuntimeWarning for ``|x| > finfo.max / 2``).

    ``|x|`` is capped one unit past the point where ``4 e^{-2|x|}`` falls below
    the smallest subnormal of ``x``'s dtype (the cap is 373.9 in float64, 53.3
    in float32, 10.0 in float16): every ``tanh'`` there rounds to 0 anyway, so
    the cap changes no result. NaN passes through ``np.minimum``.
    """
    tiny = np.finfo(x.dtype).smallest_subnormal
    cap = 0.5 * (np.log(x.dtype.type(4)) - np.log(tiny)) + 1  # x's dtype; float64: 373.9
    return np.exp(-2 * np.minimum(np.abs(x), cap))


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
    with np.errstate(under="ignore"):
        z = np.exp(-np.abs(x))  # in [0, 1]: cannot overflow
        return _out(np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False))


def sigmoid_clipped(x, max_exp: float = 709.0):
    """The notes' fix for the overflow: clip ``x`` at ``-max_exp`` before ``1 / (1 + e^{-x})``.

    Correct for ``x >= -max_exp``, but every ``x < -max_exp`` gets the same
    value ``σ(-max_exp)`` instead of its own (ever smaller) value. Chapter 1
    compares it with :func:`sigmoid`; use :func:`sigmoid` in code.

    The bound 709 is a float64 bound (``e^{709}`` overflows float32 and
    float16), so the formula is evaluated in float64 and the result rounded
    to ``x``'s dtype: float32 input then gets ``σ(-709)`` rounded to float32,
    that is 0, for ``x < -709``, without a warning. A ``max_exp`` above
    ``log(finfo(float64).max) ≈ 709.78`` brings the overflow back (``e^{max_exp}
    = inf``, with numpy's RuntimeWarning, and a result of 0).
    """
    max_exp = check_positive(max_exp, "max_exp")
    x = as_float_array(x)
    x64 = x.astype(np.float64, copy=False)
    with np.errstate(under="ignore"):
        return _out((1 / (1 + np.exp(-np.clip(x64, -max_exp, None)))).astype(x.dtype, copy=False))


def sigmoid_grad(x):
    """Derivative ``σ'(x) = σ(x) (1 - σ(x))``; at most 1/4, at ``x = 0``.

    Computed as ``σ(-|x|) σ(|x|) = (z / (1 + z)) (1 / (1 + z))`` with
    ``z = e^{-|x|}`` (the same value: σ' is even), which keeps full relative
    accuracy in the tails and never rounds above 1/4. The product
    ``s * (1 - s)`` loses it there: for ``x = 30``, ``1 - s`` subtracts two
    numbers that agree in 13 digits.
    """
    x = as_float_array(x)
    with np.errstate(under="ignore"):
        z = np.exp(-np.abs(x))  # in [0, 1]: cannot overflow
        return _out((z / (1 + z)) * (1 / (1 + z)))


def tanh(x):
    """Hyperbolic tangent ``(e^x - e^{-x}) / (e^x + e^{-x}) = 2σ(2x) - 1``, in ``(-1, 1)``.

    Uses :func:`numpy.tanh`, which never overflows and keeps the sign of
    ``-0.0`` and of subnormals (``tanh(x) = x`` there). The notes' formula
    ``(1 - e^{-2x}) / (1 + e^{-2x})`` gives ``inf/inf = nan`` for ``x < -354.9``.
    """
    x = as_float_array(x)
    return _out(np.tanh(x))


def tanh_grad(x):
    """Derivative ``tanh'(x) = 1 - tanh(x)^2``; at most 1, at ``x = 0``.

    Computed as ``4 (z / (1 + z)) (1 / (1 + z))`` with ``z = e^{-2|x|}`` (that is ``sech^2 x``),
    accurate in the tails, where ``1 - tanh(x)^2`` cancels to 0 or to ~1e-16.
    ``2|x|`` would overflow for ``|x| > finfo.max / 2`` (e.g. ``x = 1e308``), so
    ``|x|`` is first capped at a value where the result is already 0 (373.9 in
    float64); ``tanh_grad(±1e308)`` and ``tanh_grad(±inf)`` are 0, silently.
    """
    x = as_float_array(x)
    with np.errstate(under="ignore"):
        z = _exp_neg_2abs(x)  # in [0, 1]
        return _out(4 * (z / (1 + z)) * (1 / (1 + z)))


def relu(x):
    """Rectified linear unit ``max(0, x)`` (NaN stays NaN; ``-0.0`` and ``-inf`` give ``+0.0``)."""
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
        ``0`` gives :func:`relu`, also at ``-inf`` (0, where ``0 * -inf``
        would be NaN).

    Returns
    -------
    (...) ndarray
        Same floating dtype as ``x``. A slope above 1 can push
        ``negative_slope * x`` past the largest float (e.g. ``10 * -1e308``):
        that entry is ``-inf``, without a warning. ``-0.0`` maps to ``-0.0``
        (``+0.0`` for slope 0).
    """
    negative_slope = check_positive(negative_slope, "negative_slope", allow_zero=True)
    x = as_float_array(x)
    if negative_slope == 0:
        return relu(x)
    with np.errstate(over="ignore", under="ignore"):
        return _out(np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False))


def leaky_relu_grad(x, negative_slope: float = 0.01):
    """Derivative of :func:`leaky_relu`: 1 where ``x > 0``, else ``negative_slope`` (also at 0, as in PyTorch)."""
    negative_slope = check_positive(negative_slope, "negative_slope", allow_zero=True)
    x = as_float_array(x)
    g = np.where(x > 0, 1.0, negative_slope).astype(x.dtype, copy=False)
    return _out(np.where(np.isnan(x), x, g))
