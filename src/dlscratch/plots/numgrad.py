"""Figures of chapter 4, numerical differentiation (``chapters/04_numerical_gradient.md``).

Every function has the ``plot(fig, **params)`` signature of
:func:`dlscratch.widgets.explore`. The contour grids are computed once, at
import, and the gradient field once per function, on first use, so that a
redraw only draws (well under 100 ms). The capstone's figures (softmax
regression on the digits) are in :mod:`dlscratch.plots.regression`.
"""

from __future__ import annotations

import functools
import math

import contourpy
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import NullLocator

from ..numgrad import gradient_descent, numerical_gradient

__all__ = [
    "BOWLS",
    "DOUBLE_WELL",
    "SCALAR_FUNCTIONS",
    "best_step",
    "directional_derivatives",
    "double_well_minima",
    "gradient_field",
    "plot_descent",
    "plot_directional",
    "plot_gradient_field",
    "plot_local_minima",
    "plot_secant",
    "plot_step_error",
    "smoothing_points",
    "step_errors",
]

#: name -> (f, f') for the scalar figures; each f works on floats and float arrays.
SCALAR_FUNCTIONS = {
    "sin": (np.sin, np.cos),
    "exp": (np.exp, np.exp),
    "x³ − 2x": (lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2),
}


def _few_log_ticks(axis, exponents) -> None:
    """Fixed decades as major ticks and no minor ticks: log axes otherwise dominate the redraw time."""
    axis.set_ticks([10.0**e for e in exponents])
    axis.set_minor_locator(NullLocator())


def _check_name(name, options, what="name"):
    if name not in options:
        raise ValueError(f"{what} must be one of {list(options)}, got {name!r}")


# ----------------------------------------------------------------------------- secant vs tangent


def plot_secant(fig, h: float = 0.5, name: str = "sin", x0: float = 1.0):
    """The tangent at ``x0`` and the forward and central secants of step ``h``.

    Left: ``f`` near ``x0`` with the three lines. Right: the slopes as bars
    against the true ``f'(x0)``, with their errors in the legend. Returns the
    updater for :func:`~dlscratch.widgets.explore`.
    """
    ax, ax_bar = fig.subplots(1, 2, width_ratios=(1.5, 1))
    (curve,) = ax.plot([], [], color="k", lw=1.5, label="$f(x)$")
    (tangent,) = ax.plot([], [], color="C2")
    (forward_line,) = ax.plot([], [], "--", color="C0")
    (central_line,) = ax.plot([], [], "--", color="C1")
    (at_x0,) = ax.plot([], [], "o", color="k")
    (forward_point,) = ax.plot([], [], "o", color="C0")
    (central_points,) = ax.plot([], [], "o", color="C1", mfc="none")
    bars = ax_bar.bar(["forward", "central"], [0.0, 0.0], color=["C0", "C1"])
    ax.set(xlabel="$x$", ylabel="$f(x)$")
    ax_bar.set(ylabel="$|$slope$ - f'(x_0)|$")

    def update(h=h, name=name, x0=x0):
        _check_name(name, SCALAR_FUNCTIONS)
        f, df = SCALAR_FUNCTIONS[name]
        slope = float(df(x0))
        forward = (f(x0 + h) - f(x0)) / h
        central = (f(x0 + h) - f(x0 - h)) / (2 * h)
        x = np.linspace(x0 - 2.2, x0 + 2.2, 300)
        y = f(x)
        curve.set_data(x, y)
        tangent.set_data(x, f(x0) + slope * (x - x0))
        tangent.set_label(f"tangent, slope {slope:.4f}")
        forward_line.set_data(x, f(x0) + forward * (x - x0))
        forward_line.set_label(f"forward secant, slope {forward:.4f}")
        central_line.set_data(x, f(x0 - h) + central * (x - x0 + h))
        central_line.set_label(f"central secant, slope {central:.4f}")
        at_x0.set_data([x0], [f(x0)])
        forward_point.set_data([x0 + h], [f(x0 + h)])
        central_points.set_data([x0 - h, x0 + h], [f(x0 - h), f(x0 + h)])
        pad = 0.15 * (y.max() - y.min())
        ax.set(xlim=(x[0] - 0.22, x[-1] + 0.22), ylim=(y.min() - pad, y.max() + pad))
        ax.set_title(f"$f(x)$ = {name} at $x_0$ = {x0:g}")
        ax.legend(
            handles=[curve, tangent, forward_line, central_line],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=9.5,
        )
        errors = [abs(forward - slope), abs(central - slope)]
        for bar, error in zip(bars, errors, strict=True):
            bar.set_height(error)
        ax_bar.set(title=f"error at $h$ = {h:g}", ylim=(0, max(errors) * 1.2 + 1e-12))

    update(h, name, x0)
    return update


