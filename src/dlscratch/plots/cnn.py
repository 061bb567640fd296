"""Figures of chapter 12, a CNN from scratch (``chapters/12_cnn_from_scratch.md``).

One experiment, computed once (cached) the first time it is asked for:

* :func:`digits_cnn_run`: a :class:`~dlscratch.nets.SimpleConvNet` (32 kernels
  of 3×3, "same" padding, ReLU, 2×2 max pooling, 100 hidden units) trained on
  the 8×8 digits (``load_digits_split(seed=0, flatten=False)``, pixels in
  [0, 1]) with :class:`~dlscratch.optim.Adam` (``lr`` :data:`LR`) in batches of
  :data:`BATCH_SIZE` for :data:`NUM_EPOCHS` epochs, by
  :func:`dlscratch.mlp.train` called one epoch at a time, so that the
  first-layer kernels can be kept after every epoch (4-8 s on two cores).
  Calling ``train`` epoch by epoch with the same optimizer and generator is
  the same run as one call for all the epochs: ``train`` draws one permutation
  per epoch from ``rng`` and nothing else, and the optimizer keeps its state.

:func:`plot_cnn_filters` shows the first :data:`SHOWN_FILTERS` kernels and the
feature maps they make of one test digit, at any epoch of that run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..conv import Conv2d
from ..mlp import TrainingHistory

__all__ = [
    "BATCH_SIZE",
    "LR",
    "NUM_EPOCHS",
    "SHOWN_FILTERS",
    "CNNRun",
    "digits",
    "digits_cnn_run",
    "example_images",
    "feature_maps",
    "plot_cnn_filters",
]

NUM_EPOCHS = 20
BATCH_SIZE = 32
LR = 0.001
#: how many of the 32 first-layer kernels the figure shows (the first ones: no picking of nice ones)
SHOWN_FILTERS = 8


@functools.cache
def digits():
    """``load_digits_split(seed=0, flatten=False)``: 1438 training and 359 test images (8, 8) in [0, 1]."""
    from ..data import load_digits_split  # imported late: the plots package must not need the data to import

    return load_digits_split(seed=0, flatten=False)


@dataclass(frozen=True, eq=False)
class CNNRun:
    """A trained :class:`~dlscratch.nets.SimpleConvNet` and what was recorded on the way.

    Attributes
    ----------
    net : SimpleConvNet
        The network after the last epoch.
    history : TrainingHistory
        Loss and accuracy before training (index 0) and after every epoch.
    kernels : (NUM_EPOCHS + 1, FN, 1, 3, 3) ndarray
        ``W1`` before training (index 0) and after every epoch.
    biases : (NUM_EPOCHS + 1, FN) ndarray
        ``b1`` likewise.
    """

    net: object
    history: TrainingHistory
    kernels: np.ndarray
    biases: np.ndarray


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    return int(seed)


def digits_cnn_run(seed: int = 0, num_epochs: int = NUM_EPOCHS) -> CNNRun:
    """Train the chapter's :class:`~dlscratch.nets.SimpleConvNet` on the digits; cached.

    The weights are drawn with ``np.random.default_rng(seed)``, the batches
    shuffled with ``np.random.default_rng(seed + 100)``. The returned arrays
    are read-only (they are cached and shared, however the arguments are
    spelled); the network is not, so do not train it further.
    """
    seed = _check_seed(seed)
    if isinstance(num_epochs, bool) or not isinstance(num_epochs, (int, np.integer)) or num_epochs < 1:
        raise ValueError(f"num_epochs must be an int >= 1, got {num_epochs!r}")
    return _digits_cnn_run(seed, int(num_epochs))


@functools.cache
def _digits_cnn_run(seed: int, num_epochs: int) -> CNNRun:
    from ..mlp import train
    from ..nets import SimpleConvNet
    from ..optim import Adam

    split = digits()
    X, X_test = split.X_train[:, None], split.X_test[:, None]  # (N, 1, 8, 8)
    net = SimpleConvNet(rng=np.random.default_rng(seed))
    optimizer, batches = Adam(lr=LR), np.random.default_rng(seed + 100)
    kernels, biases = [net.params["W1"].copy()], [net.params["b1"].copy()]
    rows = []
    for _ in range(num_epochs):
        history = train(
            net,
            X,
            split.y_train,
            optimizer=optimizer,
            num_epochs=1,
            batch_size=BATCH_SIZE,
            rng=batches,
            X_test=X_test,
            y_test=split.y_test,
        )
        if not rows:
            rows.append([h[0] for h in _columns(history)])  # before training
        rows.append([h[1] for h in _columns(history)])
        kernels.append(net.params["W1"].copy())
        biases.append(net.params["b1"].copy())
    columns = np.array(rows).T  # (4, num_epochs + 1)
    arrays = [np.stack(kernels), np.stack(biases), *columns]
    for array in arrays:
        array.setflags(write=False)
    return CNNRun(net, TrainingHistory(*arrays[2:]), arrays[0], arrays[1])


def _columns(history: TrainingHistory) -> tuple[np.ndarray, ...]:
    return history.train_loss, history.test_loss, history.test_accuracy, history.train_accuracy


@functools.cache
def example_images() -> dict[int, int]:
    """digit -> the index of its first image in the test split."""
    y_test = digits().y_test
    return {digit: int(np.flatnonzero(y_test == digit)[0]) for digit in range(10)}


def feature_maps(kernels, biases, image) -> np.ndarray:
    """ReLU of the "same"-padded correlation of one image with each kernel: (FN, H, W).

    Parameters
    ----------
    kernels : (FN, 1, K, K) array_like
    biases : (FN,) array_like
    image : (H, W) array_like
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image must have shape (H, W), got {image.shape}")
    kernels = np.asarray(kernels, dtype=float)
    if kernels.ndim != 4 or kernels.shape[1] != 1:
        raise ValueError(f"kernels must have shape (FN, 1, K, K), got {kernels.shape}")
    pad = (kernels.shape[2] - 1) // 2
    out = Conv2d(kernels, np.asarray(biases, dtype=float), pad=pad).forward(image[None, None])  # (1, FN, H, W)
    return np.maximum(out[0], 0.0)


