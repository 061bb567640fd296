"""Small numpy networks assembled from :mod:`dlscratch.layers` (chapter 5) and :mod:`dlscratch.conv` (chapter 12).

:class:`TwoLayerNet` is *Deep Learning from Scratch*'s two-layer classifier
(``ch05/two_layer_net.py``), cleaned up:

* randomness comes from an ``rng: np.random.Generator`` argument, never from
  numpy's global seed;
* ``params`` holds the *same* arrays as the layers, so an optimizer that
  updates ``params[k]`` in place trains the network;
* :meth:`TwoLayerNet.numerical_gradient` evaluates the loss *at* the
  perturbed parameter it is given, instead of relying on the caller's array
  being mutated behind a closure that ignores its argument;
* shapes are checked, with messages that name the argument.

:class:`SimpleConvNet` is DLFS's ``ch07/simple_convnet.py`` on the same
principles: Conv → ReLU → MaxPool → Affine → ReLU → Affine → softmax with
loss, sized by default for the 8×8 digits (chapter 12 trains it).

References
----------
Chapters 5 and 12 of the book (``chapters/05_backprop.md``,
``chapters/12_cnn_from_scratch.md``); notes 003, 004. Saito,
*Deep Learning from Scratch* (2016), §4.5, §5.7 and §7.5.
"""

from __future__ import annotations

import numbers

import numpy as np

from dlscratch._validation import as_float_array, check_positive
from dlscratch.conv import Conv2d, conv_output_size
from dlscratch.init import he_std
from dlscratch.layers import Affine, ReLU, SoftmaxWithLoss
from dlscratch.numgrad import numerical_gradient
from dlscratch.pool import MaxPool2d

__all__ = ["SimpleConvNet", "TwoLayerNet"]