# ----------------------------------------------------------------------------- error against step size


def step_errors(name: str, x0, hs) -> tuple[np.ndarray, np.ndarray]:
    """Absolute errors of the forward and central differences of ``SCALAR_FUNCTIONS[name]``.

    Parameters
    ----------
    name : str
        A key of :data:`SCALAR_FUNCTIONS`.
    x0 : float or (P,) array_like
        The point, or several points: the errors are then averaged over them,
        which smooths the rounding noise without moving the trend.
    hs : (K,) array_like
        Steps, all ``> 0``.

    Returns
    -------
    forward, central : (K,) ndarray
        Mean ``|forward difference − f'(x0)|`` and ``|central difference − f'(x0)|`` in float64.
    """
    _check_name(name, SCALAR_FUNCTIONS)
    hs = np.asarray(hs, dtype=np.float64)
    if hs.ndim != 1 or not np.all(hs > 0):
        raise ValueError(f"hs must be a 1-D array of positive steps, got shape {hs.shape}")
    points = np.asarray(x0, dtype=np.float64)
    if points.ndim > 1:
        raise ValueError(f"x0 must be a number or a 1-D array of points, got shape {points.shape}")
    f, df = SCALAR_FUNCTIONS[name]
    x = points.reshape(-1, 1)  # (P, 1), broadcast against hs (K,)
    exact = df(x)  # (P, 1)
    forward = np.abs((f(x + hs) - f(x)) / hs - exact)  # (P, K)
    central = np.abs((f(x + hs) - f(x - hs)) / (2 * hs) - exact)  # (P, K)
    return forward.mean(axis=0), central.mean(axis=0)


def best_step(hs, errors) -> float:
    """The step ``h`` of ``hs`` with the smallest error (first one on ties)."""
    return float(np.asarray(hs)[int(np.argmin(errors))])


_HS = np.logspace(-15, 0, 301)  # 20 steps per decade


def smoothing_points(x0: float) -> np.ndarray:
    """The 41 points ``x0 ± 0.2`` over which :func:`plot_step_error` averages its errors."""
    return np.linspace(x0 - 0.2, x0 + 0.2, 41)


