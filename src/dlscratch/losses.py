"""Loss functions: MSE/RMSE, cross-entropy, NLL and the fused, stable forms (chapter 3).

Conventions (the same as ``torch.nn.functional``):

* Every loss takes a keyword ``reduction``: ``"mean"`` (the default), ``"sum"``
  or ``"none"`` (one loss per sample, or per element for the elementwise
  losses). ``"mean"`` and ``"sum"`` return a Python ``float``; ``"none"``
  returns an ndarray.
* The classification losses take scores of shape ``(C,)`` (one sample) or
  ``(N, C)`` (a mini-batch, batch axis first) and ``targets`` in either form:

  - one-hot (or probability) rows with the *same shape* as the scores, entries
    in ``[0, 1]`` (rows are not required to sum to 1: label smoothing and the
    notes' ``np.sum(y)`` factor both stay possible), or
  - integer class labels of shape ``(N,)`` (a plain integer for a single
    ``(C,)`` sample), each in ``[0, C)``.

  A mini-batch loss is the **mean over the batch** (notes 003, "mini-batch
  交叉熵"), so batch size does not change the scale of the loss.
* ``mse`` is ``mean((y - t)**2)`` over all elements, as ``torch.nn.functional.mse_loss``.
  The notes (003) define ``0.5 * np.sum((y - t)**2)``; that is
  ``0.5 * mse(y, t, reduction="sum")`` (the ½ makes the derivative ``y - t``).

Numerics, for every loss:

* Everything is computed in **float64**: float16 and float32 input is
  converted first (exactly), so a float32 logit of 3e38 gives its true loss,
  not an ``inf`` from float32 arithmetic. ``"none"`` returns a float64 array.
* ``"mean"`` and ``"sum"`` never overflow on the way: the values are scaled by
  a power of two (exact), added with :func:`math.fsum` (correctly rounded),
  divided by the count and scaled back. The result is ``inf`` only when the
  exact mean (or sum) exceeds the largest float64. The sum is correctly
  rounded and the mean within 1.5 ulp of the exact mean of the per-sample
  losses (one rounding of the sum, one of the division). Per-sample losses that
  exceed the largest float (softmax cross-entropy of logits ``[1e308, -1e308]``
  and class 1 is ``2e308``) are ``inf`` in ``"none"`` but still count with
  their exact size in ``"mean"``.
* Bad input raises ``TypeError`` (not numbers) or ``ValueError`` (shape,
  range, ragged nested lists such as ``[[0, 1], [1]]``) naming the argument.

Why the fused forms exist (notes 004): computing probabilities first and the
log second loses everything once a probability underflows to 0. For logits
``[1, 1, 1, 4000]`` and true class 0, softmax gives ``[0, 0, 0, 1]``, so the
two-stage loss can only report ``-log(eps)`` (20.72… with the notes'
``eps = 1e-9``), while ``softmax_cross_entropy`` returns the exact 3999.0.

References
----------
Chapter 3 of the book (``chapters/03_losses.md``); notes 003 and 004.
"""

from __future__ import annotations

import math

import numpy as np

from dlscratch._validation import as_array, as_float_array, check_positive
from dlscratch.softmax import _log_sum_exp_shifted

__all__ = [
    "cross_entropy",
    "mse",
    "nll_loss",
    "rmse",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
]

_REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------------- helpers


def _check_reduction(reduction) -> str:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _float64(x, name: str, expected: str) -> np.ndarray:
    """``x`` as a fresh float64 array (float16/32 converted exactly), with the shared checks."""
    return as_float_array(x, name, expected=expected).astype(np.float64, copy=False)


def _scaled_fsum(values: np.ndarray) -> tuple[float, int]:
    """Return ``(s, e)`` with ``sum(values) = s * 2**e``, ``s`` correctly rounded and never overflowing.

    The values are scaled by ``2**-e`` so that the largest magnitude lies in
    ``[0.5, 1)``; scaling by a power of two is exact (values far below the
    largest may lose bits under ``2**-1074``, far below one ulp of the sum),
    and :func:`math.fsum` then adds them with one rounding. Non-finite values
    give ``(sum, 0)``: ``inf`` if any is ``+inf``, NaN if any is NaN or
    ``inf - inf`` occurs.
    """
    values = values.reshape(-1)  # (size,)
    if not np.isfinite(values).all():
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.sum(values)), 0
    peak = float(np.max(np.abs(values), initial=0.0))
    if peak == 0.0:
        return 0.0, 0
    e = math.frexp(peak)[1]  # peak = f * 2**e with 0.5 <= f < 1
    with np.errstate(under="ignore"):
        scaled = np.ldexp(values, -e)  # every |entry| < 1
    return math.fsum(scaled.tolist()), e


