"""Figures of chapter 10, convolution (``chapters/10_convolution.md``).

* :func:`plot_feature_map`: a handwritten digit (one of the 8×8 digits,
  resampled to :data:`IMAGE_SIZE` × :data:`IMAGE_SIZE` pixels so that a 3×3
  kernel has something to slide over), one kernel of :data:`KERNELS` and the
  feature map it produces, for a stride and a padding. Every feature map is
  computed with :class:`dlscratch.conv.Conv2d` when the figure is built
  (5 kernels × 2 strides × 3 paddings, a few milliseconds), so a redraw only
  swaps images.
* :func:`plot_im2col`: what :func:`dlscratch.conv.im2col` does, on the
  4×4 input ``0 … 15`` and the 3×3 diagonal kernel (the identity matrix): the receptive field of one output
  position, the row of the unfolded matrix it becomes, and the output entry
  that row's product with the flattened kernel gives.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.patches import Rectangle

from ..conv import Conv2d, im2col
from ..data import load_digits_split

__all__ = [
    "IMAGE_SIZE",
    "KERNELS",
    "PADS",
    "STRIDES",
    "digit_image",
    "feature_maps",
    "plot_feature_map",
    "plot_im2col",
    "resample",
]

#: the side of the resampled digit: odd, so that stride 2 fits a 3×3 kernel for every padding of PADS
IMAGE_SIZE = 25
STRIDES = (1, 2)
PADS = (0, 1, 2)
#: name -> 3×3 kernel (cross-correlation: the kernel is applied as written, not flipped)
KERNELS = {
    "vertical edge": np.array([[1.0, 0.0, -1.0]] * 3),  # the notes' edge detector
    "horizontal edge": np.array([[1.0, 0.0, -1.0]] * 3).T,
    "blur": np.full((3, 3), 1.0 / 9.0),
    "sharpen": np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    "identity": np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
}
_LARGEST = IMAGE_SIZE + 2 * max(PADS)  # the padded input and (stride 1) output fit in this many pixels


def resample(image: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resampling of a square ``(n, n)`` image to ``(size, size)``, pixel centres aligned at the corners."""
    n = image.shape[0]
    grid = np.linspace(0.0, n - 1.0, size)  # (size,) positions in input pixels
    rows = np.array([np.interp(grid, np.arange(n), row) for row in image])  # (n, size)
    return np.array([np.interp(grid, np.arange(n), col) for col in rows.T]).T  # (size, size)


@functools.cache
def digit_image() -> np.ndarray:
    """The first training digit 4 of ``load_digits_split(seed=0)`` (values in [0, 1]), (IMAGE_SIZE, IMAGE_SIZE)."""
    digits = load_digits_split(seed=0, flatten=False)
    image = digits.X_train[np.flatnonzero(digits.y_train == 4)[0]]  # (8, 8), values in [0, 1]
    out = resample(image, IMAGE_SIZE)
    out.setflags(write=False)
    return out


@functools.cache
def feature_maps() -> dict[tuple[str, int, int], np.ndarray]:
    """(kernel, stride, pad) -> the feature map (OH, OW) of :func:`digit_image`; computed once, read-only."""
    x = digit_image()[None, None]  # (1, 1, H, W)
    maps = {}
    for name, kernel in KERNELS.items():
        for stride in STRIDES:
            for pad in PADS:
                layer = Conv2d(kernel[None, None].copy(), np.zeros(1), stride=stride, pad=pad)
                out = layer.forward(x)[0, 0]  # (OH, OW)
                out.setflags(write=False)
                maps[name, stride, pad] = out
    return maps


