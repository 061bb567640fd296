"""A deep fully connected classifier built from :mod:`dlscratch.layers`, and its training loop (chapter 7).

:class:`MLP` stacks ``L`` layers ``Affine → activation → … → Affine`` and
ends with softmax cross-entropy, like :class:`dlscratch.nets.TwoLayerNet`, but
with any number of hidden layers, a choice of activation (ReLU, sigmoid or
tanh) and a choice of *initialization*, which is what chapter 7 studies:

* ``init=0.01`` (any positive float): every weight from ``N(0, std²)``, the
  fixed standard deviation of *Deep Learning from Scratch*'s first networks;
* ``init="xavier"``: :func:`dlscratch.init.xavier` (Glorot: ``√(2 / (fan_in + fan_out))``);
* ``init="he"``: :func:`dlscratch.init.he` (``√(2 / fan_in)``);
* ``init=callable``: ``init(fan_in, fan_out, rng)`` returns a ``(fan_in, fan_out)``
  array, for any other scheme (``functools.partial(xavier, mode="fan_in")``
  is DLFS's "Xavier", ``1 / √fan_in``).

Biases start at 0. Every layer, the output layer included, is initialised the
same way, as in DLFS's ``MultiLayerNet``.

Three options add what chapters 8 and 9 study, as DLFS's ``MultiLayerNetExtend``
does: ``batch_norm=True`` puts a :class:`dlscratch.layers.BatchNorm` after
every hidden Affine layer, before its activation; ``dropout=p`` puts a
:class:`dlscratch.layers.Dropout` after every hidden activation; and
``weight_decay=λ`` adds the L2 penalty ``λ/2 · Σ_l ‖W_l‖²`` (weights, not
biases, γ or β) to the loss. Those layers act differently in training and
in evaluation: ``predict``, ``loss`` and ``accuracy`` evaluate (``train=False``
by default), ``gradient`` and ``loss_and_gradient`` train, like PyTorch's
``model.eval()`` and ``model.train()``.

:func:`train` runs mini-batch training with any optimizer that has
``update(params, grads)`` (:mod:`dlscratch.optim`), one pass over a shuffled
training set per epoch, and records the loss and accuracy after every epoch.
It runs with one BLAS thread: on matrices this small, more threads only wait
for each other.

``Tanh`` is :class:`dlscratch.layers.Tanh`, importable from here too.

References
----------
Chapter 7 of the book (``chapters/07_initialization.md``); notes 002 and 003.
Saito, *Deep Learning from Scratch* (2016), §6.2 and ``common/multi_layer_net.py``;
Glorot & Bengio (2010); He, Zhang, Ren & Sun, "Delving deep into rectifiers" (2015).
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from dlscratch._validation import as_float_array, check_positive
from dlscratch.init import he, xavier
from dlscratch.layers import Affine, BatchNorm, Dropout, Layer, ReLU, Sigmoid, SoftmaxWithLoss, Tanh
from dlscratch.numgrad import numerical_gradient

__all__ = ["ACTIVATIONS", "MLP", "Tanh", "TrainingHistory", "train"]  # Tanh: from dlscratch.layers

#: The hidden activations an MLP can use, by name.
ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def _check_sizes(sizes) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a sequence of ints [D, H1, ..., C], got {type(sizes).__name__} {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the input and output sizes [D, ..., C], got {list(sizes)!r}")
    for i, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError(f"sizes[{i}] must be an int, got {type(size).__name__} {size!r}")
        if size < 1:
            raise ValueError(f"sizes[{i}] must be >= 1, got {size}")
    return tuple(int(s) for s in sizes)


def _initializer(init) -> Callable[[int, int, np.random.Generator], np.ndarray]:
    """Turn ``init`` (a std, "xavier", "he" or a callable) into ``draw(fan_in, fan_out, rng)``."""
    if isinstance(init, str):
        if init == "xavier":
            return lambda fan_in, fan_out, rng: xavier(fan_in, fan_out, rng=rng)
        if init == "he":
            return lambda fan_in, fan_out, rng: he(fan_in, fan_out, rng=rng)
        raise ValueError(f"init must be 'xavier', 'he', a std > 0 or a callable, got {init!r}")
    if callable(init):
        return init
    std = check_positive(init, "init")
    return lambda fan_in, fan_out, rng: std * rng.standard_normal((fan_in, fan_out))


class MLP:
    """A multi-layer perceptron: ``L`` Affine layers with an activation between them, softmax cross-entropy last.

    ``predict(x) = A_L(f(A_{L-1}(… f(A_1(x)))))`` with ``A_l(h) = h W_l + b_l``
    gives the logits (N, C); ``loss(x, t)`` is their mean softmax
    cross-entropy against ``t``.

    Parameters
    ----------
    sizes : sequence of int
        ``[D, H_1, ..., H_{L-1}, C]``: the input size, the widths of the hidden
        layers and the number of classes; ``L = len(sizes) - 1`` Affine layers.
    activation : {"relu", "sigmoid", "tanh"}, default "relu"
        The activation after every hidden Affine layer.
    init : float, {"xavier", "he"} or callable, default "he"
        How the weights are drawn (module docstring): a std ``> 0`` of a
        normal distribution, :func:`dlscratch.init.xavier`,
        :func:`dlscratch.init.he`, or ``init(fan_in, fan_out, rng)``
        returning a ``(fan_in, fan_out)`` array.
    rng : numpy.random.Generator
        Source of the initial weights (keyword-only, required). The dropout
        masks come from a generator spawned from it, so one seed fixes both.
    batch_norm : bool, default False
        A BatchNorm layer (PyTorch's conventions, ``momentum=0.1``) after
        every hidden Affine layer; its parameters are ``gamma{l}`` and ``beta{l}``.
    dropout : float, default 0.0
        Drop probability of a Dropout layer (inverted scaling) after every
        hidden activation; 0 adds none.
    weight_decay : float, default 0.0
        λ of the L2 penalty ``λ/2 · Σ_l ‖W_l‖²`` added to the loss (its
        gradient ``λ W_l`` to the gradient), ``>= 0``.

    Attributes
    ----------
    params : dict of str to ndarray
        ``W1`` (D, H_1), ``b1`` (H_1,), [``gamma1``, ``beta1`` (H_1,)], …,
        ``WL`` (H_{L-1}, C), ``bL`` (C,): the arrays the layers compute with.
        Update them in place.
    layers : dict of str to Layer
        ``"Affine1"``, [``"BatchNorm1"``], ``"ReLU1"`` (or ``"Sigmoid1"``,
        ``"Tanh1"``), [``"Dropout1"``], …, ``"AffineL"``, in the order of the
        forward pass.
    last_layer : SoftmaxWithLoss

    Raises
    ------
    TypeError
        If ``sizes`` is not a sequence of ints, ``rng`` is not a
        ``numpy.random.Generator`` or ``init`` is of the wrong type.
    ValueError
        If a size is < 1, ``activation`` or ``init`` is unknown, a std is not
        positive, an ``init`` callable returns the wrong shape, ``dropout`` is
        not in [0, 1) or ``weight_decay`` is negative.

    Examples
    --------
    >>> net = MLP([4, 8, 8, 3], activation="tanh", init="xavier", rng=np.random.default_rng(0))
    >>> {key: value.shape for key, value in net.params.items()}
    {'W1': (4, 8), 'b1': (8,), 'W2': (8, 8), 'b2': (8,), 'W3': (8, 3), 'b3': (3,)}
    >>> list(net.layers)
    ['Affine1', 'Tanh1', 'Affine2', 'Tanh2', 'Affine3']
    >>> x, t = np.ones((2, 4)), np.array([0, 2])
    >>> sorted(net.gradient(x, t)) == sorted(net.params)
    True
    """

    def __init__(self, sizes, *, activation="relu", init="he", rng, batch_norm=False, dropout=0.0, weight_decay=0.0):
        sizes = _check_sizes(sizes)
        if not isinstance(batch_norm, (bool, np.bool_)):
            raise TypeError(f"batch_norm must be True or False, got {type(batch_norm).__name__} {batch_norm!r}")
        dropout = check_positive(dropout, "dropout", allow_zero=True)
        if dropout >= 1:
            raise ValueError(f"dropout must be a drop probability in [0, 1), got {dropout!r}")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.batch_norm, self.dropout = bool(batch_norm), dropout
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}, got {activation!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
            )
        if isinstance(init, bool) or (not isinstance(init, (str, numbers.Real)) and not callable(init)):
            raise TypeError(f"init must be 'xavier', 'he', a std > 0 or a callable, got {type(init).__name__}")
        draw = _initializer(init)
        self.sizes = sizes
        self.activation = activation
        self.params: dict[str, np.ndarray] = {}
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
            W = np.array(draw(fan_in, fan_out, rng), dtype=np.float64)  # (fan_in, fan_out), a copy
            if W.shape != (fan_in, fan_out):
                raise ValueError(f"init must return shape (fan_in, fan_out) = {(fan_in, fan_out)}, got {W.shape}")
            self.params[f"W{i}"] = W
            self.params[f"b{i}"] = np.zeros(fan_out)  # (fan_out,)
            if self.batch_norm and i < len(sizes) - 1:
                self.params[f"gamma{i}"] = np.ones(fan_out)  # (fan_out,)
                self.params[f"beta{i}"] = np.zeros(fan_out)
        self._dropout_rng = _spawn(rng) if dropout else None
        self.layers = _build_layers(self.params, activation, self.dropout, self._dropout_rng)
        self.last_layer = SoftmaxWithLoss()

    def __repr__(self) -> str:
        options = "".join(
            f", {name}={value!r}"
            for name, value, default in (
                ("batch_norm", self.batch_norm, False),
                ("dropout", self.dropout, 0.0),
                ("weight_decay", self.weight_decay, 0.0),
            )
            if value != default
        )
        return f"MLP(sizes={list(self.sizes)}, activation={self.activation!r}{options})"

    @property
    def input_shape(self) -> tuple[int]:
        """``(D,)``, the shape of one sample."""
        return (self.sizes[0],)

    @property
    def num_classes(self) -> int:
        """C, the number of classes."""
        return self.sizes[-1]

    @property
    def num_layers(self) -> int:
        """L, the number of Affine layers."""
        return len(self.sizes) - 1

    def predict(self, x, *, train=False) -> np.ndarray:
        """Return the logits.

        Parameters
        ----------
        x : (N, D) or (N, ...) array_like
        train : bool, default False
            Training mode: batch statistics in BatchNorm (and an update of its
            running ones), random masks in Dropout. Evaluation by default.

        Returns
        -------
        logits : (N, C) ndarray
        """
        return _forward(self.layers, x, _check_train(train))

    def hidden_activations(self, x, *, train=False) -> list[np.ndarray]:
        """Return the output of every hidden activation layer, first to last.

        Parameters
        ----------
        x : (N, D) array_like
        train : bool, default False

        Returns
        -------
        list of (N, H_l) ndarray
            ``L - 1`` arrays (taken before dropout), the values that the
            histograms of chapters 7 and 8 show.
        """
        train = _check_train(train)
        activation = ACTIVATIONS[self.activation].__name__
        outputs = []
        for name, layer in self.layers.items():
            x = _call(layer, x, train)
            if name.startswith(activation):
                outputs.append(x)
        return outputs

    def penalty(self) -> float:
        """Return the L2 penalty ``λ/2 · Σ_l ‖W_l‖²`` that :meth:`loss` adds (0 without weight decay)."""
        if not self.weight_decay:
            return 0.0
        return 0.5 * self.weight_decay * math.fsum(float(np.sum(self.params[f"W{i}"] ** 2)) for i in self._indices())

    def loss(self, x, t, *, train=False) -> float:
        """Return the mean softmax cross-entropy of the logits against ``t``, plus :meth:`penalty`.

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like
            One-hot rows or integer class labels.
        train : bool, default False
            As in :meth:`predict`.

        Returns
        -------
        float
        """
        return self.last_layer.forward(self.predict(x, train=train), t) + self.penalty()

    def accuracy(self, x, t) -> float:
        """Return the fraction of samples whose largest logit is the true class (in evaluation mode).

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like

        Returns
        -------
        float
            In ``[0, 1]``.
        """
        return _accuracy(self.predict(x), t)

    def _indices(self) -> range:
        return range(1, self.num_layers + 1)

    def gradient(self, x, t) -> dict[str, np.ndarray]:
        """Return the gradient of :meth:`loss` in training mode with respect to every parameter, by backpropagation.

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like

        Returns
        -------
        dict of str to ndarray
            The keys of ``params``; new arrays of the parameters' shapes.
        """
        return self.loss_and_gradient(x, t)[1]

    def loss_and_gradient(self, x, t) -> tuple[float, dict[str, np.ndarray]]:
        """Return :meth:`loss` and :meth:`gradient` from one forward and one backward pass, in training mode.

        This is one training step's work: BatchNorm uses (and updates its
        running estimates with) the batch statistics, Dropout draws new masks.

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like

        Returns
        -------
        loss : float
        grads : dict of str to ndarray
        """
        loss = self.loss(x, t, train=True)
        dout = self.last_layer.backward(1.0)  # (N, C)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)  # ends as (N, D)
        grads = {}
        for i in self._indices():
            affine = self.layers[f"Affine{i}"]
            grads[f"W{i}"] = affine.grads["W"] + self.weight_decay * self.params[f"W{i}"]
            grads[f"b{i}"] = affine.grads["b"]
            if f"BatchNorm{i}" in self.layers:
                norm = self.layers[f"BatchNorm{i}"]
                grads[f"gamma{i}"], grads[f"beta{i}"] = norm.grads["gamma"], norm.grads["beta"]
        return loss, {key: grads[key] for key in self.params}

    def numerical_gradient(self, x, t, *, h=1e-4) -> dict[str, np.ndarray]:
        """Return the central-difference gradient of :meth:`loss` (slow; the check of :meth:`gradient`).

        As :meth:`dlscratch.nets.TwoLayerNet.numerical_gradient`: the loss is
        evaluated on fresh layers built from a copy of ``params`` in which one
        key is replaced, so nothing of the network is modified (not even
        BatchNorm's running estimates). The loss is that of training mode,
        the one :meth:`gradient` differentiates.

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like
        h : float, default 1e-4

        Returns
        -------
        dict of str to ndarray

        Raises
        ------
        ValueError
            If the network has dropout: its training loss is random, so a
            difference quotient measures the masks, not the slope.
        """
        if self.dropout:
            raise ValueError(
                f"numerical_gradient needs a deterministic loss, but this MLP has dropout={self.dropout}; "
                "check the gradient of the same network with dropout=0.0"
            )
        x = as_float_array(x, "x")
        t = np.asarray(t)
        grads = {}
        for key in self.params:

            def loss_at(value, key=key):
                trial = {**self.params, key: value}
                logits = _forward(_build_layers(trial, self.activation, 0.0, None), x, True)
                penalty = 0.5 * self.weight_decay * sum(float(np.sum(trial[f"W{i}"] ** 2)) for i in self._indices())
                return SoftmaxWithLoss().forward(logits, t) + penalty

            grads[key] = numerical_gradient(loss_at, self.params[key], h=h)
        return grads


def _build_layers(params: dict[str, np.ndarray], activation: str, dropout: float, rng) -> dict[str, Layer]:
    """Affine1, [BatchNorm1], <Activation>1, [Dropout1], ..., AffineL, sharing the arrays of ``params``."""
    num_layers = sum(key.startswith("W") for key in params)
    layer_class = ACTIVATIONS[activation]
    layers: dict[str, Layer] = {}
    for i in range(1, num_layers + 1):
        layers[f"Affine{i}"] = Affine(params[f"W{i}"], params[f"b{i}"])
        if i < num_layers:
            if f"gamma{i}" in params:
                gamma = params[f"gamma{i}"]
                layers[f"BatchNorm{i}"] = BatchNorm(gamma.size, gamma=gamma, beta=params[f"beta{i}"])
            layers[f"{layer_class.__name__}{i}"] = layer_class()
            if dropout:
                layers[f"Dropout{i}"] = Dropout(dropout, rng=rng)
    return layers


def _spawn(rng: np.random.Generator) -> np.random.Generator:
    """An independent generator derived from ``rng`` without drawing from it (so the weights do not change)."""
    try:
        return rng.spawn(1)[0]
    except TypeError:  # a bit generator without a SeedSequence: draw a seed instead
        return np.random.default_rng(rng.integers(2**63))


def _check_train(train) -> bool:
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be True (training) or False (evaluation), got {type(train).__name__} {train!r}")
    return bool(train)


def _call(layer: Layer, x, train: bool):
    """``layer.forward(x)``, telling the layers that have a training mode which one it is."""
    if isinstance(layer, (BatchNorm, Dropout)):
        return layer.forward(x, train=train)
    return layer.forward(x)


def _accuracy(logits: np.ndarray, t) -> float:
    t = np.asarray(t)
    if t.shape == logits.shape:
        labels = np.argmax(t, axis=1)  # (N,)
    elif t.shape == logits.shape[:1]:
        labels = t
    else:
        raise ValueError(
            f"t must have shape {logits.shape} (one-hot rows) or {logits.shape[:1]} (class labels) "
            f"for x with {logits.shape[0]} samples, got shape {t.shape}"
        )
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def _forward(layers: dict[str, Layer], x, train: bool) -> np.ndarray:
    for layer in layers.values():
        x = _call(layer, x, train)
    return x


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True, eq=False)
class TrainingHistory:
    """What :func:`train` records: index 0 before training, index ``e`` after epoch ``e``.

    Attributes
    ----------
    train_loss : (num_epochs + 1,) ndarray
        Index 0: the loss on the whole training set before the first step;
        index ``e >= 1``: the mean of the mini-batch losses of epoch ``e``
        (each computed just before its step, so it costs nothing extra).
    test_loss, test_accuracy : (num_epochs + 1,) ndarray
        On the test set, before training and after every epoch (NaN if no
        test set was given), in evaluation mode.
    train_accuracy : (num_epochs + 1,) ndarray
        On the whole training set, before training and after every epoch, in
        evaluation mode (so it compares with ``test_accuracy``).
    """

    train_loss: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    train_accuracy: np.ndarray


def _check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_data(X, y, sample_shape: tuple, num_classes: int, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    x_name, y_name = names
    X = as_float_array(X, x_name)
    y = np.asarray(y)
    if X.shape[1:] != tuple(sample_shape) or X.ndim != 1 + len(sample_shape):
        raise ValueError(f"{x_name} must have shape (N, {', '.join(map(str, sample_shape))}), got {X.shape}")
    if y.shape != (X.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(
            f"{y_name} must be {X.shape[0]} integer labels, shape ({X.shape[0]},), got {y.shape} {y.dtype}"
        )
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{y_name} must be labels in [0, {num_classes}), got {y.min()} .. {y.max()}")
    return X, y


def train(model, X, y, *, optimizer, num_epochs, batch_size, rng, X_test=None, y_test=None) -> TrainingHistory:
    """Mini-batch training: each epoch shuffles ``X`` and takes one optimizer step per batch.

    Any numpy model of the package trains this way: :class:`MLP` and
    :class:`dlscratch.nets.SimpleConvNet` (anything with ``params``,
    ``loss_and_gradient``, ``loss``, ``predict``, ``accuracy``,
    ``input_shape`` and ``num_classes``).

    ``model.params`` are updated in place by ``optimizer.update(params, grads)``;
    ``X`` and ``y`` are not modified. The last batch of an epoch is smaller
    when ``batch_size`` does not divide ``N``.

    Parameters
    ----------
    model : MLP or SimpleConvNet
    X : (N, D) or (N, C, H, W) array_like
        Samples of the shape ``model.input_shape``.
    y : (N,) int array_like
        Labels in ``[0, C)``.
    optimizer : object with ``update(params, grads)``
        E.g. ``dlscratch.optim.SGD(lr=0.1)``.
    num_epochs : int
        ``>= 0`` passes over the training set.
    batch_size : int
        ``>= 1``.
    rng : numpy.random.Generator
        Shuffles the training set every epoch.
    X_test : (M, D) array_like, optional
    y_test : (M,) int array_like, optional
        Evaluated before training and after every epoch, never trained on;
        give both or neither.

    Returns
    -------
    TrainingHistory

    Examples
    --------
    >>> from dlscratch.optim import SGD
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]] * 8)
    >>> y = np.array([0, 1] * 8)
    >>> model = MLP([2, 4, 2], init="he", rng=np.random.default_rng(0))
    >>> history = train(model, X, y, optimizer=SGD(lr=0.5), num_epochs=20, batch_size=4,
    ...                 rng=np.random.default_rng(1))
    >>> history.train_loss.shape, bool(history.train_loss[-1] < history.train_loss[0])
    ((21,), True)
    """
    needed = ("params", "loss_and_gradient", "loss", "predict", "accuracy", "input_shape", "num_classes")
    missing = [name for name in needed if not hasattr(model, name)]
    if missing:
        raise TypeError(
            f"model must be a dlscratch model such as MLP or SimpleConvNet, got {type(model).__name__} "
            f"without {', '.join(missing)}"
        )
    if not callable(getattr(optimizer, "update", None)):
        raise TypeError(f"optimizer must have an update(params, grads) method, got {type(optimizer).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    num_epochs = _check_count(num_epochs, "num_epochs", 0)
    batch_size = _check_count(batch_size, "batch_size", 1)
    shape, C = model.input_shape, model.num_classes
    X, y = _check_data(X, y, shape, C, ("X", "y"))
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test and y_test must be given together")
    if X_test is not None:
        X_test, y_test = _check_data(X_test, y_test, shape, C, ("X_test", "y_test"))
    history = np.full((num_epochs + 1, 4), np.nan)  # train loss, test loss, test accuracy, train accuracy

    def evaluate(epoch: int) -> None:
        history[epoch, 3] = model.accuracy(X, y)
        if X_test is not None:
            logits = model.predict(X_test)  # (M, C)
            history[epoch, 1] = SoftmaxWithLoss().forward(logits, y_test)
            history[epoch, 2] = _accuracy(logits, y_test)

    with threadpool_limits(limits=1, user_api="blas"):
        history[0, 0] = model.loss(X, y)
        evaluate(0)
        for epoch in range(1, num_epochs + 1):
            order = rng.permutation(X.shape[0])  # (N,)
            total = 0.0
            for start in range(0, X.shape[0], batch_size):
                batch = order[start : start + batch_size]
                loss, grads = model.loss_and_gradient(X[batch], y[batch])
                total += loss * len(batch)
                optimizer.update(model.params, grads)
            history[epoch, 0] = total / X.shape[0]
            evaluate(epoch)
    return TrainingHistory(*(column.copy() for column in history.T))
