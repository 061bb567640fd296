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

import numpy as np

from dlscratch._validation import as_float_array, check_positive
from dlscratch.softmax import log_softmax

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


def _reduce(losses: np.ndarray, reduction: str):
    """Apply ``reduction`` to per-sample (or per-element) losses."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return float(np.sum(losses))
    return float(np.mean(losses))


def _describe_first(arr: np.ndarray, mask: np.ndarray) -> str:
    """``'2.5 at index (1, 3)'`` for the first entry of ``arr`` where ``mask`` holds."""
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"{arr[index].item()!r} at index {index}"


def _check_in_unit_interval(arr: np.ndarray, requirement: str, hint: str = "") -> None:
    """Raise ``ValueError(f"{requirement} in [0, 1], got ...{hint}")`` unless every entry is in [0, 1]."""
    bad = ~((arr >= 0) & (arr <= 1))  # also catches NaN
    if bad.any():
        raise ValueError(f"{requirement} in [0, 1], got {_describe_first(arr, bad)}{hint}")


def _check_class_scores(scores: np.ndarray, name: str) -> None:
    if scores.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (C,) for one sample or (N, C) for a mini-batch, got shape {scores.shape}"
        )
    if scores.size == 0:
        raise ValueError(f"{name} must hold at least one sample and one class, got shape {scores.shape}")


def _class_targets(targets, scores_shape: tuple[int, ...], scores_name: str) -> tuple[str, np.ndarray]:
    """Validate ``targets`` against scores of shape ``(C,)`` or ``(N, C)``.

    Returns ``("labels", (N,) int array)`` or ``("onehot", (N, C) float array)``.
    """
    if isinstance(targets, (str, bytes)):
        raise TypeError(f"targets must be integer class labels or one-hot rows, got {type(targets).__name__}")
    t = np.asarray(targets)
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
    raise ValueError(
        f"targets must have shape {scores_shape} (one-hot rows) or {scores_shape[:-1]} (class labels) "
        f"to match {scores_name} of shape {scores_shape}, got shape {t.shape}"
    )


def _negative_log_likelihood(log_probs: np.ndarray, kind: str, t: np.ndarray, single: bool) -> np.ndarray:
    """Per-sample ``-sum_c t_c log p_c``; ``log_probs`` is (N, C), returns (N,) or () for one sample."""
    if kind == "labels":
        losses = -log_probs[np.arange(log_probs.shape[0]), t]  # (N,)
    else:
        # Entries with target 0 contribute 0 (0 * log 0 := 0), not 0 * -inf = NaN.
        terms = np.multiply(t, log_probs, out=np.zeros(log_probs.shape), where=t > 0)  # (N, C)
        losses = -np.sum(terms, axis=1)  # (N,)
    return losses.reshape(()) if single else losses  # () for a (C,) sample


# ----------------------------------------------------------------------------- regression


def _check_same_shape(y: np.ndarray, t: np.ndarray, y_name: str, t_name: str) -> None:
    if y.shape != t.shape:
        raise ValueError(
            f"{y_name} and {t_name} must have the same shape, got {y_name} {y.shape} and {t_name} {t.shape}"
        )
    if y.size == 0:
        raise ValueError(f"{y_name} must not be empty, got shape {y.shape}")


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
    loss : float or (...) ndarray
        NaN propagates. Differences beyond about 1e154 (float64) overflow
        to ``inf`` with numpy's ``RuntimeWarning``, which is not hidden.

    Raises
    ------
    TypeError
        If ``y`` or ``t`` is not real numbers.
    ValueError
        If the shapes differ, the input is empty or ``reduction`` is unknown.

    Examples
    --------
    >>> mse([1.0, 2.0], [1.0, 4.0])
    2.0
    >>> 0.5 * mse([1.0, 2.0], [1.0, 4.0], reduction="sum")  # the notes' version
    2.0
    """
    reduction = _check_reduction(reduction)
    y = as_float_array(y, "y")
    t = as_float_array(t, "t")
    _check_same_shape(y, t, "y", "t")
    return _reduce((y - t) ** 2, reduction)


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

    Raises
    ------
    TypeError
        If ``y`` or ``t`` is not real numbers.
    ValueError
        If the shapes differ or the input is empty.

    Examples
    --------
    >>> rmse([0.0, 0.0], [3.0, 4.0])  # sqrt((9 + 16) / 2)
    3.5355339059327378
    """
    return float(np.sqrt(mse(y, t)))


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
    loss : float or (N,) ndarray

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``probs`` is not 1-D/2-D or has an entry outside ``[0, 1]`` (NaN and
        inf included), if ``targets`` has the wrong shape, a label outside
        ``[0, C)``, non-integer labels or one-hot entries outside ``[0, 1]``,
        or if ``eps`` is not in ``[0, 1)``.

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
    probs = as_float_array(probs, "probs")
    _check_class_scores(probs, "probs")
    _check_in_unit_interval(probs, "probs must be probabilities")
    kind, t = _class_targets(targets, probs.shape, "probs")
    with np.errstate(divide="ignore"):  # only reachable with eps=0: log(0) = -inf, documented
        log_probs = np.log(np.clip(probs, eps, None)).reshape(-1, probs.shape[-1])  # (N, C)
    return _reduce(_negative_log_likelihood(log_probs, kind, t, single=probs.ndim == 1), reduction)


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
    loss : float or (N,) ndarray
        ``inf`` if a target class has log-probability ``-inf``.

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
    log_probs = as_float_array(log_probs, "log_probs")
    _check_class_scores(log_probs, "log_probs")
    bad = ~(log_probs <= 0)  # positive, +inf or NaN
    if bad.any():
        raise ValueError(
            "log_probs must be log-probabilities (every entry <= 0, e.g. from log_softmax), "
            f"got {_describe_first(log_probs, bad)}; for raw logits use softmax_cross_entropy"
        )
    kind, t = _class_targets(targets, log_probs.shape, "log_probs")
    flat = log_probs.reshape(-1, log_probs.shape[-1])  # (N, C)
    return _reduce(_negative_log_likelihood(flat, kind, t, single=log_probs.ndim == 1), reduction)


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
    loss : float or (N,) ndarray
        Non-negative; ``inf`` only if a target class has logit ``-inf``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``logits`` is not 1-D/2-D, contains NaN or ``+inf`` or a row of only
        ``-inf``, or ``targets`` is invalid (see :func:`cross_entropy`).

    Examples
    --------
    >>> softmax_cross_entropy([1, 1, 1, 4000], [1, 0, 0, 0])  # the notes' fused result (004)
    3999.0
    >>> softmax_cross_entropy([1, 1, 1, 4000], 0)  # the same with a class label
    3999.0
    """
    reduction = _check_reduction(reduction)
    logits = as_float_array(logits, "logits")
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
    log_probs = log_softmax(logits, axis=-1).reshape(-1, logits.shape[-1])  # (N, C)
    return _reduce(_negative_log_likelihood(log_probs, kind, t, single=logits.ndim == 1), reduction)


