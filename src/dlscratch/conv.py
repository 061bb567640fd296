"""Convolution from scratch: output sizes, a looped cross-correlation, im2col/col2im and a fast ``Conv2d`` layer.

What a convolutional layer of a network computes is a *cross-correlation*
(the kernel slides over the image without being flipped); chapter 10 builds
it three times:

* :func:`corr2d`, two loops over the output, the definition (one channel);
* :func:`im2col` + one matrix product, *Deep Learning from Scratch*'s way:
  every receptive field becomes a row of a matrix, every kernel a column;
* :class:`Conv2d`, the layer: forward, one matrix product; backward, two
  more (``dW`` and the gradient of the unfolded fields) and a fold
  (:func:`col2im`) that adds each field's gradient back onto its pixels.

Speed comes from the memory layout more than from the arithmetic. The
unfolded matrix is built *transposed*, ``(C·FH·FW, N·OH·OW)``: each of its
``FH·FW`` blocks is one shifted copy of the image, so unfolding and folding
are ``FH·FW`` strided copies (adds) of whole images (9 for a 3×3 kernel)
instead of a transpose of ``N·OH·OW`` small fields. All the rest is three
BLAS matrix products; ``make bench`` measures forward + backward against
PyTorch's.

Shapes follow PyTorch: images ``(N, C, H, W)``, kernels ``(FN, C, FH, FW)``
(FN output channels), biases ``(FN,)``, outputs ``(N, FN, OH, OW)`` with
``OH = (H + 2P - FH) / S + 1`` (:func:`conv_output_size`). A size that is not a
whole number raises ``ValueError`` (PyTorch would silently drop the last rows
of the image; here the sizes have to fit, as in *Deep Learning from Scratch*).

Nothing here modifies its arguments; every function and layer keeps the
floating dtype it is given (float32 in, float32 out).

References
----------
Chapter 10 of the book (``chapters/10_convolution.md``); notes 001, 003, 004.
Saito, *Deep Learning from Scratch* (2016), ch. 7 and ``common/util.py``;
Stanford CS231n, assignment 2 (``im2col``, ``conv_backward``); Dumoulin &
Visin, "A guide to convolution arithmetic for deep learning" (2016).
"""

from __future__ import annotations

import numbers

import numpy as np

from dlscratch._validation import as_float_array
from dlscratch.layers import Layer

__all__ = ["Conv2d", "col2im", "conv_output_size", "corr2d", "im2col"]


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    """Return the output size ``(W - F + 2P) / S + 1`` of a convolution or pooling along one axis.

    Parameters
    ----------
    input_size : int
        W, the input's height or width (``>= 1``).
    filter_size : int
        F, the kernel's (``>= 1``).
    stride : int, default 1
        S (``>= 1``).
    pad : int, default 0
        P, zeros added on *each* side (``>= 0``).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the kernel does not fit into the padded input, or ``(W - F + 2P) / S``
        is not a whole number: the message names the four sizes.

    Examples
    --------
    >>> conv_output_size(28, 3, stride=1, pad=1)  # "same" padding
    28
    >>> conv_output_size(10, 3, stride=2)
    Traceback (most recent call last):
    ...
    ValueError: (W - F + 2P) / S + 1 = (10 - 3 + 2*0) / 2 + 1 = 4.5 is not a whole number (W=10, F=3, S=2, P=0): ...
    """
    W = _check_int(input_size, "input_size", 1)
    F = _check_int(filter_size, "filter_size", 1)
    S = _check_int(stride, "stride", 1)
    P = _check_int(pad, "pad", 0)
    span = W - F + 2 * P
    if span < 0:
        raise ValueError(
            f"the kernel does not fit: filter_size F={F} is larger than the padded input W + 2P = {W + 2 * P} "
            f"(W={W}, P={P})"
        )
    if span % S:
        raise ValueError(
            f"(W - F + 2P) / S + 1 = ({W} - {F} + 2*{P}) / {S} + 1 = {span / S + 1:g} is not a whole number "
            f"(W={W}, F={F}, S={S}, P={P}): change the padding or the stride so that S divides W - F + 2P"
        )
    return span // S + 1


