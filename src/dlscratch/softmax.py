"""Softmax, log-softmax and log-sum-exp, computed without overflow (chapter 2).

All three functions work on arrays of any shape (batch axis first) and reduce
along ``axis``. They use the *max-shift* trick from the notes (004): for any
constant ``c``,

    softmax(x)_i = exp(x_i - c) / sum_j exp(x_j - c),

and choosing ``c = max_j x_j`` makes every exponent ``<= 0``, so ``exp`` can
underflow to 0 but never overflow, and the sum lies in ``[1, C]``. The same
shift gives

    logsumexp(x) = c + log(sum_j exp(x_j - c)),
    log_softmax(x)_i = (x_i - c) - log(sum_j exp(x_j - c)),

which stay accurate where ``log(softmax(x))`` would hit ``log(0) = -inf``.
One term of that sum is ``exp(0) = 1``; ``log_softmax`` and ``logsumexp``
take it out and use ``log1p`` of the rest, so that a log-sum close to 0 keeps
its relative accuracy: ``logsumexp([0, -40])`` is ``4.25e-18``, not the
``log(1.0) = 0`` of ``log(1 + 4.25e-18)`` (PyTorch returns 0 there).

Non-finite input follows PyTorch (``torch.softmax``, ``torch.log_softmax``,
``torch.logsumexp``) and emits no ``RuntimeWarning``:

* a ``NaN`` anywhere in a row makes that whole row ``NaN`` in every function;
* ``-inf`` entries get probability 0 (log-probability ``-inf``) as long as the
  row has a finite or ``+inf`` maximum;
* a row that is all ``-inf`` has no defined softmax: ``softmax`` and
  ``log_softmax`` return ``NaN`` for it, ``logsumexp`` returns ``-inf``
  (``log 0``);
* a row containing ``+inf`` gives ``NaN`` from ``softmax`` and ``log_softmax``
  (``inf - inf``) and ``+inf`` from ``logsumexp``.

Underflow (``exp`` of a very negative number rounding to 0 or to a subnormal)
is the right answer, not an accident, so it stays silent even under
``np.errstate(under="raise")``.

``softmax_naive`` is the textbook ``exp(x) / sum(exp(x))``, kept to show the
overflow the max-shift avoids.

References
----------
Chapter 2 of the book (``chapters/02_softmax.md``); notes 003 and 004.
"""

from __future__ import annotations

import numpy as np

from dlscratch._validation import as_float_array, check_axis

__all__ = ["log_softmax", "logsumexp", "softmax", "softmax_naive"]


def _prepare(x, axis) -> tuple[np.ndarray, int]:
    """Validate ``x`` and ``axis``; return a fresh float array and the normalised axis."""
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError(f"x must have at least 1 dimension (the axis to normalise over), got a scalar {x.item()!r}")
    axis = check_axis(axis, x.ndim, "axis")
    if x.shape[axis] == 0:
        raise ValueError(f"x must have at least one entry along axis {axis}, got shape {x.shape}")
    return x, axis


def _shifted_exp_sum(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``x - max(x)`` and ``sum(exp(x - max(x)))`` along ``axis`` (kept as a size-1 axis).

    For finite ``x`` the subtraction can overflow only to ``-inf`` (e.g.
    ``-1e308 - 1e308``), whose ``exp`` is the correctly rounded 0, so that
    overflow is silenced. ``invalid`` is silenced for the documented
    ``NaN`` results of non-finite rows.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        shifted = x - np.max(x, axis=axis, keepdims=True)  # same shape as x, every entry <= 0
        sum_exp = np.sum(np.exp(shifted), axis=axis, keepdims=True)  # in [1, C] for finite rows
    return shifted, sum_exp


def _log_sum_exp_shifted(x: np.ndarray, shift: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(x - shift)))`` along ``axis`` (kept as a size-1 axis), as ``log1p`` of all terms but one.

    ``shift`` is the row maximum (or 0 for rows whose maximum is infinite). The
    term at the maximum, ``lead = exp(max - shift)``, is exactly 1 for a finite
    maximum: it is taken out of the sum and added back as ``lead - 1 = 0``
    inside ``log1p``, so that ``log(1 + tiny)`` does not round to ``log(1) = 0``.
    For the other rows ``lead - 1`` carries what the row needs: NaN for a NaN
    or ``inf - inf``, ``inf`` for a ``+inf`` entry, ``-1`` (``log 0 = -inf``)
    for a row of only ``-inf``. Warnings are silenced for those documented results.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        terms = np.exp(x - shift)  # same shape as x; in [0, 1] for finite rows
        top = np.argmax(x, axis=axis, keepdims=True)  # (..., 1, ...): a maximum, or the first NaN
        lead = np.take_along_axis(terms, top, axis=axis)  # (..., 1, ...)
        np.put_along_axis(terms, top, 0.0, axis=axis)
        rest = np.sum(terms, axis=axis, keepdims=True)  # (..., 1, ...), in [0, C - 1] for finite rows
        return np.log1p(rest + (lead - 1))


