"""Optimizers and learning-rate schedules (chapter 6, ``chapters/06_optimizers.md``).

Two modules, one import::

    from dlscratch.optim import Adam, CosineAnnealingLR

* :mod:`dlscratch.optim.optimizers`: the optimizers. Every one has one method,
  ``update(params, grads)``: ``params`` and ``grads`` are dicts with the same
  keys (the ``params``/``grads`` of a layer or network), and each array of
  ``params`` is changed **in place**, so the network that owns the arrays sees
  the new values. ``grads`` is never modified. The optimizer keeps its state
  per parameter key in ``optimizer.state[key]``, with PyTorch's names
  (``momentum_buffer``, ``sum``, ``square_avg``, ``exp_avg``, ...).
* :mod:`dlscratch.optim.schedules`: learning-rate schedules (``StepLR``,
  ``CosineAnnealingLR``, ``LinearLR`` for a linear warm-up, ``SequentialLR``
  to run them one after another) that set the attribute ``optimizer.lr``.
* :mod:`dlscratch.optim.surfaces` (imported from there, not re-exported):
  two-variable test surfaces for optimizers and :func:`~dlscratch.optim.surfaces.trajectory`,
  the path an optimizer takes on one.

=============  ==========================================  ===========================
class          PyTorch equivalent                          the notes / DLFS
=============  ==========================================  ===========================
``SGD``        ``optim.SGD(lr)``                           ``SGD`` (same)
``Momentum``   ``optim.SGD(lr, momentum)``                 ``Momentum``: another velocity
``Nesterov``   ``optim.SGD(lr, momentum, nesterov=True)``  ``Nesterov``: differs
``AdaGrad``    ``optim.Adagrad``                           ``AdaGrad``: ``eps`` 1e-7
``RMSprop``    ``optim.RMSprop``                           ``RMSprop``: where ``eps`` sits
``Adam``       ``optim.Adam``                              ``Adam``: where ``eps`` sits
``AdamW``      ``optim.AdamW``                             (not in DLFS)
=============  ==========================================  ===========================

The classes implement **PyTorch's formulation**, so that they match
``torch.optim`` step by step (``tests/test_optim.py`` checks 30 steps of every
class to 1e-12). Where *Deep Learning from Scratch* (DLFS, whose code the notes
copy) writes the update differently, the class docstring says how, and a pure
function ``dlfs_*_step`` shows the DLFS version (``dlfs_momentum_step``,
``dlfs_nesterov_step``, ``dlfs_adagrad_step``, ``dlfs_rmsprop_step``,
``dlfs_adam_step``).

References
----------
Chapter 6 of the book; notes 002 and 003. Polyak (1964); Sutskever et al.
(2013) and Bengio, Boulanger-Lewandowski & Pascanu (2012, arXiv:1212.0901) for
Nesterov momentum; Duchi, Hazan & Singer (2011); Hinton's lecture 6e (RMSprop);
Kingma & Ba (2015, arXiv:1412.6980); Loshchilov & Hutter (2019,
arXiv:1711.05101) for AdamW and (2017, arXiv:1608.03983) for cosine annealing;
Saito, *Deep Learning from Scratch* (2016), ``common/optimizer.py``.
"""

from .optimizers import (
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    Momentum,
    Nesterov,
    Optimizer,
    RMSprop,
    dlfs_adagrad_step,
    dlfs_adam_step,
    dlfs_momentum_step,
    dlfs_nesterov_step,
    dlfs_rmsprop_step,
)
from .schedules import CosineAnnealingLR, LinearLR, LRScheduler, SequentialLR, StepLR

__all__ = [
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "LRScheduler",
    "LinearLR",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "RMSprop",
    "SequentialLR",
    "StepLR",
    "dlfs_adagrad_step",
    "dlfs_adam_step",
    "dlfs_momentum_step",
    "dlfs_nesterov_step",
    "dlfs_rmsprop_step",
]