def corr2d(x, k) -> np.ndarray:
    """Return the 2-D cross-correlation of one image with one kernel, by two loops (the definition).

    ``out[i, j] = Σ_{a, b} x[i + a, j + b] · k[a, b]``: the kernel is *not*
    flipped (a convolution in the mathematician's sense would flip it).

    Parameters
    ----------
    x : (H, W) array_like
    k : (h, w) array_like
        No larger than ``x``.

    Returns
    -------
    (H - h + 1, W - w + 1) ndarray

    Examples
    --------
    >>> corr2d(np.arange(9.0).reshape(3, 3), np.array([[0.0, 1.0], [2.0, 3.0]]))
    array([[19., 25.],
           [37., 43.]])
    """
    x = as_float_array(x, "x")
    k = as_float_array(k, "k")
    if x.ndim != 2:
        raise ValueError(f"x must be one image of shape (H, W), got shape {x.shape}")
    if k.ndim != 2 or k.size == 0:
        raise ValueError(f"k must be a kernel of shape (h, w) with h, w >= 1, got shape {k.shape}")
    h, w = k.shape
    if h > x.shape[0] or w > x.shape[1]:
        raise ValueError(f"k of shape {k.shape} must not be larger than x of shape {x.shape}")
    out = np.zeros((x.shape[0] - h + 1, x.shape[1] - w + 1), dtype=np.result_type(x, k))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i : i + h, j : j + w] * k)
    return out


def _check_image(x, name: str = "x") -> np.ndarray:
    x = as_float_array(x, name)
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got shape {x.shape}")
    return x


def _unfold(x: np.ndarray, FH: int, FW: int, S: int, P: int, OH: int, OW: int, out=None) -> np.ndarray:
    """The transposed im2col matrix (C*FH*FW, N*OH*OW): one strided copy of the padded image per kernel position.

    ``out``, if given, is a C-contiguous array of C*FH*FW*N*OH*OW entries of ``x``'s dtype to write into.
    """
    N, C = x.shape[:2]
    padded = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P))) if P else x
    channels_first = padded.transpose(1, 0, 2, 3)  # (C, N, H + 2P, W + 2P), a view
    shape = (C, FH, FW, N, OH, OW)
    cols = np.empty(shape, dtype=x.dtype) if out is None else out.reshape(shape)
    for a in range(FH):
        for b in range(FW):  # the pixels under kernel entry (a, b) at every output position
            cols[:, a, b] = channels_first[:, :, a : a + S * OH : S, b : b + S * OW : S]
    return cols.reshape(C * FH * FW, N * OH * OW)


def _fold(cols: np.ndarray, x_shape: tuple[int, ...], FH: int, FW: int, S: int, P: int, img=None) -> np.ndarray:
    """The adjoint of :func:`_unfold`: add every entry of ``cols`` (C*FH*FW, N*OH*OW) onto its pixel; (N, C, H, W).

    ``img``, if given, is a scratch array (C, N, H + 2P, W + 2P) of ``cols``'s dtype (its contents are overwritten).
    """
    N, C, H, W = x_shape
    OH, OW = (H + 2 * P - FH) // S + 1, (W + 2 * P - FW) // S + 1
    blocks = cols.reshape(C, FH, FW, N, OH, OW)
    if img is None:
        img = np.zeros((C, N, H + 2 * P, W + 2 * P), dtype=cols.dtype)
    else:
        img.fill(0)
    for a in range(FH):
        for b in range(FW):
            img[:, :, a : a + S * OH : S, b : b + S * OW : S] += blocks[:, a, b]
    return img[:, :, P : P + H, P : P + W].transpose(1, 0, 2, 3).copy()  # (N, C, H, W)


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    """Unfold every receptive field of ``x`` into a row: convolution becomes one matrix product.

    Parameters
    ----------
    x : (N, C, H, W) array_like
    filter_h, filter_w : int
        The kernel's height and width.
    stride, pad : int
        As in :func:`conv_output_size` (the sizes must fit).

    Returns
    -------
    col : (N * OH * OW, C * filter_h * filter_w) ndarray
        Row ``(n, i, j)`` (in that order, ``j`` fastest) holds the field under
        the kernel at output position ``(i, j)`` of image ``n``, flattened in
        the order ``(c, a, b)``, the order of ``W.reshape(FN, -1)``'s columns.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> im2col(x, 2, 2, stride=2)  # four 2x2 fields, one per row
    array([[ 0.,  1.,  4.,  5.],
           [ 2.,  3.,  6.,  7.],
           [ 8.,  9., 12., 13.],
           [10., 11., 14., 15.]])
    """
    x = _check_image(x)
    _, _, H, W = x.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    return _unfold(x, filter_h, filter_w, stride, pad, OH, OW).T  # (N*OH*OW, C*FH*FW), a view of the transposed


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    """Fold rows back into an image, *adding* where receptive fields overlap: the adjoint of :func:`im2col`.

    ``col2im`` is not the inverse of ``im2col``: a pixel that lies in ``k``
    receptive fields appears ``k`` times in ``col`` and gets the sum of its
    ``k`` entries. That sum is what the backward pass needs (a pixel used
    ``k`` times gets ``k`` gradient contributions), and it makes ``col2im`` the
    transpose of ``im2col``: ``<im2col(x), c> = <x, col2im(c)>`` for all ``x``, ``c``.

    Parameters
    ----------
    col : (N * OH * OW, C * filter_h * filter_w) array_like
    input_shape : tuple of 4 ints
        ``(N, C, H, W)`` of the image.
    filter_h, filter_w, stride, pad : int
        As for :func:`im2col`.

    Returns
    -------
    (N, C, H, W) ndarray

    Examples
    --------
    >>> col2im(np.ones((9, 4)), (1, 1, 4, 4), 2, 2)  # how many 2x2 fields contain each pixel
    array([[[[1., 2., 2., 1.],
             [2., 4., 4., 2.],
             [2., 4., 4., 2.],
             [1., 2., 2., 1.]]]])
    """
    col = as_float_array(col, "col")
    if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 4):
        raise ValueError(f"input_shape must be (N, C, H, W), got {input_shape!r}")
    N, C, H, W = (_check_int(v, f"input_shape[{i}]", 1) for i, v in enumerate(input_shape))
    FH, FW = filter_h, filter_w
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)
    if col.shape != (N * OH * OW, C * FH * FW):
        raise ValueError(
            f"col must have shape (N*OH*OW, C*FH*FW) = ({N * OH * OW}, {C * FH * FW}) for input_shape "
            f"{(N, C, H, W)} and a {FH}x{FW} kernel, got shape {col.shape}"
        )
    return _fold(col.T, (N, C, H, W), FH, FW, stride, pad)  # one strided add per kernel position


