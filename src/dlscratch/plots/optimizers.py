"""Figures of chapter 6, optimizers (``chapters/06_optimizers.md``).

* :func:`plot_trajectories`: the path of one optimizer at one learning rate on
  the ill-conditioned bowl or on Beale's function, and how fast ``f`` falls;
* :func:`plot_schedules`: learning-rate schedules, epoch by epoch;
* :func:`plot_digits_training`: the loss of the digits network trained with
  each optimizer.

Every path and every training run is computed once, on first use, and cached
(:func:`paths`, :func:`digits_runs`); a redraw only moves artists.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import contourpy
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import NullLocator
from threadpoolctl import threadpool_limits

from ..nets import TwoLayerNet
from ..optim import SGD, AdaGrad, Adam, CosineAnnealingLR, LinearLR, Momentum, Nesterov, RMSprop, SequentialLR, StepLR
from ..optim.surfaces import SURFACES, trajectory

__all__ = [
    "DIGITS_LEARNING_RATES",
    "EPOCHS",
    "LEARNING_RATES",
    "NUM_STEPS",
    "OPTIMIZERS",
    "SCHEDULES",
    "DigitsRun",
    "digits_run",
    "make_optimizer",
    "make_schedule",
    "paths",
    "plot_digits_training",
    "plot_schedules",
    "plot_trajectories",
]

#: name -> a function of the learning rate that makes a fresh optimizer (momentum 0.9; PyTorch's other defaults)
OPTIMIZERS = {
    "SGD": lambda lr: SGD(lr=lr),
    "Momentum": lambda lr: Momentum(lr=lr, momentum=0.9),
    "Nesterov": lambda lr: Nesterov(lr=lr, momentum=0.9),
    "AdaGrad": lambda lr: AdaGrad(lr=lr),
    "RMSprop": lambda lr: RMSprop(lr=lr),
    "Adam": lambda lr: Adam(lr=lr),
}

#: the learning rates of the trajectory figure: a log grid, and 0.95 and 1.05 on either side of the bowl's 2/λmax = 1
LEARNING_RATES = (0.001, 0.01, 0.1, 0.3, 0.95, 1.05)

#: steps per path, by surface
NUM_STEPS = {"bowl": 40, "beale": 300}


def make_optimizer(name: str, lr: float):
    """A fresh optimizer of :data:`OPTIMIZERS` at learning rate ``lr``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](lr)


@functools.cache
def paths(surface: str) -> dict[tuple[str, float], np.ndarray]:
    """``(optimizer, lr) -> (NUM_STEPS[surface] + 1, 2)`` path from the surface's start, for every pair.

    Computed once per surface (about 0.1 s) and cached. A path that runs away
    ends in NaN (:func:`~dlscratch.optim.surfaces.trajectory`).
    """
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {list(SURFACES)}, got {surface!r}")
    s = SURFACES[surface]
    return {
        (name, lr): trajectory(make_optimizer(name, lr), s.grad, s.start, NUM_STEPS[surface])
        for name in OPTIMIZERS
        for lr in LEARNING_RATES
    }


# ----------------------------------------------------------------------------- trajectories

#: what each surface's panel shows: limits of the view, contour levels
_VIEWS = {
    "bowl": {"xlim": (-8.0, 5.0), "ylim": (-2.8, 2.8), "levels": [0.05, 0.2, 0.5, 1, 2, 3.5, 5, 7]},
    "beale": {"xlim": (-0.5, 4.5), "ylim": (-1.0, 2.0), "levels": [0.1, 0.5, 1.5, 4, 10, 25, 60, 150]},
}


@functools.cache
def _contours(surface: str) -> list[np.ndarray]:
    """The level curves of the surface in its view, as (M, 2) polylines: traced once."""
    view, f = _VIEWS[surface], SURFACES[surface].f
    xs, ys = np.linspace(*view["xlim"], 201), np.linspace(*view["ylim"], 201)
    grid = np.stack(np.meshgrid(xs, ys))  # (2, 201, 201)
    generator = contourpy.contour_generator(xs, ys, f(grid))
    return [line for level in view["levels"] for line in generator.lines(level)]


