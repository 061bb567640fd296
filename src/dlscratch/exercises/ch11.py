"""Exercises of chapter 11, pooling (``chapters/11_pooling.md``).

The chapter pools by the maximum and by the mean and derives where each sends
the gradient. The exercises carry the ideas to cases it does not treat:

1. the backward pass of **L2-norm pooling** (each window summarised by
   ``sqrt(Σ x²)``, the third kind of pooling the notes name, 002), whose
   gradient must be derived, including windows that are all zero;
2. robustness to a small shift for **overlapping** windows (5×5, stride 3)
   and a diagonal shift, where the chapter counted windows side by side;
3. (written) which poolings commute with ReLU, and what the order costs.

``dlscratch.pool.AvgPool2d`` (whose backward pass spreads a gradient over the
windows), ``MaxPool2d`` and their base class are switched off while exercise 1 is checked.
"""

from __future__ import annotations

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- 1. l2_pool_backward


def _l2_pool_backward(x, dout, kernel_size):
    """dL/dx of y = sqrt(Σ_window x²) over K×K windows side by side (stride K); 0 where a window is all 0.

    dy/dx_i = x_i / y. Each window is divided by its largest |x| first, so that
    neither huge squares overflow nor tiny ones underflow to a norm of 0.
    """
    x = np.asarray(x, dtype=float)
    dout = np.asarray(dout, dtype=float)
    N, C, H, W = x.shape
    K = kernel_size
    blocks = x.reshape(N, C, H // K, K, W // K, K)  # (N, C, OH, K, OW, K)
    scale = np.abs(blocks).max(axis=(3, 5), keepdims=True)  # (N, C, OH, 1, OW, 1)
    z = blocks / np.where(scale > 0, scale, 1.0)  # |z| <= 1
    norm = np.sqrt((z**2).sum(axis=(3, 5), keepdims=True))  # y / scale, 1 <= norm <= K (or 0)
    dx = np.where(scale > 0, z / np.where(norm > 0, norm, 1.0), 0.0) * dout[:, :, :, None, :, None]
    return dx.reshape(N, C, H, W)


def _case(x, dout, K, note):
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    return Case((x, dout, K), _l2_pool_backward(x, dout, K), note=note)


_RNG = np.random.default_rng(11)
_ONE = np.array([[[[3.0, 4.0], [0.0, 0.0]]]])  # one 2×2 window, norm 5
_BATCH = _RNG.normal(size=(2, 3, 4, 6))  # (N, C, H, W)
_BATCH_DOUT = _RNG.normal(size=(2, 3, 2, 3))
_ZEROS = np.array([[[[0.0, 0.0, 1.0, -2.0], [0.0, 0.0, 2.0, 0.0]]]])  # the left window is all 0
_BIG = np.array([[[[3e200, 4e200], [0.0, 0.0]]]])  # squares overflow float64
_TINY = np.array([[[[0.0, 1e-200], [0.0, 0.0]]]])  # squares underflow to 0
_K1 = np.array([[[[-2.0, 0.0, 5.0]]]])  # 1×1 windows: |x|

register(
    FunctionExercise(
        id="ch11.l2_pool_backward",
        name="l2_pool_backward",
        cases=[
            _case(_ONE, [[[[2.0]]]], 2, "one window: the gradient of the norm points along x"),
            _case(_BATCH, _BATCH_DOUT, 2, "a batch of images with several channels, 2×2 windows, non-square"),
            _case(_RNG.normal(size=(1, 2, 6, 6)), _RNG.normal(size=(1, 2, 2, 2)), 3, "3×3 windows"),
            _case(_ZEROS, [[[[1.0, 1.0]]]], 2, "a window that is all 0: no gradient, and no division by 0"),
            _case(_K1, [[[[1.0, 1.0, -3.0]]]], 1, "1×1 windows: the norm is |x|, its slope the sign (0 at 0)"),
            _case(_BIG, [[[[1.0]]]], 2, "huge inputs: their squares overflow, the ratio x / norm does not"),
            _case(_TINY, [[[[1.0]]]], 2, "tiny inputs: their squares underflow to 0, the window is not 0"),
        ],
        switched_off=("dlscratch.pool._Pool2d", "dlscratch.pool.AvgPool2d", "dlscratch.pool.MaxPool2d"),
        rtol=1e-9,
        atol=1e-12,
        hint=(
            "differentiate sqrt of a sum of squares with respect to one of its terms, as chapter 5 would with "
            "a square and a square-root node; every input of a window gets its share of that window's dout. "
            "A norm of 0 needs a convention (the chapter's max pooling had one for ties), and a norm can be "
            "computed without squaring huge numbers (scale by the largest entry first)"
        ),
    )
)

# ----------------------------------------------------------------------------- 2. unchanged_fraction


def unchanged_fraction_1d(kernel_size: int, stride: int) -> float:
    """Over the residues of a pixel's position mod the stride, the share for which a one-pixel move keeps the
    set of windows that contain it (far from the borders). Public: the support tests use it."""
    K, S = kernel_size, stride

    def windows(c):
        return {j for j in range(-K - 2, c + 2) if S * j <= c <= S * j + K - 1}

    start = S * (K + 2)  # far from the left border
    return sum(windows(c) == windows(c + 1) for c in range(start, start + S)) / S


register(
    ValueExercise(
        id="ch11.unchanged_fraction",
        expected=unchanged_fraction_1d(5, 3) ** 2,
        rtol=1e-6,
        describe="the fraction of positions",
        hint=(
            "a single bright pixel on a zero background makes each pooled value say only whether its window "
            "contains the pixel; the shift moves the pixel along both axes independently, so count along one "
            "axis first (which windows contain a position, and the next one?) over one period of the stride"
        ),
    )
)