class Conv2d(Layer):
    """Convolutional layer (cross-correlation), ``out[n, f] = Σ_c x[n, c] ⋆ W[f, c] + b[f]``, batch first.

    Forward: ``im2col(x) @ W.reshape(FN, -1).T + b``, reshaped to
    ``(N, FN, OH, OW)``. Backward, with ``dout`` of that shape and
    ``dout_mat`` its ``(N·OH·OW, FN)`` matrix:

    * ``db = Σ_{n, i, j} dout[n, :, i, j]``;
    * ``dW = dout_matᵀ @ im2col(x)``, reshaped to ``W``'s shape;
    * ``dx = col2im(dout_mat @ W.reshape(FN, -1))``: each field's gradient,
      added back onto the pixels it came from (a pixel in ``k`` fields gets
      ``k`` contributions).

    (The module docstring says why the matrices are held transposed.)
    ``forward`` caches the unfolded matrix (``dW`` needs it) and the shape of ``x``.

    The large intermediate arrays (the unfolded matrix, its gradient, the
    padded image the fold adds into) live in a workspace that the layer keeps
    and reuses while the input shape stays the same, as cuDNN's workspaces do:
    allocating tens of megabytes afresh on every call costs the operating
    system's page faults, about a third of the layer's time at batch 32.
    Returned arrays are always new.

    Parameters
    ----------
    W : (FN, C, FH, FW) array_like
        Kernels. A floating ndarray is used as it is (``params["W"]`` *is* this
        array, as in :class:`dlscratch.layers.Affine`).
    b : (FN,) array_like
        Biases; used as it is, like ``W``.
    stride : int, default 1
    pad : int, default 0
        Zeros on each side of the image.

    Attributes
    ----------
    params : dict
        ``{"W": W, "b": b}``.
    grads : dict
        ``{"W": dW, "b": db}``.

    Raises
    ------
    ValueError
        Wrong shapes, a kernel with a different channel count than the input,
        sizes that do not fit (:func:`conv_output_size`).

    Examples
    --------
    >>> conv = Conv2d(np.ones((2, 1, 3, 3)), np.array([0.0, 1.0]), pad=1)
    >>> out = conv.forward(np.ones((1, 1, 4, 4)))
    >>> out.shape, out[0, 0, 0, 0], out[0, 1, 1, 1]  # a corner sees 4 ones, the inside 9
    ((1, 2, 4, 4), np.float64(4.0), np.float64(10.0))
    """

    def __init__(self, W, b, *, stride=1, pad=0) -> None:
        super().__init__()
        W = W if isinstance(W, np.ndarray) and np.issubdtype(W.dtype, np.floating) else as_float_array(W, "W")
        b = b if isinstance(b, np.ndarray) and np.issubdtype(b.dtype, np.floating) else as_float_array(b, "b")
        if W.ndim != 4 or W.size == 0:
            raise ValueError(f"W must have shape (FN, C, FH, FW), all >= 1, got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (FN,) = ({W.shape[0]},) to match W of shape {W.shape}, got {b.shape}")
        self.stride = _check_int(stride, "stride", 1)
        self.pad = _check_int(pad, "pad", 0)
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self._workspace: dict[str, np.ndarray] = {}

    def _scratch(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """A reusable array of ``shape`` and ``dtype`` (new only when those change)."""
        array = self._workspace.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._workspace[name] = np.empty(shape, dtype=dtype)
        return array

    def __repr__(self) -> str:
        FN, C, FH, FW = self.params["W"].shape
        return f"Conv2d({C} -> {FN}, kernel {FH}x{FW}, stride={self.stride}, pad={self.pad})"

    def output_shape(self, input_shape: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """Return ``(N, FN, OH, OW)`` for an input of shape ``(N, C, H, W)``, or raise ``ValueError``."""
        FN, C, FH, FW = self.params["W"].shape
        N, C_in, H, W = input_shape
        if C_in != C:
            raise ValueError(
                f"x must have C={C} channels for kernels W of shape {self.params['W'].shape}, "
                f"got x of shape {tuple(input_shape)}"
            )
        return N, FN, conv_output_size(H, FH, self.stride, self.pad), conv_output_size(W, FW, self.stride, self.pad)

    def forward(self, x):
        """Return the correlation of ``x`` with every kernel, plus the biases.

        Parameters
        ----------
        x : (N, C, H, W) array_like

        Returns
        -------
        out : (N, FN, OH, OW) ndarray
        """
        x = _check_image(x)
        N, FN, OH, OW = self.output_shape(x.shape)
        W, b = self.params["W"], self.params["b"]
        C, FH, FW = W.shape[1:]
        cols = _unfold(
            x, FH, FW, self.stride, self.pad, OH, OW, out=self._scratch("cols", (C * FH * FW, N * OH * OW), x.dtype)
        )  # (C*FH*FW, N*OH*OW)
        dtype = np.result_type(W.dtype, x.dtype)
        out = np.matmul(W.reshape(FN, -1), cols, out=self._scratch("out", (FN, N * OH * OW), dtype))
        out += b[:, None]
        self._save(cols, x.shape)
        return out.reshape(FN, N, OH, OW).transpose(1, 0, 2, 3).copy()  # (N, FN, OH, OW), contiguous

    def backward(self, dout):
        """Return ``dx``; store ``dW`` and ``db`` in ``grads``.

        Parameters
        ----------
        dout : (N, FN, OH, OW) array_like
            Any memory layout (a transposed or sliced array is fine).

        Returns
        -------
        dx : (N, C, H, W) ndarray
        """
        cols, x_shape = self._saved()
        N, _, H, W_in = x_shape
        W = self.params["W"]
        FN, _, FH, FW = W.shape
        S, P = self.stride, self.pad
        OH, OW = conv_output_size(H, FH, S, P), conv_output_size(W_in, FW, S, P)
        dout = self._check_dout(dout, (N, FN, OH, OW))
        dout_t = dout.transpose(1, 0, 2, 3).reshape(FN, N * OH * OW)  # (FN, N*OH*OW), a copy for any layout
        self.grads = {
            "b": dout_t.sum(axis=1),  # (FN,)
            "W": (dout_t @ cols.T).reshape(W.shape),  # (FN, C, FH, FW)
        }
        C = x_shape[1]
        dtype = np.result_type(W.dtype, dout_t.dtype)
        dcols = np.matmul(  # (C*FH*FW, N*OH*OW): the gradient of every unfolded entry
            W.reshape(FN, -1).T, dout_t, out=self._scratch("dcols", (C * FH * FW, N * OH * OW), dtype)
        )
        img = self._scratch("img", (C, N, H + 2 * P, W_in + 2 * P), dtype)
        return _fold(dcols, x_shape, FH, FW, S, P, img=img)  # (N, C, H, W), a new array
