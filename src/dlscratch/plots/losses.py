"""Figures of chapter 3, loss functions (``chapters/03_losses.md``).

One binary prediction ``p = σ(z)`` with logit ``z`` and target ``y`` in
``[0, 1]``; each curve is a loss ``L(z)`` and its slope ``dL/dz`` (what
backpropagation sends to the network). The four curves:

``"cross-entropy"``
    the stable sigmoid cross-entropy ``max(z, 0) - z·y + log(1 + e^{-|z|})``;
    slope ``σ(z) - y``.
``"two-stage (clipped)"``
    ``σ`` first, then ``-[y log p + (1 - y) log(1 - p)]`` with ``p`` and
    ``1 - p`` clipped to ``[ε, 1 - ε]`` (notes 004); flat, with slope 0, where
    the clip is active.
``"without the (1 − y) term"``
    the notes' ``y·log(1 + e^{-z})``, which drops the ``(1 - y)`` term;
    slope ``-y(1 - σ(z))``.
``"MSE on σ(z)"``
    ``(σ(z) - y)^2``; slope ``2(σ(z) - y)σ(z)(1 - σ(z))``, which vanishes when
    the prediction is confidently wrong.
"""

from __future__ import annotations

import numpy as np

from .. import activations as act
from .. import losses

__all__ = ["LOSS_CURVES", "loss_curve", "plot_loss_vs_logit"]


def _softplus_neg(z: np.ndarray) -> np.ndarray:
    """``log(1 + e^{-z})`` without overflow."""
    return np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))


def _cross_entropy(z, y, eps):
    return losses.sigmoid_cross_entropy(z, np.full_like(z, y), reduction="none")


def _cross_entropy_grad(z, y, eps):
    return act.sigmoid(z) - y


def _two_stage(z, y, eps):
    p = act.sigmoid(z)
    p_clipped = np.clip(p, eps, 1 - eps)
    q_clipped = np.clip(1 - p, eps, 1 - eps)
    return -(y * np.log(p_clipped) + (1 - y) * np.log(q_clipped))


def _two_stage_grad(z, y, eps):
    p = act.sigmoid(z)
    p_free = (p > eps) & (p < 1 - eps)  # where the clip of p is inactive
    q_free = (1 - p > eps) & (1 - p < 1 - eps)  # ... and that of 1 - p
    return np.where(p_free, -y * (1 - p), 0.0) + np.where(q_free, (1 - y) * p, 0.0)


def _notes(z, y, eps):
    return y * _softplus_neg(z)


def _notes_grad(z, y, eps):
    return -y * (1 - act.sigmoid(z))


def _mse(z, y, eps):
    return (act.sigmoid(z) - y) ** 2


def _mse_grad(z, y, eps):
    p = act.sigmoid(z)
    return 2 * (p - y) * p * (1 - p)


#: name -> (loss(z, y, eps), dloss/dz(z, y, eps)), element-wise in z.
LOSS_CURVES = {
    "cross-entropy": (_cross_entropy, _cross_entropy_grad),
    "two-stage (clipped)": (_two_stage, _two_stage_grad),
    "without the (1 − y) term": (_notes, _notes_grad),
    "MSE on σ(z)": (_mse, _mse_grad),
}


def loss_curve(name: str, z, target: float, eps: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Loss ``name`` and its derivative with respect to the logit, at logits ``z``.

    Parameters
    ----------
    name : str
        A key of :data:`LOSS_CURVES`.
    z : (n,) array_like
        Logits.
    target : float
        The target ``y`` in ``[0, 1]``.
    eps : float, optional
        Clipping bound of the two-stage loss (ignored by the others).

    Returns
    -------
    loss, grad : (n,) ndarray
    """
    if name not in LOSS_CURVES:
        raise ValueError(f"name must be one of {list(LOSS_CURVES)}, got {name!r}")
    if not 0 <= target <= 1:
        raise ValueError(f"target must be in [0, 1], got {target!r}")
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps!r}")
    z = np.asarray(z, dtype=float)
    f, df = LOSS_CURVES[name]
    return f(z, target, eps), df(z, target, eps)


def plot_loss_vs_logit(
    fig,
    loss: str = "cross-entropy",
    target: float = 1.0,
    log10_eps: float = -7.0,
    z_max: float = 20.0,
    n: int = 801,
):
    """Loss (left) and its slope dL/dz (right) against the logit z, for target ``target``.

    The stable cross-entropy is drawn in grey in both panels for reference; a
    dotted line marks the logit ``z* = log(y / (1 - y))`` where ``σ(z*) = y``.
    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax_loss, ax_grad = fig.subplots(1, 2, sharex=True)
    reference = "cross-entropy (reference)"
    (ref_value,) = ax_loss.plot([], [], color="0.6", lw=1.2, label=reference)
    (ref_slope,) = ax_grad.plot([], [], color="0.6", lw=1.2, label=reference)
    (value_line,) = ax_loss.plot([], [], color="C0")
    (slope_line,) = ax_grad.plot([], [], color="C1")
    z_star_lines = [ax.axvline(0.0, color="C2", ls=":", lw=1.5) for ax in (ax_loss, ax_grad)]
    z_star_lines[0].set_label(r"$\sigma(z) = y$")
    for ax in (ax_loss, ax_grad):
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(0, color="k", lw=0.6)
    ax_loss.set(xlabel="logit $z$", ylabel="loss $L(z)$")
    # slopes lie in [-1, 1]; the band below -1.1 is kept free for the legend
    ax_grad.set(
        title="the slope that backprop sends back",
        xlabel="logit $z$",
        ylabel=r"$\mathrm{d}L/\mathrm{d}z$",
        ylim=(-1.9, 1.15),
        yticks=[-1, -0.5, 0, 0.5, 1],
    )

    def update(loss=loss, target=target, log10_eps=log10_eps, z_max=z_max):
        eps = 10.0**log10_eps
        z = np.linspace(-z_max, z_max, n)
        value, slope = loss_curve(loss, z, target, eps)
        show_reference = loss != "cross-entropy"
        if show_reference:
            ref = loss_curve("cross-entropy", z, target)
            ref_value.set_data(z, ref[0])
            ref_slope.set_data(z, ref[1])
        ref_value.set_visible(show_reference)
        ref_slope.set_visible(show_reference)
        value_line.set_data(z, value)
        value_line.set_label(loss)
        slope_line.set_data(z, slope)
        slope_line.set_label(loss)
        inside = 0 < target < 1
        for line in z_star_lines:
            line.set_visible(inside)
            if inside:
                line.set_xdata([float(np.log(target / (1 - target)))] * 2)
        eps_note = rf", $\varepsilon = 10^{{{log10_eps:g}}}$" if loss == "two-stage (clipped)" else ""
        ax_loss.set_title(f"loss for the target $y$ = {target:g}{eps_note}")
        top = max(1.0, float(value.max()), float(ref_value.get_ydata().max()) if show_reference else 0.0)
        ax_loss.set_ylim(-0.05 * top, 1.6 * top)  # the top third stays free for the legend
        ax_loss.set_xlim(-1.05 * z_max, 1.05 * z_max)
        for ax, loc in ((ax_loss, "upper center"), (ax_grad, "lower center")):
            handles = [line for line in ax.get_lines() if line.get_visible() and not line.get_label().startswith("_")]
            ax.legend(handles=handles, loc=loc, fontsize=9.5)

    update(loss, target, log10_eps, z_max)
    return update
