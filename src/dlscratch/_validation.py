"""Input checks shared by every module.

Public functions call these first, so that bad input fails with a message that
names the argument, what was expected and what was given, instead of a numpy
error three frames deep (STYLE.md, rule 8).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_float_array", "check_axis", "check_positive"]


def as_float_array(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a floating-point ndarray, never a view the caller could mutate.

    Python numbers, nested lists and integer/bool arrays become float64; float16,
    float32 and float64 arrays keep their dtype (chapter 2 shows float32
    overflowing earlier than float64, so the dtype must survive). The result is
    always a fresh array, so callers may write into it.

    Raises
    ------
    TypeError
        If ``x`` is not real-valued numeric data (strings, objects, complex).
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be real numbers (a number or an array), got {type(x).__name__} {x!r}")
    try:
        arr = np.array(x, copy=True)
    except (TypeError, ValueError) as err:  # ragged lists, odd objects
        raise TypeError(f"{name} must be real numbers (a number or an array), got {type(x).__name__}: {err}") from None
    if arr.dtype == np.bool_ or np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.float64)
    if np.issubdtype(arr.dtype, np.floating):
        return arr
    raise TypeError(
        f"{name} must be real numbers (a number or an array of int/float), "
        f"got dtype {arr.dtype} from {type(x).__name__}"
    )


def check_axis(axis, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` normalised to ``0 <= axis < ndim``; raise ``ValueError`` otherwise."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(axis).__name__} {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [{-ndim}, {ndim}) for an array with {ndim} dimensions, got {axis}")
    return int(axis) % ndim


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is a finite (non-negative) positive number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (ok and np.isfinite(value)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return value