def plot_step_error(fig, name: str = "exp", x0: float = 1.0):
    """Forward and central errors against ``h`` (log-log), averaged over ``x0 ± 0.2``, with an ε/h guide.

    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    eps = np.finfo(np.float64).eps
    ax = fig.subplots()
    (forward_line,) = ax.loglog([], [], color="C0", lw=1.2, label=r"forward $(f(x+h) - f(x))\,/\,h$")
    (central_line,) = ax.loglog([], [], color="C1", lw=1.2, label=r"central $(f(x+h) - f(x-h))\,/\,2h$")
    ax.loglog(_HS, eps / _HS, ":", color="0.4", lw=1.2, label=r"rounding $\sim \varepsilon / h$")
    for hs_best, color, text in (
        (math.sqrt(eps), "C0", r"$\varepsilon^{1/2}$"),
        (eps ** (1 / 3), "C1", r"$\varepsilon^{1/3}$"),
    ):
        ax.axvline(hs_best, color=color, lw=0.8, ls="--")
        ax.text(hs_best, 1e-16, f" {text}", color=color, fontsize=9)
    (forward_best,) = ax.plot([], [], "o", color="C0")
    (central_best,) = ax.plot([], [], "o", color="C1")
    ax.set(xlabel="step $h$", ylabel="$|$estimate$ - f'(x_0)|$", xlim=(10**-15.75, 10**0.75), ylim=(1e-17, 1e2))
    _few_log_ticks(ax.xaxis, range(-15, 1, 3))
    _few_log_ticks(ax.yaxis, range(-16, 2, 4))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9.5)

    def update(name=name, x0=x0):
        forward, central = step_errors(name, smoothing_points(x0), _HS)
        forward_line.set_data(_HS, np.maximum(forward, 1e-18))
        central_line.set_data(_HS, np.maximum(central, 1e-18))
        forward_best.set_data([best_step(_HS, forward)], [forward.min()])
        central_best.set_data([best_step(_HS, central)], [central.min()])
        ax.set_title(f"errors for $f$ = {name}, mean over $x_0$ = {x0:g} ± 0.2")

    update(name, x0)
    return update


# ----------------------------------------------------------------------------- functions of two variables

#: name -> (f, grad) for the two-variable figures; f takes a (2,) array or a (2, ...) stack of grids.
BOWLS = {
    "x0² + x1²": (lambda x: x[0] ** 2 + x[1] ** 2, lambda x: np.array([2 * x[0], 2 * x[1]])),
    "0.1·x0² + x1²": (lambda x: 0.1 * x[0] ** 2 + x[1] ** 2, lambda x: np.array([0.2 * x[0], 2 * x[1]])),
}

_LIM = 5.0
_AXIS = np.linspace(-_LIM, _LIM, 161)
_GRID = np.stack(np.meshgrid(_AXIS, _AXIS))  # (2, 161, 161): x0 varies along columns
_LEVELS = np.array([0.05, 0.2, 0.5, 1, 2, 4, 7, 11, 16, 22, 30, 40])


def _contour_lines(f) -> list[np.ndarray]:
    """The level curves of ``f`` on the grid, as (M, 2) polylines: traced once, drawn on every redraw."""
    generator = contourpy.contour_generator(_AXIS, _AXIS, f(_GRID))  # f(_GRID): (161, 161)
    return [line for level in _LEVELS for line in generator.lines(level)]


_CONTOURS = {name: _contour_lines(f) for name, (f, _) in BOWLS.items()}  # computed once, at import


def _contour_panel(ax) -> LineCollection:
    """Axes for a two-variable function: its level curves (set by :func:`_set_contours`) and the minimum."""
    lines = ax.add_collection(LineCollection([], colors="0.6", linewidths=0.8), autolim=False)
    ax.set(xlim=(-_LIM, _LIM), ylim=(-_LIM, _LIM), xlabel="$x_0$", ylabel="$x_1$", aspect="equal")
    ax.plot([0], [0], "+", color="k", ms=10)
    return lines


def plot_descent(fig, lr: float = 0.1, name: str = "x0² + x1²", num_steps: int = 20, x0: tuple = (-3.0, 4.0)):
    """Gradient-descent path from ``x0`` on a contour plot (left) and ``f`` against the step (right).

    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax, ax_loss = fig.subplots(1, 2, width_ratios=(1, 1.3))
    contours = _contour_panel(ax)
    (path_line,) = ax.plot([], [], "o-", color="C3", ms=3, lw=1.2)
    (start,) = ax.plot([], [], "s", color="C3", ms=6)
    (values_line,) = ax_loss.semilogy([], [], "o-", color="C3", ms=3)
    ax_loss.xaxis.get_major_locator().set_params(integer=True)
    _few_log_ticks(ax_loss.yaxis, range(-12, 9, 4))
    ax_loss.set(xlabel="step $k$", ylabel="$f(x_k)$", ylim=(1e-12, 1e8))

    def update(lr=lr, name=name, num_steps=num_steps, x0=x0):
        _check_name(name, BOWLS)
        f, grad = BOWLS[name]
        path = gradient_descent(f, np.asarray(x0, dtype=float), lr=lr, num_steps=int(num_steps), grad=grad)
        values = np.array([f(p) for p in path])  # (num_steps + 1,)
        contours.set_segments(_CONTOURS[name])
        shown = np.clip(path, -1.5 * _LIM, 1.5 * _LIM)  # a diverging path leaves the box; clip the drawing only
        path_line.set_data(shown[:, 0], shown[:, 1])
        start.set_data(shown[:1, 0], shown[:1, 1])
        ax.set_title(rf"$f$ = {name}: {num_steps} steps, $\eta$ = {lr:g}")
        # f = 0 exactly (lr = 0.5 on the round bowl) is drawn on the bottom edge of the log axis
        values_line.set_data(np.arange(len(values)), np.maximum(values, 1.5e-12))
        ax_loss.set_xlim(-0.05 * num_steps, 1.05 * num_steps)
        ax_loss.set_title(f"after the last step, $f$ = {values[-1]:.2e}")

    update(lr, name, num_steps, x0)
    return update


def directional_derivatives(grad, thetas) -> np.ndarray:
    """``D_u f = ∇f · u`` for the unit vectors ``u = (cos θ, sin θ)``; ``grad`` is a (2,) array."""
    grad = np.asarray(grad, dtype=float)
    thetas = np.asarray(thetas, dtype=float)
    units = np.stack([np.cos(thetas), np.sin(thetas)], axis=-1)  # (..., 2)
    return units @ grad


