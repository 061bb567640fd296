"""Weight initialization: Xavier (Glorot) and He (Kaiming) (chapter 7, ``chapters/07_initialization.md``).

Both draw a weight matrix ``W`` of shape ``(fan_in, fan_out)``, i.e. ``(D, M)``,
for the book's convention ``y = x @ W`` with ``x`` of shape ``(N, D)``. The
scale comes from one requirement: a layer should not change the size of the
signal that passes through it.

**The variance argument.** A unit computes ``z = Σᵢ wᵢ xᵢ`` over its
``n_in = fan_in`` inputs. With weights drawn independently of the inputs, with
mean 0 and variance ``Var(w)``,

    ``Var(z) = n_in · Var(w) · E[x²]``.

* Xavier (Glorot & Bengio, 2010): for tanh or sigmoid-like units near 0 the
  activation is about linear, ``E[x²] ≈ Var(z_prev)``, so the forward signal
  keeps its variance when ``Var(w) = 1 / n_in``; the backward signal (the
  same argument on ``dout @ W.T``) when ``Var(w) = 1 / n_out``. Glorot and
  Bengio take the compromise ``Var(w) = 2 / (n_in + n_out)``.
* He (He et al., 2015): a ReLU zeroes half of a symmetric input, so
  ``E[x²] = Var(z_prev) / 2``, and ``Var(w) = 2 / n_in`` keeps the variance.
  A leaky ReLU with slope ``a`` keeps ``(1 + a²) / 2`` of it:
  ``Var(w) = 2 / ((1 + a²) n_in)``.

In general ``std = gain / √n`` with ``n`` = ``fan_in``, ``fan_out`` or their
mean (``mode``), and the uniform distribution ``U(−b, b)``, whose variance is
``b² / 3``, uses ``b = √3 · std``.

**PyTorch.** ``torch.nn.init.xavier_normal_``, ``xavier_uniform_``,
``kaiming_normal_`` and ``kaiming_uniform_`` use the same formulas, but a torch
``nn.Linear`` stores its weight as ``(out_features, in_features)``, so *its*
``fan_in`` is the size of dim 1: ``xavier(D, M, rng=rng)`` corresponds to
``xavier_normal_(torch.empty(M, D))``, transposed. (``nn.Linear``'s own default
is neither: ``U(−1/√fan_in, 1/√fan_in)``, i.e. ``kaiming_uniform_`` with
``a = √5``.)

**DLFS** (and so the notes) call ``std = 1 / √n`` with ``n`` the number of
nodes of the previous layer "the Xavier initial value": that is
``xavier(..., mode="fan_in")`` (LeCun's initialization); its "He initial
value" ``√(2 / n)`` is :func:`he` with the default ``mode="fan_in"``.

References
----------
Chapter 7 of the book; notes 002 and 003. Glorot & Bengio, "Understanding the
difficulty of training deep feedforward neural networks" (AISTATS 2010); He,
Zhang, Ren & Sun, "Delving deep into rectifiers" (ICCV 2015, arXiv:1502.01852).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import check_positive

__all__ = ["calculate_gain", "he", "he_std", "xavier", "xavier_std"]

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("normal", "uniform")


def _check_fan(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return int(value)


def _check_choice(value, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _fan(fan_in, fan_out, mode) -> float:
    fan_in, fan_out = _check_fan(fan_in, "fan_in"), _check_fan(fan_out, "fan_out")
    mode = _check_choice(mode, "mode", _MODES)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def _draw(std: float, fan_in: int, fan_out: int, rng, distribution) -> np.ndarray:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(0), got {type(rng).__name__} {rng!r}"
        )
    distribution = _check_choice(distribution, "distribution", _DISTRIBUTIONS)
    shape = (int(fan_in), int(fan_out))  # (D, M): y = x @ W
    if distribution == "normal":
        return rng.normal(0.0, std, size=shape)
    bound = math.sqrt(3.0) * std  # U(-b, b) has variance b² / 3
    return rng.uniform(-bound, bound, size=shape)


def calculate_gain(nonlinearity: str, negative_slope=0.01) -> float:
    """The factor ``gain`` in ``std = gain / √n`` for an activation, as ``torch.nn.init.calculate_gain``.

    ``"linear"`` and ``"sigmoid"``: 1; ``"tanh"``: 5/3; ``"relu"``: √2;
    ``"leaky_relu"``: ``√(2 / (1 + a²))`` with ``a = negative_slope``. The
    ReLU values follow from the variance argument of this module; 5/3 for tanh
    is PyTorch's empirical choice (it keeps a deep tanh stack from shrinking).

    Parameters
    ----------
    nonlinearity : {"linear", "sigmoid", "tanh", "relu", "leaky_relu"}
    negative_slope : float, default 0.01
        a >= 0, used only for ``"leaky_relu"``.

    Returns
    -------
    float

    Examples
    --------
    >>> calculate_gain("relu") == 2 ** 0.5
    True
    >>> round(calculate_gain("leaky_relu", 0.2), 6)
    1.38675
    """
    nonlinearity = _check_choice(nonlinearity, "nonlinearity", ("linear", "sigmoid", "tanh", "relu", "leaky_relu"))
    if nonlinearity == "leaky_relu":
        a = check_positive(negative_slope, "negative_slope", allow_zero=True)
        return math.sqrt(2.0 / (1 + a**2))
    return {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0)}[nonlinearity]


def xavier_std(fan_in: int, fan_out: int, *, gain=1.0, mode="fan_avg") -> float:
    """The standard deviation of :func:`xavier`: ``gain · √(1 / n)``; ``gain · √(2 / (fan_in + fan_out))`` by default.

    Parameters
    ----------
    fan_in, fan_out : int
        D and M, >= 1: the layer's inputs and outputs.
    gain : float, default 1.0
        > 0; :func:`calculate_gain` gives the usual values (5/3 for tanh).
    mode : {"fan_avg", "fan_in", "fan_out"}, default "fan_avg"
        ``n``: the mean of the fans (Glorot & Bengio), ``fan_in`` (DLFS's
        "Xavier", LeCun's) or ``fan_out``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(xavier_std(784, 100), 6)  # √(2 / 884)
    0.047565
    >>> xavier_std(100, 50, mode="fan_in")  # DLFS: 1 / √n
    0.1
    """
    return check_positive(gain, "gain") / math.sqrt(_fan(fan_in, fan_out, mode))


def he_std(fan_in: int, fan_out: int, *, mode="fan_in", nonlinearity="relu", negative_slope=0.01) -> float:
    """The standard deviation of :func:`he`: ``√(2 / n)`` for ReLU, ``√(2 / ((1 + a²) n))`` for a leaky ReLU.

    Parameters
    ----------
    fan_in, fan_out : int
        D and M, >= 1.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        ``n``: ``fan_in`` keeps the forward signal's variance, ``fan_out``
        the backward one's.
    nonlinearity : {"relu", "leaky_relu"}, default "relu"
    negative_slope : float, default 0.01
        a >= 0, used only for ``"leaky_relu"``.

    Returns
    -------
    float

    Examples
    --------
    >>> he_std(200, 10)  # √(2 / 200)
    0.1
    """
    nonlinearity = _check_choice(nonlinearity, "nonlinearity", ("relu", "leaky_relu"))
    return calculate_gain(nonlinearity, negative_slope) / math.sqrt(_fan(fan_in, fan_out, mode))


def xavier(
    fan_in: int, fan_out: int, *, rng: np.random.Generator, distribution="normal", gain=1.0, mode="fan_avg"
) -> np.ndarray:
    """Xavier (Glorot) initialization: weights with ``Var(w) = gain² · 2 / (fan_in + fan_out)``.

    Keeps the variance of the signal roughly constant through layers with a
    symmetric, near-linear-at-0 activation (tanh, sigmoid); see the module
    docstring for the derivation.

    Parameters
    ----------
    fan_in, fan_out : int
        D and M, >= 1: the layer's inputs and outputs.
    rng : numpy.random.Generator
        The source of randomness, e.g. ``np.random.default_rng(0)``.
    distribution : {"normal", "uniform"}, default "normal"
        ``N(0, std²)`` or ``U(−√3·std, √3·std)``; both have variance ``std²``.
    gain : float, default 1.0
        > 0, multiplies the std (:func:`calculate_gain`).
    mode : {"fan_avg", "fan_in", "fan_out"}, default "fan_avg"
        Which fan sets ``n`` in ``std = gain / √n`` (see :func:`xavier_std`).

    Returns
    -------
    W : (D, M) ndarray of float64
        For ``y = x @ W``. PyTorch: ``nn.init.xavier_normal_(w, gain)`` /
        ``xavier_uniform_`` on ``w`` of shape ``(M, D)``, the transpose.

    Examples
    --------
    >>> W = xavier(784, 100, rng=np.random.default_rng(0))
    >>> W.shape, W.dtype
    ((784, 100), dtype('float64'))
    >>> round(float(W.std()), 4), round(xavier_std(784, 100), 4)  # measured, formula
    (0.0476, 0.0476)
    >>> b = 3 ** 0.5 * xavier_std(784, 100)
    >>> bool(np.abs(xavier(784, 100, rng=np.random.default_rng(0), distribution="uniform")).max() <= b)
    True
    """
    return _draw(xavier_std(fan_in, fan_out, gain=gain, mode=mode), fan_in, fan_out, rng, distribution)


def he(
    fan_in: int,
    fan_out: int,
    *,
    rng: np.random.Generator,
    distribution="normal",
    mode="fan_in",
    nonlinearity="relu",
    negative_slope=0.01,
) -> np.ndarray:
    """He (Kaiming) initialization for ReLU layers: ``Var(w) = 2 / fan_in``.

    A ReLU passes on only half of the second moment of a symmetric input, so
    the weights need twice Xavier's ``1 / fan_in`` (module docstring).

    Parameters
    ----------
    fan_in, fan_out : int
        D and M, >= 1: the layer's inputs and outputs.
    rng : numpy.random.Generator
        The source of randomness, e.g. ``np.random.default_rng(0)``.
    distribution : {"normal", "uniform"}, default "normal"
        ``N(0, std²)`` or ``U(−√3·std, √3·std)``.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan sets ``n`` (see :func:`he_std`).
    nonlinearity : {"relu", "leaky_relu"}, default "relu"
    negative_slope : float, default 0.01
        a >= 0 of the leaky ReLU, used only for ``"leaky_relu"``.

    Returns
    -------
    W : (D, M) ndarray of float64
        For ``y = x @ W``. PyTorch: ``nn.init.kaiming_normal_(w, a, mode,
        nonlinearity)`` / ``kaiming_uniform_`` on ``w`` of shape ``(M, D)``.
        Note torch's default ``a=0``: for a leaky ReLU pass ``a=negative_slope``.

    Examples
    --------
    >>> W = he(200, 50, rng=np.random.default_rng(0))
    >>> W.shape
    (200, 50)
    >>> round(float(W.std()), 3)  # √(2 / 200) = 0.1
    0.1
    """
    std = he_std(fan_in, fan_out, mode=mode, nonlinearity=nonlinearity, negative_slope=negative_slope)
    return _draw(std, fan_in, fan_out, rng, distribution)