def sigmoid_cross_entropy(logits, targets, *, reduction="mean"):
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably from the logits.

    Per element, with ``z`` a logit and ``y`` its target,

        -y log σ(z) - (1 - y) log(1 - σ(z)) = max(z, 0) - z·y + log(1 + e^{-|z|}),

    and the right-hand side never overflows (``e^{-|z|} <= 1``, evaluated with
    ``log1p``). This is ``torch.nn.functional.binary_cross_entropy_with_logits``.
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
    loss : float or (...) ndarray
        Non-negative.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ, the input is empty, a logit is not finite or a
        target is outside ``[0, 1]``.

    Examples
    --------
    >>> sigmoid_cross_entropy([1, 1, -4000, -4000], [0, 0, 0, 1], reduction="none")
    array([1.31326169e+00, 1.31326169e+00, 0.00000000e+00, 4.00000000e+03])
    >>> sigmoid_cross_entropy(0.0, 1.0)  # log 2
    0.6931471805599453
    """
    reduction = _check_reduction(reduction)
    z = as_float_array(logits, "logits")
    y = as_float_array(targets, "targets")
    _check_same_shape(z, y, "logits", "targets")
    bad = ~np.isfinite(z)
    if bad.any():
        raise ValueError(f"logits must be finite, got {_describe_first(z, bad)}")
    _check_in_unit_interval(y, "targets must be")
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))  # same shape as logits
    return _reduce(losses, reduction)
