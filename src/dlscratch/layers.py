"""Layers with a forward and a backward pass: the building blocks of backpropagation (chapter 5).

Every layer is a small class with the same interface (after *Deep Learning
from Scratch*'s ``common/layers.py``, with the shapes documented as in
cs231n's ``layers.py``):

* ``forward(...)`` computes the output and caches exactly what the backward
  pass needs (``backward`` before ``forward`` raises ``RuntimeError``);
* ``backward(dout)`` takes the gradient of the loss with respect to the
  output, ``dout`` (the shape of the output), and returns the gradient with
  respect to each input (the shape of that input): the local derivative
  times ``dout``, which is the chain rule;
* ``params`` and ``grads`` are dicts with the same keys (empty for layers
  without parameters). ``params`` holds the parameter arrays themselves and
  ``backward`` stores each gradient in ``grads`` under the same key, so a
  gradient-descent step is ``params[k] -= lr * grads[k]`` for every ``k``.

No layer modifies an argument or ``dout``: every input is copied on the way
in and every returned array is new (only ``Affine``'s ``W`` and ``b`` are kept
as they are, on purpose: they are the layer's parameters). (The notes' ``Relu.backward`` writes
``dout[mask] = 0`` into the caller's array, so a ``dout`` that is used twice,
e.g. by two branches of a graph, arrives corrupted the second time.)

Bad input raises ``ValueError`` (wrong shape or value) or ``TypeError``
(not numbers) with a message naming the argument, what was expected and what
was given.

The layers, in the order chapter 5 builds them:

=========================  ======================================================
:class:`Add`               ``x + y`` (numpy broadcasting): the gradient passes through
:class:`Mul`               ``x * y``: the gradient is multiplied by the *other* input
:class:`ReLU`              ``max(0, x)``: the gradient passes where ``x > 0``
:class:`Sigmoid`           ``σ(x)``: the gradient is multiplied by ``σ(x)(1 - σ(x))``
:class:`Tanh`              ``tanh(x)``: the gradient is multiplied by ``1 - tanh(x)²`` (chapter 7)
:class:`Affine`            ``x W + b``, ``x`` of shape (N, ...) flattened to (N, D)
:class:`SoftmaxWithLoss`   softmax + mean cross-entropy; gradient ``(p - t) / N``
:class:`BatchNorm`         standardise per feature/channel over the batch, then ``γ x̂ + β`` (chapter 8)
:class:`Dropout`           zero each value with probability ``p`` in training (chapter 9)
=========================  ======================================================

The last two behave differently in training and in evaluation: their
``forward(x, train=True)`` takes the mode, as DLFS's ``train_flg`` and
PyTorch's ``module.train()``/``module.eval()`` do.

References
----------
Chapter 5 of the book (``chapters/05_backprop.md``); notes 003. Saito,
*Deep Learning from Scratch* (2016), ch. 5; Stanford CS231n, assignment 2
``layers.py``; Karpathy, micrograd.
"""

from __future__ import annotations

import numpy as np

from dlscratch._validation import as_float_array, check_positive
from dlscratch.activations import relu, sigmoid, tanh
from dlscratch.losses import softmax_cross_entropy
from dlscratch.softmax import softmax

__all__ = ["Add", "Affine", "BatchNorm", "Dropout", "Layer", "Mul", "ReLU", "Sigmoid", "SoftmaxWithLoss", "Tanh"]


# ----------------------------------------------------------------------------- helpers


