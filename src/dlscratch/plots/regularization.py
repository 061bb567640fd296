"""Figures of chapter 9, regularization (``chapters/09_regularization.md``).

Three experiments, each computed once (cached) the first time it is asked for:

* :func:`regularization_runs`: the network :data:`MLP_SIZES` (two hidden ReLU
  layers of 100 units) trained with plain SGD on a slice of only
  :data:`NUM_TRAIN` digits (ten per class on average) for :data:`NUM_EPOCHS`
  epochs, with each regularizer of :data:`REGULARIZERS` (none, L2 weight
  decay, dropout), evaluated on the validation split after every epoch
  (about 0.5 s per run). :func:`plot_regularization` draws the accuracy
  curves and the final weights.
* :func:`keep_fractions`: the share of a mask's entries that are kept, for a
  uniform draw ``U(0, 1) >= p`` (:class:`dlscratch.layers.Dropout`) and for
  the notes' normal draw ``N(0, 1) > p``. :func:`plot_dropout` shows a digit
  through one training mask, the average over many masks, and the kept share.
* :func:`search_trials`: a grid search and a random search of
  :data:`SEARCH_TRIALS` trials each over the learning rate and the weight
  decay (log scales, :data:`SEARCH_SPACE`) of a small network
  (:data:`SEARCH_SIZES`), scored by validation accuracy (about 1 s per
  search). :func:`plot_search` draws the trials one by one.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.ticker import FixedLocator, NullLocator

from ..regularization import Trial, best_trial, grid_search, random_search

__all__ = [
    "BATCH_SIZE",
    "DROPOUT_PS",
    "LR",
    "MLP_SIZES",
    "NUM_EPOCHS",
    "NUM_TRAIN",
    "REGULARIZERS",
    "SEARCH_EPOCHS",
    "SEARCH_GRID",
    "SEARCH_NUM_TRAIN",
    "SEARCH_SIZES",
    "SEARCH_SPACE",
    "SEARCH_TRIALS",
    "digits",
    "keep_fractions",
    "plot_dropout",
    "plot_regularization",
    "plot_search",
    "regularization_runs",
    "search_trials",
]

# ----------------------------------------------------------------------------- the data


@functools.cache
def digits():
    """``load_digits_split(test_size=0.2, val_size=0.2, seed=0, standardize=True)``: 1079 / 359 / 359 images."""
    from ..data import load_digits_split  # imported late: the plots package must not need the data to import

    return load_digits_split(test_size=0.2, val_size=0.2, seed=0, standardize=True)


# ----------------------------------------------------------------------------- regularizers on a small slice

#: 64 pixels, two hidden ReLU layers of 100 units, 10 classes: about 17 000 weights for 100 images
MLP_SIZES = (64, 100, 100, 10)
NUM_TRAIN = 100  # the first 100 training images (the split is in random order): 7 to 17 per class
LR = 0.1
BATCH_SIZE = 20
NUM_EPOCHS = 100
#: name -> keyword arguments of :class:`~dlscratch.mlp.MLP`
REGULARIZERS = {
    "none": {},
    "weight decay 0.01": {"weight_decay": 0.01},
    "weight decay 0.03": {"weight_decay": 0.03},
    "dropout 0.2": {"dropout": 0.2},
    "dropout 0.5": {"dropout": 0.5},
}


@functools.cache
def regularization_runs(seed: int = 0) -> dict:
    """Train the :data:`MLP_SIZES` network on :data:`NUM_TRAIN` digits with each regularizer; cached.

    Plain SGD (``lr`` :data:`LR`, batches of :data:`BATCH_SIZE`) for
    :data:`NUM_EPOCHS` epochs on ``digits().X_train[:NUM_TRAIN]``; the
    validation split (359 images) is evaluated after every epoch (passed to
    :func:`~dlscratch.mlp.train` as its held-out set). The weights are drawn
    with ``np.random.default_rng(seed)`` and the batches shuffled with
    ``np.random.default_rng(seed + 100)``, the same for every regularizer.

    Returns
    -------
    dict
        ``{name: (history, params)}``: the
        :class:`~dlscratch.mlp.TrainingHistory` (its ``test_*`` fields hold
        the validation scores) and the final parameters.
    """
    from ..mlp import MLP, train
    from ..optim import SGD

    split = digits()
    X, y = split.X_train[:NUM_TRAIN], split.y_train[:NUM_TRAIN]
    runs = {}
    for name, kwargs in REGULARIZERS.items():
        model = MLP(list(MLP_SIZES), rng=np.random.default_rng(seed), **kwargs)
        history = train(
            model,
            X,
            y,
            optimizer=SGD(lr=LR),
            num_epochs=NUM_EPOCHS,
            batch_size=BATCH_SIZE,
            rng=np.random.default_rng(seed + 100),
            X_test=split.X_val,
            y_test=split.y_val,
        )
        runs[name] = (history, {key: value.copy() for key, value in model.params.items()})
    return runs


_WEIGHT_EDGES = np.linspace(-0.8, 0.8, 41)


def _weight_histogram(params: dict) -> np.ndarray:
    """Share of the hidden layer's weights W2 (100 × 100) in each bin of :data:`_WEIGHT_EDGES` (the ends clipped)."""
    values = np.clip(params["W2"].ravel(), _WEIGHT_EDGES[0], _WEIGHT_EDGES[-1] - 1e-9)  # (10000,)
    counts, _ = np.histogram(values, _WEIGHT_EDGES)
    return counts / counts.sum()


