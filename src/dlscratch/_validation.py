"""Input checks shared by every module.

Public functions call these first, so that bad input fails with a message that
names the argument, what was expected and what was given, instead of a numpy
error three frames deep (STYLE.md, rule 8).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["as_array", "as_float_array", "check_axis", "check_positive"]


def _is_nested(item) -> bool:
    """True for the items numpy turns into an axis: sequences (not strings) and arrays with ndim >= 1."""
    if isinstance(item, np.ndarray):
        return item.ndim > 0
    return isinstance(item, Sequence) and not isinstance(item, (str, bytes))


def _count(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _ragged_detail(x, name: str) -> str | None:
    """Say where the nested sequence ``x`` stops being rectangular, or return ``None`` if it is rectangular.

    Walks ``x`` one depth at a time and compares the lengths of all the items at
    that depth, e.g. ``"targets[0] has 2 entries but targets[1] has 1 entry"``
    for ``[[0, 1], [1]]``. A numpy array inside ``x`` is rectangular by
    construction, so only its first item is visited (the walk costs the size of
    the lists, not of the arrays inside them).
    """
    level = [(name, x)]
    while level:
        lengths = [(label, len(item) if _is_nested(item) else None) for label, item in level]
        first_label, first_len = lengths[0]
        for label, n in lengths[1:]:
            if n != first_len:
                a = "is a scalar" if first_len is None else f"has {_count(first_len)}"
                b = "is a scalar" if n is None else f"has {_count(n)}"
                return f"{first_label} {a} but {label} {b}"
        if first_len is None:
            return None
        next_level = []
        for label, item in level:
            if isinstance(item, np.ndarray):  # rectangular: one item stands for all of them
                next_level.append((f"{label}[0]", item[0]))
            else:
                next_level.extend((f"{label}[{i}]", sub) for i, sub in enumerate(item))
        level = next_level
    return None


def as_array(x, name: str = "x", *, expected: str = "") -> np.ndarray:
    """Return ``x`` as a fresh ndarray of any dtype, with a clear error for strings and ragged lists.

    Parameters
    ----------
    x : array_like
    name : str
        The argument's name, for the error messages.
    expected : str, optional
        What the caller expects, e.g. ``"shape (N, C)"``; quoted in the
        message for ragged input.

    Raises
    ------
    TypeError
        If ``x`` is a ``str``/``bytes`` or numpy cannot make an array of it.
    ValueError
        If ``x`` is a ragged nested sequence such as ``[[0, 1], [1]]``: the
        message names ``name``, the expected shape and the first two items
        whose lengths differ.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be real numbers (a number or an array), got {type(x).__name__} {x!r}")
    try:
        return np.array(x, copy=True)
    except (TypeError, ValueError) as err:  # ragged lists, odd objects
        detail = _ragged_detail(x, name)
        if detail is not None:
            wanted = f"a rectangular array of {expected}" if expected else "a rectangular array"
            raise ValueError(f"{name} must be {wanted}, got a ragged nested sequence: {detail}") from None
        raise TypeError(f"{name} must be real numbers (a number or an array), got {type(x).__name__}: {err}") from None


def as_float_array(x, name: str = "x", *, expected: str = "") -> np.ndarray:
    """Return ``x`` as a floating-point ndarray, never a view the caller could mutate.

    Python numbers, nested lists and integer/bool arrays become float64; float16,
    float32 and float64 arrays keep their dtype (chapter 2 shows float32
    overflowing earlier than float64, so the dtype must survive). The result is
    always a fresh array, so callers may write into it.

    Raises
    ------
    TypeError
        If ``x`` is not real-valued numeric data (strings, objects, complex).
    ValueError
        If ``x`` is a ragged nested sequence (see :func:`as_array`).
    """
    arr = as_array(x, name, expected=expected)
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
