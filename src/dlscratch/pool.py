"""Pooling layers: max, average and global average pooling, forward and backward (chapter 11).

A pooling layer summarises each window of each channel by one number and
has no parameters: the channel count is unchanged, only the height and width
shrink, to ``(H + 2P - K) / S + 1`` (:func:`dlscratch.conv.conv_output_size`;
by convention the stride equals the window, ``S = K``, unless given).

* :class:`MaxPool2d` keeps each window's largest value; its backward pass
  sends each output's gradient to the position of that value (the first one
  in row-major order when several are equal, as PyTorch does) and zero to the
  others. Padding adds ``-inf``, so a padded position is never the maximum.
* :class:`AvgPool2d` takes each window's mean and hands every input the same
  share ``1 / K²`` of the gradient (``count_include_pad=False`` divides by the
  number of real, unpadded inputs instead, as PyTorch's option does).
* :class:`GlobalAvgPool2d` averages each whole channel to one number, NiN's
  replacement for fully connected layers (chapter 13, *CNN architectures*).

Both windowed layers visit the ``K × K`` positions of the window, each a
strided view of the whole batch, rather than the ``N·C·OH·OW`` windows one by
one: ``K²`` vectorised steps.

Shapes follow PyTorch: ``(N, C, H, W)`` in, ``(N, C, OH, OW)`` out; the layers
have the interface of :mod:`dlscratch.layers` (``forward``, ``backward``, empty
``params``/``grads``), never modify an argument and keep the floating dtype.

References
----------
Chapter 11 of the book (``chapters/11_pooling.md``); notes 001, 003, 004.
Saito, *Deep Learning from Scratch* (2016), §7.3 and ``common/layers.py``
(``Pooling``); Lin, Chen & Yan, "Network in network" (2014).
"""

from __future__ import annotations

import numpy as np

from dlscratch._validation import as_float_array
from dlscratch.conv import _check_int, conv_output_size
from dlscratch.layers import Layer

__all__ = ["AvgPool2d", "GlobalAvgPool2d", "MaxPool2d"]


def _check_image(x) -> np.ndarray:
    x = as_float_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got shape {x.shape}")
    return x


class _Pool2d(Layer):
    """Window size, stride, padding and the output shape shared by max and average pooling."""

    def __init__(self, kernel_size, stride=None, pad=0) -> None:
        super().__init__()
        self.kernel_size = _check_int(kernel_size, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _check_int(stride, "stride", 1)
        self.pad = _check_int(pad, "pad", 0)
        if 2 * self.pad > self.kernel_size:
            raise ValueError(
                f"pad must be at most half of kernel_size (a window must hold a real input), "
                f"got pad={self.pad} for kernel_size={self.kernel_size}"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride}, pad={self.pad})"

    def _prepare(self, x, fill: float) -> tuple[np.ndarray, int, int]:
        """The padded ``x`` (filled with ``fill``) and the output size (OH, OW)."""
        x = _check_image(x)
        K, S, P = self.kernel_size, self.stride, self.pad
        OH = conv_output_size(x.shape[2], K, S, P)
        OW = conv_output_size(x.shape[3], K, S, P)
        if P:
            x = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)), constant_values=fill)
        return x, OH, OW

    def _window(self, a: int, b: int, OH: int, OW: int) -> tuple[slice, slice, slice, slice]:
        """The strided view of the padded image that window entry (a, b) sees at every output position."""
        S = self.stride
        return (slice(None), slice(None), slice(a, a + S * OH, S), slice(b, b + S * OW, S))

    def _unpad(self, img: np.ndarray) -> np.ndarray:
        P = self.pad
        return img[:, :, P : img.shape[2] - P, P : img.shape[3] - P].copy() if P else img


class MaxPool2d(_Pool2d):
    """Max pooling: the largest value of each ``K × K`` window, per channel.

    Parameters
    ----------
    kernel_size : int
        K, the window's height and width.
    stride : int, optional
        Default ``kernel_size`` (windows side by side).
    pad : int, default 0
        ``-inf`` added on each side (at most ``kernel_size // 2``, as PyTorch requires).

    Examples
    --------
    >>> pool = MaxPool2d(2)
    >>> x = np.array([[[[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0],
    ...                 [0.0, 0.0, 7.0, 7.0], [0.0, 1.0, 7.0, 7.0]]]])
    >>> pool.forward(x)
    array([[[[4., 5.],
             [1., 7.]]]])
    >>> pool.backward(np.ones((1, 1, 2, 2)))  # to each window's (first) maximum
    array([[[[0., 0., 1., 0.],
             [0., 1., 0., 0.],
             [0., 0., 1., 0.],
             [0., 1., 0., 0.]]]])
    """

    def forward(self, x):
        """Return the maximum of every window.

        Parameters
        ----------
        x : (N, C, H, W) array_like

        Returns
        -------
        out : (N, C, OH, OW) ndarray
        """
        shape = np.shape(x)
        padded, OH, OW = self._prepare(x, -np.inf)
        K, P = self.kernel_size, self.pad
        real = np.zeros(padded.shape[2:], dtype=bool)  # (Hp, Wp): True where the input is real, not padding
        real[P : real.shape[0] - P, P : real.shape[1] - P] = True
        out = None
        best = np.zeros((*padded.shape[:2], OH, OW), dtype=np.intp)  # (N, C, OH, OW): index a*K + b of the max
        for a in range(K):
            for b in range(K):
                view = padded[self._window(a, b, OH, OW)]
                view_real = real[self._window(a, b, OH, OW)[2:]]  # (OH, OW)
                if out is None:
                    out, out_real = view.copy(), view_real
                    continue
                # strict: the first maximum wins; a NaN always wins (the last one, as PyTorch);
                # a real -inf wins over padding, so that the gradient never goes to a padded position
                better = (view > out) | np.isnan(view)
                if P:
                    better |= view_real & ~out_real
                    out_real = np.where(better, view_real, out_real)
                out = np.where(better, view, out)
                best[better] = a * K + b
        self._save(best, padded.shape, shape)
        return out

    def backward(self, dout):
        """Return ``dx``: each output's gradient at its window's maximum, zero elsewhere.

        Parameters
        ----------
        dout : (N, C, OH, OW) array_like

        Returns
        -------
        dx : (N, C, H, W) ndarray
        """
        best, padded_shape, _ = self._saved()
        dout = self._check_dout(dout, best.shape)
        OH, OW = best.shape[2:]
        K = self.kernel_size
        img = np.zeros(padded_shape, dtype=dout.dtype)
        for a in range(K):
            for b in range(K):  # overlapping windows (stride < K) add up
                img[self._window(a, b, OH, OW)] += np.where(best == a * K + b, dout, 0)
        return self._unpad(img)