def _out(a: np.ndarray):
    """Return a 0-d result as a Python float (so that ``Mul().forward(100, 2)`` is ``200.0``), else the array."""
    return float(a) if a.ndim == 0 else a


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast, giving ``shape``.

    If ``x`` of shape ``(3,)`` was added to ``y`` of shape ``(2, 3)``, each
    entry of ``x`` was used twice, so its gradient is the sum over both uses.
    """
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra)))  # drop the leading axes the input did not have
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    return grad.sum(axis=stretched, keepdims=True)  # shape


def _as_param(value, name: str) -> np.ndarray:
    """Return a floating ndarray as it is (``params`` shares it with the caller), anything else as new float64."""
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value
    return as_float_array(value, name)


class Layer:
    """Base class: the ``params``/``grads`` dicts and the forward cache shared by every layer.

    Subclasses implement ``forward(...)``, which stores what ``backward`` needs
    with :meth:`_save`, and ``backward(dout)``, which gets it back with
    :meth:`_saved` (a ``RuntimeError`` if ``forward`` has not run yet).

    Attributes
    ----------
    params : dict of str to ndarray
        The parameters (the arrays themselves); empty if the layer has none.
    grads : dict of str to ndarray
        The gradient of the loss with respect to each parameter, the same keys
        and shapes as ``params``; zeros until the first ``backward``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._cache: tuple | None = None

    def _save(self, *values) -> None:
        self._cache = values

    def _saved(self) -> tuple:
        if self._cache is None:
            name = type(self).__name__
            raise RuntimeError(
                f"{name}.backward() was called before {name}.forward(): "
                "the backward pass needs the values that forward saves"
            )
        return self._cache

    def _check_dout(self, dout, shape: tuple[int, ...]) -> np.ndarray:
        """Return ``dout`` as a fresh float array, after checking it has the output's ``shape``."""
        dout = as_float_array(dout, "dout")
        if dout.shape != shape:
            raise ValueError(
                f"dout must have the shape of {type(self).__name__}'s output {shape}, got shape {dout.shape}"
            )
        return dout


# ----------------------------------------------------------------------------- the two simplest nodes


class Add(Layer):
    """Addition node ``out = x + y``; backward passes ``dout`` on to both inputs unchanged.

    ``x`` and ``y`` may be numbers or arrays of any shapes that numpy can
    broadcast together (as ``x + y`` and ``torch.add``). An input that was
    broadcast was used several times, so its gradient is ``dout`` summed over
    the broadcast axes: ``backward`` returns ``dx`` of ``x``'s shape and ``dy``
    of ``y``'s shape. Only the two shapes are cached; the values are not needed.

    Examples
    --------
    The price of 2 apples and 3 oranges: which input moves the total by how much?

    >>> add = Add()
    >>> add.forward(200.0, 450.0)
    650.0
    >>> add.backward(1.1)
    (1.1, 1.1)
    """

    def forward(self, x, y):
        """Return ``x + y``.

        Parameters
        ----------
        x, y : (...) array_like
            Numbers or arrays with broadcastable shapes.

        Returns
        -------
        out : float or (...) ndarray
            The broadcast shape of ``x`` and ``y``; a float if both are scalars.

        Raises
        ------
        TypeError
            If an input is not real numbers.
        ValueError
            If the shapes cannot be broadcast together.
        """
        x = as_float_array(x, "x")
        y = as_float_array(y, "y")
        out_shape = _broadcast_shape(x, y)
        self._save(x.shape, y.shape, out_shape)
        return _out(x + y)

    def backward(self, dout):
        """Return ``(dx, dy)``: ``dout`` reduced to the shape of ``x`` and of ``y``.

        Parameters
        ----------
        dout : (...) array_like
            Gradient with respect to the output, the output's shape.

        Returns
        -------
        dx : float or (...) ndarray
            The shape of ``x``.
        dy : float or (...) ndarray
            The shape of ``y``.
        """
        x_shape, y_shape, out_shape = self._saved()
        dout = self._check_dout(dout, out_shape)
        dx = _unbroadcast(dout, x_shape)  # local derivative dz/dx = 1
        dy = _unbroadcast(dout, y_shape)  # local derivative dz/dy = 1
        return _out(dx), _out(dy)


