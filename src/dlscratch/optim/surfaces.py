"""Two-variable test surfaces for optimizers, and the path an optimizer takes on one (chapter 6).

* :func:`bowl`, the ill-conditioned quadratic ``f(x, y) = x²/20 + y²`` of
  *Deep Learning from Scratch* §6.1 (curvatures 0.1 and 2: a valley twenty
  times steeper across than along);
* :func:`beale`, Beale's function, non-convex, with a flat valley, steep walls
  and its minimum 0 at (3, 0.5);
* :func:`trajectory`, which runs any optimizer of :mod:`dlscratch.optim` on
  such a surface and returns the path, stopping when it runs away.

Each function takes points as a ``(2, ...)`` array (one point ``(2,)``, or a
stack of grids ``(2, H, W)`` for a contour plot) and returns ``(...)`` values
or ``(2, ...)`` gradients.

References
----------
Chapter 6 of the book. Saito, *Deep Learning from Scratch* (2016), §6.1.7;
Beale (1958), "On an iterative method for finding a local minimum of a
function of more than one variable".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, check_positive
from .optimizers import Optimizer, _check_int

__all__ = ["SURFACES", "Surface", "beale", "beale_grad", "bowl", "bowl_grad", "trajectory"]


def _points(xy) -> np.ndarray:
    xy = as_float_array(xy, "xy", expected="shape (2, ...)")
    if xy.ndim == 0 or xy.shape[0] != 2:
        raise ValueError(f"xy must have shape (2, ...): the two coordinates first, got shape {xy.shape}")
    return xy


def bowl(xy) -> np.ndarray:
    """``f(x, y) = x²/20 + y²``; ``xy`` of shape (2, ...), values of shape (...)."""
    x, y = _points(xy)
    return x**2 / 20 + y**2


def bowl_grad(xy) -> np.ndarray:
    """``∇f = (x/10, 2y)`` of :func:`bowl`; ``xy`` of shape (2, ...), the result too."""
    x, y = _points(xy)
    return np.stack([x / 10, 2 * y])


def _beale_terms(x, y):
    return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3


def beale(xy) -> np.ndarray:
    """Beale's function ``(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²``; minimum 0 at (3, 0.5)."""
    x, y = _points(xy)
    a, b, c = _beale_terms(x, y)
    return a**2 + b**2 + c**2


def beale_grad(xy) -> np.ndarray:
    """The gradient of :func:`beale`; ``xy`` of shape (2, ...), the result too."""
    x, y = _points(xy)
    a, b, c = _beale_terms(x, y)
    df_dx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    df_dy = 2 * x * (a + 2 * b * y + 3 * c * y**2)
    return np.stack([df_dx, df_dy])


@dataclass(frozen=True)
class Surface:
    """A test surface: the function, its gradient, where paths start and where the minimum is."""

    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    minimum: tuple[float, float]


#: name -> Surface; the starts are *Deep Learning from Scratch*'s (-7, 2) for the bowl and (1, 1.5) for Beale.
SURFACES = {
    "bowl": Surface(bowl, bowl_grad, start=(-7.0, 2.0), minimum=(0.0, 0.0)),
    "beale": Surface(beale, beale_grad, start=(1.0, 1.5), minimum=(3.0, 0.5)),
}


def trajectory(optimizer: Optimizer, grad: Callable, start, num_steps: int, *, limit: float = 1e3) -> np.ndarray:
    """Run ``optimizer`` from ``start`` for ``num_steps`` steps of ``grad``; return every point visited.

    Parameters
    ----------
    optimizer : Optimizer
        A fresh optimizer (its state is created by the first step); it is
        used, so its ``state`` holds the last step's state afterwards.
    grad : callable
        ``grad(point)`` returns the gradient at a point, an array of the
        point's shape.
    start : (2,) array_like
        The first point; not modified.
    num_steps : int
        >= 0, the number of updates.
    limit : float, default 1e3
        > 0. A path that leaves the box ``|coordinate| <= limit`` (or
        becomes non-finite) has run away: it is stopped there, and the points
        of the remaining steps are NaN.

    Returns
    -------
    path : (num_steps + 1, 2) ndarray
        ``path[0]`` is ``start``, ``path[k]`` the point after ``k`` updates.

    Examples
    --------
    >>> from dlscratch.optim import SGD
    >>> trajectory(SGD(lr=0.5), bowl_grad, [-7.0, 2.0], 2)
    array([[-7.    ,  2.    ],
           [-6.65  ,  0.    ],
           [-6.3175,  0.    ]])
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a dlscratch.optim optimizer, got {type(optimizer).__name__}")
    num_steps = _check_int(num_steps, "num_steps", minimum=0)
    limit = check_positive(limit, "limit")
    point = as_float_array(start, "start").astype(np.float64)
    if point.shape != (2,):
        raise ValueError(f"start must be one point of shape (2,), got shape {point.shape}")
    path = np.full((num_steps + 1, 2), np.nan)
    path[0] = point
    params = {"xy": point}
    for k in range(1, num_steps + 1):
        optimizer.update(params, {"xy": grad(point)})
        if not np.all(np.abs(point) <= limit):  # also catches NaN
            break
        path[k] = point
    return path