class AvgPool2d(_Pool2d):
    """Average pooling: the mean of each ``K × K`` window, per channel.

    Parameters
    ----------
    kernel_size : int
    stride : int, optional
        Default ``kernel_size``.
    pad : int, default 0
        Zeros added on each side.
    count_include_pad : bool, default True
        Divide by ``K²`` (PyTorch's default) or by the number of unpadded inputs in the window.

    Examples
    --------
    >>> pool = AvgPool2d(2)
    >>> pool.forward(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    >>> pool.backward(np.ones((1, 1, 2, 2)))[0, 0, 0]  # a quarter each
    array([0.25, 0.25, 0.25, 0.25])
    """

    def __init__(self, kernel_size, stride=None, pad=0, *, count_include_pad=True) -> None:
        super().__init__(kernel_size, stride, pad)
        if not isinstance(count_include_pad, (bool, np.bool_)):
            raise TypeError(f"count_include_pad must be True or False, got {count_include_pad!r}")
        self.count_include_pad = bool(count_include_pad)

    def _divisor(self, padded_shape: tuple[int, ...], OH: int, OW: int) -> np.ndarray | float:
        K, P = self.kernel_size, self.pad
        if self.count_include_pad or not P:
            return float(K * K)
        real = np.zeros(padded_shape[2:])  # (Hp, Wp): 1 where the input is real
        real[P:-P, P:-P] = 1.0
        count = sum(real[self._window(a, b, OH, OW)[2:]] for a in range(K) for b in range(K))
        return count  # (OH, OW)

    def forward(self, x):
        """Return the mean of every window.

        Parameters
        ----------
        x : (N, C, H, W) array_like

        Returns
        -------
        out : (N, C, OH, OW) ndarray
        """
        padded, OH, OW = self._prepare(x, 0.0)
        K = self.kernel_size
        total = sum(padded[self._window(a, b, OH, OW)] for a in range(K) for b in range(K))
        divisor = self._divisor(padded.shape, OH, OW)
        self._save(divisor, padded.shape, (OH, OW))
        return (total / divisor).astype(padded.dtype, copy=False)

    def backward(self, dout):
        """Return ``dx``: every input of a window gets ``dout / K²`` (or its share without padding).

        Parameters
        ----------
        dout : (N, C, OH, OW) array_like

        Returns
        -------
        dx : (N, C, H, W) ndarray
        """
        divisor, padded_shape, (OH, OW) = self._saved()
        dout = self._check_dout(dout, (*padded_shape[:2], OH, OW))
        share = (dout / divisor).astype(dout.dtype, copy=False)
        img = np.zeros(padded_shape, dtype=dout.dtype)
        for a in range(self.kernel_size):
            for b in range(self.kernel_size):
                img[self._window(a, b, OH, OW)] += share
        return self._unpad(img)


class GlobalAvgPool2d(Layer):
    """Global average pooling: the mean of each whole channel, ``(N, C, H, W) -> (N, C, 1, 1)``.

    As ``torch.nn.AdaptiveAvgPool2d(1)``; flatten the result for a classifier
    (NiN and GoogLeNet end this way, with no fully connected layer).

    Examples
    --------
    >>> gap = GlobalAvgPool2d()
    >>> gap.forward(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[[[1.5]],
    <BLANKLINE>
            [[5.5]]]])
    """

    def forward(self, x):
        """Return the mean over H and W, keeping both axes (size 1).

        Parameters
        ----------
        x : (N, C, H, W) array_like

        Returns
        -------
        out : (N, C, 1, 1) ndarray
        """
        x = _check_image(x)
        self._save(x.shape)
        return x.mean(axis=(2, 3), keepdims=True)

    def backward(self, dout):
        """Return ``dout / (H·W)`` spread over every position.

        Parameters
        ----------
        dout : (N, C, 1, 1) array_like

        Returns
        -------
        dx : (N, C, H, W) ndarray
        """
        (shape,) = self._saved()
        dout = self._check_dout(dout, (*shape[:2], 1, 1))
        return np.broadcast_to(dout / (shape[2] * shape[3]), shape).copy()