class Mul(Layer):
    """Multiplication node ``out = x * y``; backward multiplies ``dout`` by the *other* input.

    ``∂(xy)/∂x = y`` and ``∂(xy)/∂y = x``, so ``dx = dout * y`` and
    ``dy = dout * x``: the inputs are swapped. ``forward`` caches both inputs
    (copies, so changing the caller's arrays later cannot change the
    gradient). Numbers or arrays with broadcastable shapes, as in :class:`Add`.
    (The notes' ``MulLayer`` annotates its cache as ``int``; it holds
    whatever was multiplied, here float arrays.)

    Examples
    --------
    Two apples at 100 each, then a tax of 1.1:

    >>> apples, tax = Mul(), Mul()
    >>> round(tax.forward(apples.forward(100.0, 2.0), 1.1), 6)
    220.0
    >>> dprice, dtax = tax.backward(1.0)
    >>> dtax  # one more unit of tax adds the pre-tax price
    200.0
    >>> dapple, dnum = apples.backward(dprice)
    >>> round(dapple, 6), round(dnum, 6)
    (2.2, 110.0)
    """

    def forward(self, x, y):
        """Return ``x * y``.

        Parameters
        ----------
        x, y : (...) array_like
            Numbers or arrays with broadcastable shapes.

        Returns
        -------
        out : float or (...) ndarray
            The broadcast shape of ``x`` and ``y``; a float if both are scalars.

        Raises
        ------
        TypeError
            If an input is not real numbers.
        ValueError
            If the shapes cannot be broadcast together.
        """
        x = as_float_array(x, "x")
        y = as_float_array(y, "y")
        _broadcast_shape(x, y)
        self._save(x, y)
        return _out(x * y)

    def backward(self, dout):
        """Return ``(dx, dy) = (dout * y, dout * x)``, each reduced to its input's shape.

        Parameters
        ----------
        dout : (...) array_like
            Gradient with respect to the output, the output's shape.

        Returns
        -------
        dx : float or (...) ndarray
            The shape of ``x``.
        dy : float or (...) ndarray
            The shape of ``y``.
        """
        x, y = self._saved()
        dout = self._check_dout(dout, np.broadcast_shapes(x.shape, y.shape))
        dx = _unbroadcast(dout * y, x.shape)  # local derivative dz/dx = y
        dy = _unbroadcast(dout * x, y.shape)  # local derivative dz/dy = x
        return _out(dx), _out(dy)


def _broadcast_shape(x: np.ndarray, y: np.ndarray) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"x and y must have the same shape or shapes that broadcast together, got x {x.shape} and y {y.shape}"
        ) from None


# ----------------------------------------------------------------------------- activation layers


class ReLU(Layer):
    """Rectified linear unit ``out = max(0, x)``, element-wise.

    The local derivative is 1 where ``x > 0`` and 0 elsewhere (0 at ``x = 0``,
    as in PyTorch), so ``backward`` passes ``dout`` where the input was
    positive and stops it elsewhere. ``forward`` caches only that boolean mask.
    ``backward`` returns a new array; ``dout`` is never written into.

    Examples
    --------
    >>> relu = ReLU()
    >>> relu.forward(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    >>> relu.backward(np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    """

    def forward(self, x):
        """Return ``max(0, x)``.

        Parameters
        ----------
        x : (...) array_like
            Any shape.

        Returns
        -------
        out : float or (...) ndarray
            The shape of ``x``; a float for a scalar ``x``.
        """
        x = as_float_array(x, "x")
        self._save(x > 0)  # (...) bool: where the gradient passes
        return _out(np.asarray(relu(x)))

    def backward(self, dout):
        """Return ``dout`` where the input was positive and 0 elsewhere.

        Parameters
        ----------
        dout : (...) array_like
            The shape of the input.

        Returns
        -------
        dx : float or (...) ndarray
            The shape of the input.
        """
        (mask,) = self._saved()
        dout = self._check_dout(dout, mask.shape)
        return _out(np.where(mask, dout, np.zeros((), dtype=dout.dtype)))


class Sigmoid(Layer):
    """Logistic sigmoid ``out = σ(x) = 1 / (1 + e^{-x})``, element-wise, with no overflow.

    The local derivative is ``σ(x)(1 - σ(x))``, which needs only the output,
    so ``forward`` caches ``out`` (not ``x``) and ``backward`` returns
    ``dout * out * (1 - out)``. The forward pass uses
    :func:`dlscratch.activations.sigmoid`, which never computes ``e^{709+}``.
    (The notes write ``def Sigmoid:``, a ``SyntaxError``: it is a class.)

    Examples
    --------
    >>> sig = Sigmoid()
    >>> sig.forward(np.array([0.0, -1000.0]))
    array([0.5, 0. ])
    >>> sig.backward(np.array([1.0, 1.0]))  # σ'(0) = 1/4
    array([0.25, 0.  ])
    """

    def forward(self, x):
        """Return ``σ(x)``.

        Parameters
        ----------
        x : (...) array_like
            Any shape.

        Returns
        -------
        out : float or (...) ndarray
            The shape of ``x``, in ``[0, 1]``; a float for a scalar ``x``.
        """
        x = as_float_array(x, "x")
        out = np.asarray(sigmoid(x))  # (...), the shape of x
        self._save(out)
        return _out(out.copy())

    def backward(self, dout):
        """Return ``dout * σ(x) * (1 - σ(x))``.

        Parameters
        ----------
        dout : (...) array_like
            The shape of the input.

        Returns
        -------
        dx : float or (...) ndarray
            The shape of the input.
        """
        (out,) = self._saved()
        dout = self._check_dout(dout, out.shape)
        return _out(dout * out * (1.0 - out))