def _ldexp(x, e: int):
    """``x * 2**e`` for a float or an array: ``±inf`` past the largest float, without a warning."""
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(x, e)


def _reduce(values: np.ndarray, reduction: str, *, scale_exp: int = 0, shape=None):
    """Reduce losses given as ``values * 2**scale_exp`` (scaled so that no value overflowed).

    ``"none"`` returns ``values * 2**scale_exp`` (``inf`` where that exceeds the
    float range) reshaped to ``shape`` (default ``values.shape``); ``"sum"``
    and ``"mean"`` reduce the scaled values first and scale the result, so
    that they are finite whenever the exact sum or mean is a float64.
    """
    if reduction == "none":
        out = _ldexp(values, scale_exp) if scale_exp else values
        return out.reshape(values.shape if shape is None else shape)
    total, e = _scaled_fsum(values)
    if reduction == "sum":
        return float(_ldexp(total, e + scale_exp))
    return float(_ldexp(total / values.size, e + scale_exp))


def _describe_first(arr: np.ndarray, mask: np.ndarray) -> str:
    """``'2.5 at index (1, 3)'`` for the first entry of ``arr`` where ``mask`` holds."""
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"{arr[index].item()!r} at index {index}"


def _check_in_unit_interval(arr: np.ndarray, requirement: str, hint: str = "") -> None:
    """Raise ``ValueError(f"{requirement} in [0, 1], got ...{hint}")`` unless every entry is in [0, 1]."""
    bad = ~((arr >= 0) & (arr <= 1))  # also catches NaN
    if bad.any():
        raise ValueError(f"{requirement} in [0, 1], got {_describe_first(arr, bad)}{hint}")


_SCORES_SHAPE = "shape (C,) for one sample or (N, C) for a mini-batch"


def _check_class_scores(scores: np.ndarray, name: str) -> None:
    if scores.ndim not in (1, 2):
        raise ValueError(f"{name} must have {_SCORES_SHAPE}, got shape {scores.shape}")
    if scores.size == 0:
        raise ValueError(f"{name} must hold at least one sample and one class, got shape {scores.shape}")


def _class_targets(targets, scores_shape: tuple[int, ...], scores_name: str) -> tuple[str, np.ndarray]:
    """Validate ``targets`` against scores of shape ``(C,)`` or ``(N, C)``.

    Returns ``("labels", (N,) int array)`` or ``("onehot", (N, C) float64 array)``.
    """
    expected = (
        f"shape {scores_shape} (one-hot rows) or {scores_shape[:-1]} (class labels) "
        f"to match {scores_name} of shape {scores_shape}"
    )
    if isinstance(targets, (str, bytes)):
        raise TypeError(f"targets must be integer class labels or one-hot rows, got {type(targets).__name__}")
    t = as_array(targets, "targets", expected=expected)
    if t.dtype.kind not in "biuf":
        raise TypeError(f"targets must be integer class labels or one-hot rows, got dtype {t.dtype}")
    num_classes = scores_shape[-1]
    if t.shape == scores_shape:  # one-hot / probability rows
        t = t.astype(np.float64)
        _check_in_unit_interval(
            t,
            f"targets of the same shape as {scores_name} {scores_shape} are one-hot (or probability) rows, "
            "so every entry must be",
            f"; class labels need shape {scores_shape[:-1]}",
        )
        return "onehot", t.reshape(-1, num_classes)  # (N, C)
    if t.shape == scores_shape[:-1]:  # class labels
        if t.dtype.kind not in "iu":
            example = t.reshape(-1)[0].item()  # (N,) -> the first label, for the message
            raise ValueError(
                f"targets of shape {t.shape} are class labels and must be integers in [0, {num_classes}), "
                f"got dtype {t.dtype} (e.g. {example!r}); use targets.astype(int) or pass one-hot rows "
                f"of shape {scores_shape}"
            )
        bad = (t < 0) | (t >= num_classes)
        if bad.any():
            label = t[bad].reshape(-1)[0].item()  # the first bad label, for the message
            raise ValueError(
                f"targets must be class labels in [0, {num_classes}) for C={num_classes} classes, got label {label}"
            )
        return "labels", t.reshape(-1).astype(np.intp)  # (N,)
    raise ValueError(f"targets must have {expected}, got shape {t.shape}")


