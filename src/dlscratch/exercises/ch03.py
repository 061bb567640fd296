"""Exercises of chapter 3, loss functions (``chapters/03_losses.md``).

Each exercise carries an idea of the chapter to a case the chapter does not
work out: the gradient of the softmax cross-entropy for a mini-batch (derived
from the notes' per-sample form, labels or target rows), the focal loss (the
stable sigmoid cross-entropy inside a new loss), and where the squared error
on a sigmoid pushes hardest (the slope the chapter's figure plots).
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations as act
from ..softmax import softmax
from .core import Case, FunctionExercise, ValueExercise, register

#: The package's classification losses: each computes a loss this chapter's exercises ask for, or its
#: pieces (a finite difference of one approximates the gradient of exercise 1).
_LOSSES = (
    "dlscratch.losses.cross_entropy",
    "dlscratch.losses.nll_loss",
    "dlscratch.losses.softmax_cross_entropy",
    "dlscratch.losses.sigmoid_cross_entropy",
)

# ----------------------------------------------------------------------------- 1. the gradient of the softmax CE


def _softmax_cross_entropy_grad(logits, targets) -> np.ndarray:
    """d/dx of the batch mean of -Σ t_i x_i + (Σ t_i) logsumexp(x): (softmax(x) Σt - t) / N."""
    x = np.asarray(logits, dtype=float)
    rows = x.reshape(-1, x.shape[-1])  # (N, C)
    t = np.asarray(targets)
    if t.shape == x.shape:
        t = t.astype(float).reshape(rows.shape)  # (N, C) target rows
    else:
        t = np.eye(x.shape[-1])[t.reshape(-1)]  # labels -> (N, C) one-hot rows
    grad = (softmax(rows) * t.sum(axis=1, keepdims=True) - t) / rows.shape[0]  # (N, C)
    return grad.reshape(x.shape)


_LOGITS = np.array([[2.0, -1.0, 0.5, 0.0], [0.3, 0.3, -2.0, 1.5], [-0.7, 2.2, 1.0, -1.4]])  # (N, C) = (3, 4)
_LABELS = np.array([0, 3, 1])  # (N,)
_SMOOTH = 0.9 * np.eye(4)[_LABELS] + 0.1 / 4  # (N, C): label smoothing with ε = 0.1, rows sum to 1
_UNNORMALISED = np.array([[1.0, 0.0, 0.5, 0.0], [0.0, 0.0, 0.0, 0.25], [0.5, 1.0, 0.0, 0.5]])  # row sums 1.5, 0.25, 2
_FAR = np.array([[1.0, 1.0, 1.0, 4000.0], [4000.0, 1.0, 1.0, 1.0]])  # the notes' logits, wrong then right

register(
    FunctionExercise(
        id="ch03.softmax_cross_entropy_grad",
        name="softmax_cross_entropy_grad",
        cases=[
            Case(
                (np.zeros(4), 3),
                np.array([0.25, 0.25, 0.25, -0.75]),
                note="one sample is a batch of one; with equal logits the true class gets -3/4, every other +1/4",
            ),
            Case(
                (np.array([2.0, -1.0, 0.5]), np.array([0.0, 1.0, 0.0])),
                _softmax_cross_entropy_grad([2.0, -1.0, 0.5], 1),
                note="one sample with a one-hot row: the same gradient as with its class label",
            ),
            Case(
                (_LOGITS, _LABELS),
                _softmax_cross_entropy_grad(_LOGITS, _LABELS),
                note="a mini-batch of labels: the loss is the mean, so every row carries a factor 1/N",
            ),
            Case(
                (_LOGITS, np.eye(4)[_LABELS]),
                _softmax_cross_entropy_grad(_LOGITS, _LABELS),
                note="one-hot rows give the same gradient as the labels",
            ),
            Case(
                (_LOGITS, _SMOOTH),
                _softmax_cross_entropy_grad(_LOGITS, _SMOOTH),
                note="smoothed targets: rows of probabilities, every class gets a share",
            ),
            Case(
                (_LOGITS, _UNNORMALISED),
                _softmax_cross_entropy_grad(_LOGITS, _UNNORMALISED),
                note="target rows that do not sum to 1: the factor Σt of the notes' form stays in the gradient",
            ),
            Case(
                (_FAR, np.array([0, 0])),
                np.array([[-0.5, 0.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.0]]),
                note="logits 4000 apart, no overflow: the confident mistake gets the full push, the confident "
                "right answer none",
            ),
        ],
        # the losses, differentiated numerically, would approximate the gradient; the derivation is asked for
        # the losses, numerical gradients, and every later module that computes (p - t) / N: a layer's backward,
        # softmax regression's gradient
        switched_off=(
            *_LOSSES,
            "dlscratch.numgrad.numerical_gradient",
            "dlscratch.numgrad.gradient_check",
            "dlscratch.layers",
            "dlscratch.softmax_regression",
            "dlscratch.nets",
        ),
        rtol=1e-9,
        atol=1e-12,
        hint=(
            "differentiate the notes' per-sample form from 'Log-softmax and the NLL loss' with respect to each "
            "logit (the derivative of the log-sum-exp is the softmax); then remember that the batch loss is the "
            "mean over the rows and that a class label stands for a one-hot row"
        ),
    )
)

# ----------------------------------------------------------------------------- 2. the focal loss


def _sigmoid_focal_loss(logits, targets, gamma=2.0) -> float:
    """mean of -(1 - p_t)^γ log p_t, with u = ±z (the sign of the target): 1 - p_t = σ(-u), -log p_t = softplus(-u)."""
    z = np.asarray(logits, dtype=float)
    u = np.where(np.asarray(targets) == 1, z, -z)
    minus_log_pt = np.maximum(-u, 0.0) + np.log1p(np.exp(-np.abs(u)))  # the stable binary cross-entropy
    return float(np.mean(act.sigmoid(-u) ** gamma * minus_log_pt))


_Z = np.array([[-2.0, -0.5, 0.5], [1.5, 4.0, -3.0]])  # (2, 3)
_Y = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])  # (2, 3)

register(
    FunctionExercise(
        id="ch03.sigmoid_focal_loss",
        name="sigmoid_focal_loss",
        cases=[
            Case(
                (0.0, 1.0),
                0.25 * math.log(2.0),
                note="an undecided output, half the probability on the right answer: log 2 times (1/2)^γ",
            ),
            Case((0.0, 0.0), 0.25 * math.log(2.0), note="target 0 counts the probability of 'no'"),
            Case((0.0, 1.0), math.log(2.0), kwargs={"gamma": 0.0}, note="with γ zero it is the binary cross-entropy"),
            Case(
                (3.0, 1.0),
                _sigmoid_focal_loss(3.0, 1.0),
                note="an easy, right answer costs far less than its cross-entropy",
            ),
            Case(
                (3.0, 0.0),
                _sigmoid_focal_loss(3.0, 0.0),
                note="a confident wrong 'yes' keeps almost all of its cross-entropy",
            ),
            Case((_Z, _Y), _sigmoid_focal_loss(_Z, _Y), note="any shape: the mean over all elements"),
            Case(
                (_Z, _Y),
                _sigmoid_focal_loss(_Z, _Y, 0.5),
                kwargs={"gamma": 0.5},
                note="any γ ≥ 0, not only whole numbers",
            ),
            Case(
                (np.array([-4000.0, -4000.0, 4000.0, 4000.0]), np.array([1.0, 0.0, 0.0, 1.0])),
                2000.0,
                note="logits of ±4000: a confidently wrong element costs its whole logit, a right one 0, "
                "with no overflow and no logarithm of 0",
            ),
        ],
        switched_off=_LOSSES,  # the binary cross-entropy per element is half the answer
        rtol=1e-9,
        atol=1e-12,
        hint=(
            "reread 'Sigmoid cross-entropy, derived stably': for a target of 0 or 1, the logarithm of p_t is "
            "minus that element's binary cross-entropy, which has a form that never takes the log of a "
            "probability; and 1 - p_t is itself a sigmoid, of the logit with its sign flipped when the target is 1"
        ),
    )
)

# ----------------------------------------------------------------------------- 3. where the MSE pushes hardest

register(
    ValueExercise(
        id="ch03.mse_steepest_push",
        expected=np.array([-math.log(2.0), -8.0 / 27.0]),  # σ(z) = 1/3, slope -2 (1/3)(2/3)^2
        rtol=1e-3,
        describe="[logit, slope] where the squared error on σ(z) with target 1 is steepest,",
        hint=(
            "for target 1 the slope is 2(σ - 1)σ(1 - σ), a function of σ alone: find where its derivative "
            "with respect to σ vanishes and turn that σ back into a logit, or evaluate the slope on a fine grid "
            "of logits and narrow the range around its most negative value"
        ),
    )
)