def plot_regularization(fig, regularizer: str = "none"):
    """Left: training and validation accuracy per epoch with one regularizer (grey: without any).

    Right: the histogram of the hidden layer's weights ``W2`` after training,
    with the regularizer (colour) and without (grey outline), with the RMS of
    each. ``regularizer`` (a key of :data:`REGULARIZERS`) is the control; the
    runs are :func:`regularization_runs` (computed once). Returns the updater.
    """
    runs = regularization_runs()
    ax_acc, ax_w = fig.subplots(1, 2, width_ratios=(1.4, 1))
    epochs = np.arange(NUM_EPOCHS + 1)
    base, base_params = runs["none"]
    ax_acc.plot(epochs, base.train_accuracy, color="0.7", lw=1.2)
    ax_acc.plot(epochs, base.test_accuracy, color="0.7", lw=1.2, ls="--")
    (train_line,) = ax_acc.plot(epochs, base.train_accuracy, color="C0", lw=1.8, label="training")
    (val_line,) = ax_acc.plot(epochs, base.test_accuracy, color="C1", lw=1.8, ls="--", label="validation")
    gap_text = ax_acc.text(NUM_EPOCHS, 0.42, "", ha="right", va="bottom", fontsize=10.5)
    ax_acc.set(xlabel="epoch", ylabel="accuracy", xlim=(0, NUM_EPOCHS), ylim=(0.0, 1.03))
    ax_acc.legend(loc="lower right", bbox_to_anchor=(1.0, 0.02), title=None)
    centers = (_WEIGHT_EDGES[:-1] + _WEIGHT_EDGES[1:]) / 2
    width = _WEIGHT_EDGES[1] - _WEIGHT_EDGES[0]
    ax_w.stairs(_weight_histogram(base_params), _WEIGHT_EDGES, color="0.55", lw=1.2)
    bars = ax_w.bar(centers, np.zeros_like(centers), width=width, color="C2", alpha=0.75)
    rms_text = ax_w.text(0.03, 0.97, "", transform=ax_w.transAxes, ha="left", va="top", fontsize=10.5)
    ax_w.set(xlabel=r"hidden-layer weight $W_2$", ylabel="share of weights", xlim=(-0.8, 0.8))
    ax_w.xaxis.set_major_locator(FixedLocator([-0.5, 0.0, 0.5]))
    ax_w.xaxis.set_minor_locator(NullLocator())
    top = max(max(_weight_histogram(params).max() for _, params in runs.values()), 0.01)
    ax_w.set_ylim(0, 1.45 * top)  # the top third stays free for the text
    base_rms = float(np.sqrt(np.mean(base_params["W2"] ** 2)))

    def update(regularizer=regularizer):
        if regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer must be one of {list(REGULARIZERS)}, got {regularizer!r}")
        history, params = runs[regularizer]
        train_line.set_ydata(history.train_accuracy)
        val_line.set_ydata(history.test_accuracy)
        last = slice(-10, None)
        gap = history.train_accuracy[last].mean() - history.test_accuracy[last].mean()
        gap_text.set_text(f"last 10 epochs: validation {history.test_accuracy[last].mean():.3f}\ngap {gap:.3f}")
        for bar, height in zip(bars, _weight_histogram(params), strict=True):
            bar.set_height(height)
        rms = float(np.sqrt(np.mean(params["W2"] ** 2)))
        rms_text.set_text(f"RMS {rms:.3f}\n(grey, none: {base_rms:.3f})")
        ax_acc.set_title(f"{regularizer}: accuracy (grey: none)")
        ax_w.set_title("weights after training")

    update(regularizer)
    return update


