"""Figures of chapter 7, weight initialization (``chapters/07_initialization.md``).

Two experiments, each computed once (cached) the first time it is asked for:

* :func:`stack_activations`: *Deep Learning from Scratch*'s histogram
  experiment (§6.2.2). :data:`NUM_SAMPLES` inputs of :data:`WIDTH` standard
  normal features pass through up to :data:`MAX_DEPTH` layers of
  :data:`WIDTH` units, ``x ← f(x W)`` without biases, with ``W`` drawn from
  ``N(0, std²)`` for each std of :data:`INIT_STDS`. All of them share one set
  of standard normal draws, scaled by the std, so two initializations differ
  only in the scale of the same weights. :func:`plot_activation_histograms`
  shows the histograms of the outputs of five of the layers; every histogram
  is computed when the figure is built (0.5 s), so a redraw only changes the
  heights of the bars.
* :func:`training_runs`: a :class:`~dlscratch.mlp.MLP` with five hidden layers
  of 100 units, trained on the 8×8 digits with plain SGD from each
  initialization of :data:`TRAINING_INITS` (about 0.25 s per run);
  :func:`plot_init_training` draws the curves.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator, StrMethodFormatter
from threadpoolctl import threadpool_limits

from ..activations import relu, sigmoid, tanh
from ..init import he_std, xavier_std

__all__ = [
    "ACTIVATIONS",
    "BATCH_SIZE",
    "DEPTHS",
    "INIT_STDS",
    "LR",
    "MAX_DEPTH",
    "MLP_SIZES",
    "NUM_EPOCHS",
    "NUM_SAMPLES",
    "TRAINING_INITS",
    "WIDTH",
    "LayerHistograms",
    "histograms",
    "plot_activation_histograms",
    "plot_init_training",
    "stack_activations",
    "training_runs",
]

NUM_SAMPLES = 1000  # inputs, as in DLFS
WIDTH = 100  # units per layer (and input features), as in DLFS
MAX_DEPTH = 20
#: the depths the histogram figure offers; it shows five layers evenly spaced up to the depth
DEPTHS = (5, 10, 20)
#: the initializations of the histogram experiment: name -> std of the weights (fan_in = fan_out = 100)
INIT_STDS = {
    "std 1": 1.0,
    "std 0.01": 0.01,
    "Xavier": xavier_std(WIDTH, WIDTH),  # √(2 / 200) = 0.1, DLFS's 1 / √100 as well
    "He": he_std(WIDTH, WIDTH),  # √(2 / 100) ≈ 0.141
}
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}
#: (low, high) of the histograms' bins per activation; ReLU outputs beyond 4 are counted in the last bin
_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 4.0)}
_NUM_BINS = 30
_NAMES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}


@functools.cache
def _draws() -> tuple[np.ndarray, np.ndarray]:
    """The inputs (N, D) and the standard normal weights (MAX_DEPTH, D, D) that every initialization scales."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((NUM_SAMPLES, WIDTH))  # (N, D)
    weights = rng.standard_normal((MAX_DEPTH, WIDTH, WIDTH))  # (L, D, D)
    return x, weights


