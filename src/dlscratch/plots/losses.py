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
``"notes 004 (no 1−y)"``
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
    "notes 004 (no 1−y)": (_notes, _notes_grad),
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
    """
    eps = 10.0**log10_eps
    z = np.linspace(-z_max, z_max, n)
    value, slope = loss_curve(loss, z, target, eps)
    ax_loss, ax_grad = fig.subplots(1, 2, sharex=True)
    if loss != "cross-entropy":
        ref_value, ref_slope = loss_curve("cross-entropy", z, target)
        ax_loss.plot(z, ref_value, color="0.6", lw=1.2, label="cross-entropy (reference)")
        ax_grad.plot(z, ref_slope, color="0.6", lw=1.2, label="cross-entropy (reference)")
    ax_loss.plot(z, value, color="C0", label=loss)
    ax_grad.plot(z, slope, color="C1", label=f"dL/dz, {loss}")
    if 0 < target < 1:
        z_star = float(np.log(target / (1 - target)))
        for ax in (ax_loss, ax_grad):
            ax.axvline(z_star, color="C2", ls=":", lw=1.5, label="σ(z) = y" if ax is ax_loss else None)
    eps_note = f", ε = 1e{log10_eps:g}" if loss == "two-stage (clipped)" else ""
    ax_loss.set(title=f"loss, target y = {target:g}{eps_note}", xlabel="logit z", ylabel="loss L(z)")
    ax_loss.set_ylim(-0.05 * max(1.0, float(value.max())), 1.1 * max(1.0, float(value.max())))
    ax_grad.set(title="slope dL/dz (sent back by backprop)", xlabel="logit z", ylabel="dL/dz")
    ax_grad.set_ylim(-1.1, 1.1)
    ax_loss.legend(loc="upper center", fontsize=9)
    ax_grad.legend(loc="upper left", fontsize=9)
    for ax in (ax_loss, ax_grad):
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(0, color="k", lw=0.6)