# ----------------------------------------------------------------------------- layers of a network


class Tanh(Layer):
    """Hyperbolic tangent ``out = tanh(x)``, element-wise.

    The local derivative is ``1 - tanh(x)²``, which needs only the output,
    so ``forward`` caches ``out`` and ``backward`` returns
    ``dout * (1 - out²)`` (a new array; ``dout`` is not written into).

    Examples
    --------
    >>> layer = Tanh()
    >>> layer.forward(np.array([0.0, 100.0]))
    array([0., 1.])
    >>> layer.backward(np.array([2.0, 2.0]))  # tanh'(0) = 1, tanh'(100) = 0
    array([2., 0.])
    """

    def forward(self, x):
        """Return ``tanh(x)``.

        Parameters
        ----------
        x : (...) array_like

        Returns
        -------
        out : (...) ndarray
            The shape of ``x``, in ``[-1, 1]``.
        """
        x = as_float_array(x, "x")
        out = np.asarray(tanh(x))  # (...), the shape of x
        self._save(out)
        return out.copy()

    def backward(self, dout):
        """Return ``dout * (1 - tanh(x)²)``.

        Parameters
        ----------
        dout : (...) array_like
            The shape of the input.

        Returns
        -------
        dx : (...) ndarray
        """
        (out,) = self._saved()
        dout = self._check_dout(dout, out.shape)
        return dout * (1.0 - out * out)


#: activation name -> layer class
class Affine(Layer):
    """Fully connected layer ``out = x W + b`` on a batch, flattening each sample to D features.

    ``x`` has shape (N, D), or (N, d1, d2, ...) with ``d1 * d2 * ... = D``
    (e.g. images (N, C, H, W) with ``D = C * H * W``), which is flattened to
    (N, D). The backward pass is

    * ``dx = dout W^T``, reshaped back to the shape of ``x``,
    * ``dW = x^T dout`` (a sum over the batch), ``db = sum_n dout[n]``,

    and stores ``dW``, ``db`` in ``grads``. ``forward`` caches the flattened
    ``x`` and its original shape.

    Parameters
    ----------
    W : (D, M) array_like
        Weights. A floating ndarray is used as it is, not copied: ``params["W"]``
        *is* this array, so updating it in place (``W -= lr * dW``) changes
        the layer. Anything else (lists, integer arrays) is converted to a new
        float64 array.
    b : (M,) array_like
        Biases; used as it is, like ``W``.

    Attributes
    ----------
    params : dict
        ``{"W": W, "b": b}``.
    grads : dict
        ``{"W": dW, "b": db}``, the shapes of ``W`` and ``b``; zeros until the first ``backward``.

    Raises
    ------
    TypeError
        If ``W`` or ``b`` is not real numbers.
    ValueError
        If ``W`` is not 2-D or empty, or ``b`` does not have shape (M,).

    Examples
    --------
    >>> affine = Affine(np.ones((3, 2)), np.array([0.0, 10.0]))
    >>> affine.forward(np.arange(6.0).reshape(2, 3))  # (N, D) = (2, 3) -> (N, M) = (2, 2)
    array([[ 3., 13.],
           [12., 22.]])
    >>> affine.backward(np.ones((2, 2))).shape  # dx: the shape of x
    (2, 3)
    >>> affine.grads["b"]  # db sums dout over the batch
    array([2., 2.])
    """

    def __init__(self, W, b) -> None:
        super().__init__()
        W = _as_param(W, "W")
        b = _as_param(b, "b")
        if W.ndim != 2 or W.size == 0:
            raise ValueError(f"W must have shape (D, M) with D, M >= 1, got shape {W.shape}")
        if b.shape != (W.shape[1],):
            raise ValueError(
                f"b must have shape (M,) = ({W.shape[1]},) to match W of shape {W.shape}, got shape {b.shape}"
            )
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    def __repr__(self) -> str:
        return f"Affine(W: {self.params['W'].shape}, b: {self.params['b'].shape})"

    def forward(self, x):
        """Return ``x W + b`` for every sample of the batch.

        Parameters
        ----------
        x : (N, D) or (N, ...) array_like
            A batch of N samples with D features each (D = the product of the
            trailing dimensions).

        Returns
        -------
        out : (N, M) ndarray

        Raises
        ------
        TypeError
            If ``x`` is not real numbers.
        ValueError
            If ``x`` has fewer than 2 dimensions or not D features per sample.
        """
        W, b = self.params["W"], self.params["b"]
        num_features = W.shape[0]
        x = as_float_array(x, "x")
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != num_features:
            raise ValueError(
                f"x must have shape (N, D) = (N, {num_features}), or (N, ...) with {num_features} features "
                f"per sample, to match W of shape {W.shape}, got shape {x.shape}"
            )
        x_flat = x.reshape(x.shape[0], num_features)  # (N, D)
        self._save(x_flat, x.shape)
        return x_flat @ W + b  # (N, M)

    def backward(self, dout):
        """Store ``dW = x^T dout`` and ``db = sum(dout, axis=0)`` in ``grads``; return ``dx = dout W^T``.

        Parameters
        ----------
        dout : (N, M) array_like
            Gradient with respect to the output.

        Returns
        -------
        dx : (N, ...) ndarray
            The shape of the ``x`` given to ``forward``.
        """
        x_flat, x_shape = self._saved()
        W = self.params["W"]
        dout = self._check_dout(dout, (x_flat.shape[0], W.shape[1]))
        self.grads["W"] = x_flat.T @ dout  # (D, M)
        self.grads["b"] = dout.sum(axis=0)  # (M,)
        dx = dout @ W.T  # (N, D)
        return dx.reshape(x_shape)  # (N, ...), the shape of x