def _check(kernel, stride, pad) -> None:
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {list(KERNELS)}, got {kernel!r}")
    if stride not in STRIDES:
        raise ValueError(f"stride must be one of {list(STRIDES)}, got {stride!r}")
    if pad not in PADS:
        raise ValueError(f"pad must be one of {list(PADS)}, got {pad!r}")


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def plot_feature_map(fig, kernel: str = "vertical edge", stride: int = 1, pad: int = 0):
    """A digit, a 3×3 kernel and the feature map it gives, for a stride and a zero padding.

    ``kernel`` is the main control (edges, blur, sharpen, identity).
    The input panel shows the padded image (the zeros of the padding in a
    frame); the output panel draws the feature map at the same scale, one
    square per output value, so that padding and stride visibly change its
    size. Its colours are scaled to the map's largest absolute value (red
    positive, blue negative). Returns the updater.
    """
    maps = feature_maps()
    image = digit_image()
    ax_in, ax_k, ax_out = fig.subplots(1, 3, width_ratios=(1, 0.45, 1))
    shown_in = ax_in.imshow(np.zeros((_LARGEST, _LARGEST)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    pad_frame = Rectangle((0, 0), 1, 1, fill=False, edgecolor="C1", lw=1.2, ls="--")
    ax_in.add_patch(pad_frame)
    shown_k = ax_k.imshow(np.zeros((3, 3)), cmap="RdBu_r", vmin=-5, vmax=5, interpolation="nearest")
    kernel_texts = [[ax_k.text(j, i, "", ha="center", va="center", fontsize=9) for j in range(3)] for i in range(3)]
    shown_out = ax_out.imshow(np.zeros((2, 2)), cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    for ax in (ax_in, ax_out):
        _bare(ax)
        ax.set_xlim(-0.5, _LARGEST - 0.5)
        ax.set_ylim(_LARGEST - 0.5, -0.5)
    _bare(ax_k)
    ax_k.set_xlim(-0.5, 2.5)
    ax_k.set_ylim(2.5, -0.5)
    ax_k.set_title("kernel 3×3")
    caption = ax_in.text(0.5, -0.04, "", transform=ax_in.transAxes, ha="center", va="top", fontsize=10)
    out_caption = ax_out.text(0.5, -0.04, "", transform=ax_out.transAxes, ha="center", va="top", fontsize=10)

    def update(kernel=kernel, stride=stride, pad=pad):
        _check(kernel, stride, pad)
        padded = np.pad(image, pad)  # (H + 2P, W + 2P)
        shown_in.set_data(padded)
        side = padded.shape[0]
        shown_in.set_extent((-0.5, side - 0.5, side - 0.5, -0.5))
        pad_frame.set_bounds(pad - 0.5, pad - 0.5, IMAGE_SIZE, IMAGE_SIZE)
        pad_frame.set_visible(pad > 0)
        ax_in.set_title(f"input {IMAGE_SIZE}×{IMAGE_SIZE}, padding {pad}")
        caption.set_text("dashed: the image inside its zeros" if pad else "no padding")
        weights = KERNELS[kernel]
        shown_k.set_data(weights)
        for i in range(3):
            for j in range(3):
                value = weights[i, j]
                kernel_texts[i][j].set_text("1/9" if np.isclose(value, 1 / 9) else f"{value:g}")
        out = maps[kernel, stride, pad]
        scale = max(float(np.abs(out).max()), 1e-12)
        shown_out.set_data(out)
        shown_out.set_clim(-scale, scale)
        rows, cols = out.shape
        shown_out.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
        ax_out.set_title(f"feature map {rows}×{cols}, stride {stride}")
        out_caption.set_text(f"values from {out.min():.2f} to {out.max():.2f}")

    update()
    return update


#: the im2col figure's input: 4×4, the values 0 … 15, and its 3×3 kernel
_IM2COL_INPUT = np.arange(16.0).reshape(4, 4)
_IM2COL_KERNEL = np.eye(3)  # the diagonal: output = x[i, j] + x[i + 1, j + 1] + x[i + 2, j + 2]


def plot_im2col(fig, position: int = 0):
    """One receptive field of a 4×4 input, its row of the im2col matrix, and its output entry.

    ``position`` (0 … 3) is the output position in row-major order: (0, 0),
    (0, 1), (1, 0), (1, 1). Returns the updater.
    """
    x = _IM2COL_INPUT
    col = im2col(x[None, None], 3, 3)  # (4, 9): one row per output position
    out = col @ _IM2COL_KERNEL.ravel()  # (4,)
    ax_in, ax_col, ax_out = fig.subplots(1, 3, width_ratios=(4, 9, 1.3))
    for ax, values in ((ax_in, x), (ax_col, col), (ax_out, out[:, None])):
        rows, cols = values.shape
        ax.imshow(np.zeros_like(values), cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        for i in range(rows):
            for j in range(cols):
                ax.text(j, i, f"{values[i, j]:g}", ha="center", va="center", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)
    ax_in.set_title("input x (4×4)")
    ax_col.set_title("im2col(x, 3, 3): one row per field (4×9)")
    ax_out.set_title("output")
    field = Rectangle((0, 0), 3, 3, facecolor="C1", alpha=0.35, edgecolor="C1", lw=2)
    row = Rectangle((-0.5, 0), 9, 1, facecolor="C1", alpha=0.35, edgecolor="C1", lw=2)
    entry = Rectangle((-0.5, 0), 1, 1, facecolor="C1", alpha=0.35, edgecolor="C1", lw=2)
    for ax, patch in ((ax_in, field), (ax_col, row), (ax_out, entry)):
        ax.add_patch(patch)
    caption = fig.text(0.5, 0.02, "", ha="center", va="bottom", fontsize=10)

    def update(position=position):
        if position not in range(4):
            raise ValueError(f"position must be 0, 1, 2 or 3, got {position!r}")
        i, j = divmod(int(position), 2)
        field.set_xy((j - 0.5, i - 0.5))
        row.set_xy((-0.5, position - 0.5))
        entry.set_xy((-0.5, position - 0.5))
        caption.set_text(
            f"output ({i}, {j}) = row {position} · the flattened kernel [1, 0, 0, 0, 1, 0, 0, 0, 1] = {out[position]:g}"
        )

    update()
    return update
