"""Figures of chapter 1 (``chapters/01_activations.md``)."""

from __future__ import annotations

import numpy as np

from .. import activations as act

#: name -> (f(x, slope), f'(x, slope)); the slope only matters for leaky ReLU.
ACTIVATIONS = {
    "step": (lambda x, s: act.step(x), lambda x, s: act.step_grad(x)),
    "sigmoid": (lambda x, s: act.sigmoid(x), lambda x, s: act.sigmoid_grad(x)),
    "tanh": (lambda x, s: act.tanh(x), lambda x, s: act.tanh_grad(x)),
    "relu": (lambda x, s: act.relu(x), lambda x, s: act.relu_grad(x)),
    "leaky_relu": (lambda x, s: act.leaky_relu(x, s), lambda x, s: act.leaky_relu_grad(x, s)),
}


def _jump_at_zero(x, y):
    """``x, y`` with a NaN between the last ``x <= 0`` and the first ``x > 0``: the step's jump stays a gap."""
    k = int(np.searchsorted(x, 0.0, side="right"))
    return np.insert(x, k, np.nan), np.insert(y, k, np.nan)


#: name -> (the left panel's title, what the right panel's title says about the derivative)
_TITLES = {
    "step": ("step function $H(x)$", "0 wherever it exists"),
    "sigmoid": (r"sigmoid $\sigma(x)$", "at most 0.25"),
    "tanh": (r"$\tanh(x)$", "at most 1"),
    "relu": (r"$\mathrm{ReLU}(x)$", "0 or 1"),
    "leaky_relu": (r"$\mathrm{LeakyReLU}_\alpha(x)$", r"$\alpha$ or 1"),  # the title adds α's value
}


def plot_activation(fig, name: str = "sigmoid", negative_slope: float = 0.1, x_max: float = 6.0, n: int = 801):
    """Draw activation ``name`` (left) and its derivative (right) on ``[-x_max, x_max]``.

    The function is the figure's main control: switching it shows how the
    derivatives differ (the sigmoid's is at most 1/4, ReLU's is 1 for every
    positive input). ``negative_slope`` is leaky ReLU's slope α for ``x <= 0``
    (the other functions ignore it); ``x_max`` only zooms. The derivative panel
    shades where ``|f'(x)| < 0.01``: where almost no gradient flows back
    (the saturated tails, or ReLU's flat side). Returns the updater for
    :func:`~dlscratch.widgets.explore` (``n`` is fixed when the figure is built).
    """
    ax_f, ax_d = fig.subplots(1, 2, sharex=True)
    (line_f,) = ax_f.plot([], [], color="C0", label="$f(x)$")
    (closed,) = ax_f.plot([0], [0], "o", color="C0")  # the step's value at 0 ...
    (opened,) = ax_f.plot([0], [1], "o", mfc="white", color="C0")  # ... and the limit from the right
    (line_d,) = ax_d.plot([], [], color="C1", label="$f'(x)$")
    shade = ax_d.fill_between(
        [0, 1],
        0,
        1,
        color="0.5",
        alpha=0.15,
        transform=ax_d.get_xaxis_transform(),
        label="$|f'(x)| < 0.01$: almost no gradient",
    )
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(0, color="k", lw=0.6)
    ax_f.set(xlabel="$x$", ylabel="$f(x)$")
    ax_d.set(xlabel="$x$", ylabel="$f'(x)$")
    # above the curves: the y-limits leave the top fifth of the panel free for it
    ax_d.legend(handles=[shade], loc="upper left", fontsize=10)

    def update(name=name, negative_slope=negative_slope, x_max=x_max):
        if name not in ACTIVATIONS:
            raise ValueError(f"name must be one of {sorted(ACTIVATIONS)}, got {name!r}")
        f, df = ACTIVATIONS[name]
        x = np.linspace(-x_max, x_max, n)
        y, dy = f(x, negative_slope), df(x, negative_slope)
        is_step = name == "step"
        line_f.set_data(*(_jump_at_zero(x, y) if is_step else (x, y)))  # draw the jump as a jump
        closed.set_visible(is_step)
        opened.set_visible(is_step)
        line_d.set_data(x, dy)
        shade.set_data(x, 0, 1, where=np.abs(dy) < 0.01)
        ax_f.set_xlim(-1.05 * x_max, 1.05 * x_max)
        low, high = float(np.nanmin(y)), float(np.nanmax(y))
        pad = 0.05 * max(high - low, 1.0)
        ax_f.set_ylim(min(low, 0.0) - pad, max(high, 0.0) + pad)
        title_f, title_d = _TITLES[name]
        if name == "leaky_relu":
            title_f += rf", $\alpha = {negative_slope:g}$"
        ax_f.set_title(title_f)
        ax_d.set_title(f"its derivative: {title_d}")
        top = max(1.0, float(np.nanmax(dy)))
        ax_d.set_ylim(-0.06 * top, 1.35 * top)

    update(name, negative_slope, x_max)
    return update


def chain_gradients(name: str, weight: float, depth: int, x0: float = 0.5, negative_slope: float = 0.01):
    """The derivative of ``a_L`` w.r.t. ``a_0`` for the scalar chain ``a_{k+1} = f(weight * a_k)``.

    Returns an array of length ``depth + 1``: entry ``k`` is ``|d a_k / d a_0|``,
    the product of the local factors ``weight * f'(weight * a_j)`` for ``j < k``.
    """
    f, df = ACTIVATIONS[name]
    a, grad = float(x0), 1.0
    out = [1.0]
    for _ in range(depth):
        z = weight * a
        grad *= weight * float(df(z, negative_slope))
        a = float(f(z, negative_slope))
        out.append(abs(grad))
    return np.array(out)


def plot_vanishing(fig, weight: float = 1.0, depth: int = 20, x0: float = 0.5):
    """|d a_L / d a_0| against depth L for sigmoid, tanh and ReLU chains (log scale); returns the updater."""
    ax = fig.subplots()
    names = (("sigmoid", "C0"), ("tanh", "C2"), ("relu", "C3"))
    lines = {name: ax.semilogy([], [], "o-", ms=3, color=color, label=name)[0] for name, color in names}
    (guide,) = ax.semilogy([], [], "k--", lw=1, label="$0.25^L$: sigmoid's\nbest case, $w = 1$")
    ax.set(xlabel="depth $L$ (number of layers)", ylabel=r"$|\mathrm{d}a_L / \mathrm{d}a_0|$")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes: the curves fill them
    ax.xaxis.get_major_locator().set_params(integer=True)

    def update(weight=weight, depth=depth, x0=x0):
        layers = np.arange(depth + 1)
        shown = []
        for name, line in lines.items():
            grads = chain_gradients(name, weight, depth, x0)
            # a gradient that is exactly 0 (a dead ReLU) has no place on a log scale: it ends the line
            line.set_data(layers, np.where(grads > 0, grads, np.nan))
            shown.append(grads[grads > 0])
        guide.set_data(layers, 0.25**layers)
        values = np.concatenate([*shown, 0.25**layers])
        low, high = float(values.min()), float(values.max())
        ax.set_ylim(low / 30, high * 30)  # every curve inside, whatever the weight: none leaves the plot
        ax.set_xlim(-0.05 * depth, 1.05 * depth)
        ax.set_title(rf"chain $a_{{k+1}} = f(w\,a_k)$ with $w = {weight:g}$, $a_0 = {x0:g}$")

    update(weight, depth, x0)
    return update
