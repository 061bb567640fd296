"""Regularization and model selection (chapter 9): weight penalties, k-fold, hyperparameter search, early stopping.

A network large enough to learn the digits is large enough to memorise a small
training set. This module holds the tools of chapter 9 that are not layers
(dropout is :class:`dlscratch.layers.Dropout`; the L2 penalty of a whole
network is ``dlscratch.mlp.MLP(weight_decay=...)`` and the ``weight_decay`` of
:mod:`dlscratch.optim`):

* **Weight penalties** added to the loss, each with its (sub)gradient:
  :func:`l2_penalty` ``½‖w‖₂² = ½ Σ w²`` (the notes' ``l2_penalty``, whose
  gradient ``w`` makes gradient descent shrink every weight by the factor
  ``1 − ηλ``: *weight decay*), :func:`l1_penalty` ``‖w‖₁ = Σ |w|`` (gradient
  ``sign(w)``, which pushes small weights to 0: sparse weights) and
  :func:`linf_penalty` ``‖w‖∞ = max |w|`` (only the largest weights feel it).
* **Validation**: :func:`kfold_indices` splits ``n`` samples into ``k`` folds
  exactly as ``sklearn.model_selection.KFold``; :func:`cross_val_scores` runs
  a train-and-score function on each fold.
* **Hyperparameter search**: :func:`grid_search` over every combination of
  given values, :func:`random_search` with values drawn log-uniformly
  (:func:`log_uniform`) from ranges, :func:`best_trial` to pick the winner
  (a diverged run scores NaN and never wins).
* **Early stopping**: :class:`EarlyStopping` watches a validation score epoch
  by epoch, keeps a copy of the best parameters and says when to stop.

Every function takes its randomness from an ``rng: numpy.random.Generator``.

References
----------
Chapter 9 of the book (``chapters/09_regularization.md``); notes 002 and 003.
Saito, *Deep Learning from Scratch* (2016), §6.4 (weight decay, dropout) and
§6.5 (validation data, hyperparameter optimization). Goodfellow, Bengio &
Courville, *Deep Learning* (2016), ch. 7 (norm penalties, early stopping).
Krogh & Hertz, "A simple weight decay can improve generalization" (1992).
Bergstra & Bengio, "Random search for hyper-parameter optimization" (JMLR 2012).
Prechelt, "Early stopping — but when?" (1998). scikit-learn's ``KFold``.
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlscratch._validation import as_float_array, check_positive

__all__ = [
    "EarlyStopping",
    "Trial",
    "best_trial",
    "cross_val_scores",
    "grid_search",
    "kfold_indices",
    "l1_penalty",
    "l1_penalty_grad",
    "l2_penalty",
    "l2_penalty_grad",
    "linf_penalty",
    "linf_penalty_grad",
    "log_uniform",
    "random_search",
]


# ----------------------------------------------------------------------------- weight penalties


def l2_penalty(w) -> float:
    """Half the squared L2 norm, ``½‖w‖₂² = ½ Σ w²`` (the notes' ``l2_penalty``).

    Added to the loss as ``λ · l2_penalty(W)``, its gradient ``λW`` turns a
    gradient-descent step into ``W ← (1 − ηλ) W − η ∂L/∂W``: weight decay.

    Parameters
    ----------
    w : (...) array_like
        Weights of any shape.

    Returns
    -------
    float

    Examples
    --------
    >>> l2_penalty([3.0, -4.0])
    12.5
    """
    w = as_float_array(w, "w")
    return 0.5 * float(np.sum(w * w))


def l2_penalty_grad(w) -> np.ndarray:
    """Gradient of :func:`l2_penalty`: ``w`` itself (a new array of the same shape).

    Parameters
    ----------
    w : (...) array_like

    Returns
    -------
    (...) ndarray
    """
    return np.array(as_float_array(w, "w"), copy=True)


def l1_penalty(w) -> float:
    """The L1 norm ``‖w‖₁ = Σ |w|``, the sum of the absolute values.

    Parameters
    ----------
    w : (...) array_like

    Returns
    -------
    float

    Examples
    --------
    >>> l1_penalty([3.0, -4.0])
    7.0
    """
    w = as_float_array(w, "w")
    return float(np.sum(np.abs(w)))


def l1_penalty_grad(w) -> np.ndarray:
    """A subgradient of :func:`l1_penalty`: ``sign(w)``, 0 where ``w == 0`` (as PyTorch's ``abs``).

    ``|w|`` has no derivative at 0; every value in ``[-1, 1]`` is a
    subgradient there, and 0 is the one that leaves a zero weight at zero.
    The gradient has the same size for a tiny weight as for a large one,
    which is why L1 drives small weights to (about) zero.

    Parameters
    ----------
    w : (...) array_like

    Returns
    -------
    (...) ndarray of -1.0, 0.0, 1.0
    """
    return np.sign(as_float_array(w, "w"))


def linf_penalty(w) -> float:
    """The L-infinity norm ``‖w‖∞ = max |w|``, the largest absolute value.

    Parameters
    ----------
    w : (...) array_like
        At least one element.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``w`` is empty (the maximum of nothing).

    Examples
    --------
    >>> linf_penalty([3.0, -4.0])
    4.0
    """
    w = as_float_array(w, "w")
    if w.size == 0:
        raise ValueError(f"w must have at least one element, got shape {w.shape}")
    return float(np.max(np.abs(w)))


def linf_penalty_grad(w) -> np.ndarray:
    """A subgradient of :func:`linf_penalty`: ``sign(w)`` shared among the entries of largest ``|w|``, 0 elsewhere.

    With a single largest entry this is the gradient; with ``m`` tied
    entries each gets ``sign(w) / m`` (PyTorch's choice for ``amax``), and at
    ``w = 0`` it is 0. Only the largest weights are pushed down.

    Parameters
    ----------
    w : (...) array_like
        At least one element.

    Returns
    -------
    (...) ndarray

    Raises
    ------
    ValueError
        If ``w`` is empty.

    Examples
    --------
    >>> linf_penalty_grad([1.0, -3.0, 3.0])
    array([ 0. , -0.5,  0.5])
    """
    w = as_float_array(w, "w")
    if w.size == 0:
        raise ValueError(f"w must have at least one element, got shape {w.shape}")
    size = np.abs(w)
    at_max = size == size.max()
    return (np.sign(w) * at_max / np.count_nonzero(at_max)).astype(w.dtype, copy=False)


# ----------------------------------------------------------------------------- validation: k-fold


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def kfold_indices(n, k, *, shuffle=False, rng=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split ``range(n)`` into ``k`` folds: ``k`` pairs (training indices, validation indices).

    Every sample is in exactly one validation fold. The first ``n % k`` folds
    have ``n // k + 1`` samples, the others ``n // k``. Without shuffling,
    fold ``i`` is a run of consecutive indices; with ``shuffle=True`` the
    indices are permuted by ``rng`` first. Both index arrays of a pair are
    sorted. This is ``sklearn.model_selection.KFold(n_splits=k, shuffle=...)``
    (whose shuffle draws from its own ``random_state``).

    Parameters
    ----------
    n : int
        Number of samples, ``>= k``.
    k : int
        Number of folds, ``>= 2``.
    shuffle : bool, default False
        Permute the samples (with ``rng``) before cutting the folds. Shuffle
        when the data are ordered (e.g. by class).
    rng : numpy.random.Generator, optional
        Required when ``shuffle=True``; must be None otherwise.

    Returns
    -------
    list of (train_idx, val_idx)
        ``train_idx`` (n - n_i,) and ``val_idx`` (n_i,) int64 arrays.

    Raises
    ------
    TypeError
        If ``n`` or ``k`` is not an int, ``shuffle`` not a bool, or ``rng`` not a Generator.
    ValueError
        If ``k < 2``, ``n < k``, or ``rng`` is given without ``shuffle``.

    Examples
    --------
    >>> [val.tolist() for _, val in kfold_indices(7, 3)]
    [[0, 1, 2], [3, 4], [5, 6]]
    >>> kfold_indices(7, 3)[1][0].tolist()
    [0, 1, 2, 5, 6]
    """
    k = _check_int(k, "k", 2)
    n = _check_int(n, "n", 0)
    if n < k:
        raise ValueError(f"n must be at least k = {k} (one sample per fold), got n = {n}")
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {type(shuffle).__name__} {shuffle!r}")
    order = np.arange(n)  # (n,)
    if shuffle:
        if rng is None:
            raise ValueError("rng must be a numpy.random.Generator when shuffle=True, got None")
        order = _check_rng(rng).permutation(n)  # (n,)
    elif rng is not None:
        raise ValueError("rng is only used with shuffle=True; pass shuffle=True or drop rng")
    sizes = np.full(k, n // k)  # (k,)
    sizes[: n % k] += 1
    folds = []
    start = 0
    for size in sizes:
        in_fold = np.zeros(n, dtype=bool)  # (n,)
        in_fold[order[start : start + size]] = True
        folds.append((np.flatnonzero(~in_fold), np.flatnonzero(in_fold)))
        start += size
    return folds


def cross_val_scores(score: Callable[[np.ndarray, np.ndarray], float], n, k, *, shuffle=True, rng=None) -> np.ndarray:
    """k-fold cross-validation: ``score(train_idx, val_idx)`` on each fold of :func:`kfold_indices`.

    ``score`` trains a fresh model on the samples ``train_idx`` and returns
    its score (e.g. accuracy) on ``val_idx``. The mean of the ``k`` scores
    estimates how well the procedure does on unseen data, using every sample
    for validation once; their spread shows how much that estimate depends
    on the split.

    Parameters
    ----------
    score : callable
        ``score(train_idx, val_idx) -> float``.
    n, k : int
        Number of samples and of folds (:func:`kfold_indices`).
    shuffle : bool, default True
    rng : numpy.random.Generator, optional
        Required when ``shuffle=True``.

    Returns
    -------
    (k,) ndarray
        The score of each fold.

    Examples
    --------
    >>> cross_val_scores(lambda train, val: len(val), 10, 4, shuffle=False)
    array([3., 3., 2., 2.])
    """
    if not callable(score):
        raise TypeError(f"score must be a callable score(train_idx, val_idx), got {type(score).__name__}")
    folds = kfold_indices(n, k, shuffle=shuffle, rng=rng)
    return np.array([float(score(train, val)) for train, val in folds])


# ----------------------------------------------------------------------------- hyperparameter search


@dataclass(frozen=True)
class Trial:
    """One evaluated setting of the hyperparameters.

    Attributes
    ----------
    params : dict of str to value
        The hyperparameters, e.g. ``{"lr": 0.1, "weight_decay": 1e-4}``.
    score : float
        What the score function returned (higher is better; NaN for a run that diverged).
    """

    params: dict[str, Any] = field(default_factory=dict)
    score: float = math.nan


def _run(score: Callable[..., float], params: dict[str, Any]) -> Trial:
    value = score(**params)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"score must return a real number, got {type(value).__name__} {value!r} for {params}")
    return Trial(dict(params), float(value))


def grid_search(score: Callable[..., float], grid: Mapping[str, Sequence]) -> list[Trial]:
    """Evaluate ``score(**params)`` on every combination of the values in ``grid``.

    The combinations come in ``itertools.product`` order: the first
    hyperparameter changes slowest. ``m`` values for each of ``d``
    hyperparameters cost ``m**d`` runs and try only ``m`` distinct values of
    each: if one hyperparameter matters much more than the others, most runs
    repeat its few values (Bergstra & Bengio, 2012).

    Parameters
    ----------
    score : callable
        ``score(**params) -> float``, higher is better.
    grid : dict of str to sequence
        Each hyperparameter's values, e.g. ``{"lr": np.geomspace(1e-3, 1, 4)}``.

    Returns
    -------
    list of Trial

    Examples
    --------
    >>> trials = grid_search(lambda a, b: a * b, {"a": [1, 2], "b": [10, 20]})
    >>> [(t.params["a"], t.params["b"], t.score) for t in trials]
    [(1, 10, 10.0), (1, 20, 20.0), (2, 10, 20.0), (2, 20, 40.0)]
    """
    if not callable(score):
        raise TypeError(f"score must be a callable score(**params), got {type(score).__name__}")
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(f"grid must be a non-empty dict of name -> values, got {grid!r}")
    values = []
    for name, options in grid.items():
        if isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
            raise TypeError(f"grid[{name!r}] must be a sequence of values, got {type(options).__name__}")
        options = list(options)
        if not options:
            raise ValueError(f"grid[{name!r}] must have at least one value, got none")
        values.append(options)
    return [_run(score, dict(zip(grid, combination, strict=True))) for combination in itertools.product(*values)]


def log_uniform(low, high, *, size=None, rng) -> float | np.ndarray:
    """Draw from ``low`` to ``high`` uniformly on a log scale: ``10 ** U(log10 low, log10 high)``.

    Every decade (``1e-4 .. 1e-3``, ``1e-3 .. 1e-2``, ...) gets the same share
    of the draws, as a learning rate or weight decay needs: 0.001 and 0.002
    are as different as 0.1 and 0.2.

    Parameters
    ----------
    low, high : float
        ``0 < low <= high``.
    size : int or tuple of int, optional
        Output shape; None for a single float.
    rng : numpy.random.Generator

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> x = log_uniform(1e-4, 1.0, size=10_000, rng=np.random.default_rng(0))
    >>> round(float(np.mean(x < 1e-2)), 2)  # two of the four decades
    0.5
    """
    low, high = check_positive(low, "low"), check_positive(high, "high")
    if low > high:
        raise ValueError(f"low must be <= high, got low = {low!r}, high = {high!r}")
    exponents = _check_rng(rng).uniform(math.log10(low), math.log10(high), size=size)
    return float(10.0**exponents) if size is None else 10.0**exponents


def random_search(
    score: Callable[..., float], space: Mapping[str, tuple[float, float]], *, num_trials, rng
) -> list[Trial]:
    """Evaluate ``score(**params)`` at ``num_trials`` random settings, each hyperparameter log-uniform in its range.

    Trial ``i`` draws its hyperparameters in the order of ``space``
    (:func:`log_uniform`), so a seed gives the same trials. Unlike a grid, every
    trial tries a new value of *every* hyperparameter.

    Parameters
    ----------
    score : callable
        ``score(**params) -> float``, higher is better.
    space : dict of str to (low, high)
        Each hyperparameter's range, ``0 < low <= high``, searched on a log scale.
    num_trials : int
        ``>= 1``.
    rng : numpy.random.Generator

    Returns
    -------
    list of Trial

    Examples
    --------
    >>> trials = random_search(lambda lr: -abs(np.log10(lr) + 2), {"lr": (1e-4, 1.0)},
    ...                        num_trials=50, rng=np.random.default_rng(0))
    >>> best = best_trial(trials).params["lr"]
    >>> bool(0.005 < best < 0.02)
    True
    """
    if not callable(score):
        raise TypeError(f"score must be a callable score(**params), got {type(score).__name__}")
    if not isinstance(space, Mapping) or not space:
        raise ValueError(f"space must be a non-empty dict of name -> (low, high), got {space!r}")
    num_trials = _check_int(num_trials, "num_trials", 1)
    _check_rng(rng)
    ranges = {}
    for name, bounds in space.items():
        if not isinstance(bounds, Sequence) or len(bounds) != 2:
            raise ValueError(f"space[{name!r}] must be a pair (low, high), got {bounds!r}")
        low, high = (check_positive(b, f"space[{name!r}] bound") for b in bounds)
        if low > high:
            raise ValueError(f"space[{name!r}] must have low <= high, got {bounds!r}")
        ranges[name] = (low, high)
    trials = []
    for _ in range(num_trials):
        params = {name: log_uniform(low, high, rng=rng) for name, (low, high) in ranges.items()}
        trials.append(_run(score, params))
    return trials


def best_trial(trials: Sequence[Trial]) -> Trial:
    """The trial with the highest score (the first of equals); NaN scores (diverged runs) never win.

    Raises
    ------
    ValueError
        If ``trials`` is empty or every score is NaN.

    Examples
    --------
    >>> best_trial([Trial({"lr": 1.0}, float("nan")), Trial({"lr": 0.1}, 0.9)]).params
    {'lr': 0.1}
    """
    trials = list(trials)
    scores = np.array([t.score for t in trials], dtype=float)  # (T,)
    if scores.size == 0 or np.all(np.isnan(scores)):
        raise ValueError(f"trials must hold at least one trial with a score that is not NaN, got {len(trials)}")
    return trials[int(np.nanargmax(scores))]


# ----------------------------------------------------------------------------- early stopping


class EarlyStopping:
    """Stop training when a validation score has not improved for ``patience`` epochs; remember the best.

    Call :meth:`update` once per epoch with the validation score (and the
    parameters). A score counts as an improvement when it beats the best so
    far by more than ``min_delta`` (``mode="max"``, for accuracies) or is
    lower by more than ``min_delta`` (``mode="min"``, for losses); NaN never
    improves. After ``patience`` epochs in a row without improvement,
    :meth:`update` returns True: stop, and :meth:`restore` the best parameters.

    Parameters
    ----------
    patience : int
        ``>= 1`` epochs without improvement to wait.
    min_delta : float, default 0
        ``>= 0``: the smallest change that counts as an improvement.
    mode : {"max", "min"}, default "max"

    Attributes
    ----------
    best_score : float
        The best score so far (NaN before the first update).
    best_epoch : int
        The number of the update (1-based) that gave it; 0 before the first.
    best_params : dict of str to ndarray or None
        Copies of the parameters passed with the best score.
    epoch : int
        Number of updates so far.
    stopped : bool
        Whether :meth:`update` has returned True.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=2)
    >>> [stopper.update(score) for score in [0.5, 0.7, 0.6, 0.7, 0.65]]
    [False, False, False, True, True]
    >>> stopper.best_epoch, stopper.best_score
    (2, 0.7)

    With parameters, :meth:`restore` writes the best ones back:

    >>> params = {"w": np.array([1.0])}
    >>> stopper = EarlyStopping(patience=1)
    >>> stopper.update(0.9, params)
    False
    >>> params["w"][...] = 5.0
    >>> stopper.update(0.8, params)
    True
    >>> stopper.restore(params)
    >>> params["w"]
    array([1.])
    """

    def __init__(self, patience, *, min_delta=0.0, mode="max") -> None:
        self.patience = _check_int(patience, "patience", 1)
        self.min_delta = check_positive(min_delta, "min_delta", allow_zero=True)
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        self.mode = mode
        self.best_score = math.nan
        self.best_epoch = 0
        self.best_params: dict[str, np.ndarray] | None = None
        self.epoch = 0
        self.stopped = False

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r})"

    def _improves(self, score: float) -> bool:
        if math.isnan(score):
            return False
        if math.isnan(self.best_score):
            return True
        if self.mode == "max":
            return score > self.best_score + self.min_delta
        return score < self.best_score - self.min_delta

    def update(self, score, params: Mapping[str, np.ndarray] | None = None) -> bool:
        """Record one epoch's validation score; return True when training should stop.

        Parameters
        ----------
        score : float
        params : dict of str to ndarray, optional
            The model's parameters now; copied (not referenced) when the score is the best so far.

        Returns
        -------
        bool
            True once ``patience`` epochs in a row brought no improvement (and
            at every later call).
        """
        if isinstance(score, bool) or not isinstance(score, numbers.Real):
            raise TypeError(f"score must be a real number, got {type(score).__name__} {score!r}")
        self.epoch += 1
        if self._improves(float(score)):
            self.best_score = float(score)
            self.best_epoch = self.epoch
            if params is not None:
                self.best_params = {key: copy.deepcopy(np.asarray(value)) for key, value in params.items()}
        if self.epoch - self.best_epoch >= self.patience:
            self.stopped = True
        return self.stopped

    def restore(self, params: Mapping[str, np.ndarray]) -> None:
        """Copy the best parameters back into ``params``, in place (so layers that share the arrays see them).

        Raises
        ------
        RuntimeError
            If no parameters were recorded (no update with ``params`` yet).
        ValueError
            If ``params`` lacks a recorded key or an array has another shape.
        """
        if self.best_params is None:
            raise RuntimeError("no parameters recorded: pass params to update() before restore()")
        for key, best in self.best_params.items():
            if key not in params:
                raise ValueError(f"params has no key {key!r}; the recorded keys are {sorted(self.best_params)}")
            if np.shape(params[key]) != best.shape:
                raise ValueError(f"params[{key!r}] must have shape {best.shape}, got {np.shape(params[key])}")
        for key, best in self.best_params.items():
            params[key][...] = best