def plot_cnn_filters(fig, epoch: int = NUM_EPOCHS, digit: int = 3):
    """The first :data:`SHOWN_FILTERS` first-layer kernels (top) and their feature maps of one test digit (bottom).

    ``epoch`` (0 = the random initial kernels, up to :data:`NUM_EPOCHS`) is
    the main control; ``digit`` picks the test image (the first one of that
    class). Kernels share one colour scale over all epochs, so a kernel that
    grows gets darker; the feature maps (after ReLU) share one scale per
    frame. Returns the updater.
    """
    run = digits_cnn_run()
    kernels = run.kernels[:, :SHOWN_FILTERS, 0]  # (E + 1, 8, 3, 3)
    top = float(np.abs(kernels).max())
    images = digits().X_test
    grid = fig.add_gridspec(2, SHOWN_FILTERS + 1, wspace=0.15, hspace=0.25)
    ax_image = fig.add_subplot(grid[:, 0])
    shown_image = ax_image.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax_image.set_title("input")
    kernel_images, map_images, kernel_axes = [], [], []
    for k in range(SHOWN_FILTERS):
        ax_k = fig.add_subplot(grid[0, k + 1])
        ax_m = fig.add_subplot(grid[1, k + 1])
        kernel_images.append(ax_k.imshow(np.zeros((3, 3)), cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest"))
        map_images.append(ax_m.imshow(np.zeros((8, 8)), cmap="magma", vmin=0, vmax=1, interpolation="nearest"))
        ax_k.set_title(f"kernel {k + 1}", fontsize=9)
        kernel_axes.append(ax_k)
    for ax in fig.axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.axes[1].set_ylabel("kernel", fontsize=9)
    fig.axes[2].set_ylabel("feature map", fontsize=9)
    title = fig.suptitle("")

    def update(epoch=epoch, digit=digit):
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 0 <= epoch < len(kernels):
            raise ValueError(f"epoch must be an int in [0, {len(kernels) - 1}], got {epoch!r}")
        if digit not in example_images():
            raise ValueError(f"digit must be one of 0..9, got {digit!r}")
        image = images[example_images()[digit]]  # (8, 8)
        maps = feature_maps(run.kernels[epoch], run.biases[epoch], image)[:SHOWN_FILTERS]  # (8, 8, 8)
        shown_image.set_data(image)
        scale = max(float(maps.max()), 1e-12)
        for k in range(SHOWN_FILTERS):
            kernel_images[k].set_data(kernels[epoch, k])
            map_images[k].set_data(maps[k])
            map_images[k].set_clim(0, scale)
        accuracy = run.history.test_accuracy[epoch]
        when = "before training" if epoch == 0 else f"after epoch {epoch}"
        title.set_text(f"First-layer kernels and feature maps {when} (test accuracy {accuracy:.3f})")

    update(epoch, digit)
    return update
