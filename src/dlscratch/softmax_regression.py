"""Softmax regression trained by full-batch gradient descent (the capstone of chapter 4).

The model is one linear layer followed by the softmax:

    logits = X @ W + b,          X : (N, D),  W : (D, C),  b : (C,)
    loss   = mean over the batch of -log softmax(logits)[n, y_n]

Chapter 3 gives the gradient of that loss with respect to the logits, one
sample at a time: ``softmax(z) - t`` for a one-hot target ``t``; the batch
mean divides it by ``N``. The chain rule carries it to the parameters,
because the logits depend on ``W`` and ``b`` linearly:

    G  = (P - T) / N             (N, C), P = softmax(logits), T one-hot
    dW = X.T @ G                 (D, C)
    db = G.sum(axis=0)           (C,)

Chapter 4 checks these formulas against :func:`dlscratch.numgrad.numerical_gradient`
and then trains the model on the 8x8 digits with :func:`train`. Softmax
regression is logistic regression for more than two classes; its loss is
convex in ``(W, b)``, so gradient descent with a small enough learning rate
approaches the same minimum from every start.

References
----------
Chapter 4 of the book (``chapters/04_numerical_gradient.md``), "Softmax
regression on the digits"; chapter 3 for the loss and its gradient.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from dlscratch._validation import as_float_array, check_positive

__all__ = ["SoftmaxRegression", "TrainingHistory", "train"]


# ----------------------------------------------------------------------------- input checks


def _check_features(X, num_features: int, name: str = "X") -> np.ndarray:
    """``X`` as a fresh float64 (N, D) array with D == num_features and only finite entries."""
    X = as_float_array(X, name).astype(np.float64, copy=False)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, {num_features}) with N >= 1, got shape {X.shape}")
    if X.shape[1] != num_features:
        raise ValueError(f"{name} must have {num_features} features per row, shape (N, {num_features}), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must hold finite numbers, got {np.count_nonzero(~np.isfinite(X))} NaN or inf")
    return X


def _check_labels(y, num_samples: int, num_classes: int, name: str = "y") -> np.ndarray:
    """``y`` as an (N,) integer array of class labels in [0, C)."""
    if isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be integer class labels of shape ({num_samples},), got {type(y).__name__}")
    try:
        labels = np.asarray(y)
    except ValueError as err:  # a ragged list
        raise TypeError(f"{name} must be integer class labels of shape ({num_samples},): {err}") from None
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer class labels, got dtype {labels.dtype}")
    if labels.shape != (num_samples,):
        raise ValueError(f"{name} must have shape ({num_samples},), one label per row of X, got {labels.shape}")
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        raise ValueError(f"{name} must be class labels in [0, {num_classes}), got {labels[bad][0]}")
    return labels.astype(np.intp)


def _check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------- the model


def _forward(X: np.ndarray, W: np.ndarray, b: np.ndarray, y: np.ndarray):
    """Mean loss, accuracy and the softmax probabilities of checked inputs, from one pass."""
    logits = X @ W + b  # (N, C)
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C), every entry <= 0
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1, keepdims=True)  # (N, 1), in [1, C]
    rows = np.arange(len(y))
    loss = float(np.mean(np.log(sum_exp[:, 0]) - shifted[rows, y]))
    accuracy = float(np.mean(logits.argmax(axis=1) == y))
    return loss, accuracy, exp / sum_exp  # probabilities (N, C)


def _gradient(X: np.ndarray, probs: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """dW, db of the mean loss from the probabilities: the chain rule through logits = X @ W + b."""
    G = probs.copy()  # (N, C)
    G[np.arange(len(y)), y] -= 1.0  # P - T, T one-hot
    G /= len(y)  # the mean over the batch
    return {"W": X.T @ G, "b": G.sum(axis=0)}  # (D, C), (C,)


class SoftmaxRegression:
    """A linear classifier ``logits = X @ W + b`` with the softmax cross-entropy loss.

    Parameters
    ----------
    num_features : int
        ``D``, the length of one input row (64 for the 8x8 digits).
    num_classes : int
        ``C``, at least 2.
    rng : numpy.random.Generator, optional
        If given, ``W`` starts as ``weight_scale`` times standard normal
        numbers drawn from it; otherwise ``W`` starts at zero (the loss is
        convex, so zero is a fine start). ``b`` always starts at zero.
    weight_scale : float, optional
        Standard deviation of the random start, default 0.01.

    Attributes
    ----------
    params : dict
        ``{"W": (D, C) ndarray, "b": (C,) ndarray}``; gradient descent updates
        them in place, ``params[k] -= lr * grads[k]``.

    Examples
    --------
    >>> model = SoftmaxRegression(2, 3)
    >>> model.loss([[1.0, 2.0]], [0])  # all logits equal: log 3
    1.0986122886681098
    >>> model.gradient([[1.0, 2.0]], [0])["b"].round(3)
    array([-0.667,  0.333,  0.333])
    """

    def __init__(self, num_features: int, num_classes: int, *, rng=None, weight_scale=0.01):
        self.num_features = _check_count(num_features, "num_features", 1)
        self.num_classes = _check_count(num_classes, "num_classes", 2)
        W = np.zeros((self.num_features, self.num_classes))  # (D, C)
        if rng is not None:
            if not isinstance(rng, np.random.Generator):
                raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
            W = check_positive(weight_scale, "weight_scale") * rng.standard_normal(W.shape)
        self.params = {"W": W, "b": np.zeros(self.num_classes)}

    def _checked(self, X, y):
        X = _check_features(X, self.num_features)
        return X, _check_labels(y, X.shape[0], self.num_classes)

    def logits(self, X) -> np.ndarray:
        """Scores ``X @ W + b``.

        Parameters
        ----------
        X : (N, D) array_like

        Returns
        -------
        logits : (N, C) ndarray
        """
        X = _check_features(X, self.num_features)
        return X @ self.params["W"] + self.params["b"]

    def predict(self, X) -> np.ndarray:
        """The class with the largest logit, ``(N,)`` integer labels, for ``X`` of shape ``(N, D)``."""
        return self.logits(X).argmax(axis=1)

    def loss(self, X, y) -> float:
        """Mean softmax cross-entropy of ``X`` ``(N, D)`` against the labels ``y`` ``(N,)``."""
        X, y = self._checked(X, y)
        return _forward(X, self.params["W"], self.params["b"], y)[0]

    def accuracy(self, X, y) -> float:
        """Fraction of the rows of ``X`` ``(N, D)`` whose predicted class is ``y`` ``(N,)``."""
        X, y = self._checked(X, y)
        return _forward(X, self.params["W"], self.params["b"], y)[1]

    def gradient(self, X, y) -> dict[str, np.ndarray]:
        """Gradient of :meth:`loss` with respect to the parameters.

        Parameters
        ----------
        X : (N, D) array_like
        y : (N,) int array_like
            Class labels in ``[0, C)``.

        Returns
        -------
        grads : dict
            ``{"W": (D, C) ndarray, "b": (C,) ndarray}``, the same keys as
            :attr:`params`: ``X.T @ (P - T) / N`` and the column sums of
            ``(P - T) / N``.
        """
        X, y = self._checked(X, y)
        _, _, probs = _forward(X, self.params["W"], self.params["b"], y)
        return _gradient(X, probs, y)


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingHistory:
    """What :func:`train` records, at step 0 (the start) and after every step.

    Attributes
    ----------
    train_loss, train_accuracy : (num_steps + 1,) ndarray
    test_loss, test_accuracy : (num_steps + 1,) ndarray
        NaN when no test set was given.
    weight_steps : (S,) int ndarray
        The steps at which ``weights`` were recorded.
    weights : (S, D, C) ndarray
        Copies of ``W`` at those steps.
    """

    train_loss: np.ndarray
    train_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    weight_steps: np.ndarray
    weights: np.ndarray


def train(model: SoftmaxRegression, X, y, *, lr, num_steps, X_test=None, y_test=None, weights_every=0):
    """Full-batch gradient descent ``params[k] -= lr * grads[k]`` for ``num_steps`` steps.

    Every step uses the gradient of the mean loss over *all* of ``X``.
    ``model.params`` are updated in place; ``X`` and ``y`` are not modified.
    The loop runs with one BLAS thread: for matrices this small, several
    threads spend more time waiting for each other than computing (on a
    2-core machine that also runs PyTorch's threads, 10 to 40 times more).

    Parameters
    ----------
    model : SoftmaxRegression
    X : (N, D) array_like
        Training inputs.
    y : (N,) int array_like
        Training labels in ``[0, C)``.
    lr : float
        Learning rate, ``> 0``.
    num_steps : int
        Number of steps, ``>= 0``.
    X_test : (M, D) array_like, optional
    y_test : (M,) int array_like, optional
        A test set, evaluated (never trained on) at every step; give both or neither.
    weights_every : int, optional
        Record a copy of ``W`` at steps ``0, weights_every, 2 * weights_every, ...``
        and after the last step; ``0`` (the default) records none.

    Returns
    -------
    TrainingHistory

    Examples
    --------
    >>> model = SoftmaxRegression(1, 2)
    >>> history = train(model, [[1.0], [-1.0]], [1, 0], lr=1.0, num_steps=20)
    >>> history.train_loss.shape, bool(history.train_loss[-1] < history.train_loss[0])
    ((21,), True)
    """
    if not isinstance(model, SoftmaxRegression):
        raise TypeError(f"model must be a SoftmaxRegression, got {type(model).__name__}")
    X, y = model._checked(X, y)
    lr = check_positive(lr, "lr")
    num_steps = _check_count(num_steps, "num_steps", 0)
    weights_every = _check_count(weights_every, "weights_every", 0)
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test and y_test must be given together")
    if X_test is not None:
        X_test = _check_features(X_test, model.num_features, "X_test")
        y_test = _check_labels(y_test, X_test.shape[0], model.num_classes, "y_test")

    metrics = np.full((num_steps + 1, 4), np.nan)  # train loss, train acc, test loss, test acc
    weight_steps, weights = [], []
    params = model.params
    with threadpool_limits(limits=1, user_api="blas"):
        for step in range(num_steps + 1):
            loss, accuracy, probs = _forward(X, params["W"], params["b"], y)
            metrics[step, :2] = loss, accuracy
            if X_test is not None:
                metrics[step, 2:] = _forward(X_test, params["W"], params["b"], y_test)[:2]
            if weights_every and (step % weights_every == 0 or step == num_steps):
                weight_steps.append(step)
                weights.append(params["W"].copy())
            if step == num_steps:
                break
            grads = _gradient(X, probs, y)
            for key in params:
                params[key] -= lr * grads[key]
    shape = (0, model.num_features, model.num_classes)
    return TrainingHistory(
        *(column.copy() for column in metrics.T),
        weight_steps=np.array(weight_steps, dtype=int),
        weights=np.array(weights) if weights else np.zeros(shape),
    )