def _check_size(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


class TwoLayerNet:
    """A two-layer classifier: Affine → ReLU → Affine, trained with softmax cross-entropy.

    ``predict(x) = relu(x W1 + b1) W2 + b2`` gives the logits (N, C);
    ``loss(x, t)`` is their mean softmax cross-entropy against ``t``.

    Parameters
    ----------
    input_size : int
        D, the number of features per sample (64 for the 8×8 digits).
    hidden_size : int
        H, the number of hidden units.
    output_size : int
        C, the number of classes.
    weight_init_std : float, optional
        Standard deviation of the normally distributed initial weights,
        ``> 0``; default ``0.01`` (as in *Deep Learning from Scratch*; the
        chapter 7, *Initialization*, derives better choices). Biases start at 0.
    rng : numpy.random.Generator
        Source of the initial weights (keyword-only, required), e.g.
        ``np.random.default_rng(0)``: the same seed gives the same network.

    Attributes
    ----------
    params : dict of str to ndarray
        ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,): the arrays the
        layers compute with (``params["W1"] is layers["Affine1"].params["W"]``).
        Update them in place (``params[k] -= lr * grads[k]``); assigning a new
        array to a key would disconnect it from the layer.
    layers : dict of str to Layer
        ``"Affine1"``, ``"ReLU1"``, ``"Affine2"``, in the order of the forward pass.
    last_layer : SoftmaxWithLoss
        The loss layer, kept apart so that :meth:`predict` returns logits.

    Raises
    ------
    TypeError
        If a size is not an int or ``rng`` is not a ``numpy.random.Generator``.
    ValueError
        If a size is not positive or ``weight_init_std <= 0``.

    Examples
    --------
    >>> net = TwoLayerNet(4, 5, 3, rng=np.random.default_rng(0))
    >>> {key: value.shape for key, value in net.params.items()}
    {'W1': (4, 5), 'b1': (5,), 'W2': (5, 3), 'b2': (3,)}
    >>> x, t = np.ones((2, 4)), np.array([0, 2])
    >>> round(net.loss(x, t), 4)  # tiny weights: every class about 1/3, loss about log 3
    1.0986
    >>> grads = net.gradient(x, t)
    >>> sorted(grads) == sorted(net.params)
    True
    """

    def __init__(self, input_size, hidden_size, output_size, *, weight_init_std=0.01, rng) -> None:
        input_size = _check_size(input_size, "input_size")
        hidden_size = _check_size(hidden_size, "hidden_size")
        output_size = _check_size(output_size, "output_size")
        weight_init_std = check_positive(weight_init_std, "weight_init_std")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
            )
        self.params = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),  # (D, H)
            "b1": np.zeros(hidden_size),  # (H,)
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),  # (H, C)
            "b2": np.zeros(output_size),  # (C,)
        }
        self.layers = _build_layers(self.params)
        self.last_layer = SoftmaxWithLoss()

    def __repr__(self) -> str:
        (D, H), C = self.params["W1"].shape, self.params["W2"].shape[1]
        return f"TwoLayerNet(input_size={D}, hidden_size={H}, output_size={C})"

    def predict(self, x) -> np.ndarray:
        """Return the logits (scores before the softmax).

        Parameters
        ----------
        x : (N, D) or (N, ...) array_like
            A batch; trailing dimensions are flattened to D features by the first Affine layer.

        Returns
        -------
        logits : (N, C) ndarray
        """
        return _forward(self.layers, x)

    def loss(self, x, t) -> float:
        """Return the mean softmax cross-entropy of the network's logits against ``t``.

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like
            One-hot rows or integer class labels.

        Returns
        -------
        loss : float
        """
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t) -> float:
        """Return the fraction of samples whose largest logit is the true class.

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like
            One-hot rows (the true class is the largest entry) or integer labels.

        Returns
        -------
        accuracy : float
            In ``[0, 1]``.
        """
        logits = self.predict(x)  # (N, C)
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

    def gradient(self, x, t) -> dict[str, np.ndarray]:
        """Return the gradient of :meth:`loss` with respect to every parameter, by backpropagation.

        One forward pass (through :meth:`loss`) caches each layer's values;
        the backward pass then runs the layers in reverse order, each turning
        the gradient of its output into the gradient of its input (and of its
        parameters).

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like

        Returns
        -------
        grads : dict of str to ndarray
            ``W1``, ``b1``, ``W2``, ``b2``: new arrays of the parameters' shapes.
        """
        self.loss(x, t)
        dout = self.last_layer.backward(1.0)  # (N, C)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)  # ends as (N, D)
        first, second = self.layers["Affine1"].grads, self.layers["Affine2"].grads
        return {"W1": first["W"], "b1": first["b"], "W2": second["W"], "b2": second["b"]}

    def numerical_gradient(self, x, t, *, h=1e-4) -> dict[str, np.ndarray]:
        """Return the central-difference gradient of :meth:`loss` with respect to every parameter.

        Slow (two forward passes per parameter entry) but simple: the check
        that :meth:`gradient` is right.

        How it works: for each key, say ``"W1"``, the function handed to
        :func:`dlscratch.numgrad.numerical_gradient` is
        ``f(W) = loss of this network with W1 replaced by W``. ``f`` builds a
        fresh set of layers from a copy of ``params`` in which ``"W1"`` is its
        argument, so it computes from what it is given;
        ``numerical_gradient`` perturbs its own copy of ``params["W1"]`` one
        entry at a time and calls ``f`` with it. Nothing of the network is
        modified, not even temporarily: ``params`` and the layers' cached
        values are as they were. (*Deep Learning from Scratch* passes
        ``lambda W: self.loss(x, t)``, which ignores ``W`` and only works
        because its gradient routine writes into ``params["W1"]`` itself.)

        Parameters
        ----------
        x : (N, D) array_like
        t : (N, C) or (N,) array_like
        h : float, optional
            Step, ``> 0``; default ``1e-4``.

        Returns
        -------
        grads : dict of str to ndarray
            float64 arrays of the parameters' shapes, the keys of ``params``.
        """
        x = as_float_array(x, "x")
        t = np.asarray(t)
        grads = {}
        for key in self.params:

            def loss_at(value, key=key):
                trial = {**self.params, key: value}  # this network, with params[key] replaced by value
                return SoftmaxWithLoss().forward(_forward(_build_layers(trial), x), t)

            grads[key] = numerical_gradient(loss_at, self.params[key], h=h)
        return grads


