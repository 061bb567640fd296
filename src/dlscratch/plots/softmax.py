"""Figures of chapter 2 (``chapters/02_softmax.md``): softmax, overflow, temperature, hard vs soft max."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import softmax as sm

#: The example logits of chapter 2's figures (four classes).
LOGITS = np.array([3.0, 1.0, 0.2, -1.0])
CLASS_NAMES = ("cat", "dog", "bird", "fish")
#: The precisions the figure offers (numpy has no bfloat16; the chapter shows it with torch).
DTYPES = ("float32", "float64", "float16")


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
    dtype : {"float32", "float64", "float16"}
        Precision of the computation: ``exp`` overflows past 88.72, 709.78
        and 11.09 respectively.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(map(repr, DTYPES))}, got {dtype!r}")
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


def _bar_panel(ax, n_classes: int):
    """Empty bars with their value labels, for :func:`_set_bars` to fill in."""
    positions = np.arange(n_classes)
    bars = ax.bar(positions, np.zeros(n_classes))
    labels = [ax.text(i, 0.02, "", ha="center") for i in positions]
    ax.set(ylim=(0, 1.0), xticks=positions)
    ax.set_xticklabels(CLASS_NAMES[:n_classes] if n_classes <= len(CLASS_NAMES) else positions)
    ax.grid(axis="x", visible=False)
    return bars, labels


def _set_bars(ax, bars, labels, probs, title, color):
    bad = ~np.isfinite(probs)
    for i, (bar, label, p) in enumerate(zip(bars, labels, probs, strict=True)):
        bar.set_height(0.0 if bad[i] else p)
        bar.set_facecolor(color)
        label.set_text("NaN" if bad[i] else f"{p:.3f}")
        label.set_y(0.02 if bad[i] else min(p + 0.02, 0.93))
        label.set_color("C3" if bad[i] else "k")
    ax.set_title(title)


def plot_softmax_bars(fig, shift: float = 0.0, temperature: float = 1.0, dtype: str = "float32"):
    """Softmax of ``LOGITS / temperature + shift``: naive formula (left) and max-shifted (right).

    The main control is ``shift``: the right panel stays put (shift
    invariance, up to the rounding of the shifted scores in float16), the
    left one breaks into NaN once ``exp`` overflows or every term underflows,
    which happens at smaller shifts the narrower ``dtype`` is.
    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax_naive, ax_stable = fig.subplots(1, 2, sharey=True)
    naive_bars = _bar_panel(ax_naive, len(LOGITS))
    stable_bars = _bar_panel(ax_stable, len(LOGITS))
    ax_naive.set_ylabel("probability")

    def update(shift=shift, temperature=temperature, dtype=dtype):
        x = scaled_logits(LOGITS, temperature, shift, dtype)
        naive, stable = naive_and_stable(LOGITS, temperature, shift, dtype)
        broken = not np.all(np.isfinite(naive))
        status = " → NaN" if broken else ""
        naive_title = rf"naive: $e^{{x_i}} / \Sigma_j\, e^{{x_j}}${status}"
        _set_bars(ax_naive, *naive_bars, naive, naive_title, "C3" if broken else "C0")
        _set_bars(ax_stable, *stable_bars, stable, r"max-shifted: $e^{x_i - m} / \Sigma_j\, e^{x_j - m}$", "C2")
        limit = math.log(float(np.finfo(dtype).max))
        # two lines each, so the frozen layout (made at the defaults) fits the widest values too
        ax_naive.set_xlabel(
            f"scores from {float(x.min()):.1f} to {float(x.max()):.1f}\n{dtype}: exp overflows above {limit:.2f}"
        )
        ax_stable.set_xlabel(f"$m$ = max score; $T$ = {temperature:g}, shift $c$ = {shift:g}")

    update(shift, temperature, dtype)
    return update


def plot_hard_vs_soft(fig, temperature: float = 1.0, others=(1.0, 0.0), x_range: float = 6.0, n: int = 601):
    """Probability of class 0 as its logit ``x_0`` varies, the other logits fixed at ``others``.

    Left: hard max (one-hot of the argmax) and softmax at ``temperature``.
    Right: the derivative of that probability with respect to ``x_0``: zero
    (almost everywhere) for the hard max, ``p_0 (1 - p_0) / T`` for the softmax.
    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax_p, ax_d = fig.subplots(1, 2, sharex=True)
    (hard_line,) = ax_p.plot([], [], color="C3", label="hard max (one-hot argmax)")
    (soft_line,) = ax_p.plot([], [], color="C0")
    (zero_line,) = ax_d.plot([], [], color="C3", label="hard max: 0 (undefined at the jump)")
    jump = ax_d.axvline(0.0, color="C3", ls=":", lw=1)
    (slope_line,) = ax_d.plot([], [], color="C0", label="softmax: $p_0(1 - p_0)/T$")
    # the y-limits leave a band above the curves (p_0 <= 1) for the legends
    ax_p.set(xlabel="logit $x_0$", ylabel="$p_0$", ylim=(-0.05, 1.55), yticks=[0, 0.25, 0.5, 0.75, 1])
    ax_d.set(xlabel="logit $x_0$", ylabel=r"$\partial p_0 / \partial x_0$", title="gradient that flows back to $x_0$")
    ax_d.legend(loc="upper left", fontsize=10)
    legend_p = ax_p.legend(
        handles=[hard_line, soft_line], labels=["hard max (one-hot argmax)", ""], loc="upper left", fontsize=10
    )

    def update(temperature=temperature, others=others, x_range=x_range):
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        x0 = np.linspace(-x_range, x_range, n)  # (n,)
        rest = np.broadcast_to(np.asarray(others, dtype=float), (n, len(others)))
        p0 = sm.softmax(np.column_stack([x0, rest]) / temperature)[:, 0]  # (n,)
        hard_line.set_data(x0, (x0 > max(others)).astype(float))  # one-hot of the argmax, entry 0
        soft_line.set_data(x0, p0)
        legend_p.get_texts()[1].set_text(f"softmax, $T$ = {temperature:g}")  # cheaper than a new legend
        ax_p.set_xlim(-1.05 * x_range, 1.05 * x_range)
        others_text = ", ".join(f"{v:g}" for v in others)
        ax_p.set_title(f"$p_0$ when the other logits are {others_text}")
        zero_line.set_data(x0, np.zeros_like(x0))
        jump.set_xdata([max(others)] * 2)
        slope_line.set_data(x0, p0 * (1 - p0) / temperature)
        top = 0.25 / temperature  # the largest slope, at p_0 = 1/2
        ax_d.set_ylim(-0.06 * top, 1.6 * top)

    update(temperature, others, x_range)
    return update