def _target_scale_exp(kind: str, t: np.ndarray) -> int:
    """Smallest ``j >= 0`` with every row sum of the targets ``<= 2**j``.

    A per-sample loss ``sum_c t_c * a_c`` with every ``a_c <= finfo.max`` then
    cannot overflow once each ``a_c`` is scaled by ``2**-j``: one-hot and
    probability rows give ``j = 0``; rows of several ones (allowed) need more.
    """
    if kind == "labels":
        return 0
    largest = float(np.max(np.sum(t, axis=1)))  # (N, C) -> the largest row sum
    return max(0, math.ceil(math.log2(largest))) if largest > 0 else 0


def _nll_terms(neg_log_probs: np.ndarray, kind: str, t: np.ndarray) -> np.ndarray:
    """The terms ``t_c * (-log p_c)`` of each sample's loss: (N,) for labels, (N, C) for one-hot rows.

    ``neg_log_probs`` is (N, C), every entry ``>= 0`` (``inf`` allowed).
    Entries with target 0 contribute 0 (``0 * log 0 := 0``), not ``0 * inf = NaN``.
    """
    if kind == "labels":
        return neg_log_probs[np.arange(neg_log_probs.shape[0]), t]  # (N,)
    with np.errstate(under="ignore"):
        return np.multiply(t, neg_log_probs, out=np.zeros(neg_log_probs.shape), where=t > 0)  # (N, C)


def _class_loss(neg_log_probs: np.ndarray, kind: str, t: np.ndarray, reduction: str, single: bool, scale_exp=0):
    """Reduce ``-sum_c t_c log p_c`` given ``neg_log_probs = -log p * 2**-scale_exp``, (N, C), all ``>= 0``."""
    j = _target_scale_exp(kind, t)
    if j:  # rows of several ones: scale further, so that no per-sample sum overflows
        with np.errstate(under="ignore"):
            neg_log_probs = np.ldexp(neg_log_probs, -j)  # (N, C)
    terms = _nll_terms(neg_log_probs, kind, t)  # (N,) or (N, C)
    per_sample = terms if terms.ndim == 1 else np.sum(terms, axis=1)  # (N,), scaled: at most finfo.max
    return _reduce(per_sample, reduction, scale_exp=scale_exp + j, shape=() if single else None)


# ----------------------------------------------------------------------------- regression


def _check_same_shape(y: np.ndarray, t: np.ndarray, y_name: str, t_name: str) -> None:
    if y.shape != t.shape:
        raise ValueError(
            f"{y_name} and {t_name} must have the same shape, got {y_name} {y.shape} and {t_name} {t.shape}"
        )
    if y.size == 0:
        raise ValueError(f"{y_name} must not be empty, got shape {y.shape}")


