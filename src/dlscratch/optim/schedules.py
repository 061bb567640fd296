"""Learning-rate schedules that set ``optimizer.lr`` epoch by epoch, as ``torch.optim.lr_scheduler`` (chapter 6).

``StepLR`` (step decay), ``CosineAnnealingLR``, ``LinearLR`` (a linear
warm-up or decay) and ``SequentialLR`` (schedules one after another) follow
the protocol of :class:`LRScheduler`: create the schedule after the optimizer,
call ``step()`` at the end of every epoch; ``lr_at(epoch)`` gives the closed
form, for plots. ``tests/test_optim.py`` checks them against PyTorch's over
hundreds of epochs.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

from .._validation import check_positive
from .optimizers import _check_int

__all__ = ["CosineAnnealingLR", "LRScheduler", "LinearLR", "SequentialLR", "StepLR"]


class LRScheduler:
    """Base class of the schedules: set ``optimizer.lr`` from the epoch number.

    The protocol, the same as ``torch.optim.lr_scheduler``'s:

    * Creating a schedule records the optimizer's current ``lr`` as its base
      ``base_lr`` (stored as ``optimizer.initial_lr``, so several schedules on
      one optimizer share it) and sets ``optimizer.lr = lr_at(0)``.
    * Call ``step()`` once at the **end** of each epoch (or of each iteration,
      if you count the schedule in iterations, as for a warm-up), after the
      optimizer's updates. It advances ``last_epoch`` and sets
      ``optimizer.lr = lr_at(last_epoch)``. The lr used during epoch ``e``
      (counting from 0) is therefore ``lr_at(e)``.
    * ``lr_at(epoch)`` is a closed-form function of the epoch that does not
      touch the optimizer; use it to plot a schedule.

    PyTorch computes most schedules recursively from the current lr (so that
    two schedules running at once multiply); the values agree with these
    closed forms to rounding (``tests/test_optim.py`` checks 1e-12 over
    hundreds of steps). Run schedules one after another with
    :class:`SequentialLR`, not two at once.

    Any object with a writable ``lr`` attribute can be scheduled.
    """

    def __init__(self, optimizer) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"optimizer must have a learning rate attribute lr, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if getattr(optimizer, "initial_lr", None) is None:
            optimizer.initial_lr = optimizer.lr
        self.base_lr = float(optimizer.initial_lr)
        self.last_epoch = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch: int) -> float:
        """The learning rate for epoch ``epoch`` (>= 0)."""
        return self._lr_at(_check_int(epoch, "epoch", minimum=0))

    def _lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        """End an epoch: advance ``last_epoch``, set and return the next epoch's ``optimizer.lr``."""
        self.last_epoch += 1
        lr = self.lr_at(self.last_epoch)
        self.optimizer.lr = lr
        return lr

    def get_last_lr(self) -> float:
        """The learning rate of the current epoch, ``lr_at(last_epoch)``."""
        return self.lr_at(self.last_epoch)