# ----------------------------------------------------------------------------- dropout masks

#: the drop probabilities of the dropout figure
DROPOUT_PS = tuple(round(0.05 * k, 2) for k in range(19))  # 0, 0.05, ..., 0.9
_NUM_MASKS = 500
_DRAWS = 20_000


@functools.cache
def keep_fractions() -> dict[str, np.ndarray]:
    """Kept share of :data:`_DRAWS` mask entries at each p of :data:`DROPOUT_PS`; cached.

    ``"uniform"``: ``U(0, 1) >= p`` (expected ``1 - p``); ``"normal"``: the
    notes' ``N(0, 1) > p`` (expected ``Φ(-p)``). One set of draws
    (``default_rng(0)``) serves every p.
    """
    rng = np.random.default_rng(0)
    uniform, normal = rng.random(_DRAWS), rng.standard_normal(_DRAWS)
    ps = np.array(DROPOUT_PS)
    return {
        "p": ps,
        "uniform": np.array([np.mean(uniform >= p) for p in ps]),
        "normal": np.array([np.mean(normal > p) for p in ps]),
    }


@functools.cache
def _digit_masks(p: float) -> tuple[np.ndarray, np.ndarray]:
    """One inverted-dropout training output of a digit (8, 8) and the mean of :data:`_NUM_MASKS` of them."""
    from ..layers import Dropout

    image = (digits().X_train[0] * digits().std + digits().mean).reshape(8, 8)  # back to pixels in [0, 1]
    drop = Dropout(p, rng=np.random.default_rng(1))
    batch = np.broadcast_to(image, (_NUM_MASKS, 8, 8))  # (M, 8, 8): the same image, a new mask each
    outputs = drop.forward(batch, train=True)  # (M, 8, 8)
    return outputs[0], outputs.mean(axis=0)


