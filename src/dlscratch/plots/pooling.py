"""Figures of chapter 11, pooling (``chapters/11_pooling.md``).

* :func:`plot_pool_gradient`: a small integer image through a 2×2 max or
  average pooling with stride 1, 2 or 4 (overlapping windows, windows side by
  side, gaps), and where the backward pass sends a gradient of 1 from every
  output.
* :func:`plot_shift_robustness`: the test digits shifted sideways by a few
  pixels, through a fixed edge-detecting convolution with ReLU
  (:data:`EDGE_KERNELS`) and then no pooling, 2×2 max or average pooling or
  4×4 max pooling; how much the features change (:func:`shift_experiment`,
  computed once, about 0.2 s).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import FixedLocator

from ..activations import relu
from ..conv import Conv2d
from ..data import load_digits_split
from ..pool import AvgPool2d, MaxPool2d

__all__ = [
    "EDGE_KERNELS",
    "GRADIENT_IMAGE",
    "POOLINGS",
    "SHIFTS",
    "ShiftExperiment",
    "edge_features",
    "plot_pool_gradient",
    "plot_shift_robustness",
    "shift_experiment",
    "shift_images",
]

# ----------------------------------------------------------------------------- where the gradient goes

#: the 6×6 image of :func:`plot_pool_gradient`: small integers, some of them tied within a window
GRADIENT_IMAGE = np.array(
    [
        [1, 3, 2, 0, 4, 1],
        [5, 2, 1, 1, 0, 2],
        [0, 4, 7, 3, 2, 2],
        [2, 1, 3, 6, 5, 1],
        [3, 3, 0, 1, 2, 8],
        [1, 2, 4, 0, 3, 1],
    ],
    dtype=float,
)
_GRADIENT_MODES = ("max", "average")
_GRADIENT_STRIDES = (1, 2, 4)


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"


def plot_pool_gradient(fig, pooling: str = "max", stride: int = 2):
    """A 6×6 image, its 2×2 pooling with ``stride`` and the gradient ``dx`` for a gradient of 1 at every output.

    ``pooling`` ("max" or "average") is the main control: max pooling sends each
    output's 1 to its window's (first) maximum, average pooling spreads it as
    ¼ over the window. ``stride`` 1 makes the windows overlap (the gradients
    add up), 2 puts them side by side, 4 leaves gaps (inputs in no window get
    nothing). Returns the updater.
    """
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1], "wspace": 0.15})
    size = GRADIENT_IMAGE.shape[0]
    ax_x, ax_out, ax_dx = axes
    x_image = ax_x.imshow(
        np.zeros((size, size)), cmap="Blues", vmin=0, vmax=1, extent=(-0.5, size - 0.5, size - 0.5, -0.5)
    )
    out_image = ax_out.imshow(np.zeros((5, 5)), cmap="Greys", vmin=0, vmax=12)
    dx_image = ax_dx.imshow(np.zeros((size, size)), cmap="Oranges", vmin=0, vmax=4)
    x_texts = [
        [ax_x.text(j, i, _fmt(GRADIENT_IMAGE[i, j]), ha="center", va="center", fontsize=10) for j in range(size)]
        for i in range(size)
    ]
    out_texts = [[ax_out.text(j, i, "", ha="center", va="center", fontsize=10) for j in range(5)] for i in range(5)]
    dx_texts = [[ax_dx.text(j, i, "", ha="center", va="center", fontsize=9) for j in range(size)] for i in range(size)]
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    del x_texts  # the input's numbers never change

    def update(pooling=pooling, stride=stride):
        if pooling not in _GRADIENT_MODES:
            raise ValueError(f"pooling must be one of {list(_GRADIENT_MODES)}, got {pooling!r}")
        if stride not in _GRADIENT_STRIDES:
            raise ValueError(f"stride must be one of {list(_GRADIENT_STRIDES)}, got {stride!r}")
        layer = MaxPool2d(2, stride) if pooling == "max" else AvgPool2d(2, stride)
        out = layer.forward(GRADIENT_IMAGE[None, None])[0, 0]  # (OH, OW)
        dx = layer.backward(np.ones((1, 1, *out.shape)))[0, 0]  # (6, 6)
        n = out.shape[0]
        covered = np.zeros((size, size))
        for i in range(n):
            for j in range(n):
                covered[i * stride : i * stride + 2, j * stride : j * stride + 2] += 1
        x_image.set_data(covered / 4)  # shaded by the number of windows that contain the input
        out_image.set_data(out)
        out_image.set_extent((-0.5, n - 0.5, n - 0.5, -0.5))
        dx_image.set_data(dx)
        for i in range(5):
            for j in range(5):
                text = out_texts[i][j]
                text.set_visible(i < n and j < n)
                if i < n and j < n:
                    text.set_text(_fmt(out[i, j]))
                    text.set_color("white" if out[i, j] > 6 else "black")
        for i in range(size):
            for j in range(size):
                dx_texts[i][j].set_text(_fmt(dx[i, j]) if dx[i, j] else "")  # blank: no gradient
                dx_texts[i][j].set_color("white" if dx[i, j] > 2.5 else "black")
        ax_x.set_title("input $x$ (shade: windows)")
        name = pooling
        ax_out.set_title(f"{name}, stride {stride}: {n}×{n}")
        ax_dx.set_title(r"$\partial L/\partial x$ when all $\partial L/\partial y = 1$")

    update()
    return update


# ----------------------------------------------------------------------------- robustness to small shifts

_SOBEL = np.array(
    [
        [[[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]],  # dark to bright, left to right
        [[[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]],  # dark to bright, top to bottom
    ]
)
#: 3×3 edge detectors (Sobel, both directions, both signs), shape (4, 1, 3, 3): ReLU keeps one sign each
EDGE_KERNELS = np.concatenate([_SOBEL, -_SOBEL])
#: the poolings of the experiment: name -> layer (None: the convolution's output itself)
POOLINGS = {
    "none": None,
    "max 2×2": MaxPool2d(2),
    "average 2×2": AvgPool2d(2),
    "max 4×4": MaxPool2d(4),
}
#: horizontal shifts in pixels (positive: to the right)
SHIFTS = (-2, -1, 0, 1, 2)


def shift_images(images, dx: int) -> np.ndarray:
    """Shift images ``(..., H, W)`` by ``dx`` pixels to the right (left if negative), filling with 0.

    Unlike ``np.roll``, nothing wraps around: the columns pushed out are lost.
    """
    images = np.asarray(images, dtype=float)
    if isinstance(dx, bool) or not isinstance(dx, (int, np.integer)):
        raise TypeError(f"dx must be an int, got {type(dx).__name__} {dx!r}")
    width = images.shape[-1]
    out = np.zeros_like(images)
    if abs(dx) >= width:
        return out
    if dx >= 0:
        out[..., dx:] = images[..., : width - dx]
    else:
        out[..., : width + dx] = images[..., -dx:]
    return out


def edge_features(images, pooling: str = "none") -> np.ndarray:
    """The features of images ``(N, H, W)``: edge convolution (pad 1), ReLU, then the pooling; ``(N, 4, OH, OW)``."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {list(POOLINGS)}, got {pooling!r}")
    images = np.asarray(images, dtype=float)
    conv = Conv2d(EDGE_KERNELS, np.zeros(len(EDGE_KERNELS)), pad=1)
    maps = relu(conv.forward(images[:, None]))  # (N, 4, H, W)
    layer = POOLINGS[pooling]
    return maps if layer is None else layer.forward(maps)