_LABELS = {"bowl": "the bowl $x^2/20 + y^2$", "beale": "Beale's function"}


def _values(surface: str, path: np.ndarray) -> np.ndarray:
    """``f(x_k) − f*`` along a path, (K,); NaN after a run-away."""
    s = SURFACES[surface]
    return s.f(path.T) - float(s.f(np.array(s.minimum)))


def plot_trajectories(fig, optimizer: str = "SGD", lr: float = 0.95, surface: str = "bowl"):
    """Left: the path of ``optimizer`` at ``lr`` on the contours of ``surface``.

    Right: ``f(x_k) − f*`` against the step (log scale), for this optimizer
    (coloured) and every other one at the same learning rate (grey).
    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax, ax_f = fig.subplots(1, 2, width_ratios=(1.35, 1))
    contours = ax.add_collection(LineCollection([], colors="0.65", linewidths=0.8), autolim=False)
    (minimum,) = ax.plot([], [], "*", color="k", ms=11)
    (path_line,) = ax.plot([], [], "o-", color="C3", ms=2.5, lw=1.1)
    (start,) = ax.plot([], [], "s", color="C3", ms=6)
    ax.set(xlabel="$x$", ylabel="$y$")
    others = [ax_f.semilogy([], [], color="0.75", lw=1.0)[0] for _ in range(len(OPTIMIZERS) - 1)]
    (mine,) = ax_f.semilogy([], [], color="C3", lw=2.0)
    ax_f.set(xlabel="step $k$", ylabel=r"$f(x_k) - f^*$", ylim=(1e-12, 1e4))
    ax_f.yaxis.set_ticks([10.0**e for e in range(-12, 5, 4)])
    ax_f.yaxis.set_minor_locator(NullLocator())
    for name in SURFACES:  # every path and contour now, so that no redraw waits for one
        paths(name)
        _contours(name)

    def update(optimizer=optimizer, lr=lr, surface=surface):
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {list(SURFACES)}, got {surface!r}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {optimizer!r}")
        if lr not in LEARNING_RATES:
            raise ValueError(f"lr must be one of {list(LEARNING_RATES)}, got {lr!r}")
        view, runs = _VIEWS[surface], paths(surface)
        contours.set_segments(_contours(surface))
        minimum.set_data(*([c] for c in SURFACES[surface].minimum))
        ax.set(xlim=view["xlim"], ylim=view["ylim"])
        path = runs[optimizer, lr]
        path_line.set_data(path[:, 0], path[:, 1])
        start.set_data(path[:1, 0], path[:1, 1])
        steps = np.arange(len(path))
        for line, name in zip(others, [n for n in OPTIMIZERS if n != optimizer], strict=True):
            line.set_data(steps, np.maximum(_values(surface, runs[name, lr]), 1e-12))
        values = _values(surface, path)
        mine.set_data(steps, np.maximum(values, 1e-12))
        ax_f.set_xlim(-0.02 * steps[-1], 1.02 * steps[-1])
        ran_away = np.flatnonzero(np.isnan(values))
        if ran_away.size:
            ax.set_title(rf"{optimizer}, $\eta$ = {lr:g}: runs away at step {ran_away[0]}")
        else:
            ax.set_title(rf"{optimizer}, $\eta$ = {lr:g}: $f - f^*$ = {values[-1]:.1e} at step {steps[-1]}")
        ax_f.set_title(_LABELS[surface])

    update(optimizer, lr, surface)
    return update


# ----------------------------------------------------------------------------- the digits network

#: the training set-up of every digits run: hidden units, batch size, epochs, full-loss records per epoch
HIDDEN, BATCH_SIZE, EPOCHS, RECORDS_PER_EPOCH = 50, 32, 10, 2
#: the learning rates of the digits figure (each optimizer is trained at each)
DIGITS_LEARNING_RATES = (0.001, 0.01, 0.1)


def make_schedule(name: str, optimizer):
    """Attach the schedule ``name`` of :data:`SCHEDULES` to ``optimizer`` (per epoch, over :data:`EPOCHS`)."""
    if name not in SCHEDULES:
        raise ValueError(f"schedule must be one of {list(SCHEDULES)}, got {name!r}")
    return SCHEDULES[name](optimizer)


#: name -> a function that attaches the schedule to an optimizer; ``None`` keeps the lr constant
SCHEDULES = {
    "constant": lambda opt: None,
    "step": lambda opt: StepLR(opt, step_size=4, gamma=0.3),
    "cosine": lambda opt: CosineAnnealingLR(opt, T_max=EPOCHS),
    "warm-up + cosine": lambda opt: SequentialLR(
        opt, [LinearLR(opt, start_factor=0.1, total_iters=2), CosineAnnealingLR(opt, T_max=EPOCHS - 2)], milestones=[2]
    ),
}


@functools.cache
def _digits():
    from ..data import load_digits_split  # imported late: the plots package must not need the data to import

    return load_digits_split(test_size=0.2, seed=0)


@dataclass(frozen=True, eq=False)
class DigitsRun:
    """One training run of the digits network.

    Attributes
    ----------
    epochs : (K,) ndarray
        When the losses were recorded, in epochs (0, 0.25, ..., :data:`EPOCHS`).
    train_loss : (K,) ndarray
        The mean loss over the whole training set at those times.
    lrs : (EPOCHS,) ndarray
        The learning rate used in each epoch.
    test_accuracy : float
        After the last epoch.
    params : dict of str to ndarray
        The trained weights.
    """

    epochs: np.ndarray
    train_loss: np.ndarray
    lrs: np.ndarray
    test_accuracy: float
    params: dict


@functools.cache
def digits_run(optimizer: str, lr: float, schedule: str = "constant", seed: int = 0) -> DigitsRun:
    """Train a :class:`~dlscratch.nets.TwoLayerNet` (64-50-10) on the digits with ``optimizer`` at ``lr``.

    Mini-batches of :data:`BATCH_SIZE` from a shuffled training set (the last,
    incomplete batch of each epoch is skipped), :data:`EPOCHS` epochs, the
    schedule stepped at the end of every epoch. ``seed`` draws the initial
    weights and then the order of the batches, so runs with the same seed
    start from the same network and see the same batches. Cached.
    """
    split = _digits()
    X, y = split.X_train, split.y_train
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(X.shape[1], HIDDEN, 10, rng=rng)
    opt = make_optimizer(optimizer, lr)
    scheduler = make_schedule(schedule, opt)
    num_batches = len(X) // BATCH_SIZE
    record_every = num_batches // RECORDS_PER_EPOCH
    epochs, losses, lrs = [0.0], [net.loss(X, y)], []
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in range(EPOCHS):
            lrs.append(opt.lr)
            order = rng.permutation(len(X))
            for i in range(num_batches):
                batch = order[i * BATCH_SIZE : (i + 1) * BATCH_SIZE]
                opt.update(net.params, net.gradient(X[batch], y[batch]))
                if (i + 1) % record_every == 0 and (i + 1) // record_every <= RECORDS_PER_EPOCH:
                    epochs.append(epoch + (i + 1) / (record_every * RECORDS_PER_EPOCH))
                    losses.append(net.loss(X, y))
            if scheduler is not None:
                scheduler.step()
        accuracy = net.accuracy(split.X_test, split.y_test)
    return DigitsRun(np.array(epochs), np.array(losses), np.array(lrs), accuracy, net.params)


def _check_choice(value, options, what: str) -> None:
    if value not in options:
        raise ValueError(f"{what} must be one of {list(options)}, got {value!r}")


#: the schedules figure trains this optimizer, at this (large) learning rate
SCHEDULED = ("Momentum", 0.3)


def plot_schedules(fig, schedule: str = "cosine"):
    """Left: the learning rate of each epoch under ``schedule`` (and constant, grey).

    Right: the training loss of the digits network with momentum at η = 0.3,
    with the schedule (coloured) and without (grey). Returns the updater for
    :func:`~dlscratch.widgets.explore`.
    """
    ax_lr, ax_loss = fig.subplots(1, 2)
    name, lr = SCHEDULED
    constant = digits_run(name, lr)
    edges = np.arange(EPOCHS + 1)
    ax_lr.stairs(constant.lrs, edges, color="0.6", lw=1.5)
    stairs = ax_lr.stairs(constant.lrs, edges, color="C0", lw=2.2)
    ax_lr.set(xlabel="epoch", ylabel=r"learning rate $\eta$", xlim=(0, EPOCHS), ylim=(0, 1.1 * lr))
    ax_loss.semilogy(constant.epochs, constant.train_loss, color="0.6", lw=1.5)
    (scheduled,) = ax_loss.semilogy([], [], color="C0", lw=2.0)
    ax_loss.set(xlabel="epoch", ylabel="training loss", xlim=(0, EPOCHS), ylim=(5e-3, 3.0))
    ax_loss.yaxis.set_ticks([0.01, 0.1, 1.0], ["0.01", "0.1", "1"])
    ax_loss.yaxis.set_minor_locator(NullLocator())

    def update(schedule=schedule):
        _check_choice(schedule, SCHEDULES, "schedule")
        run = digits_run(name, lr, schedule)
        stairs.set_data(run.lrs, edges)
        scheduled.set_data(run.epochs, run.train_loss)
        ax_lr.set_title(f"{schedule} (grey: constant)")
        ax_loss.set_title(f"final loss {run.train_loss[-1]:.3f} (constant {constant.train_loss[-1]:.3f})")

    update(schedule)
    return update


def plot_digits_training(fig, lr: float = 0.01):
    """Left: the training loss of the digits network with each optimizer at ``lr``.

    Right: each one's test accuracy after :data:`EPOCHS` epochs (the bar
    colours are the line colours). Returns the updater for
    :func:`~dlscratch.widgets.explore`.
    """
    ax_loss, ax_acc = fig.subplots(1, 2, width_ratios=(1.5, 1))
    names = list(OPTIMIZERS)
    colors = [f"C{i}" for i in range(len(names))]
    lines = [ax_loss.semilogy([], [], color=c, lw=1.8)[0] for c in colors]
    ax_loss.set(xlabel="epoch", ylabel="training loss", xlim=(0, EPOCHS), ylim=(3e-3, 4.0))
    ax_loss.yaxis.set_ticks([0.01, 0.1, 1.0], ["0.01", "0.1", "1"])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    positions = np.arange(len(names))[::-1]  # the first optimizer on top
    bars = ax_acc.barh(positions, np.zeros(len(names)), color=colors)
    labels = [ax_acc.text(0.02, y, "", va="center", ha="left", fontsize=10.5, color="w") for y in positions]
    ax_acc.set(xlim=(0, 1), yticks=positions, yticklabels=names, xlabel="test accuracy")
    ax_acc.grid(False, axis="y")

    def update(lr=lr):
        _check_choice(lr, DIGITS_LEARNING_RATES, "lr")
        runs = [digits_run(name, lr) for name in names]
        for line, run in zip(lines, runs, strict=True):
            line.set_data(run.epochs, np.maximum(run.train_loss, 3e-3))
        for bar, label, run in zip(bars, labels, runs, strict=True):
            bar.set_width(run.test_accuracy)
            label.set_text(f"{run.test_accuracy:.3f}")
            inside = run.test_accuracy > 0.3  # white on the bar, or black after a short one
            label.set_x(0.02 if inside else run.test_accuracy + 0.02)
            label.set_color("w" if inside else "k")
        ax_loss.set_title(rf"training loss at $\eta$ = {lr:g}")
        ax_acc.set_title(f"after {EPOCHS} epochs (same colours)")

    update(lr)
    return update