class SoftmaxWithLoss(Layer):
    """Softmax followed by the mean cross-entropy over the batch: the last layer of a classifier.

    ``forward(x, t)`` returns ``L = -(1/N) sum_n sum_c t[n, c] log p[n, c]``
    with ``p = softmax(x)``, computed stably from log-softmax (logits of any
    size, e.g. 4000, give the exact loss). The targets ``t`` are one-hot rows
    (N, C) or integer class labels (N,). The gradient with respect to the
    logits is remarkably simple:

        dL/dx = (p - t) / N

    (for one-hot rows or probability rows summing to 1; for rows summing to
    ``s_n`` it is ``(p s_n - t) / N``, which ``backward`` computes). The
    ``1/N`` is there because the loss is a mean. ``forward`` caches ``p`` and
    the targets. ``backward(dout)`` multiplies by ``dout`` (default 1, as the
    loss is usually the end of the graph; the notes' version ignores its
    ``dout`` argument).

    Examples
    --------
    >>> layer = SoftmaxWithLoss()
    >>> round(layer.forward(np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([0, 1])), 6)  # log 2
    0.693147
    >>> layer.backward()  # (p - t) / N with p = 1/2 everywhere, N = 2
    array([[-0.25,  0.25],
           [ 0.25, -0.25]])
    """

    def forward(self, x, t) -> float:
        """Return the mean cross-entropy of ``softmax(x)`` against ``t``.

        Parameters
        ----------
        x : (N, C) array_like
            Finite logits (scores) of a mini-batch.
        t : (N, C) or (N,) array_like
            One-hot (or probability) rows in ``[0, 1]``, or integer class
            labels in ``[0, C)``.

        Returns
        -------
        loss : float
            The mean over the batch, ``>= 0``.

        Raises
        ------
        TypeError
            If an input is not numeric.
        ValueError
            If ``x`` is not 2-D, empty or not finite, or ``t`` has another
            shape, entries outside ``[0, 1]``, or labels that are not integers in ``[0, C)``.
        """
        x = as_float_array(x, "x")
        if x.ndim != 2 or x.size == 0:
            raise ValueError(
                f"x must have shape (N, C) (logits of a mini-batch; use x[None] for one sample), got shape {x.shape}"
            )
        if not np.all(np.isfinite(x)):
            raise ValueError(f"x must be finite, got a non-finite logit in x of shape {x.shape}")
        t = _check_targets(t, x.shape)
        loss = softmax_cross_entropy(x, t)  # stable: log-softmax, never log(0)
        self._save(softmax(x, axis=1), t)  # p: (N, C); t: (N, C) rows or (N,) labels
        return loss

    def backward(self, dout=1.0) -> np.ndarray:
        """Return ``dout * (p - t) / N``, the gradient of ``dout * loss`` with respect to ``x``.

        Parameters
        ----------
        dout : float, optional
            Gradient with respect to the loss (a scalar); default 1.

        Returns
        -------
        dx : (N, C) ndarray
        """
        probs, t = self._saved()
        dout = self._check_dout(dout, ())
        batch_size = probs.shape[0]
        if t.ndim == 1:  # labels: subtract 1 at the true class
            dx = probs.copy()  # (N, C)
            dx[np.arange(batch_size), t] -= 1.0
        else:  # rows: p * sum_c t[n, c] - t, which is p - t for one-hot rows
            dx = probs * t.sum(axis=1, keepdims=True) - t  # (N, C)
        return dx * (dout / batch_size)