@dataclass(frozen=True, eq=False)
class ShiftExperiment:
    """How much the features of the test digits change when the digits move sideways.

    Attributes
    ----------
    image : (8, 8) ndarray
        The digit the figure shows.
    features : dict
        ``features[pooling][shift]``: the shown digit's features, summed over the 4 channels, ``(OH, OW)``.
    change : dict
        ``change[pooling]``: ``(len(SHIFTS),)`` mean over the test digits of
        ``‖f(shifted) − f(x)‖ / ‖f(x)‖``.
    """

    image: np.ndarray
    features: dict
    change: dict


@functools.cache
def shift_experiment(seed: int = 0, index: int = 0) -> ShiftExperiment:
    """Shift every test digit of ``load_digits_split(seed=seed)`` by each of :data:`SHIFTS`; cached."""
    digits = load_digits_split(seed=seed, flatten=False)
    images = digits.X_test  # (N, 8, 8), in [0, 1]
    features, change = {}, {}
    for pooling in POOLINGS:
        base = edge_features(images, pooling).reshape(len(images), -1)  # (N, D)
        norms = np.linalg.norm(base, axis=1)
        features[pooling], change[pooling] = {}, np.zeros(len(SHIFTS))
        for k, s in enumerate(SHIFTS):
            maps = edge_features(shift_images(images, s), pooling)  # (N, 4, OH, OW)
            moved = maps.reshape(len(images), -1)  # (N, D)
            change[pooling][k] = np.mean(np.linalg.norm(moved - base, axis=1) / norms)
            features[pooling][s] = maps[index].sum(axis=0)  # (OH, OW)
    return ShiftExperiment(images[index], features, change)


