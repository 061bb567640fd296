"""Figures of chapter 2 (``chapters/02_softmax.md``): softmax, overflow, temperature, hard vs soft max."""

from __future__ import annotations

import warnings

import numpy as np

from .. import softmax as sm

#: The example logits of chapter 2's figures (four classes).
LOGITS = np.array([3.0, 1.0, 0.2, -1.0])
CLASS_NAMES = ("cat", "dog", "bird", "fish")


def scaled_logits(logits, temperature: float = 1.0, shift: float = 0.0, dtype: str = "float32") -> np.ndarray:
    """The scores the figure feeds to softmax: ``logits / temperature + shift`` in ``dtype``.

    Parameters
    ----------
    logits : (C,) array_like
        Raw scores.
    temperature : float
        Softmax temperature ``T > 0``; small ``T`` sharpens, large ``T`` flattens.
    shift : float
        A constant added to every score; softmax itself does not change, but
        the naive formula overflows (or underflows to 0/0) once it is large.
    dtype : {"float32", "float64"}
        Precision of the computation.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return (np.asarray(logits, dtype=float) / temperature + shift).astype(dtype)  # (C,)


def naive_and_stable(logits=LOGITS, temperature: float = 1.0, shift: float = 0.0, dtype: str = "float32"):
    """Return ``(naive, stable)`` softmax probabilities of :func:`scaled_logits`.

    The naive version's overflow/underflow warnings are silenced here (the
    figure shows their result, NaN bars, instead).
    """
    x = scaled_logits(logits, temperature, shift, dtype)
    with warnings.catch_warnings(), np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        naive = sm.softmax_naive(x)
    return naive, sm.softmax(x)


def _bars(ax, probs, title, color):
    positions = np.arange(len(probs))
    bad = ~np.isfinite(probs)
    ax.bar(positions, np.where(bad, 0.0, probs), color=color)
    for i, p in enumerate(probs):
        text = "NaN" if bad[i] else f"{p:.3f}"
        ax.text(i, 0.02 if bad[i] else min(p + 0.02, 0.93), text, ha="center", color="C3" if bad[i] else "k")
    ax.set(ylim=(0, 1.0), title=title, xticks=positions)
    ax.set_xticklabels(CLASS_NAMES[: len(probs)] if len(probs) <= len(CLASS_NAMES) else positions)
    ax.grid(axis="x", visible=False)


def plot_softmax_bars(fig, shift: float = 0.0, temperature: float = 1.0, dtype: str = "float32"):
    """Softmax of ``LOGITS / temperature + shift``: naive formula (left) and max-shifted (right)."""
    x = scaled_logits(LOGITS, temperature, shift, dtype)
    naive, stable = naive_and_stable(LOGITS, temperature, shift, dtype)
    ax_naive, ax_stable = fig.subplots(1, 2, sharey=True)
    broken = not np.all(np.isfinite(naive))
    status = " → NaN" if broken else ""
    _bars(ax_naive, naive, f"naive exp(x)/Σexp(x){status}", "C3" if broken else "C0")
    _bars(ax_stable, stable, "max-shifted exp(x - max x)/Σ...", "C2")
    ax_naive.set_ylabel("probability")
    limit = float(np.log(np.finfo(dtype).max))
    ax_naive.set_xlabel(
        f"max x = {float(x.max()):.1f}, min x = {float(x.min()):.1f} ({dtype}: exp overflows > {limit:.2f})"
    )
    ax_stable.set_xlabel(f"T = {temperature:g}, shift = {shift:g}")


def plot_hard_vs_soft(fig, temperature: float = 1.0, others=(1.0, 0.0), x_range: float = 6.0, n: int = 601):
    """Probability of class 0 as its logit ``x_0`` varies, the other logits fixed at ``others``.

    Left: hard max (one-hot of the argmax) and softmax at ``temperature``.
    Right: the derivative of that probability with respect to ``x_0``: zero
    (almost everywhere) for the hard max, ``p_0 (1 - p_0) / T`` for the softmax.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    x0 = np.linspace(-x_range, x_range, n)  # (n,)
    logits = np.column_stack([x0, np.broadcast_to(np.asarray(others, dtype=float), (n, len(others)))])  # (n, C)
    p0 = sm.softmax(logits / temperature)[:, 0]  # (n,)
    hard = (x0 > max(others)).astype(float)  # one-hot of the argmax, entry 0
    ax_p, ax_d = fig.subplots(1, 2, sharex=True)
    ax_p.plot(x0, hard, color="C3", label="hard max (one-hot argmax)")
    ax_p.plot(x0, p0, color="C0", label=f"softmax, T = {temperature:g}")
    ax_p.set(
        xlabel="logit x_0", ylabel="p_0", title=f"p_0 with x_1..x_{len(others)} = {list(others)}", ylim=(-0.05, 1.05)
    )
    ax_p.legend(loc="upper left")
    ax_d.plot(x0, np.zeros_like(x0), color="C3", label="hard max: 0 (undefined at the jump)")
    ax_d.axvline(max(others), color="C3", ls=":", lw=1)
    ax_d.plot(x0, p0 * (1 - p0) / temperature, color="C0", label="softmax: p_0(1 - p_0)/T")
    ax_d.set(xlabel="logit x_0", ylabel="∂p_0 / ∂x_0", title="gradient that flows back to x_0")
    ax_d.set_ylim(-0.05, max(0.3, 0.25 / temperature * 1.1))
    ax_d.legend(loc="upper left")