def _check_targets(t, x_shape: tuple[int, int]) -> np.ndarray:
    """Return ``t`` as a new array: (N, C) float rows in [0, 1] or (N,) integer labels in [0, C)."""
    if isinstance(t, (str, bytes)):
        raise TypeError(f"t must be integer class labels or one-hot rows, got {type(t).__name__}")
    try:
        t = np.array(t, copy=True)
    except ValueError:  # ragged nested lists
        raise ValueError(
            f"t must be a rectangular array of shape {x_shape} or {x_shape[:1]}, got a ragged sequence"
        ) from None
    if t.dtype.kind not in "biuf":
        raise TypeError(f"t must be integer class labels or one-hot rows, got dtype {t.dtype}")
    num_classes = x_shape[1]
    if t.shape == x_shape:
        t = t.astype(np.float64)
        bad = ~((t >= 0) & (t <= 1))  # also catches NaN
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"t of shape {x_shape} (one-hot rows) must have every entry in [0, 1], "
                f"got {t[index].item()!r} at index {index}"
            )
        return t
    if t.shape == x_shape[:1]:
        if t.dtype.kind not in "iu":
            raise ValueError(
                f"t of shape {t.shape} (class labels) must be integers in [0, {num_classes}), got dtype {t.dtype}"
            )
        if np.any((t < 0) | (t >= num_classes)):
            bad = t[(t < 0) | (t >= num_classes)][0]
            raise ValueError(f"t must be class labels in [0, {num_classes}), got label {bad}")
        return t.astype(np.intp)
    raise ValueError(
        f"t must have shape {x_shape} (one-hot rows) or {x_shape[:1]} (class labels) to match x of shape "
        f"{x_shape}, got shape {t.shape}"
    )


# ----------------------------------------------------------------------------- training vs evaluation


def _check_train(train) -> bool:
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be True (training) or False (evaluation), got {type(train).__name__} {train!r}")
    return bool(train)