def _difference(y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, int]:
    """Return ``(d, k)`` with ``y - t = d * 2**k``: ``k = 1`` if some ``y - t`` of finite entries overflows.

    ``1e308 - (-1e308)`` is ``inf`` in float64, yet the mean of its square
    with others, or its RMSE, can be finite; halving both (exact) keeps it.
    ``inf - inf`` is NaN, as in IEEE arithmetic and PyTorch, silently.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        d = y - t  # same shape as y
    if (np.isinf(d) & np.isfinite(y) & np.isfinite(t)).any():
        with np.errstate(under="ignore"):
            return np.ldexp(y, -1) - np.ldexp(t, -1), 1
    return d, 0


def _sum_of_squares(d: np.ndarray) -> tuple[float, int]:
    """Return ``(s, e)`` with ``sum(d**2) = s * 2**(2 e)``, without overflow or underflow on the way.

    As :func:`_scaled_fsum`, on ``d * 2**-e`` whose largest magnitude lies in
    ``[0.5, 1)``: the squares lie in ``[0, 1)`` and ``s`` is their correctly
    rounded sum. Non-finite ``d`` gives ``(sum(d**2), 0)``, ``inf`` or NaN.
    """
    d = d.reshape(-1)  # (size,)
    if not np.isfinite(d).all():
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.sum(d * d)), 0
    peak = float(np.max(np.abs(d)))
    if peak == 0.0:
        return 0.0, 0
    e = math.frexp(peak)[1]
    with np.errstate(under="ignore"):
        scaled = np.ldexp(d, -e)  # (size,), every |entry| < 1
        return math.fsum((scaled * scaled).tolist()), e


def _regression_inputs(y, t) -> tuple[np.ndarray, int]:
    """Validate ``y`` and ``t`` (float64, same shape, not empty); return ``(d, k)`` of :func:`_difference`."""
    y = _float64(y, "y", "any shape")
    t = _float64(t, "t", f"shape {y.shape}, the shape of y")
    _check_same_shape(y, t, "y", "t")
    return _difference(y, t)


def mse(y, t, *, reduction="mean"):
    """Mean squared error ``mean((y - t)**2)``, as ``torch.nn.functional.mse_loss``.

    The notes (003) use the "½ convention" ``0.5 * np.sum((y - t)**2)``,
    whose gradient is simply ``y - t``; it is ``0.5 * mse(y, t, reduction="sum")``.

    Parameters
    ----------
    y : (...) array_like
        Predictions, any shape.
    t : (...) array_like
        Targets, the same shape as ``y`` (no broadcasting).
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` (default) averages over *all* elements, ``"sum"`` adds them,
        ``"none"`` returns the squared errors.

    Returns
    -------
    loss : float or (...) float64 ndarray
        Computed in float64 whatever the input dtype. ``"mean"`` and ``"sum"``
        are within 3 ulp of the exact value (one rounding each for ``y - t``,
        its square, the :func:`math.fsum` of the squares scaled by a power of
        two, and the division; 1.4 ulp measured) and ``inf`` only when that exact value
        exceeds the largest float64; a squared error past it (a difference
        beyond 1.34e154) is ``inf`` in ``"none"``. No ``RuntimeWarning``.
        NaN in ``y`` or ``t`` gives NaN; ``inf`` gives ``inf``, and NaN for
        ``inf - inf``.

    Raises
    ------
    TypeError
        If ``y`` or ``t`` is not real numbers.
    ValueError
        If the shapes differ, the input is empty or ragged, or ``reduction``
        is unknown.

    Examples
    --------
    >>> mse([1.0, 2.0], [1.0, 4.0])
    2.0
    >>> 0.5 * mse([1.0, 2.0], [1.0, 4.0], reduction="sum")  # the notes' version
    2.0
    >>> mse([2.0**512, 0.0], [0.0, 0.0], reduction="none")  # 2**1024 is past the float range
    array([inf,  0.])
    >>> mse([2.0**512, 0.0], [0.0, 0.0])  # ... but the mean 2**1023 is not
    8.98846567431158e+307
    """
    reduction = _check_reduction(reduction)
    d, k = _regression_inputs(y, t)
    if reduction == "none":
        with np.errstate(over="ignore", under="ignore"):
            return _ldexp(d * d, 2 * k)  # same shape as y
    total, e = _sum_of_squares(d)
    if reduction == "sum":
        return float(_ldexp(total, 2 * (e + k)))
    return float(_ldexp(total / d.size, 2 * (e + k)))


def rmse(y, t) -> float:
    """Root mean squared error ``sqrt(mse(y, t))``, in the units of ``y``.

    Parameters
    ----------
    y : (...) array_like
        Predictions, any shape.
    t : (...) array_like
        Targets, the same shape as ``y``.

    Returns
    -------
    loss : float
        Computed in float64, within 2 ulp of the exact value (1.2 measured)
        wherever that is a float64, even where ``mse`` itself would overflow or
        underflow (``rmse([1e200], [0])`` is ``1e200``, ``rmse([1e-200], [0])``
        is ``1e-200``). NaN and ``inf`` as in :func:`mse`.

    Raises
    ------
    TypeError
        If ``y`` or ``t`` is not real numbers.
    ValueError
        If the shapes differ or the input is empty or ragged.

    Examples
    --------
    >>> rmse([0.0, 0.0], [3.0, 4.0])  # sqrt((9 + 16) / 2)
    3.5355339059327378
    """
    d, k = _regression_inputs(y, t)
    total, e = _sum_of_squares(d)
    return float(_ldexp(math.sqrt(total / d.size), e + k))


# ----------------------------------------------------------------------------- classification


def cross_entropy(probs, targets, eps=1e-7, *, reduction="mean"):
    """Cross-entropy ``-sum_c t_c log(max(p_c, eps))`` of probabilities (two-stage form).

    ``probs`` are probabilities (e.g. a softmax output), not logits; prefer
    :func:`softmax_cross_entropy` when you have the logits.

    The clipping ε. A probability that underflowed to 0 would give
    ``log 0 = -inf``, so probabilities are clipped from below at ``eps``
    before the log (the upper end is left alone, so a perfect prediction
    costs exactly 0 and the loss is never negative). The default ``1e-7`` is
    the notes' ``delta`` (003, from *Deep Learning from Scratch*) and Keras's
    epsilon. The notes write ``log(p + delta)`` instead of clipping; for
    ``p >= eps`` the two differ by at most ``eps / p`` relative, and both give
    ``-log(eps)`` for ``p = 0``. Notes 004 clip at ``EPS = 1e-9``: pass
    ``eps=1e-9`` to reproduce their 20.72326583694641 (``= -log(1e-9)``).
    ``eps=0`` disables clipping: a zero probability on a target class then
    gives ``inf``.

    Parameters
    ----------
    probs : (C,) or (N, C) array_like
        Probabilities in ``[0, 1]`` for one sample or a mini-batch of ``N``.
        Rows need not sum to 1 (the notes also feed sigmoid outputs in).
    targets : (C,) or (N, C) array_like, or int or (N,) int array_like
        One-hot (or probability) rows in ``[0, 1]`` of the same shape as
        ``probs``, or integer class labels in ``[0, C)``.
    eps : float, optional
        Lower clipping bound, ``0 <= eps < 1``; default ``1e-7``.
    reduction : {"mean", "sum", "none"}, optional
        Over the batch: ``"mean"`` (default), ``"sum"``, or ``"none"`` for the
        ``(N,)`` per-sample losses (``()`` for a single sample).

    Returns
    -------
    loss : float or (N,) float64 ndarray
        Computed in float64 whatever the input dtype; the ``"mean"`` is within
        1.5 ulp of the exact mean of the per-sample losses.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``probs`` is not 1-D/2-D or has an entry outside ``[0, 1]`` (NaN and
        inf included), if ``targets`` has the wrong shape, a label outside
        ``[0, C)``, non-integer labels or one-hot entries outside ``[0, 1]``,
        if ``probs`` or ``targets`` is a ragged nested list, or if ``eps`` is
        not in ``[0, 1)``.

    Examples
    --------
    The notes' two-stage example (004): the true class's probability
    underflowed to 0, so only the clipping bound is left.

    >>> from dlscratch.softmax import softmax
    >>> cross_entropy(softmax([1, 1, 1, 4000]), [1, 0, 0, 0], eps=1e-9)
    20.72326583694641
    >>> cross_entropy([[0.1, 0.9], [0.8, 0.2]], [1, 0])  # labels; mean over the batch
    0.164252033486018
    """
    reduction = _check_reduction(reduction)
    eps = check_positive(eps, "eps", allow_zero=True)
    if eps >= 1:
        raise ValueError(f"eps must be in [0, 1), got {eps!r}")
    probs = _float64(probs, "probs", _SCORES_SHAPE)
    _check_class_scores(probs, "probs")
    _check_in_unit_interval(probs, "probs must be probabilities")
    kind, t = _class_targets(targets, probs.shape, "probs")
    with np.errstate(divide="ignore"):  # only reachable with eps=0: -log(0) = inf, documented
        neg_log_probs = 0.0 - np.log(np.clip(probs, eps, None)).reshape(-1, probs.shape[-1])  # (N, C), +0.0 at p=1
    return _class_loss(neg_log_probs, kind, t, reduction, single=probs.ndim == 1)


def nll_loss(log_probs, targets, *, reduction="mean"):
    """Negative log-likelihood ``-sum_c t_c log_probs_c``, as ``torch.nn.functional.nll_loss``.

    Feed it :func:`dlscratch.softmax.log_softmax` output ("Log_softmax ->
    nll_loss", notes 003); together they are :func:`softmax_cross_entropy`.

    Parameters
    ----------
    log_probs : (C,) or (N, C) array_like
        Log-probabilities, every entry ``<= 0``; ``-inf`` (probability 0) is
        allowed.
    targets : (C,) or (N, C) array_like, or int or (N,) int array_like
        One-hot (or probability) rows of the same shape as ``log_probs``, or
        integer class labels in ``[0, C)``. One-hot entries that are 0
        contribute 0 even where ``log_probs`` is ``-inf``.
    reduction : {"mean", "sum", "none"}, optional
        Over the batch: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns
    -------
    loss : float or (N,) float64 ndarray
        Computed in float64 whatever the input dtype. ``inf`` if a target
        class has log-probability ``-inf``; otherwise the ``"mean"`` is finite
        whenever the exact mean is a float64 (``log_probs`` of ``-1e308`` in
        every row have the mean loss ``1e308``), within 1.5 ulp of it.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``log_probs`` is not 1-D/2-D, contains NaN or an entry ``> 0``
        (raw logits: use :func:`softmax_cross_entropy`), or ``targets`` is
        invalid (see :func:`cross_entropy`).

    Examples
    --------
    >>> nll_loss([[-0.5, -1.0], [-2.0, -0.1]], [0, 1])
    0.3
    """
    reduction = _check_reduction(reduction)
    log_probs = _float64(log_probs, "log_probs", _SCORES_SHAPE)
    _check_class_scores(log_probs, "log_probs")
    bad = ~(log_probs <= 0)  # positive, +inf or NaN
    if bad.any():
        raise ValueError(
            "log_probs must be log-probabilities (every entry <= 0, e.g. from log_softmax), "
            f"got {_describe_first(log_probs, bad)}; for raw logits use softmax_cross_entropy"
        )
    kind, t = _class_targets(targets, log_probs.shape, "log_probs")
    neg_log_probs = 0.0 - log_probs.reshape(-1, log_probs.shape[-1])  # (N, C), in [0, inf]
    return _class_loss(neg_log_probs, kind, t, reduction, single=log_probs.ndim == 1)


def softmax_cross_entropy(logits, targets, *, reduction="mean"):
    """Softmax followed by cross-entropy in one stable step, as ``torch.nn.functional.cross_entropy``.

    Per sample the loss is ``logsumexp(z) - z_y`` for a label ``y``, or
    ``-sum_c t_c (z_c - logsumexp(z))`` for one-hot/probability rows (notes
    004, "softmax+cross entropy"). No probability is formed, so nothing
    underflows: for logits ``[1, 1, 1, 4000]`` and class 0 the loss is exactly
    3999.0, where the two-stage :func:`cross_entropy` saturates at ``-log(eps)``.

    Parameters
    ----------
    logits : (C,) or (N, C) array_like
        Unnormalised scores. ``-inf`` marks an impossible class; NaN, ``+inf``
        and rows of only ``-inf`` are rejected.
    targets : (C,) or (N, C) array_like, or int or (N,) int array_like
        One-hot (or probability) rows of the same shape as ``logits``, or
        integer class labels in ``[0, C)``.
    reduction : {"mean", "sum", "none"}, optional
        Over the batch: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns
    -------
    loss : float or (N,) float64 ndarray
        Non-negative, computed in float64 whatever the input dtype (float32
        logits of 3e38 give their true loss, not ``inf``). ``inf`` if a target
        class has logit ``-inf``. Otherwise a per-sample loss is ``inf`` in
        ``"none"`` only when it exceeds the largest float64 (logits
        ``[1e308, -1e308]``, class 1: ``2e308``), and the ``"mean"`` is finite
        whenever the exact mean is a float64, within 1.5 ulp of the exact
        mean of the per-sample losses. Each per-sample loss is within 3 ulp
        of its exact value, except that a tiny loss ``log(1 + e^{z_i - z_max})``
        (a confident right answer) carries the rounding of ``z_i - z_max``,
        amplified by ``|z_i - z_max|``: about 140 ulp for a loss of 1e-260.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``logits`` is not 1-D/2-D or ragged, contains NaN or ``+inf`` or a row
        of only ``-inf``, or ``targets`` is invalid (see :func:`cross_entropy`).

    Examples
    --------
    >>> softmax_cross_entropy([1, 1, 1, 4000], [1, 0, 0, 0])  # the notes' fused result (004)
    3999.0
    >>> softmax_cross_entropy([1, 1, 1, 4000], 0)  # the same with a class label
    3999.0
    """
    reduction = _check_reduction(reduction)
    logits = _float64(logits, "logits", _SCORES_SHAPE)
    _check_class_scores(logits, "logits")
    bad = np.isnan(logits) | np.isposinf(logits)
    if bad.any():
        raise ValueError(f"logits must be finite or -inf, got {_describe_first(logits, bad)}")
    empty_rows = np.isneginf(logits).all(axis=-1)
    if empty_rows.any():
        raise ValueError(
            f"logits must have at least one entry > -inf in every row, got a row of only -inf "
            f"(row {int(np.argmax(empty_rows))} of shape {logits.shape})"
        )
    kind, t = _class_targets(targets, logits.shape, "logits")
    z = logits.reshape(-1, logits.shape[-1])  # (N, C)
    top = np.max(z, axis=1, keepdims=True)  # (N, 1), finite: rows of only -inf were rejected
    log_sum = _log_sum_exp_shifted(z, top, axis=1)  # (N, 1), log(sum(exp(z - top))) in [0, log C]
    with np.errstate(under="ignore"):
        # -log_softmax(z) / 2 = (top - z + log_sum) / 2, halved term by term (exact), so that
        # top - z up to 2 * finfo.max does not overflow; the rounding is that of the unhalved sum
        half_neg_log_probs = (top / 2 - z / 2) + log_sum / 2  # (N, C), in [0, finfo.max]
    return _class_loss(half_neg_log_probs, kind, t, reduction, single=logits.ndim == 1, scale_exp=1)


def sigmoid_cross_entropy(logits, targets, *, reduction="mean"):
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably from the logits.

    Per element, with ``z`` a logit and ``y`` its target,

        -y log σ(z) - (1 - y) log(1 - σ(z)) = max(z, 0) - z·y + log(1 + e^{-|z|}),

    and the right-hand side never overflows (``e^{-|z|} <= 1``, evaluated with
    ``log1p``; ``max(z, 0) - z·y`` is computed as ``z (1 - y)`` or ``-z y``).
    This is ``torch.nn.functional.binary_cross_entropy_with_logits``.
    The notes' version (004) drops the ``(1 - y)`` term, so it only agrees
    where ``y = 1``: ``sigmoid_cross_entropy(-4000.0, 1.0)`` is their 4000.0.

    Parameters
    ----------
    logits : (...) array_like
        Finite scores, any shape (a scalar is one prediction).
    targets : (...) array_like
        Targets in ``[0, 1]`` (labels or soft targets), the same shape as ``logits``.
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` (default) over *all* elements, ``"sum"``, or ``"none"`` for
        the per-element losses.

    Returns
    -------
    loss : float or (...) float64 ndarray
        Non-negative and finite, computed in float64 whatever the input dtype.
        The ``"mean"`` is finite for every finite input (``logits`` of
        ``-1e308`` and targets 1 have the mean loss ``1e308``), within 1.5 ulp
        of the exact mean of the per-element losses; each of those is within
        1.5 ulp of its exact value.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ, the input is empty or ragged, a logit is not
        finite or a target is outside ``[0, 1]``.

    Examples
    --------
    >>> sigmoid_cross_entropy([1, 1, -4000, -4000], [0, 0, 0, 1], reduction="none")
    array([1.31326169e+00, 1.31326169e+00, 0.00000000e+00, 4.00000000e+03])
    >>> sigmoid_cross_entropy(0.0, 1.0)  # log 2
    0.6931471805599453
    """
    reduction = _check_reduction(reduction)
    z = _float64(logits, "logits", "any shape")
    y = _float64(targets, "targets", f"shape {z.shape}, the shape of logits")
    _check_same_shape(z, y, "logits", "targets")
    bad = ~np.isfinite(z)
    if bad.any():
        raise ValueError(f"logits must be finite, got {_describe_first(z, bad)}")
    _check_in_unit_interval(y, "targets must be")
    with np.errstate(under="ignore"):
        # max(z, 0) - z y, written as z (1 - y) or -z y so that nothing cancels for y near 1;
        # both terms are >= 0 and at most |z| + log 2, so no element overflows
        linear = np.where(z >= 0, z * (1 - y), -z * y)  # same shape as logits
        losses = linear + np.log1p(np.exp(-np.abs(z)))  # same shape as logits
    return _reduce(losses, reduction)