class StepLR(LRScheduler):
    """Step decay: ``lr = base_lr · γ^⌊epoch / step_size⌋``, as ``torch.optim.lr_scheduler.StepLR``.

    Parameters
    ----------
    optimizer : Optimizer
        Any object with a writable ``lr``.
    step_size : int
        >= 1, the number of epochs between two decays.
    gamma : float, default 0.1
        γ > 0, the factor applied at each decay.

    Examples
    --------
    >>> from dlscratch.optim import SGD
    >>> opt = SGD(lr=0.1)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(opt.lr)  # ... train one epoch with opt ...
    ...     _ = schedule.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    def __init__(self, optimizer, step_size, gamma=0.1) -> None:
        self.step_size = _check_int(step_size, "step_size")
        self.gamma = check_positive(gamma, "gamma")
        super().__init__(optimizer)

    def _lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing: ``lr = η_min + (base_lr − η_min) · (1 + cos(π · epoch / T_max)) / 2``.

    Falls from ``base_lr`` at epoch 0 to ``eta_min`` at epoch ``T_max``, slowly
    at both ends (Loshchilov & Hutter's SGDR without restarts). After
    ``T_max`` the formula rises again, as PyTorch's does; train for ``T_max``
    epochs. Matches ``torch.optim.lr_scheduler.CosineAnnealingLR``.

    Parameters
    ----------
    optimizer : Optimizer
        Any object with a writable ``lr``.
    T_max : int
        >= 1, the epoch at which the lr reaches ``eta_min``.
    eta_min : float, default 0
        >= 0, the lowest learning rate.

    Examples
    --------
    >>> from dlscratch.optim import SGD
    >>> schedule = CosineAnnealingLR(SGD(lr=0.1), T_max=4)
    >>> [round(schedule.lr_at(e), 6) for e in range(5)]
    [0.1, 0.085355, 0.05, 0.014645, 0.0]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0) -> None:
        self.T_max = _check_int(T_max, "T_max")
        self.eta_min = check_positive(eta_min, "eta_min", allow_zero=True)
        super().__init__(optimizer)

    def _lr_at(self, epoch):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LinearLR(LRScheduler):
    """Linear change of the factor: a warm-up (or a linear decay), as ``torch.optim.lr_scheduler.LinearLR``.

    ``lr = base_lr · (s + (e − s) · min(epoch, total_iters) / total_iters)``:
    the factor goes linearly from ``start_factor`` s at epoch 0 to
    ``end_factor`` e at epoch ``total_iters`` and stays there. A warm-up
    (s < 1 = e) starts with small steps while Adam's moment estimates and the
    network's statistics settle; follow it with another schedule through
    :class:`SequentialLR`.

    Parameters
    ----------
    optimizer : Optimizer
        Any object with a writable ``lr``.
    start_factor : float, default 1/3
        s in (0, 1].
    end_factor : float, default 1.0
        e in [0, 1].
    total_iters : int, default 5
        >= 1, the number of epochs (or iterations) the change takes.

    Examples
    --------
    >>> from dlscratch.optim import SGD
    >>> schedule = LinearLR(SGD(lr=0.1), start_factor=0.25, total_iters=3)
    >>> [round(schedule.lr_at(e), 6) for e in range(5)]
    [0.025, 0.05, 0.075, 0.1, 0.1]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5) -> None:
        self.start_factor = check_positive(start_factor, "start_factor")
        if self.start_factor > 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        self.end_factor = check_positive(end_factor, "end_factor", allow_zero=True)
        if self.end_factor > 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor!r}")
        self.total_iters = _check_int(total_iters, "total_iters")
        super().__init__(optimizer)

    def _lr_at(self, epoch):
        progress = min(epoch, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class SequentialLR(LRScheduler):
    """Run schedules one after another, as ``torch.optim.lr_scheduler.SequentialLR``.

    ``schedulers[i]`` is in charge from epoch ``milestones[i - 1]`` (0 for the
    first) and counts its own epochs from 0 there; every one starts from the
    same ``base_lr``. Call only this object's ``step()``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer that every schedule in ``schedulers`` was created with.
    schedulers : sequence of LRScheduler
        At least one.
    milestones : sequence of int
        ``len(schedulers) - 1`` strictly increasing epochs >= 1.

    Examples
    --------
    A linear warm-up over 2 epochs, then cosine annealing over 4:

    >>> from dlscratch.optim import SGD
    >>> opt = SGD(lr=0.1)
    >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> cosine = CosineAnnealingLR(opt, T_max=4)
    >>> schedule = SequentialLR(opt, [warmup, cosine], milestones=[2])
    >>> [round(schedule.lr_at(e), 6) for e in range(7)]
    [0.05, 0.075, 0.1, 0.085355, 0.05, 0.014645, 0.0]
    >>> opt.lr
    0.05
    """

    def __init__(self, optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int]) -> None:
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("schedulers must hold at least one schedule, got none")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(f"schedulers[{i}] must be an LRScheduler, got {type(scheduler).__name__}")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"schedulers[{i}] was created with another optimizer than the one given")
        milestones = [_check_int(m, f"milestones[{i}]") for i, m in enumerate(milestones)]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"milestones must have one entry fewer than schedulers ({len(schedulers) - 1}), got {milestones}"
            )
        if any(a >= b for a, b in itertools.pairwise(milestones)):
            raise ValueError(f"milestones must be strictly increasing, got {milestones}")
        self.schedulers = schedulers
        self.milestones = milestones
        super().__init__(optimizer)

    def _lr_at(self, epoch):
        i = bisect.bisect_right(self.milestones, epoch)
        start = self.milestones[i - 1] if i > 0 else 0
        return self.schedulers[i].lr_at(epoch - start)
