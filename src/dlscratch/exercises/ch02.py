"""Exercises of chapter 2, softmax and numerical stability (``chapters/02_softmax.md``).

Each exercise carries the chapter's ideas to a case the chapter does not
work out: the max-shift to a softmax over only some entries of each row
(masking), the softmax Jacobian to the backward pass of log-softmax, and
temperature to a class whose probability is not monotone in ``T``. The written
exercise (graded by hand) derives why, and bounds the smooth maximum
``T * LSE(x / T)``; ``tests/test_ch02_support.py`` checks the numbers of its
model answer.
"""

from __future__ import annotations

import numpy as np

from .. import softmax as sm
from .core import Case, FunctionExercise, ValueExercise, register


def _masked_softmax(x, mask) -> np.ndarray:
    """Softmax over the entries of each last-axis row where ``mask`` is True; 0 elsewhere and in empty rows."""
    x = np.asarray(x, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    with np.errstate(invalid="ignore"):
        probs = sm.softmax(np.where(mask, x, -np.inf))  # (..., C): NaN for a row with nothing allowed
    return np.where(mask, probs, 0.0)


def _log_softmax_grad(x, dout) -> np.ndarray:
    """d log p_i / d x_j = δ_ij - p_j, so the gradient is dout - p * (sum of dout over the classes)."""
    p = sm.softmax(np.asarray(x, dtype=float))  # (..., C)
    dout = np.asarray(dout, dtype=float)
    return dout - p * np.sum(dout, axis=-1, keepdims=True)  # (..., C)


def _runner_up_peak(scores) -> np.ndarray:
    """[T*, p_1(T*)]: where the probability of class 1 peaks, found by bisection on 1/T.

    d log p_1 / d(1/T) = x_1 - (probability-weighted mean of x), and that mean
    grows with 1/T, so the peak is where the mean equals x_1.
    """
    scores = np.asarray(scores, dtype=float)
    lo, hi = 1e-6, 1e3  # 1/T
    for _ in range(200):
        mid = (lo + hi) / 2
        if sm.softmax(scores * mid) @ scores < scores[1]:
            lo = mid
        else:
            hi = mid
    temperature = 2.0 / (lo + hi)
    return np.array([temperature, sm.softmax(scores / temperature)[1]])


# ----------------------------------------------------------------------------- 1. masked softmax

_ROW = np.array([1.0, 2.0, 3.0])
_ALL = np.array([True, True, True])
_GAP = np.array([True, False, True])
_BATCH = np.array([[1000.0, 1001.0, 0.0], [-1000.0, -1001.0, 5.0], [0.0, 0.0, 0.0]])  # (N, C) = (3, 3)
_BATCH_MASK = np.array([[True, True, False], [True, True, False], [False, True, True]])
_EMPTY = np.array([[1.0, 2.0], [3.0, 4.0]])
_EMPTY_MASK = np.array([[True, False], [False, False]])
_CUBE = np.arange(24.0).reshape(2, 3, 4) / 3  # (2, 3, 4): any leading axes
_CUBE_MASK = (np.arange(24).reshape(2, 3, 4) % 3) != 1

register(
    FunctionExercise(
        id="ch02.masked_softmax",
        name="masked_softmax",
        cases=[
            Case((_ROW, _ALL), sm.softmax(_ROW), note="everything takes part: the ordinary softmax"),
            Case(
                (_ROW, _GAP),
                _masked_softmax(_ROW, _GAP),
                note="a masked entry gets exactly 0, and the others share the whole 1",
            ),
            Case(
                (np.array([0.0, 1.0, 1e4]), np.array([True, True, False])),
                _masked_softmax([0.0, 1.0, 1e4], [True, True, False]),
                note="a masked score, however large, must not decide the shift",
            ),
            Case(
                (np.array([2.0, np.inf, 1.0]), np.array([True, False, True])),
                _masked_softmax([2.0, 0.0, 1.0], [True, False, True]),
                note="a masked score is never used, not even an infinite one",
            ),
            Case(
                (_BATCH, _BATCH_MASK),
                _masked_softmax(_BATCH, _BATCH_MASK),
                note="a batch: each row has its own mask and its own shift, and scores of ±1000 do not overflow",
            ),
            Case(
                (np.array([-5.0, 7.0, 3.0]), np.array([False, False, True])),
                np.array([0.0, 0.0, 1.0]),
                note="a single entry that takes part gets probability 1",
            ),
            Case(
                (_EMPTY, _EMPTY_MASK),
                np.array([[1.0, 0.0], [0.0, 0.0]]),
                note="a row where nothing takes part comes back as zeros, without computing 0/0",
            ),
            Case(
                (_CUBE, _CUBE_MASK),
                _masked_softmax(_CUBE, _CUBE_MASK),
                note="any shape: the last axis holds the classes",
            ),
        ],
        # softmax or log_softmax of scores with the masked entries set to -inf answer it; so does
        # exp(-softmax_cross_entropy) class by class; softmax_naive after the student's own shift does the rest
        switched_off=(
            "dlscratch.softmax.softmax",
            "dlscratch.softmax.log_softmax",
            "dlscratch.softmax.logsumexp",
            "dlscratch.softmax.softmax_naive",
            "dlscratch.losses.softmax_cross_entropy",
        ),
        rtol=1e-12,
        atol=0.0,
        hint=(
            "treat an entry that does not take part as if its score were minus infinity, so that it can neither "
            "win the maximum nor add to the sum (reread the pitfall 'a softmax for one row only': the shift must "
            "come from the entries that are normalised together); a row with nothing left needs its own decision "
            "before anything is divided"
        ),
    )
)

# ----------------------------------------------------------------------------- 2. log-softmax backward

_X = np.array([[0.5, -1.0, 2.0, 0.0], [3.0, 3.0, -2.0, 1.0], [-0.3, 0.8, 0.1, -1.2]])  # (N, C) = (3, 4)
_DOUT = np.array([[1.0, -0.5, 0.25, 2.0], [-1.0, 0.0, 0.5, 0.5], [0.3, 0.3, -0.7, 1.1]])  # (N, C)
_X3 = np.sin(np.arange(30.0)).reshape(2, 3, 5) * 4  # (2, 3, 5)
_DOUT3 = np.cos(np.arange(30.0)).reshape(2, 3, 5)
_FAR = np.array([1000.0, 0.0, -1000.0])
_FAR_DOUT = np.array([0.5, -1.0, 2.0])

register(
    FunctionExercise(
        id="ch02.log_softmax_grad",
        name="log_softmax_grad",
        cases=[
            Case(
                (_ROW, np.array([1.0, 0.0, 0.0])),
                _log_softmax_grad(_ROW, [1.0, 0.0, 0.0]),
                note="the gradient of one log-probability, log p_0, with respect to every score",
            ),
            Case(
                (np.zeros(4), np.array([0.0, 0.0, 0.0, 1.0])),
                np.array([-0.25, -0.25, -0.25, 0.75]),
                note="equal scores: log p_3 rises with its own score and falls equally with each of the others",
            ),
            Case(
                (np.array([0.5, 2.0, -1.0]), np.array([0.0, -1.0, 0.0])),
                _log_softmax_grad([0.5, 2.0, -1.0], [0.0, -1.0, 0.0]),
                note="the negative log-likelihood of class 1 sends back p minus the one-hot target",
            ),
            Case((_X, _DOUT), _log_softmax_grad(_X, _DOUT), note="a batch (N, C): each row on its own"),
            Case((_X3, _DOUT3), _log_softmax_grad(_X3, _DOUT3), note="any shape: the last axis holds the classes"),
            Case(
                (_FAR, _FAR_DOUT),
                _log_softmax_grad(_FAR, _FAR_DOUT),
                note="scores 1000 apart: the probabilities must not overflow",
            ),
        ],
        # a numerical gradient of a log-softmax would approximate it; the analytic one is asked for
        switched_off=("dlscratch.numgrad.numerical_gradient", "dlscratch.numgrad.gradient_check"),
        rtol=1e-11,
        atol=1e-14,
        hint=(
            "write log p_i as x_i minus the log-sum-exp and differentiate, using that the gradient of the "
            "log-sum-exp is the softmax; then multiply dout by the transposed Jacobian without building it, "
            "as the chapter does for the softmax, summing over the class axis of each row only"
        ),
    )
)

# ----------------------------------------------------------------------------- 3. the runner-up's peak

#: The eight scores of exercise 3: a clear winner, a runner-up and six classes at 0.
RUNNER_UP_SCORES = np.array([5.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])

register(
    ValueExercise(
        id="ch02.runner_up_peak",
        expected=_runner_up_peak(RUNNER_UP_SCORES),
        rtol=1e-3,
        describe="[temperature, probability] of the runner-up's peak,",
        hint=(
            "the runner-up's probability tends to 0 as T goes to 0 and to 1/8 as T grows; evaluate it over a "
            "range of temperatures and narrow the range around the largest value until it is accurate to 0.1 %, "
            "or solve the condition for a peak that exercise 4 derives"
        ),
    )
)
