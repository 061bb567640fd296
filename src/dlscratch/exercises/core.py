"""The machinery behind :func:`check`: exercise specs, comparison and messages."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "EXERCISES",
    "Case",
    "ExerciseFailed",
    "FunctionExercise",
    "ValueExercise",
    "check",
    "expect_error",
    "register",
]

EXERCISES: dict[str, FunctionExercise | ValueExercise] = {}


class ExerciseFailed(AssertionError):
    """A check failed; the message says which case, what came back and what was expected."""


@dataclass(frozen=True)
class Case:
    """One call ``fn(*args, **kwargs)`` and the value it must return."""

    args: tuple
    expected: Any
    kwargs: dict = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class FunctionExercise:
    """A coding exercise: the student's function must reproduce every case.

    A case fails when the call raises (warnings count: a numerically careless
    answer that overflows is wrong), returns the wrong shape or value, or
    modifies its arguments.
    """

    id: str
    name: str
    cases: Sequence[Case]
    rtol: float = 1e-9
    atol: float = 1e-12
    hint: str = ""


@dataclass(frozen=True)
class ValueExercise:
    """A question with a numeric (or string/bool) answer."""

    id: str
    expected: Any
    rtol: float = 1e-6
    atol: float = 0.0
    hint: str = ""
    describe: str = "your answer"


def register(exercise):
    if exercise.id in EXERCISES:
        raise ValueError(f"exercise id {exercise.id!r} is registered twice")
    EXERCISES[exercise.id] = exercise
    return exercise


def _show(v) -> str:
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6, separator=", ", threshold=12, max_line_width=10**6)
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return repr(v)


def _call(ex: FunctionExercise, case: Case) -> str:
    args = ", ".join([_show(a) for a in case.args] + [f"{k}={_show(v)}" for k, v in case.kwargs.items()])
    return f"{ex.name}({args})"


def _same(got, expected, rtol, atol) -> str | None:
    """Return None if ``got`` matches ``expected``, else why not."""
    if isinstance(expected, (str, bool)) or expected is None:
        return None if got == expected else "differs"
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"is not numeric ({type(got).__name__})"
    exp_arr = np.asarray(expected, dtype=float)
    if got_arr.shape != exp_arr.shape:
        return f"has shape {got_arr.shape}, expected shape {exp_arr.shape}"
    if not np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=True):
        return "differs"
    return None


def _fail(exercise, message: str):
    hint = f"\n  hint: {exercise.hint}" if exercise.hint else ""
    raise ExerciseFailed(f"✗ {message}{hint}")


def check(exercise_id: str, answer: Callable | Any) -> bool:
    """Check ``answer`` (a function or a value) against exercise ``exercise_id``.

    Prints ``✓ ...`` and returns True when every case passes; raises
    :class:`ExerciseFailed` (an ``AssertionError``) naming the first failing
    case otherwise.
    """
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"exercise_id must be one of: {known}; got {exercise_id!r}")
    exercise = EXERCISES[exercise_id]
    if isinstance(exercise, ValueExercise):
        problem = _same(answer, exercise.expected, exercise.rtol, exercise.atol)
        if problem:
            _fail(exercise, f"{exercise_id}: {exercise.describe} {_show(answer)} {problem} from the expected answer")
        print(f"✓ {exercise_id}: correct")
        return True

    if not callable(answer):
        _fail(exercise, f"{exercise_id}: expected a function {exercise.name}(...), got {type(answer).__name__}")
    for case in exercise.cases:
        args = copy.deepcopy(case.args)
        kwargs = copy.deepcopy(case.kwargs)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                    got = answer(*args, **kwargs)
        except Exception as err:  # the student's bug, reported rather than re-raised
            if isinstance(err, NotImplementedError) and not str(err):
                reason = "raised NotImplementedError: replace `raise NotImplementedError()` with your solution"
            else:
                reason = f"raised {type(err).__name__}: {err}"
            _fail(exercise, f"{_call(exercise, case)} {reason}")
        for before, after in zip(case.args, args, strict=True):
            if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
                _fail(exercise, f"{_call(exercise, case)} modified its input array (now {_show(after)})")
        problem = _same(got, case.expected, exercise.rtol, exercise.atol)
        if problem:
            note = f" ({case.note})" if case.note else ""
            _fail(
                exercise,
                f"{_call(exercise, case)} returned {_show(got)}, expected {_show(case.expected)}{note}"
                + ("" if problem == "differs" else f": the result {problem}"),
            )
    print(f"✓ {exercise_id}: all {len(exercise.cases)} checks passed")
    return True


def expect_error(error: type[BaseException], match: str, fn: Callable, *args, **kwargs) -> BaseException:
    """Call ``fn(*args, **kwargs)``, which must raise ``error`` with ``match`` in its message.

    Prints the error as a reader would see it and returns it; raises
    ``AssertionError`` if nothing (or something else) was raised. The pitfall
    boxes use it to show the notes' code failing.
    """
    try:
        fn(*args, **kwargs)
    except error as err:
        if match not in str(err):
            raise AssertionError(f"{fn.__name__} raised {type(err).__name__}: {err!s}, without {match!r}") from err
        print(f"{type(err).__name__}: {err}")
        return err
    raise AssertionError(f"{getattr(fn, '__name__', fn)} was expected to raise {error.__name__}, and did not")