def _phi(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF Φ(x)."""
    return 0.5 * (1.0 + np.vectorize(math.erf)(np.asarray(x, dtype=float) / math.sqrt(2.0)))


def plot_dropout(fig, p: float = 0.5):
    """Inverted dropout with drop probability ``p`` (the control) on a digit, and how much a mask keeps.

    Left: the digit as one training pass sees it (kept pixels scaled by
    ``1/(1 - p)``); middle: the average of :data:`_NUM_MASKS` such passes,
    which is the digit itself (the expectation is preserved); right: the
    share of a mask that is kept for a uniform draw (``1 - p``) and for the
    notes' normal draw (``Φ(-p)``), measured (dots) and exact (lines).
    Returns the updater.
    """
    if not any(math.isclose(p, q) for q in DROPOUT_PS):
        raise ValueError(f"p must be one of {list(DROPOUT_PS)}, got {p!r}")
    ax_one, ax_mean, ax_keep = fig.subplots(1, 3, width_ratios=(1, 1, 1.5))
    norm = Normalize(0.0, 2.0)
    image_one = ax_one.imshow(np.zeros((8, 8)), cmap="gray_r", norm=norm)
    image_mean = ax_mean.imshow(np.zeros((8, 8)), cmap="gray_r", norm=norm)
    for ax in (ax_one, ax_mean):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.colorbar(image_mean, ax=[ax_one, ax_mean], location="bottom", shrink=0.8, label="pixel value")
    grid = np.linspace(0.0, 0.9, 91)
    ax_keep.plot(grid, 1 - grid, color="C0", lw=1.6, label=r"uniform: $1-p$")
    ax_keep.plot(grid, _phi(-grid), color="C3", lw=1.6, ls="--", label=r"notes' normal: $\Phi(-p)$")
    fractions = keep_fractions()
    (dots,) = ax_keep.plot([], [], "o", color="k", ms=6)
    marker = ax_keep.axvline(p, color="0.6", lw=1.0)
    ax_keep.set(xlabel=r"drop probability $p$", ylabel="share kept", xlim=(0, 0.9), ylim=(0, 1.05))
    ax_keep.legend(loc="upper right", fontsize=10)

    def update(p=p):
        index = [i for i, q in enumerate(DROPOUT_PS) if math.isclose(p, q)]
        if not index:
            raise ValueError(f"p must be one of {list(DROPOUT_PS)}, got {p!r}")
        i = index[0]
        one, mean = _digit_masks(DROPOUT_PS[i])
        image_one.set_data(one)
        image_mean.set_data(mean)
        ax_one.set_title("one training pass")
        ax_mean.set_title(f"mean of {_NUM_MASKS} passes")
        dots.set_data([p, p], [fractions["uniform"][i], fractions["normal"][i]])
        marker.set_xdata([p, p])
        ax_keep.set_title(f"p = {p:.2f}: kept {fractions['uniform'][i]:.2f} vs {fractions['normal'][i]:.2f}")

    update(p)
    return update


# ----------------------------------------------------------------------------- hyperparameter search

#: the searched network: 64 pixels, one hidden ReLU layer of 50 units, 10 classes
SEARCH_SIZES = (64, 50, 10)
SEARCH_NUM_TRAIN = 200
SEARCH_EPOCHS = 15
SEARCH_TRIALS = 25
#: name -> (low, high), both searched on a log scale
SEARCH_SPACE = {"lr": (1e-3, 3.0), "weight_decay": (1e-4, 1.0)}
#: the grid: 5 values of each, evenly spaced on a log scale, ends included (5 × 5 = SEARCH_TRIALS)
SEARCH_GRID = {name: np.geomspace(low, high, 5) for name, (low, high) in SEARCH_SPACE.items()}


def _search_score(lr: float, weight_decay: float) -> float:
    """Validation accuracy of :data:`SEARCH_SIZES` after :data:`SEARCH_EPOCHS` epochs of SGD (NaN if it diverged)."""
    from ..mlp import MLP, train
    from ..optim import SGD

    split = digits()
    model = MLP(list(SEARCH_SIZES), rng=np.random.default_rng(0), weight_decay=weight_decay)
    with np.errstate(all="ignore"):  # a learning rate too large overflows: that trial scores what it scores
        history = train(
            model,
            split.X_train[:SEARCH_NUM_TRAIN],
            split.y_train[:SEARCH_NUM_TRAIN],
            optimizer=SGD(lr=lr),
            num_epochs=SEARCH_EPOCHS,
            batch_size=BATCH_SIZE,
            rng=np.random.default_rng(1),
            X_test=split.X_val,
            y_test=split.y_val,
        )
    return float(history.test_accuracy[-1])


@functools.cache
def search_trials() -> dict[str, list[Trial]]:
    """``{"grid": ..., "random": ...}``: :data:`SEARCH_TRIALS` trials of each search; cached.

    The grid is :data:`SEARCH_GRID` (learning rate changing slowest); the
    random search draws from :data:`SEARCH_SPACE` with ``default_rng(0)``.
    Every trial trains the same initial weights on the same batches.
    """
    return {
        "grid": grid_search(_search_score, SEARCH_GRID),
        "random": random_search(_search_score, SEARCH_SPACE, num_trials=SEARCH_TRIALS, rng=np.random.default_rng(0)),
    }


def plot_search(fig, search: str = "random", num_trials: int = SEARCH_TRIALS):
    """The first ``num_trials`` trials of a grid or random ``search`` over learning rate and weight decay.

    Left: each trial at its (learning rate, weight decay), coloured by its
    validation accuracy, the best so far ringed. Right: the same accuracies
    against the learning rate alone: the grid tries 5 learning rates, the
    random search one per trial. Returns the updater.
    """
    trials = search_trials()
    ax_map, ax_lr = fig.subplots(1, 2, width_ratios=(1.25, 1))
    norm = Normalize(0.0, 1.0)
    empty = np.zeros((0, 2))
    points = ax_map.scatter(empty[:, 0], empty[:, 1], c=[], cmap="viridis", norm=norm, s=55, edgecolors="k", lw=0.5)
    (best_ring,) = ax_map.plot([], [], "o", ms=15, mfc="none", mec="C3", mew=2.0)
    fig.colorbar(points, ax=ax_map, shrink=0.9)  # its label is the right panel's y label, next to it
    projected = ax_lr.scatter(empty[:, 0], empty[:, 1], c=[], cmap="viridis", norm=norm, s=40, edgecolors="k", lw=0.5)
    (best_dot,) = ax_lr.plot([], [], "o", ms=13, mfc="none", mec="C3", mew=2.0)
    (lr_low, lr_high), (wd_low, wd_high) = SEARCH_SPACE["lr"], SEARCH_SPACE["weight_decay"]
    for ax in (ax_map, ax_lr):
        ax.set_xscale("log")
        ax.set_xlim(lr_low / 1.6, lr_high * 1.6)
        ax.set_xlabel(r"learning rate $\eta$")
    ax_map.set_yscale("log")
    ax_map.set(ylim=(wd_low / 2, wd_high * 2), ylabel=r"weight decay $\lambda$")
    ax_lr.set(ylim=(0.0, 1.0), ylabel="validation accuracy")

    def update(search=search, num_trials=num_trials):
        if search not in trials:
            raise ValueError(f"search must be one of {list(trials)}, got {search!r}")
        if not 1 <= num_trials <= SEARCH_TRIALS:
            raise ValueError(f"num_trials must be in [1, {SEARCH_TRIALS}], got {num_trials!r}")
        shown = trials[search][:num_trials]
        lrs = np.array([t.params["lr"] for t in shown])
        wds = np.array([t.params["weight_decay"] for t in shown])
        scores = np.nan_to_num(np.array([t.score for t in shown]))
        points.set_offsets(np.column_stack([lrs, wds]))
        points.set_array(scores)
        projected.set_offsets(np.column_stack([lrs, scores]))
        projected.set_array(scores)
        best = best_trial(shown)
        best_ring.set_data([best.params["lr"]], [best.params["weight_decay"]])
        best_dot.set_data([best.params["lr"]], [best.score])
        distinct = len(np.unique(np.round(np.log10(lrs), 9)))
        ax_map.set_title(f"{search} search: {num_trials} trials, best {best.score:.3f}")
        ax_lr.set_title(f"{distinct} distinct learning rates")

    update(search, num_trials)
    return update