_COLORS = {"none": "C7", "max 2×2": "C3", "average 2×2": "C0", "max 4×4": "C2"}


def plot_shift_robustness(fig, shift: int = 1, pooling: str = "max 2×2"):
    """A test digit shifted by ``shift`` pixels, its pooled edge features before and after, and the mean change.

    ``shift`` is the main control; ``pooling`` picks none, 2×2 max or
    average, or 4×4 max pooling after the edge convolution and ReLU. The
    right panel shows, for every pooling, the mean relative change of the
    features of the test digits against the shift (:func:`shift_experiment`).
    Returns the updater.
    """
    experiment = shift_experiment()
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.6], "wspace": 0.25})
    ax_img, ax_before, ax_after, ax_curve = axes
    extent = (-0.5, 7.5, 7.5, -0.5)  # every feature map over the digit's 8×8 pixels
    top = max(float(np.max(f[s])) for f in experiment.features.values() for s in SHIFTS)
    shown = ax_img.imshow(experiment.image, cmap="Greys", vmin=0, vmax=1, extent=extent)
    before = ax_before.imshow(np.zeros((8, 8)), cmap="magma", vmin=0, vmax=top, extent=extent)
    after = ax_after.imshow(np.zeros((8, 8)), cmap="magma", vmin=0, vmax=top, extent=extent)
    for ax in (ax_img, ax_before, ax_after):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        lines = {}
    for name, change in experiment.change.items():
        (lines[name],) = ax_curve.plot(SHIFTS, change, "o-", color=_COLORS[name], label=name, markersize=4)
    (marker,) = ax_curve.plot([], [], "o", markersize=11, markerfacecolor="none", markeredgecolor="black")
    ax_curve.set_xlabel("shift (pixels)")
    ax_curve.set_ylabel("mean relative change")
    ax_curve.xaxis.set_major_locator(FixedLocator(list(SHIFTS)))
    ax_curve.set_xlim(SHIFTS[0] - 0.3, SHIFTS[-1] + 0.3)
    ax_curve.set_ylim(0, 1.75)
    ax_curve.legend(loc="upper center", fontsize=8, ncols=2, frameon=False)
    ax_curve.set_title("test digits")

    def update(shift=shift, pooling=pooling):
        if shift not in SHIFTS:
            raise ValueError(f"shift must be one of {list(SHIFTS)}, got {shift!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {list(POOLINGS)}, got {pooling!r}")
        shown.set_data(shift_images(experiment.image, shift))
        before.set_data(experiment.features[pooling][0])
        after.set_data(experiment.features[pooling][shift])
        for name, line in lines.items():
            line.set_linewidth(2.5 if name == pooling else 1.0)
            line.set_alpha(1.0 if name == pooling else 0.45)
        k = SHIFTS.index(shift)
        marker.set_data([shift], [experiment.change[pooling][k]])
        ax_img.set_title(f"shifted by {shift:+d}" if shift else "not shifted")
        ax_before.set_title("features" if pooling == "none" else pooling)
        ax_after.set_title("after the shift")

    update()
    return update