def softmax(x, axis=-1) -> np.ndarray:
    """Softmax along ``axis``, stable for every finite input.

    Parameters
    ----------
    x : (..., C, ...) array_like
        Scores (logits); any shape with at least one dimension. Python
        numbers and integer arrays become float64; float16/32/64 keep their
        dtype.
    axis : int, optional
        The axis holding the ``C`` classes; default the last.

    Returns
    -------
    probs : (..., C, ...) ndarray
        Same shape and floating dtype as ``x``; non-negative, summing to 1
        along ``axis`` for every finite row. Rows with ``NaN``, ``+inf`` or
        only ``-inf`` give ``NaN`` (as ``torch.softmax``).

    Raises
    ------
    TypeError
        If ``x`` is not real numbers or ``axis`` is not an int.
    ValueError
        If ``x`` is a scalar, ``axis`` is out of range or ``x`` is empty along ``axis``.

    Examples
    --------
    >>> softmax([1, 1, 1, 4000])  # the notes' example (004); exp(4000) would overflow
    array([0., 0., 0., 1.])
    >>> softmax([1e308, 1e308])
    array([0.5, 0.5])
    """
    x, axis = _prepare(x, axis)
    shifted, sum_exp = _shifted_exp_sum(x, axis)
    with np.errstate(under="ignore", invalid="ignore"):
        return np.exp(shifted) / sum_exp


def log_softmax(x, axis=-1) -> np.ndarray:
    """Logarithm of the softmax along ``axis``, without computing ``log(softmax(x))``.

    ``log(softmax(x))`` is ``log(0) = -inf`` as soon as a probability underflows;
    this function returns the exact ``x_i - logsumexp(x)`` instead, e.g.
    ``-3999.0`` for the first entry of ``[1, 1, 1, 4000]``.

    Parameters
    ----------
    x : (..., C, ...) array_like
        Scores (logits); any shape with at least one dimension.
    axis : int, optional
        The axis holding the ``C`` classes; default the last.

    Returns
    -------
    log_probs : (..., C, ...) ndarray
        Same shape and floating dtype as ``x``; every entry ``<= 0``. An
        entry whose true value is below the most negative float (e.g. ``-1e308``
        next to ``1e308``) is ``-inf``. Rows with ``NaN``, ``+inf`` or only
        ``-inf`` give ``NaN`` (as ``torch.log_softmax``).

    Raises
    ------
    TypeError
        If ``x`` is not real numbers or ``axis`` is not an int.
    ValueError
        If ``x`` is a scalar, ``axis`` is out of range or ``x`` is empty along ``axis``.

    Examples
    --------
    >>> log_softmax([1, 1, 1, 4000])
    array([-3999., -3999., -3999.,     0.])
    """
    x, axis = _prepare(x, axis)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        top = np.max(x, axis=axis, keepdims=True)  # (..., 1, ...)
        log_sum = _log_sum_exp_shifted(x, top, axis)  # (..., 1, ...)
        return (x - top) - log_sum  # same shape as x


def logsumexp(x, axis=-1) -> np.ndarray:
    """``log(sum(exp(x)))`` along ``axis``, without overflow.

    Parameters
    ----------
    x : (..., C, ...) array_like
        Any shape with at least one dimension.
    axis : int, optional
        The axis to reduce; default the last.

    Returns
    -------
    out : ndarray
        ``x``'s shape without ``axis`` (a 0-d array for 1-D ``x``), in ``x``'s
        floating dtype. Finite for every finite row: it lies in
        ``[max(x), max(x) + log(C)]``. A row of only ``-inf`` gives ``-inf``,
        a row containing ``+inf`` gives ``+inf`` and a row containing ``NaN``
        gives ``NaN`` (as ``torch.logsumexp``).

    Raises
    ------
    TypeError
        If ``x`` is not real numbers or ``axis`` is not an int.
    ValueError
        If ``x`` is a scalar, ``axis`` is out of range or ``x`` is empty along ``axis``.

    Examples
    --------
    >>> float(logsumexp([1e308, 1e308]))  # 1e308 + log 2 rounds to 1e308
    1e+308
    >>> float(logsumexp([0.0, 0.0]))
    0.6931471805599453
    """
    x, axis = _prepare(x, axis)
    shift = np.max(x, axis=axis, keepdims=True)  # (..., 1, ...)
    # A row maximum of +-inf would give inf - inf = NaN; shift such rows by 0 instead,
    # so that all -inf -> log(0) = -inf and any +inf -> log(inf) = +inf (torch does the same).
    shift = np.where(np.isinf(shift), 0.0, shift).astype(x.dtype)
    out = shift + _log_sum_exp_shifted(x, shift, axis)  # (..., 1, ...)
    return np.squeeze(out, axis=axis)  # x.shape without axis


def softmax_naive(x, axis=-1) -> np.ndarray:
    """Textbook softmax ``exp(x) / sum(exp(x))``, *without* the max-shift (for teaching only).

    This is the version chapter 2 breaks on purpose: ``exp`` overflows to
    ``inf`` once an entry exceeds about 709 in float64 (about 88.7 in float32),
    numpy emits ``RuntimeWarning: overflow encountered in exp`` and then
    ``RuntimeWarning: invalid value encountered in divide``, and the row
    becomes ``nan`` (``inf / inf``). Very negative rows underflow to ``0 / 0``
    the same way. Nothing is suppressed here, so the warnings are visible.
    Use :func:`softmax` for real work.

    Parameters
    ----------
    x : (..., C, ...) array_like
        Scores; any shape with at least one dimension.
    axis : int, optional
        The axis holding the ``C`` classes; default the last.

    Returns
    -------
    probs : (..., C, ...) ndarray
        Same shape and floating dtype as ``x``; agrees with :func:`softmax`
        when nothing overflows or underflows.

    Raises
    ------
    TypeError
        If ``x`` is not real numbers or ``axis`` is not an int.
    ValueError
        If ``x`` is a scalar, ``axis`` is out of range or ``x`` is empty along ``axis``.

    Examples
    --------
    >>> softmax_naive([0.0, 0.0])
    array([0.5, 0.5])
    """
    x, axis = _prepare(x, axis)
    exp_x = np.exp(x)
    return exp_x / np.sum(exp_x, axis=axis, keepdims=True)