class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy, 2015): standardise each feature over the batch, then scale and shift.

    For ``x`` of shape (N, D) the statistics are taken per feature over the
    N samples; for (N, C, H, W) per channel over N, H and W (one ``γ`` and
    one ``β`` per channel, as ``torch.nn.BatchNorm2d``). With ``μ`` and
    ``σ² = mean((x - μ)²)`` (the *biased* variance) of the batch,

    ``x̂ = (x - μ) / √(σ² + ε)``,   ``out = γ x̂ + β``.

    In training (``train=True``) the batch's own ``μ`` and ``σ²`` are used
    and the running estimates are updated as PyTorch updates them::

        running_mean = (1 - momentum) * running_mean + momentum * μ
        running_var  = (1 - momentum) * running_var  + momentum * σ² · m / (m - 1)

    with ``m`` the number of values per channel (the running variance is the
    *unbiased* estimate, as in PyTorch). ``momentum`` is the weight of the
    *new* batch: PyTorch's ``momentum=0.1`` is *Deep Learning from Scratch*'s
    (and the notes') ``momentum=0.9``, which is the weight of the *old*
    value. In evaluation (``train=False``) the running estimates take the
    place of ``μ`` and ``σ²``, so the output of one sample no longer depends on
    the others in its batch; a fresh layer has ``running_mean = 0`` and
    ``running_var = 1``, like PyTorch's.

    The backward pass of training mode (chapter 8 derives it on the graph) is,
    per channel, with ``m`` values and ``σ̃ = √(σ² + ε)``::

        dβ = Σ dout,   dγ = Σ dout · x̂,
        dx = γ / (m σ̃) · (m · dout - dβ - x̂ · dγ)

    and in evaluation mode, where ``μ`` and ``σ²`` are constants,
    ``dx = γ / √(running_var + ε) · dout``.

    Parameters
    ----------
    num_features : int
        D for (N, D) input, C for (N, C, H, W) input.
    momentum : float, default 0.1
        In ``[0, 1]``: the weight of the batch statistic in the running estimates (PyTorch's convention).
    eps : float, default 1e-5
        Added to the variance; ``> 0``.
    gamma, beta : (num_features,) ndarray, optional
        Scale and shift; default ones and zeros. A floating ndarray is used as
        it is (``params`` shares it, as :class:`Affine` shares ``W`` and ``b``).

    Attributes
    ----------
    params : dict
        ``{"gamma": γ, "beta": β}``.
    grads : dict
        ``{"gamma": dγ, "beta": dβ}``.
    running_mean, running_var : (num_features,) ndarray

    Raises
    ------
    ValueError
        In training, if a channel has only one value (PyTorch raises too: its
        variance is 0 and its unbiased variance undefined); for input that is not
        (N, num_features) or (N, num_features, H, W).

    Examples
    --------
    >>> bn = BatchNorm(2)
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> bn.forward(x).round(4)  # each column to mean 0, variance 1 (up to eps)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean  # 0.9 * 0 + 0.1 * batch mean
    array([0.2, 2. ])
    >>> bn.forward(x, train=False).shape
    (2, 2)
    """

    def __init__(self, num_features, *, momentum=0.1, eps=1e-5, gamma=None, beta=None) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"num_features must be an int >= 1, got {num_features!r}")
        momentum = check_positive(momentum, "momentum", allow_zero=True)
        if momentum > 1:
            raise ValueError(f"momentum must be in [0, 1] (the weight of the new batch statistic), got {momentum!r}")
        self.num_features = int(num_features)
        self.momentum = momentum
        self.eps = check_positive(eps, "eps")
        C = self.num_features
        gamma = np.ones(C) if gamma is None else _as_param(gamma, "gamma")
        beta = np.zeros(C) if beta is None else _as_param(beta, "beta")
        for name, value in (("gamma", gamma), ("beta", beta)):
            if value.shape != (C,):
                raise ValueError(f"{name} must have shape (num_features,) = ({C},), got shape {value.shape}")
        self.params = {"gamma": gamma, "beta": beta}
        self.grads = {"gamma": np.zeros(C), "beta": np.zeros(C)}
        self.running_mean = np.zeros(C)
        self.running_var = np.ones(C)

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features}, momentum={self.momentum}, eps={self.eps})"

    def _axes(self, x: np.ndarray) -> tuple[int, ...]:
        """The axes the statistics are taken over, after checking the shape of ``x``."""
        C = self.num_features
        if x.ndim == 2 and x.shape[1] == C:
            return (0,)
        if x.ndim == 4 and x.shape[1] == C:
            return (0, 2, 3)
        raise ValueError(f"x must have shape (N, {C}) or (N, {C}, H, W) for BatchNorm({C}), got shape {x.shape}")

    def forward(self, x, train=True):
        """Return ``γ x̂ + β``, with batch statistics (``train=True``) or the running ones.

        Parameters
        ----------
        x : (N, C) or (N, C, H, W) array_like
        train : bool, default True

        Returns
        -------
        out : ndarray
            The shape of ``x``.
        """
        train = _check_train(train)
        x = as_float_array(x, "x")
        axes = self._axes(x)
        shape = [1] * x.ndim  # broadcasts a (C,) vector along axis 1
        shape[1] = self.num_features
        m = x.size // self.num_features  # values per channel
        if train:
            if m < 2:
                raise ValueError(
                    f"BatchNorm in training needs more than 1 value per channel, got x of shape {x.shape}; "
                    "use a larger batch or train=False"
                )
            mean = x.mean(axis=axes)  # (C,)
            centred = x - mean.reshape(shape)
            var = np.mean(centred**2, axis=axes)  # (C,), biased
            k = self.momentum
            self.running_mean = (1 - k) * self.running_mean + k * mean
            self.running_var = (1 - k) * self.running_var + k * var * m / (m - 1)
        else:
            mean, var = self.running_mean, self.running_var
            centred = x - mean.reshape(shape)
        std = np.sqrt(var + self.eps)  # (C,)
        xhat = centred / std.reshape(shape)
        self._save(train, xhat, std, axes, tuple(shape), m)
        return self.params["gamma"].reshape(shape) * xhat + self.params["beta"].reshape(shape)

    def backward(self, dout):
        """Return ``dx``; store ``dγ`` and ``dβ`` in ``grads``.

        Parameters
        ----------
        dout : array_like
            The shape of the output.

        Returns
        -------
        dx : ndarray
            The shape of ``x``.
        """
        train, xhat, std, axes, shape, m = self._saved()
        dout = self._check_dout(dout, xhat.shape)
        dbeta = dout.sum(axis=axes)  # (C,)
        dgamma = np.sum(dout * xhat, axis=axes)  # (C,)
        self.grads = {"gamma": dgamma, "beta": dbeta}
        scale = (self.params["gamma"] / std).reshape(shape)
        if not train:  # μ and σ² are constants: a per-channel affine map
            return scale * dout
        return scale / m * (m * dout - dbeta.reshape(shape) - xhat * dgamma.reshape(shape))


class Dropout(Layer):
    """Dropout (Srivastava et al., 2014): in training, zero each value with probability ``p``.

    In training every element is kept with probability ``1 - p``, by the mask
    ``rng.random(x.shape) >= p`` (a *uniform* draw: the notes' ``torch.randn(...) > p``
    is a normal draw and keeps ``Φ(-p)``, about 31 % at ``p = 0.5``). Two
    scalings keep the expected output of training equal to the output of
    evaluation:

    * ``scaling="inverted"`` (PyTorch's ``nn.Dropout``): training returns
      ``x · mask / (1 - p)``, evaluation returns ``x`` unchanged;
    * ``scaling="classic"`` (the original paper, *Deep Learning from Scratch*
      and the notes): training returns ``x · mask``, evaluation ``x · (1 - p)``.

    ``backward`` multiplies ``dout`` by the same factor per element as the
    forward pass (the mask, scaled, in training; the constant in evaluation).
    ``p = 1`` drops everything (output 0 in both modes).

    Parameters
    ----------
    p : float, default 0.5
        Drop probability in ``[0, 1]``.
    rng : numpy.random.Generator
        Draws the masks (keyword-only, required).
    scaling : {"inverted", "classic"}, default "inverted"

    Attributes
    ----------
    mask : bool ndarray or None
        The mask of the last training forward pass (True: kept).

    Examples
    --------
    >>> drop = Dropout(0.5, rng=np.random.default_rng(0))
    >>> drop.forward(np.ones(6))  # kept values doubled
    array([2., 0., 0., 0., 2., 2.])
    >>> drop.forward(np.ones(6), train=False)
    array([1., 1., 1., 1., 1., 1.])
    """

    def __init__(self, p=0.5, *, rng, scaling="inverted") -> None:
        super().__init__()
        p = check_positive(p, "p", allow_zero=True)
        if p > 1:
            raise ValueError(f"p must be a drop probability in [0, 1], got {p!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
            )
        if scaling not in ("inverted", "classic"):
            raise ValueError(f"scaling must be 'inverted' or 'classic', got {scaling!r}")
        self.p, self.rng, self.scaling = p, rng, scaling
        self.mask: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Dropout(p={self.p}, scaling={self.scaling!r})"

    def forward(self, x, train=True):
        """Return ``x`` with dropped elements zeroed and the rest scaled (module docstring).

        Parameters
        ----------
        x : (...) array_like
        train : bool, default True

        Returns
        -------
        out : ndarray
            The shape of ``x``.
        """
        train = _check_train(train)
        x = as_float_array(x, "x")
        keep = 1.0 - self.p
        if train:
            self.mask = self.rng.random(x.shape) >= self.p  # (...) bool, True with probability 1 - p
            if self.scaling == "inverted":
                factor = self.mask / keep if keep > 0 else np.zeros(x.shape)
            else:
                factor = self.mask.astype(float)
        else:
            factor = np.full(x.shape, 1.0 if self.scaling == "inverted" else keep)
        self._save(factor)
        return x * factor

    def backward(self, dout):
        """Return ``dout`` times the factor the forward pass applied to each element.

        Parameters
        ----------
        dout : (...) array_like
            The shape of the output.

        Returns
        -------
        dx : ndarray
        """
        (factor,) = self._saved()
        return self._check_dout(dout, factor.shape) * factor