def _check(activation: str, init: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    if init not in INIT_STDS:
        raise ValueError(f"init must be one of {list(INIT_STDS)}, got {init!r}")


@functools.cache
def stack_activations(activation: str, init: str) -> tuple[np.ndarray, ...]:
    """The outputs of layers 1 .. :data:`MAX_DEPTH` of the histogram experiment, each (N, D) = (1000, 100).

    Layer ``l`` computes ``x_l = f(x_{l-1} W_l)`` with ``W_l = std · Z_l``,
    ``Z_l`` standard normal (the same for every ``init``), no bias. The arrays
    are read-only: they are cached and shared.
    """
    _check(activation, init)
    f, std = ACTIVATIONS[activation], INIT_STDS[init]
    x, weights = _draws()
    outputs = []
    # one BLAS thread: for matrices this small, more threads only wait for each other
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(over="ignore"):
        for W in weights:  # std 1 with ReLU grows ×50 in E[x²] per layer; it stays finite to 20
            x = np.asarray(f(x @ (std * W)))  # (N, D)
            x.setflags(write=False)
            outputs.append(x)
    return tuple(outputs)


@dataclass(frozen=True, eq=False)
class LayerHistograms:
    """The histograms and spreads of the layers' outputs, for one activation and one initialization.

    Attributes
    ----------
    edges : (31,) ndarray
        Bin edges.
    fractions : (MAX_DEPTH, 30) ndarray
        Share of a layer's outputs in each bin: of all N·D outputs, or for
        ReLU of the non-zero ones; outputs beyond the range are counted in the
        first or last bin.
    sd : (MAX_DEPTH,) ndarray
        Standard deviation of all N·D outputs of each layer.
    unit_sd : (MAX_DEPTH,) ndarray
        How much one unit's output varies from input to input: the standard
        deviation over the N inputs, averaged over the D units.
    zeros : (MAX_DEPTH,) ndarray
        Share of the outputs that are exactly 0.
    """

    edges: np.ndarray
    fractions: np.ndarray
    sd: np.ndarray
    unit_sd: np.ndarray
    zeros: np.ndarray


@functools.cache
def histograms(activation: str) -> dict[str, LayerHistograms]:
    """:class:`LayerHistograms` of every layer of :func:`stack_activations`, for each init; cached."""
    low, high = _RANGES[activation]
    edges = np.linspace(low, high, _NUM_BINS + 1)
    result = {}
    for init in INIT_STDS:
        fractions = np.zeros((MAX_DEPTH, _NUM_BINS))
        sd, unit_sd, zeros = np.zeros(MAX_DEPTH), np.zeros(MAX_DEPTH), np.zeros(MAX_DEPTH)
        for layer, out in enumerate(stack_activations(activation, init)):
            sd[layer] = out.std()
            unit_sd[layer] = out.std(axis=0).mean()  # (D,) spread over the inputs, averaged over the units
            values = out.ravel()  # (N·D,)
            zeros[layer] = np.mean(values == 0)
            if activation == "relu":
                values = values[values > 0]
            position = np.clip((values - low) / (high - low) * _NUM_BINS, 0, _NUM_BINS - 1)  # (n,) in bin units
            bins = position.astype(np.int64)  # beyond the range: the first or the last bin
            counts = np.bincount(bins, minlength=_NUM_BINS)
            fractions[layer] = counts / max(counts.sum(), 1)
        result[init] = LayerHistograms(edges, fractions, sd, unit_sd, zeros)
    return result


def _shown_layers(depth: int) -> list[int]:
    """The five layers (1-based) shown for ``depth``: evenly spaced, ending at ``depth``."""
    if depth not in DEPTHS:
        raise ValueError(f"depth must be one of {list(DEPTHS)}, got {depth!r}")
    return [depth * k // 5 for k in range(1, 6)]


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _format_sd(value: float) -> str:
    """0.46, 0.012, 41, or 6.3×10⁻⁴: plain text (mathtext would cost most of a redraw)."""
    if not math.isfinite(value):
        return "inf"
    if value == 0 or 1e-2 <= value < 100:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPTS)}"


def plot_activation_histograms(fig, init: str = "std 1", activation: str = "sigmoid", depth: int = 5):
    """Histograms of the outputs of five layers of a deep stack (DLFS's experiment) for one initialization.

    ``init`` is the main control: the same stack with weights of std 1,
    0.01, Xavier's or He's. ``activation`` picks sigmoid, tanh or ReLU (for
    ReLU, the exact zeros, about half of the outputs, are left out of the
    bars); ``depth`` (5, 10 or 20) shows layers ``depth/5, 2·depth/5, …,
    depth``. Each panel's label gives the standard deviation of all the
    layer's outputs ("sd") and how much a single unit's output varies from
    input to input ("unit sd", :class:`LayerHistograms`). Returns the updater.
    """
    for name in ACTIVATIONS:
        histograms(name)  # every histogram now (0.5 s, once), so that a redraw only sets bar heights
    axes = fig.subplots(1, 5, sharex=True, sharey=True, gridspec_kw={"wspace": 0.12})
    # Plain-text labels and one shared tick locator and formatter: a redraw parses no mathtext and
    # builds no tick labels of its own (together most of the time of a redraw with five panels).
    state = {"activation": activation}
    locator = FixedLocator([0.0, 0.5, 1.0])

    def tick_label(value, _position):
        if state["activation"] == "relu" and value == _RANGES["relu"][1]:
            return "4+"  # ReLU outputs beyond 4 are counted in the last bin
        return f"{value:g}"

    patches, labels = [], []
    for i, ax in enumerate(axes):
        patches.append(ax.stairs(np.zeros(_NUM_BINS), np.linspace(0, 1, _NUM_BINS + 1), fill=True, color="C0"))
        labels.append(ax.text(0.5, 0.97, "", transform=ax.transAxes, ha="center", va="top", fontsize=9.5))
        ax.grid(False)
        if i:
            ax.tick_params(labelleft=False)
    axes[0].xaxis.set_major_locator(locator)
    axes[0].xaxis.set_major_formatter(FuncFormatter(tick_label))
    axes[0].xaxis.set_minor_locator(NullLocator())
    axes[0].yaxis.set_major_locator(MaxNLocator(nbins=4))
    axes[0].yaxis.set_major_formatter(StrMethodFormatter("{x:.2f}"))  # one width for every frame's ticks
    axes[0].set_ylabel("share of outputs")

    def update(init=init, activation=activation, depth=depth):
        _check(activation, init)
        layers = _shown_layers(depth)
        stats = histograms(activation)[init]
        low, high = _RANGES[activation]
        state["activation"] = activation
        locator.locs = [low, (low + high) / 2, high]
        top = 0.0
        for ax, patch, label, layer in zip(axes, patches, labels, layers, strict=True):
            values = stats.fractions[layer - 1]
            patch.set_data(values, stats.edges)
            top = max(top, float(values.max()))
            sd, unit_sd = _format_sd(stats.sd[layer - 1]), _format_sd(stats.unit_sd[layer - 1])
            label.set_text(f"sd {sd}\nunit sd {unit_sd}")
            ax.set_title(f"layer {layer}")
        axes[0].set_xlim(low - 0.03 * (high - low), high + 0.03 * (high - low))
        axes[0].set_ylim(0, 1.45 * top)  # the top third stays free for the labels
        std = INIT_STDS[init]
        axes[2].set_xlabel(f"{_NAMES[activation]} outputs; weights ~ N(0, σ²), σ = {std:.3g} ({init})")

    update(init, activation, depth)
    return update


