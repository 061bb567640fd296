"""Figures of chapter 8, batch normalization (``chapters/08_batch_norm.md``).

The main experiment, computed once (cached) the first time it is asked for:
:func:`training_runs` trains the network :data:`MLP_SIZES` (four hidden ReLU
layers of 100 units) on the 8×8 digits with plain SGD, without and with batch
normalization (:class:`~dlscratch.mlp.MLP` with ``batch_norm=True``), for every
learning rate of :data:`LRS` and every weight scale of :data:`INIT_STDS`: 18
runs of :data:`NUM_EPOCHS` epochs, about 3 s in all. A run whose numbers
overflow (a network without batch normalization and large weights) is stopped
and marked as diverged. :func:`plot_bn_training` draws one cell of the grid.

Two helpers for the chapter's other measurements: :func:`preactivations`
(what each hidden Affine layer hands on, the values batch normalization
would normalize) and :func:`small_data_runs` (the same network trained on
only :data:`SMALL_TRAIN_SIZE` images, where a regularizer shows).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import MultipleLocator

__all__ = [
    "BATCH_SIZE",
    "INIT_STDS",
    "LOSS_LIMITS",
    "LRS",
    "MLP_SIZES",
    "NUM_EPOCHS",
    "SMALL_BATCH_SIZE",
    "SMALL_NUM_EPOCHS",
    "SMALL_TRAIN_SIZE",
    "Run",
    "plot_bn_training",
    "preactivations",
    "small_data_runs",
    "training_run",
    "training_runs",
]

#: the network of the experiment: 64 pixels, four hidden layers of 100 units, 10 classes
MLP_SIZES = (64, 100, 100, 100, 100, 10)
#: the learning rates of plain SGD
LRS = (0.01, 0.1, 1.0)
#: name -> the standard deviation of the initial weights (He's for these layers is about 0.14)
INIT_STDS = {"std 0.01": 0.01, "std 0.1": 0.1, "std 1": 1.0}
NUM_EPOCHS = 10
BATCH_SIZE = 100
#: the y-range of the loss panel (log scale); every finite loss of the grid lies inside, for seeds 0, 1, 2
LOSS_LIMITS = (1e-3, 1e5)
_COLORS = {False: "C3", True: "C0"}
_NAMES = {False: "without BN", True: "with BN"}


@dataclass(frozen=True, eq=False)
class Run:
    """One training run: index 0 before training, index ``e`` after epoch ``e`` (NaN after a divergence).

    Attributes
    ----------
    train_loss, test_loss, train_accuracy, test_accuracy : (NUM_EPOCHS + 1,) ndarray
        As :class:`dlscratch.mlp.TrainingHistory` records them.
    diverged : int or None
        The epoch in which the numbers overflowed (the run stopped there), or None.
    """

    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged: int | None


@functools.cache
def _digits():
    from ..data import load_digits_split  # imported late: the plots package must not need the data to import

    return load_digits_split(seed=0, standardize=True)


def _check(lr: float, init: str) -> None:
    if lr not in LRS:
        raise ValueError(f"lr must be one of {list(LRS)}, got {lr!r}")
    if init not in INIT_STDS:
        raise ValueError(f"init must be one of {list(INIT_STDS)}, got {init!r}")


@functools.cache
def training_run(batch_norm: bool, lr: float, init: str, seed: int = 0) -> Run:
    """Train the :data:`MLP_SIZES` network with plain SGD for :data:`NUM_EPOCHS` epochs; cached.

    The weights are drawn from ``N(0, std²)`` (``std = INIT_STDS[init]``) with
    ``np.random.default_rng(seed)``, the batches (of :data:`BATCH_SIZE`)
    shuffled with ``np.random.default_rng(seed + 100)``, the same for every
    setting; the data are ``load_digits_split(seed=0, standardize=True)``.
    An overflow or a non-finite logit stops a run; it is then trained again
    one epoch at a time, to record the epoch it diverged in as ``diverged``.
    """
    from ..mlp import MLP, train
    from ..optim import SGD

    _check(lr, init)
    split = _digits()
    batch_norm = bool(batch_norm)
    # All epochs in one call of train; a run that overflows is trained again one epoch at a time, to find the
    # epoch it diverged in (only the networks without batch normalization and weights of std 1 do, in epoch 1).
    for num_epochs in (NUM_EPOCHS, 1):
        model = MLP(list(MLP_SIZES), init=INIT_STDS[init], rng=np.random.default_rng(seed), batch_norm=batch_norm)
        optimizer, shuffle = SGD(lr=lr), np.random.default_rng(seed + 100)
        columns = np.full((4, NUM_EPOCHS + 1), np.nan)  # train loss, test loss, train accuracy, test accuracy
        diverged = None
        for first in range(0, NUM_EPOCHS, num_epochs):
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                    history = train(
                        model,
                        split.X_train,
                        split.y_train,
                        optimizer=optimizer,
                        num_epochs=num_epochs,
                        batch_size=BATCH_SIZE,
                        rng=shuffle,
                        X_test=split.X_test,
                        y_test=split.y_test,
                    )
            except (FloatingPointError, ValueError):  # overflow, or SoftmaxWithLoss refusing a non-finite logit
                diverged = first + 1
                break
            values = (history.train_loss, history.test_loss, history.train_accuracy, history.test_accuracy)
            for row, value in enumerate(values):
                columns[row, first : first + num_epochs + 1] = value
        if diverged is None or num_epochs == 1:
            break
    columns.setflags(write=False)  # cached and shared: its rows are read-only views
    return Run(*columns, diverged=diverged)


def training_runs(seed: int = 0) -> dict[tuple[bool, float, str], Run]:
    """Every run of the grid: ``{(batch_norm, lr, init): Run}`` (each computed once, cached)."""
    return {
        (batch_norm, lr, init): training_run(batch_norm, lr, init, seed)
        for batch_norm in (False, True)
        for lr in LRS
        for init in INIT_STDS
    }


def _final(run: Run) -> str:
    if run.diverged is not None:
        return f"diverged in epoch {run.diverged}"
    return f"{run.test_accuracy[-1]:.2f}"


def plot_bn_training(fig, lr: float = 0.1, init: str = "std 0.1"):
    """Training loss (left) and test accuracy (right) per epoch, without and with batch normalization.

    ``lr`` (0.01, 0.1, 1) and ``init`` (weights of std 0.01, 0.1 or 1) pick
    one cell of the :func:`training_runs` grid (computed once). A run that
    overflowed stops at the epoch it diverged in; the legend says so.
    Returns the updater.
    """
    training_runs()  # all 18 runs now (about 3 s, once), so that a redraw only sets line data
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = np.arange(NUM_EPOCHS + 1)
    loss_lines, acc_lines = {}, {}
    for batch_norm, color in _COLORS.items():
        empty = np.full(epochs.shape, np.nan)
        (loss_lines[batch_norm],) = ax_loss.plot(epochs, empty, "o-", ms=3, color=color, label=_NAMES[batch_norm])
        (acc_lines[batch_norm],) = ax_acc.plot(epochs, empty, "o-", ms=3, color=color, label=_NAMES[batch_norm])
    ax_loss.axhline(math.log(10), color="k", lw=0.8, ls="--")
    ax_loss.text(NUM_EPOCHS, math.log(10) * 1.3, r"$\ln 10$: chance", ha="right", va="bottom", fontsize=10)
    # a log scale: the losses run from 10⁴ (weights of std 1 at the start) to below 0.01
    ax_loss.set_yscale("log")
    ax_loss.set(xlabel="epoch", ylabel="training loss", ylim=LOSS_LIMITS, xlim=(-0.5, NUM_EPOCHS + 0.5))
    ax_acc.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.0, 1.02), xlim=(-0.5, NUM_EPOCHS + 0.5))
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MultipleLocator(2))  # whole epochs in every frame
    legend = ax_acc.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="final test accuracy")

    def update(lr=lr, init=init):
        _check(lr, init)
        for text, batch_norm in zip(legend.get_texts(), (False, True), strict=True):
            run = training_run(batch_norm, lr, init, 0)  # the cache key of training_runs()
            loss_lines[batch_norm].set_ydata(run.train_loss)
            acc_lines[batch_norm].set_ydata(run.test_accuracy)
            text.set_text(f"{_NAMES[batch_norm]}: {_final(run)}")
        ax_loss.set_title(f"training loss, lr {lr:g}, {init}")
        ax_acc.set_title(f"test accuracy, lr {lr:g}, {init}")

    update(lr, init)
    return update


# ----------------------------------------------------------------------------- helpers of the chapter


def preactivations(model, x) -> list[np.ndarray]:
    """The outputs of the hidden Affine layers of ``model`` (an :class:`~dlscratch.mlp.MLP`) for ``x``, in eval mode.

    Parameters
    ----------
    model : MLP
    x : (N, D) ndarray

    Returns
    -------
    list of (N, H_l) ndarray
        One array per hidden layer: the pre-activations, before any batch normalization.
    """
    outputs = []
    for name, layer in model.layers.items():
        x = layer.forward(x, train=False) if name.startswith(("BatchNorm", "Dropout")) else layer.forward(x)
        if name.startswith("Affine"):
            outputs.append(x)
    return outputs[:-1]  # the last Affine layer gives the logits


#: the small-data experiment: this many training images, drawn at random, ...
SMALL_TRAIN_SIZE = 300
#: ... trained for this many epochs in batches of this size (SGD, lr 0.1, He's weights)
SMALL_NUM_EPOCHS = 30
SMALL_BATCH_SIZE = 30


@functools.cache
def small_data_runs(seed: int = 0) -> dict[bool, object]:
    """Train the :data:`MLP_SIZES` network on :data:`SMALL_TRAIN_SIZE` training images, without and with BN.

    The images are drawn with ``np.random.default_rng(seed)``, which also draws
    He's initial weights; the batches (of :data:`SMALL_BATCH_SIZE`, for
    :data:`SMALL_NUM_EPOCHS` epochs, SGD with ``lr = 0.1``) are shuffled with
    ``np.random.default_rng(seed + 100)``; the test set is the full one.
    Returns ``{batch_norm: TrainingHistory}``; cached.
    """
    from ..mlp import MLP, train
    from ..optim import SGD

    split = _digits()
    chosen = np.random.default_rng(seed).choice(len(split.X_train), SMALL_TRAIN_SIZE, replace=False)  # (n,)
    runs = {}
    for batch_norm in (False, True):
        model = MLP(list(MLP_SIZES), init="he", rng=np.random.default_rng(seed), batch_norm=batch_norm)
        runs[batch_norm] = train(
            model,
            split.X_train[chosen],
            split.y_train[chosen],
            optimizer=SGD(lr=0.1),
            num_epochs=SMALL_NUM_EPOCHS,
            batch_size=SMALL_BATCH_SIZE,
            rng=np.random.default_rng(seed + 100),
            X_test=split.X_test,
            y_test=split.y_test,
        )
    return runs