def plot_directional(fig, angle: float = 0.0, name: str = "0.1·x0² + x1²", point: tuple = (-3.0, 1.0)):
    """A direction ``u`` at ``angle`` degrees at ``point``, and ``D_u f`` against the angle.

    Left: contours, the gradient (red) and ``u`` (blue). Right: ``D_u f(θ) = |∇f| cos(θ − θ_∇)``
    over all directions, largest along the gradient. Returns the updater for
    :func:`~dlscratch.widgets.explore`.
    """
    ax, ax_d = fig.subplots(1, 2, width_ratios=(1, 1.3))
    contours = _contour_panel(ax)
    grad_arrow = ax.annotate("", (0, 0), (0, 0), arrowprops={"arrowstyle": "->", "color": "C3", "lw": 2})
    u_arrow = ax.annotate("", (0, 0), (0, 0), arrowprops={"arrowstyle": "->", "color": "C0", "lw": 2})
    (at_point,) = ax.plot([], [], "o", color="k")
    ax.set_title(r"$\nabla f$ (red, rescaled) and $u$ (blue)")
    degrees = np.linspace(-180, 180, 361)
    (curve,) = ax_d.plot([], [], color="C0")
    norm_line = ax_d.axhline(0.0, color="C3", ls="--", lw=1)
    ax_d.axhline(0, color="k", lw=0.6)
    (marker,) = ax_d.plot([], [], "o", color="C0")
    ax_d.set(
        xlabel=r"direction $\theta$ of $u$ (degrees)",
        ylabel=r"$D_u f = \nabla f \cdot u$",
        xlim=(-180, 180),
        xticks=range(-180, 181, 90),
    )

    def update(angle=angle, name=name, point=point):
        _check_name(name, BOWLS)
        _, grad_fn = BOWLS[name]
        p = np.asarray(point, dtype=float)
        g = grad_fn(p)
        theta = math.radians(angle)
        u = np.array([math.cos(theta), math.sin(theta)])
        contours.set_segments(_CONTOURS[name])
        scale = 2.0 / max(np.linalg.norm(g), 1e-12)
        grad_arrow.xy, grad_arrow.xyann = tuple(p + scale * g), tuple(p)
        u_arrow.xy, u_arrow.xyann = tuple(p + 2.0 * u), tuple(p)
        at_point.set_data(p[:1], p[1:])
        d = directional_derivatives(g, np.radians(degrees))
        curve.set_data(degrees, d)
        norm_line.set_ydata([np.linalg.norm(g)] * 2)
        norm_line.set_label(rf"$|\nabla f|$ = {np.linalg.norm(g):.3f}")
        marker.set_data([angle], [u @ g])
        marker.set_label(f"$D_u f$ = {u @ g:.3f}")
        low, high = float(d.min()), float(d.max())
        pad = 0.05 * (high - low)
        ax_d.set_ylim(low - pad, high + 0.55 * (high - low))  # room above the curve for the legend
        ax_d.legend(handles=[norm_line, marker], loc="upper center", fontsize=9.5, ncols=2)

    update(angle, name, point)
    return update


# ----------------------------------------------------------------------------- the gradient field

_FIELD_AXIS = np.linspace(-4.5, 4.5, 13)  # 13 x 13 arrows, 0.75 apart


