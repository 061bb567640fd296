"""Numerical differentiation, gradient descent and gradient checking (chapters 4 and 5).

* :func:`forward_diff` ``(f(x+h) - f(x)) / h`` has error O(h);
  :func:`numerical_diff` ``(f(x+h) - f(x-h)) / 2h`` (central difference) has
  error O(h²). With ``h`` too small, rounding error ``~ eps·|f| / h`` takes
  over, which is why the notes use ``h = 1e-4`` rather than ``1e-50``.
* :func:`numerical_gradient` applies the central difference to every entry of
  an array of **any shape** (the notes' loop over ``x[i]`` only handled 1-D
  arrays and wrote into the caller's array). It works on a private float64
  copy, so the caller's array is never modified, even when ``f`` raises.
* :func:`gradient_descent` follows ``x <- x - lr * grad f(x)`` and returns the
  whole path, for plotting.
* :func:`rel_error` and :func:`gradient_check` compare an analytic gradient
  (backprop) with the numerical one, the standard test of a backward pass.

Because :func:`numerical_gradient` perturbs its own copy, ``f`` must compute
its value *from its argument*. The closure ``lambda W: net.loss(x, t)``
(*Deep Learning from Scratch*), which ignores ``W`` and relies on the caller's
array being mutated in place, sees no change and gets a zero gradient here;
write ``f`` so that it uses ``W``.

References
----------
Chapter 4 (``chapters/04_numerical_gradient.md``) and chapter 5
(``chapters/05_backprop.md``) of the book; notes 003. The relative error
follows the cs231n gradient-check notes.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlscratch._validation import as_float_array, check_positive

__all__ = [
    "GradientCheckResult",
    "forward_diff",
    "gradient_check",
    "gradient_descent",
    "numerical_diff",
    "numerical_gradient",
    "rel_error",
]


# ----------------------------------------------------------------------------- helpers


def _check_callable(f, name: str = "f") -> None:
    if not callable(f):
        raise TypeError(f"{name} must be a callable returning a scalar, got {type(f).__name__} {f!r}")


def _scalar_output(value, name: str = "f") -> float:
    """Return what ``f`` returned as a float, or say clearly that it was not a real scalar."""
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must return a scalar, got a value of shape {np.shape(value)}")
    if isinstance(value, (str, bytes)) or not np.isrealobj(value):
        raise TypeError(f"{name} must return a real number, got {type(value).__name__} {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must return a real number, got {type(value).__name__} {value!r}") from None


def _scalar_input(x, name: str = "x") -> float:
    arr = as_float_array(x, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar (use numerical_gradient for arrays), got shape {arr.shape}")
    return float(arr)


# ----------------------------------------------------------------------------- derivatives of f: R -> R


def numerical_diff(f: Callable[[float], float], x, h=1e-4) -> float:
    """Central-difference derivative ``(f(x + h) - f(x - h)) / (2h)`` of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x: float) -> float``.
    x : float
        The point, a real scalar.
    h : float, optional
        Step, ``> 0``; default ``1e-4`` as in the notes (003). The error is
        O(h²) until rounding (``~ 1e-16·|f| / h``) dominates.

    Returns
    -------
    slope : float

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``x`` is not a real number or ``f`` returns a non-number.
    ValueError
        If ``x`` is not a scalar, ``h <= 0`` or ``f`` returns an array.

    Examples
    --------
    >>> round(numerical_diff(lambda x: 0.01 * x**2 + 0.1 * x, 5.0), 10)  # exact: 0.2
    0.2
    """
    _check_callable(f)
    x = _scalar_input(x)
    h = check_positive(h, "h")
    return (_scalar_output(f(x + h)) - _scalar_output(f(x - h))) / (2 * h)


def forward_diff(f: Callable[[float], float], x, h=1e-4) -> float:
    """Forward-difference derivative ``(f(x + h) - f(x)) / h``, error O(h).

    Shown in chapter 4 next to :func:`numerical_diff` to see why the central
    difference is preferred.

    Parameters
    ----------
    f : callable
        ``f(x: float) -> float``.
    x : float
        The point, a real scalar.
    h : float, optional
        Step, ``> 0``; default ``1e-4``.

    Returns
    -------
    slope : float

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``x`` is not a real number or ``f`` returns a non-number.
    ValueError
        If ``x`` is not a scalar, ``h <= 0`` or ``f`` returns an array.

    Examples
    --------
    >>> round(forward_diff(lambda x: x**2, 3.0), 6)  # exact: 6, error = h
    6.0001
    """
    _check_callable(f)
    x = _scalar_input(x)
    h = check_positive(h, "h")
    return (_scalar_output(f(x + h)) - _scalar_output(f(x))) / h


# ----------------------------------------------------------------------------- gradients of f: R^shape -> R


def numerical_gradient(f: Callable[[np.ndarray], float], x, h=1e-4) -> np.ndarray:
    """Central-difference gradient of a scalar function of an array of any shape.

    For each entry ``x[idx]``, ``grad[idx] = (f(x + h e_idx) - f(x - h e_idx)) / (2h)``.
    ``f`` is called ``2 * x.size`` times with a private float64 copy of ``x``
    (one entry perturbed at a time); the caller's ``x`` is never modified,
    even if ``f`` raises part-way.

    Parameters
    ----------
    f : callable
        ``f(x: ndarray) -> float``, called with an array of ``x``'s shape
        (0-d for a scalar ``x``). It must compute from that argument.
    x : (...) array_like
        The point; any shape, including 0-d. Integer input is fine (the copy
        is float64, so ``x + h`` is not truncated).
    h : float, optional
        Step, ``> 0``; default ``1e-4``.

    Returns
    -------
    grad : (...) ndarray
        float64, the shape of ``x``.

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``x`` is not real numbers or ``f`` returns a non-number.
    ValueError
        If ``h <= 0`` or ``f`` returns an array.

    Examples
    --------
    >>> numerical_gradient(lambda v: np.sum(v**2), np.array([3.0, 4.0])).round(6)
    array([6., 8.])
    """
    _check_callable(f)
    h = check_positive(h, "h")
    x_work = as_float_array(x, "x").astype(np.float64, copy=False)  # private copy, never the caller's array
    grad = np.zeros(x_work.shape)
    for index in np.ndindex(x_work.shape):  # every entry, any number of dimensions; () once for 0-d
        original = x_work[index]
        x_work[index] = original + h
        f_plus = _scalar_output(f(x_work))
        x_work[index] = original - h
        f_minus = _scalar_output(f(x_work))
        x_work[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_descent(f: Callable[[np.ndarray], float], x0, lr=0.01, num_steps=100, *, grad=None) -> np.ndarray:
    """Run ``num_steps`` of gradient descent ``x <- x - lr * grad f(x)`` from ``x0``.

    Parameters
    ----------
    f : callable
        ``f(x: ndarray) -> float``, the function to minimise.
    x0 : (...) array_like
        Starting point, any shape; not modified.
    lr : float, optional
        Learning rate (step size), ``> 0``; default ``0.01``.
    num_steps : int, optional
        Number of updates, ``>= 0``; default ``100``.
    grad : callable, optional
        ``grad(x: ndarray) -> ndarray`` of ``x``'s shape (an analytic
        gradient). Default: ``numerical_gradient(f, x)``.

    Returns
    -------
    path : (num_steps + 1, ...) ndarray
        float64; ``path[0]`` is ``x0``, ``path[k]`` the point after ``k``
        steps and ``path[-1]`` the final point.

    Raises
    ------
    TypeError
        If ``f`` or ``grad`` is not callable, or ``num_steps`` is not an int.
    ValueError
        If ``lr <= 0``, ``num_steps < 0`` or ``grad`` returns the wrong shape.

    Examples
    --------
    >>> path = gradient_descent(lambda v: v[0]**2 + v[1]**2, [-3.0, 4.0], lr=0.1, num_steps=100)
    >>> path.shape
    (101, 2)
    >>> bool(np.allclose(path[-1], 0.0))
    True
    """
    _check_callable(f)
    if grad is not None:
        _check_callable(grad, "grad")
    lr = check_positive(lr, "lr")
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral):
        raise TypeError(f"num_steps must be an int, got {type(num_steps).__name__} {num_steps!r}")
    if num_steps < 0:
        raise ValueError(f"num_steps must be >= 0, got {num_steps}")
    x = as_float_array(x0, "x0").astype(np.float64, copy=False)
    path = np.empty((int(num_steps) + 1, *x.shape))  # (num_steps + 1, *x0.shape)
    path[0] = x
    for step in range(1, int(num_steps) + 1):
        if grad is None:
            g = numerical_gradient(f, x)
        else:
            g = as_float_array(grad(x.copy()), "grad(x)")
            if g.shape != x.shape:
                raise ValueError(f"grad must return an array of x0's shape {x.shape}, got shape {g.shape}")
        x = x - lr * g  # a new array: path rows and x0 are never written through
        path[step] = x
    return path


# ----------------------------------------------------------------------------- gradient checking


def rel_error(a, b) -> float:
    """Largest elementwise relative error ``max |a - b| / max(1e-8, |a| + |b|)`` (cs231n style).

    Symmetric in ``a`` and ``b``. The ``1e-8`` floor keeps entries where both
    values are (near) zero from dividing by zero; it also means such entries
    are judged by their *absolute* difference in units of 1e-8. For a float64
    gradient check, ``< 1e-7`` is good, ``> 1e-2`` almost surely a bug.

    Parameters
    ----------
    a, b : (...) array_like
        The same shape (e.g. an analytic and a numerical gradient).

    Returns
    -------
    error : float
        NaN propagates.

    Raises
    ------
    TypeError
        If an input is not real numbers.
    ValueError
        If the shapes differ or the arrays are empty.

    Examples
    --------
    >>> rel_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> rel_error([1.0], [3.0])  # |1 - 3| / (1 + 3)
    0.5
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got a {a.shape} and b {b.shape}")
    if a.size == 0:
        raise ValueError(f"a and b must not be empty, got shape {a.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


@dataclass(frozen=True)
class GradientCheckResult:
    """Outcome of :func:`gradient_check`.

    Attributes
    ----------
    rel_error : float
        ``rel_error(analytic_grad, numerical_grad)``.
    ok : bool
        ``rel_error <= rtol``.
    numerical_grad : (...) ndarray
        The central-difference gradient, the shape of ``x``.
    worst_index : tuple of int
        Index of the entry with the largest relative error (``()`` for 0-d ``x``).
    """

    rel_error: float
    ok: bool
    numerical_grad: np.ndarray
    worst_index: tuple[int, ...]


def gradient_check(f, x, analytic_grad, *, h=1e-5, rtol=1e-7) -> GradientCheckResult:
    """Compare an analytic gradient with the central-difference gradient of ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x: ndarray) -> float``.
    x : (...) array_like
        The point, any shape; not modified.
    analytic_grad : (...) array_like or callable
        The gradient to check, the shape of ``x``, or a function
        ``analytic_grad(x) -> ndarray`` that returns it (called on a copy).
    h : float, optional
        Step for :func:`numerical_gradient`, ``> 0``; default ``1e-5`` (cs231n),
        a good balance of truncation and rounding error for float64.
    rtol : float, optional
        Largest acceptable :func:`rel_error`, ``> 0``; default ``1e-7``. Entries
        whose true gradient is exactly 0 are compared in absolute terms
        (see :func:`rel_error`), so functions with large third derivatives
        there may need a looser ``rtol``.

    Returns
    -------
    result : GradientCheckResult
        ``result.rel_error`` (float), ``result.ok`` (``rel_error <= rtol``),
        ``result.numerical_grad`` and ``result.worst_index``. Wrong gradients
        do not raise; assert on ``result.ok``.

    Raises
    ------
    TypeError
        If ``f`` is not callable or an input is not real numbers.
    ValueError
        If ``x`` is empty, ``analytic_grad`` does not have the shape of ``x``,
        or ``h`` or ``rtol`` is not positive.

    Examples
    --------
    >>> result = gradient_check(lambda v: np.sum(v**3), [1.0, 2.0], [3.0, 12.0])
    >>> result.ok
    True
    >>> gradient_check(lambda v: np.sum(v**3), [1.0, 2.0], [2.0, 4.0]).ok  # d/dx x**3 is not 2x
    False
    """
    _check_callable(f)
    h = check_positive(h, "h")
    rtol = check_positive(rtol, "rtol")
    x = as_float_array(x, "x").astype(np.float64, copy=False)
    if x.size == 0:
        raise ValueError(f"x must not be empty, got shape {x.shape}")
    if callable(analytic_grad):
        analytic_grad = analytic_grad(x.copy())
    analytic = as_float_array(analytic_grad, "analytic_grad")
    if analytic.shape != x.shape:
        raise ValueError(f"analytic_grad must have the shape of x {x.shape}, got shape {analytic.shape}")
    numerical = numerical_gradient(f, x, h)
    errors = np.abs(analytic - numerical) / np.maximum(1e-8, np.abs(analytic) + np.abs(numerical))  # x.shape
    worst_index = tuple(int(i) for i in np.unravel_index(np.argmax(errors), x.shape))
    error = float(errors[worst_index])
    return GradientCheckResult(
        rel_error=error, ok=bool(error <= rtol), numerical_grad=numerical, worst_index=worst_index
    )
