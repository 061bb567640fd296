"""Figures of chapter 4's capstone, softmax regression on the digits (``chapters/04_numerical_gradient.md``).

Both figures read the same training runs: full-batch gradient descent from
zero weights on the 8x8 digits (``load_digits_split(seed=0)``, pixels in
[0, 1]), for :data:`MAX_STEPS` steps at each learning rate of
:data:`LEARNING_RATES`. A run is computed once, the first time a figure asks
for it (about 0.1 s), and cached; a redraw only moves artists.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullLocator

from ..softmax_regression import SoftmaxRegression, TrainingHistory, train

__all__ = ["LEARNING_RATES", "MAX_STEPS", "WEIGHTS_EVERY", "plot_training_curves", "plot_weight_images", "training_run"]

#: the learning rates the figures offer, from too small to large enough to spike the loss
LEARNING_RATES = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
#: every run is this long; a figure shows its first ``num_steps`` steps
MAX_STEPS = 300
#: the weights are recorded every this many steps
WEIGHTS_EVERY = 10


@functools.cache
def _digits():
    from ..data import load_digits_split  # imported late: the plots package must not need the data to import

    return load_digits_split(test_size=0.2, seed=0)


@functools.cache
def training_run(lr: float) -> TrainingHistory:
    """Train a zero-initialised :class:`SoftmaxRegression` on the digits for :data:`MAX_STEPS` steps at ``lr``.

    The test set is evaluated at every step (never trained on); ``W`` is
    recorded every :data:`WEIGHTS_EVERY` steps. Cached: each learning rate
    is trained once per process.
    """
    split = _digits()
    model = SoftmaxRegression(split.X_train.shape[1], 10)
    return train(
        model,
        split.X_train,
        split.y_train,
        lr=float(lr),
        num_steps=MAX_STEPS,
        X_test=split.X_test,
        y_test=split.y_test,
        weights_every=WEIGHTS_EVERY,
    )


def _check_run(lr, num_steps) -> TrainingHistory:
    if lr not in LEARNING_RATES:
        raise ValueError(f"lr must be one of {list(LEARNING_RATES)}, got {lr!r}")
    if not 0 <= num_steps <= MAX_STEPS:
        raise ValueError(f"num_steps must be in [0, {MAX_STEPS}], got {num_steps!r}")
    return training_run(float(lr))


def plot_training_curves(fig, lr: float = 3.0, num_steps: int = 200):
    """Train and test loss (left, log scale) and accuracy (right) against the step, for the first ``num_steps`` steps.

    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax_loss, ax_acc = fig.subplots(1, 2)
    lines = {}
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        (lines["train", key],) = ax.plot([], [], color="C0", lw=1.6, label="train")
        (lines["test", key],) = ax.plot([], [], "--", color="C1", lw=1.6, label="test")
        ax.set_xlabel("step $k$")
    ax_loss.set_yscale("log")
    ax_loss.set_yticks([0.01, 0.1, 1, 10, 100], ["0.01", "0.1", "1", "10", "100"])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_loss.set(ylabel="mean cross-entropy", ylim=(5e-3, 200))
    ax_acc.set(ylabel="accuracy", ylim=(0.7, 1.0))
    ax_acc.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))

    def update(lr=lr, num_steps=num_steps):
        run = _check_run(lr, num_steps)
        steps = np.arange(int(num_steps) + 1)
        for split in ("train", "test"):
            lines[split, "loss"].set_data(steps, getattr(run, f"{split}_loss")[steps])
            lines[split, "accuracy"].set_data(steps, getattr(run, f"{split}_accuracy")[steps])
        for ax in (ax_loss, ax_acc):
            ax.set_xlim(-0.02 * num_steps - 0.5, 1.02 * num_steps + 0.5)
        k = int(num_steps)
        ax_loss.set_title(f"loss: train {run.train_loss[k]:.3f}, test {run.test_loss[k]:.3f}")
        ax_acc.set_title(f"accuracy: train {run.train_accuracy[k]:.3f}, test {run.test_accuracy[k]:.3f}")

    update(lr, num_steps)
    return update


_TILE, _GAP, _BAND = 8, 1, 3  # 8x8 images, 1 pixel between columns, 3 above each row for its label


def _tile_origin(c: int) -> tuple[int, int]:
    """Row and column of the top-left pixel of class ``c``'s image in :func:`weight_mosaic`."""
    row, col = divmod(c, 5)
    return _BAND + row * (_TILE + _BAND), col * (_TILE + _GAP)


def weight_mosaic(W: np.ndarray) -> np.ndarray:
    """The 10 columns of ``W`` (64, 10) as 8x8 images in 2 rows of 5, NaN between them: a (22, 44) array."""
    W = np.asarray(W, dtype=float)
    if W.shape != (64, 10):
        raise ValueError(f"W must have shape (64, 10), got {W.shape}")
    mosaic = np.full((2 * (_BAND + _TILE), 5 * _TILE + 4 * _GAP), np.nan)  # (22, 44)
    images = W.T.reshape(10, _TILE, _TILE)  # (C, 8, 8): one image per class, row-major pixels
    for c, image in enumerate(images):
        top, left = _tile_origin(c)
        mosaic[top : top + _TILE, left : left + _TILE] = image
    return mosaic


def plot_weight_images(fig, num_steps: int = 200, lr: float = 3.0):
    """The weights of each class as an 8x8 image after ``num_steps`` steps (red: evidence for the class).

    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax = fig.subplots()
    height, width = weight_mosaic(np.zeros((64, 10))).shape
    image = ax.imshow(np.zeros((height, width)), cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    for c in range(10):
        top, left = _tile_origin(c)
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), _TILE, _TILE, fill=False, edgecolor="0.6", lw=0.8))
        ax.text(left + 3.5, top - 0.9, f"class {c}", ha="center", va="bottom", fontsize=10.5)
    ax.set(xticks=[], yticks=[], xlim=(-0.7, width - 0.3), ylim=(height - 0.3, -0.5))
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.9)
    # the same tick labels in every frame (each frame is scaled to its own largest weight), so the layout fits all
    colorbar.set_ticks([-1, 0, 1], labels=[r"$-\max|W|$", "0", r"$\max|W|$"])

    def update(num_steps=num_steps, lr=lr):
        run = _check_run(lr, num_steps)
        index = int(np.searchsorted(run.weight_steps, num_steps))
        if index == len(run.weight_steps) or run.weight_steps[index] != num_steps:
            raise ValueError(f"num_steps must be a multiple of {WEIGHTS_EVERY}, got {num_steps!r}")
        W = run.weights[index]  # (64, 10)
        largest = float(np.abs(W).max())
        image.set_data(weight_mosaic(W / largest if largest > 0 else W))  # at step 0 every weight is 0
        ax.set_title(rf"$W$ after {num_steps} steps at $\eta$ = {lr:g}: $\max|W|$ = {largest:.2g}")

    update(num_steps, lr)
    return update