@functools.cache
def gradient_field(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Grid points and ``-∇f`` there, each gradient taken by :func:`~dlscratch.numgrad.numerical_gradient`.

    Parameters
    ----------
    name : str
        A key of :data:`BOWLS`.

    Returns
    -------
    points, arrows : (169, 2) ndarray
        The points of a 13 x 13 grid over ``[-4.5, 4.5]²`` and ``-∇f`` at each.
        Cached: computed once per function.
    """
    _check_name(name, BOWLS)
    f, _ = BOWLS[name]
    points = np.stack(np.meshgrid(_FIELD_AXIS, _FIELD_AXIS), axis=-1).reshape(-1, 2)  # (169, 2)
    arrows = np.array([-numerical_gradient(f, p) for p in points])  # (169, 2)
    points.flags.writeable = arrows.flags.writeable = False  # cached: shared by every caller
    return points, arrows


def plot_gradient_field(fig, name: str = "x0² + x1²"):
    """The field of ``-∇f`` on the contours of ``f`` (left) and its directions alone (right).

    Left: arrows ``-∇f`` at a grid of points, drawn to one scale for both
    functions, so their length is the steepness. Right: the same arrows
    scaled to length 1, with the minimum marked: on the elongated bowl they
    do not point at it. Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax, ax_unit = fig.subplots(1, 2)
    zeros = np.zeros(_FIELD_AXIS.size**2)
    grid = np.meshgrid(_FIELD_AXIS, _FIELD_AXIS)
    panels = []
    for axes in (ax, ax_unit):
        contours = _contour_panel(axes)
        arrows = axes.quiver(
            grid[0].ravel(), grid[1].ravel(), zeros, zeros, color="C3", angles="xy", scale_units="xy", width=0.006
        )
        panels.append((contours, arrows))
    ax_unit.set_title(r"direction only: $-\nabla f\,/\,|\nabla f|$")
    panels[0][1].scale = 12.0  # |∇f| = 12 is drawn 1 unit long, for both functions
    panels[1][1].scale = 1.6  # unit arrows 0.62 units long, shorter than the 0.75 grid spacing

    def update(name=name):
        _, arrows = gradient_field(name)
        lengths = np.linalg.norm(arrows, axis=1, keepdims=True)  # (169, 1); 0 only at the minimum
        unit = np.divide(arrows, lengths, out=np.zeros_like(arrows), where=lengths > 0)
        for (contours, quiver), field in zip(panels, (arrows, unit), strict=True):
            contours.set_segments(_CONTOURS[name])
            quiver.set_UVC(field[:, 0], field[:, 1])
        ax.set_title(rf"$-\nabla f$ for $f$ = {name}")

    update(name)
    return update


# ----------------------------------------------------------------------------- local minima in one dimension

#: (f, f') of a double well: f(x) = x⁴ − 4x² + x, a global minimum near −1.47 and a local one near 1.35.
DOUBLE_WELL = (lambda x: x**4 - 4 * x**2 + x, lambda x: 4 * x**3 - 8 * x + 1)


def double_well_minima() -> tuple[float, float, float]:
    """The stationary points of :data:`DOUBLE_WELL`: (global minimum, maximum, local minimum), the roots of f'."""
    low, top, high = np.sort(np.roots([4.0, 0.0, -8.0, 1.0]).real)  # f'(x) = 4x³ − 8x + 1
    return float(low), float(top), float(high)


_WELL_X = np.linspace(-2.6, 2.6, 400)


def plot_local_minima(fig, x0: float = 2.0, lr: float = 0.03, num_steps: int = 30):
    """Gradient descent on the double well from ``x0``: the path on the curve (left) and ``f(x_k)`` (right).

    Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    f, df = DOUBLE_WELL
    low, _, high = double_well_minima()
    ax, ax_f = fig.subplots(1, 2, width_ratios=(1.2, 1))
    ax.plot(_WELL_X, f(_WELL_X), color="k", lw=1.5)
    ax.plot([low, high], [f(low), f(high)], "v", color="C2", ms=8)
    ax.text(low, f(low) - 1.0, "global minimum", ha="center", va="top", fontsize=9.5, color="C2")
    ax.text(high, f(high) - 1.0, "local minimum", ha="center", va="top", fontsize=9.5, color="C2")
    (path_line,) = ax.plot([], [], "o-", color="C3", ms=3.5, lw=0.9)
    (start,) = ax.plot([], [], "s", color="C3", ms=7)
    ax.set(xlabel="$x$", ylabel="$f(x)$", xlim=(-2.7, 2.7), ylim=(-9, 24))
    for value, text in ((f(low), "global minimum"), (f(high), "local minimum")):
        ax_f.axhline(value, color="C2", ls="--", lw=1)
        ax_f.text(0.98, value + 0.6, text, transform=ax_f.get_yaxis_transform(), ha="right", fontsize=9.5, color="C2")
    (values_line,) = ax_f.plot([], [], "o-", color="C3", ms=3, lw=1.2)
    ax_f.xaxis.get_major_locator().set_params(integer=True)
    ax_f.set(xlabel="step $k$", ylabel="$f(x_k)$", ylim=(-7, 24))

    def update(x0=x0, lr=lr, num_steps=num_steps):
        path = gradient_descent(f, np.array([x0], dtype=float), lr=lr, num_steps=int(num_steps), grad=df)[:, 0]
        shown = np.clip(path, -2.7, 2.7)  # the drawing only; lr <= 0.1 from |x0| <= 2.5 stays inside
        path_line.set_data(shown, f(shown))
        start.set_data([shown[0]], [f(shown[0])])
        values_line.set_data(np.arange(len(path)), f(path))
        ax_f.set_xlim(-0.03 * num_steps - 0.3, 1.03 * num_steps + 0.3)
        end = path[-1]
        names = {low: "global minimum", high: "local minimum"}
        where = next((text for x, text in names.items() if abs(end - x) < 0.05), "not at a minimum")
        ax.set_title(rf"start $x_0$ = {x0:g}, $\eta$ = {lr:g}")
        ax_f.set_title(rf"$x_{{{num_steps}}}$ = {end:.2f}: {where}")

    update(x0, lr, num_steps)
    return update