# ----------------------------------------------------------------------------- training on the digits

#: the network of the training experiment: 64 pixels, five hidden layers of 100 units, 10 classes
MLP_SIZES = (64, 100, 100, 100, 100, 100, 10)
#: name -> the ``init`` argument of :class:`~dlscratch.mlp.MLP`
TRAINING_INITS = {"std 0.01": 0.01, "Xavier": "xavier", "He": "he"}
LR = 0.1
BATCH_SIZE = 100
NUM_EPOCHS = 12
_COLORS = {"std 0.01": "C3", "Xavier": "C0", "He": "C2"}


@functools.cache
def _digits():
    from ..data import load_digits_split  # imported late: the plots package must not need the data to import

    return load_digits_split(test_size=0.2, seed=0, standardize=True)


@functools.cache
def training_runs(activation: str, seed: int = 0) -> dict:
    """Train the :data:`MLP_SIZES` network from each initialization of :data:`TRAINING_INITS`.

    Plain SGD (``lr`` :data:`LR`, batches of :data:`BATCH_SIZE`) for
    :data:`NUM_EPOCHS` epochs on ``load_digits_split(seed=0, standardize=True)``;
    the weights are drawn with ``np.random.default_rng(seed)``, the batches
    shuffled with ``np.random.default_rng(seed + 100)``, the same for every
    initialization. Returns ``{name: TrainingHistory}``; cached.
    """
    from ..mlp import MLP, train
    from ..optim import SGD

    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    split = _digits()
    runs = {}
    for name, init in TRAINING_INITS.items():
        model = MLP(list(MLP_SIZES), activation=activation, init=init, rng=np.random.default_rng(seed))
        runs[name] = train(
            model,
            split.X_train,
            split.y_train,
            optimizer=SGD(lr=LR),
            num_epochs=NUM_EPOCHS,
            batch_size=BATCH_SIZE,
            rng=np.random.default_rng(seed + 100),
            X_test=split.X_test,
            y_test=split.y_test,
        )
    return runs


def plot_init_training(fig, activation: str = "relu"):
    """Training loss (left) and test accuracy (right) per epoch of the deep MLP, one line per initialization.

    ``activation`` (ReLU, tanh, sigmoid) is the control; the runs are
    :func:`training_runs` (computed once). Returns the updater.
    """
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = np.arange(NUM_EPOCHS + 1)
    loss_lines, acc_lines = {}, {}
    for name, color in _COLORS.items():
        (loss_lines[name],) = ax_loss.plot(epochs, np.full(epochs.shape, np.nan), "o-", ms=3, color=color, label=name)
        (acc_lines[name],) = ax_acc.plot(epochs, np.full(epochs.shape, np.nan), "o-", ms=3, color=color, label=name)
    ax_loss.axhline(math.log(10), color="k", lw=0.8, ls="--")
    ax_loss.text(NUM_EPOCHS, math.log(10) + 0.08, r"$\ln 10$: chance", ha="right", va="bottom", fontsize=10)
    ax_loss.set(xlabel="epoch", ylabel="training loss", ylim=(-0.1, 4.0), xlim=(-0.5, NUM_EPOCHS + 0.5))
    ax_acc.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.0, 1.02), xlim=(-0.5, NUM_EPOCHS + 0.5))
    legend = ax_acc.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="init: final")

    def update(activation=activation):
        runs = training_runs(activation)
        for text, (name, run) in zip(legend.get_texts(), runs.items(), strict=True):
            loss_lines[name].set_ydata(run.train_loss)
            acc_lines[name].set_ydata(run.test_accuracy)
            text.set_text(f"{name}: {run.test_accuracy[-1]:.2f}")
        ax_loss.set_title(f"{_NAMES[activation]}: training loss")
        ax_acc.set_title(f"{_NAMES[activation]}: test accuracy")

    update(activation)
    return update