def _build_layers(params: dict[str, np.ndarray]) -> dict:
    """The hidden layers of a two-layer net, sharing the arrays of ``params``."""
    return {
        "Affine1": Affine(params["W1"], params["b1"]),
        "ReLU1": ReLU(),
        "Affine2": Affine(params["W2"], params["b2"]),
    }


def _forward(layers: dict, x) -> np.ndarray:
    for layer in layers.values():
        x = layer.forward(x)
    return x


# ----------------------------------------------------------------------------- a convolutional network


class SimpleConvNet:
    """Conv → ReLU → MaxPool → Affine → ReLU → Affine, trained with softmax cross-entropy (DLFS §7.5).

    Parameters
    ----------
    input_shape : tuple of 3 ints, default (1, 8, 8)
        ``(C, H, W)`` of one image (the 8×8 digits: one channel).
    filters : int, default 32
        FN, the number of convolution kernels.
    kernel_size : int, default 3
    pad : int, default 1
        ``(kernel_size - 1) // 2`` keeps the size ("same" padding).
    stride : int, default 1
    pool_size : int, default 2
        Window and stride of the max pooling.
    hidden_size : int, default 100
    num_classes : int, default 10
    init : "he" or float, default "he"
        He's ``√(2 / fan_in)`` for every layer (a conv kernel's fan-in is
        ``C · K · K``), or a fixed standard deviation (DLFS's 0.01).
    rng : numpy.random.Generator
        Source of the initial weights (keyword-only, required).

    Attributes
    ----------
    params : dict of str to ndarray
        ``W1`` (FN, C, K, K), ``b1`` (FN,), ``W2`` (FN·PH·PW, hidden), ``b2``,
        ``W3`` (hidden, classes), ``b3``: the layers' own arrays.
    layers : dict of str to Layer
        ``"Conv1"``, ``"ReLU1"``, ``"Pool1"``, ``"Affine1"``, ``"ReLU2"``, ``"Affine2"``.
    last_layer : SoftmaxWithLoss

    Raises
    ------
    TypeError, ValueError
        Bad sizes (named), sizes that do not fit (:func:`dlscratch.conv.conv_output_size`).

    Examples
    --------
    >>> net = SimpleConvNet(rng=np.random.default_rng(0))
    >>> {key: value.shape for key, value in net.params.items()}
    {'W1': (32, 1, 3, 3), 'b1': (32,), 'W2': (512, 100), 'b2': (100,), 'W3': (100, 10), 'b3': (10,)}
    >>> net.predict(np.zeros((5, 1, 8, 8))).shape
    (5, 10)
    """

    def __init__(
        self,
        input_shape=(1, 8, 8),
        *,
        filters=32,
        kernel_size=3,
        pad=1,
        stride=1,
        pool_size=2,
        hidden_size=100,
        num_classes=10,
        init="he",
        rng,
    ) -> None:
        if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 3):
            raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
        C, H, W = (_check_size(v, f"input_shape[{i}]") for i, v in enumerate(input_shape))
        FN = _check_size(filters, "filters")
        K = _check_size(kernel_size, "kernel_size")
        S = _check_size(stride, "stride")
        if isinstance(pad, bool) or not isinstance(pad, numbers.Integral) or pad < 0:
            raise ValueError(f"pad must be an int >= 0, got {pad!r}")
        P = int(pad)
        pool = _check_size(pool_size, "pool_size")
        hidden = _check_size(hidden_size, "hidden_size")
        classes = _check_size(num_classes, "num_classes")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
            )
        if isinstance(init, str):
            if init != "he":
                raise ValueError(f"init must be 'he' or a std > 0, got {init!r}")
        else:
            init = check_positive(init, "init")
        OH, OW = conv_output_size(H, K, S, P), conv_output_size(W, K, S, P)
        PH, PW = conv_output_size(OH, pool, pool), conv_output_size(OW, pool, pool)
        shapes = {"W1": (FN, C, K, K), "W2": (FN * PH * PW, hidden), "W3": (hidden, classes)}
        fans = {"W1": C * K * K, "W2": FN * PH * PW, "W3": hidden}
        self.params: dict[str, np.ndarray] = {}
        for i, key in enumerate(shapes, start=1):
            std = he_std(fans[key], 1) if init == "he" else init
            self.params[key] = std * rng.standard_normal(shapes[key])
            self.params[f"b{i}"] = np.zeros(shapes[key][0] if i == 1 else shapes[key][1])
        self.input_shape = (C, H, W)
        self.conv = {"stride": S, "pad": P, "pool_size": pool}
        self.layers = _build_conv_layers(self.params, self.conv)
        self.last_layer = SoftmaxWithLoss()

    def __repr__(self) -> str:
        FN, _, K, _ = self.params["W1"].shape
        return (
            f"SimpleConvNet(input_shape={self.input_shape}, filters={FN}, kernel_size={K}, "
            f"hidden_size={self.params['W2'].shape[1]}, num_classes={self.params['W3'].shape[1]})"
        )

    @property
    def num_classes(self) -> int:
        """The number of classes (logits per image)."""
        return self.params["W3"].shape[1]

    def _check_x(self, x) -> np.ndarray:
        x = as_float_array(x, "x")
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))}), got shape {x.shape}")
        return x

    def predict(self, x) -> np.ndarray:
        """Return the logits (N, classes) of images ``x`` (N, C, H, W)."""
        return _forward(self.layers, self._check_x(x))

    def loss(self, x, t) -> float:
        """Return the mean softmax cross-entropy of the logits against ``t`` (labels or one-hot rows)."""
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, *, batch_size=256) -> float:
        """Return the fraction of images whose largest logit is the true class (computed ``batch_size`` at a time)."""
        x = self._check_x(x)
        t = np.asarray(t)
        labels = np.argmax(t, axis=1) if t.ndim == 2 else t
        if labels.shape != (x.shape[0],):
            raise ValueError(f"t must have {x.shape[0]} labels or one-hot rows, got shape {t.shape}")
        batch_size = _check_size(batch_size, "batch_size")
        hits = sum(
            int(np.sum(np.argmax(_forward(self.layers, x[i : i + batch_size]), axis=1) == labels[i : i + batch_size]))
            for i in range(0, x.shape[0], batch_size)
        )
        return hits / x.shape[0] if x.shape[0] else float("nan")

    def loss_and_gradient(self, x, t) -> tuple[float, dict[str, np.ndarray]]:
        """Return :meth:`loss` and the gradient of every parameter from one forward and one backward pass."""
        loss = self.loss(x, t)
        dout = self.last_layer.backward(1.0)  # (N, classes)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)  # ends as (N, C, H, W)
        grads = {}
        for i, name in enumerate(("Conv1", "Affine1", "Affine2"), start=1):
            grads[f"W{i}"], grads[f"b{i}"] = self.layers[name].grads["W"], self.layers[name].grads["b"]
        return loss, grads

    def gradient(self, x, t) -> dict[str, np.ndarray]:
        """Return the gradient of :meth:`loss` with respect to every parameter, by backpropagation."""
        return self.loss_and_gradient(x, t)[1]

    def numerical_gradient(self, x, t, *, h=1e-4) -> dict[str, np.ndarray]:
        """Return the central-difference gradient of :meth:`loss` (slow: two forward passes per parameter entry).

        As :meth:`TwoLayerNet.numerical_gradient`: each evaluation builds fresh
        layers from a copy of ``params`` with one key replaced, so nothing of
        the network is modified.
        """
        x = self._check_x(x)
        t = np.asarray(t)
        grads = {}
        for key in self.params:

            def loss_at(value, key=key):
                trial = {**self.params, key: value}
                return SoftmaxWithLoss().forward(_forward(_build_conv_layers(trial, self.conv), x), t)

            grads[key] = numerical_gradient(loss_at, self.params[key], h=h)
        return grads


def _build_conv_layers(params: dict[str, np.ndarray], conv: dict[str, int]) -> dict:
    """The layers of a SimpleConvNet, sharing the arrays of ``params``."""
    return {
        "Conv1": Conv2d(params["W1"], params["b1"], stride=conv["stride"], pad=conv["pad"]),
        "ReLU1": ReLU(),
        "Pool1": MaxPool2d(conv["pool_size"]),
        "Affine1": Affine(params["W2"], params["b2"]),
        "ReLU2": ReLU(),
        "Affine2": Affine(params["W3"], params["b3"]),
    }
