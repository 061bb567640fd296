"""The machinery behind :func:`check`: exercise specs, comparison, messages, switched-off references.

Three rules make a check honest (README, "Writing a chapter"):

* **The package cannot answer.** A :class:`FunctionExercise` names the package
  functions (or classes) that already do what it asks for, in ``switched_off``;
  the private reference functions of its chapter module (``_softplus`` in
  ``ch01.py``) are switched off as well.
  While :func:`check` runs the student's function, those are switched off
  however they were imported (``act.leaky_relu``, ``from ... import leaky_relu``,
  an alias): their code object is swapped for one that refuses, so every name
  bound to them refuses too. Calling one fails the check, even if the student's
  code catches the error. Afterwards they work again.
* **PyTorch is switched off too.** Every chapter compares its code with
  PyTorch, so PyTorch could answer most coding exercises
  (``F.conv2d(..., groups=C)`` is a depthwise convolution). While the
  student's function runs, a ``torch.overrides.TorchFunctionMode`` refuses
  every torch function and tensor method; an exercise that is *about* PyTorch
  sets ``allow_torch=True``.
* **Hints point at ideas, never at code.** A failure names the case, what came
  back and what was expected, then the exercise's hint. An untouched stub says
  only "replace ``raise NotImplementedError()`` with your solution".
* **A failure is one readable message.** :class:`ExerciseFailed` is an
  ``AssertionError`` (so nbgrader and nbval record the cell as failed) whose
  IPython rendering is just its ✗ lines, without the traceback through this
  module.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import inspect
import sys
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "EXERCISES",
    "UNTOUCHED",
    "Case",
    "ExerciseFailed",
    "FunctionExercise",
    "SwitchedOff",
    "ValueExercise",
    "check",
    "expect_error",
    "register",
    "switched_off",
]

EXERCISES: dict[str, FunctionExercise | ValueExercise] = {}
UNTOUCHED = "replace `raise NotImplementedError()` with your solution"


class ExerciseFailed(AssertionError):
    """A check failed; the message says which case, what came back and what was expected.

    In IPython (JupyterLab, nbgrader, nbval) the error shows as its message
    alone: the traceback through the checker would only hide the line that matters.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31mExerciseFailed\x1b[0m: {line}" if i == 0 else line for i, line in enumerate(self.lines())]

    def lines(self) -> list[str]:
        return str(self).splitlines()


class SwitchedOff(RuntimeError):
    """Raised by a package function that is switched off while an exercise asking for it is checked."""

    def __init__(self, dotted: str):
        self.dotted = dotted
        super().__init__(
            f"this exercise asks for your own implementation; `{dotted}` is switched off while it is checked"
        )


@dataclass(frozen=True)
class Case:
    """One call ``fn(*args, **kwargs)`` and the value it must return.

    ``note`` says what the case tests (an idea, never code); it is shown when the case fails.
    """

    args: tuple
    expected: Any
    kwargs: dict = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class FunctionExercise:
    """A coding exercise: the student's function must reproduce every case.

    A case fails when the call raises (warnings count: a numerically careless
    answer that overflows is wrong), calls a switched-off package function,
    returns the wrong shape or value, or modifies its arguments.

    ``switched_off`` lists the dotted names (``"dlscratch.activations.sigmoid"``)
    of every package function, class or whole module (``"dlscratch.layers"``)
    that would answer the exercise if the student called it; it may be empty
    only when the package has no such thing.
    """

    id: str
    name: str
    cases: Sequence[Case]
    switched_off: tuple[str, ...]
    rtol: float = 1e-9
    atol: float = 1e-12
    hint: str = ""
    allow_torch: bool = False


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
    if isinstance(exercise, FunctionExercise):
        if isinstance(exercise.switched_off, str):
            raise TypeError(f"{exercise.id}: switched_off must be a tuple of dotted names, got a str")
        for dotted in exercise.switched_off:
            _functions_of(dotted)  # fails now, at import, for a name that cannot be switched off
    EXERCISES[exercise.id] = exercise
    return exercise


# ----------------------------------------------------------------------------- switching the package off


def _is_module(dotted: str) -> bool:
    if not dotted.startswith("dlscratch."):
        return False
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):  # a dotted name below a module that is not a package
        return False


def _resolve(dotted: str):
    module_name, _, attr = dotted.rpartition(".")
    if not module_name.startswith("dlscratch."):
        raise ValueError(f"switched_off names package objects (dlscratch.<module>.<name>), got {dotted!r}")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"switched_off name {dotted!r} does not exist: {err}") from err


def _functions_of(dotted: str) -> list[tuple[str, types.FunctionType]]:
    """The plain functions behind ``dotted``: the function itself, every method of a class, or everything
    a module defines (a whole module answers an exercise when each of its pieces could)."""
    if (dotted.startswith("dlscratch.") and dotted in sys.modules) or _is_module(dotted):
        module = importlib.import_module(dotted)
        found = []
        for name, member in vars(module).items():
            if getattr(member, "__module__", None) == dotted and isinstance(member, (type, types.FunctionType)):
                found += _functions_of(f"{dotted}.{name}")
        return found
    obj = _resolve(dotted)
    if isinstance(obj, type):
        functions = []
        for name, member in vars(obj).items():
            raw = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            if isinstance(member, property):
                raw = member.fget
            if isinstance(raw, types.FunctionType):
                functions.append((f"{dotted}.{name}", raw))
        return functions
    if isinstance(obj, types.FunctionType):
        return [(dotted, obj)]
    raise ValueError(f"switched_off name {dotted!r} is a {type(obj).__name__}, not a function or class")


_STATE: dict[str, list[str]] = {"called": []}


def _refuse(dotted: str):
    """What a switched-off function does: remember the call (a student's ``except`` cannot hide it) and raise."""
    _STATE["called"].append(dotted)
    raise SwitchedOff(dotted)


def _refusing_code(dotted: str, original: types.CodeType) -> types.CodeType:
    """A code object that refuses, with the free variables of ``original`` (so it fits that function's closure)."""
    free = original.co_freevars
    touch = f"        {', '.join(free)},\n" if free else ""
    source = (
        "def outer():\n"
        + "".join(f"    {name} = None\n" for name in free)
        + "    def refusing(*args, **kwargs):\n"
        + touch
        + f"        __import__('dlscratch.exercises.core', fromlist=['_refuse'])._refuse({dotted!r})\n"
        + "    return refusing\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, original.co_filename, "exec"), namespace)
    code = namespace["outer"]().__code__
    if code.co_freevars != free:  # the compiler orders free variables by name; so do we, but make sure
        raise RuntimeError(f"cannot switch off {dotted}: free variables {code.co_freevars} != {free}")
    return code.replace(co_name=original.co_name, co_qualname=original.co_qualname)


@contextlib.contextmanager
def switched_off(names: Sequence[str]) -> Iterator[list[str]]:
    """Switch off the package functions ``names`` inside the block; yields the list of refused calls."""
    swapped = []
    _STATE["called"] = called = []
    try:
        for dotted in names:
            for name, fn in _functions_of(dotted):
                swapped.append((fn, fn.__code__))
                fn.__code__ = _refusing_code(name, fn.__code__)
        yield called
    finally:
        for fn, code in reversed(swapped):
            fn.__code__ = code


def private_references(exercise) -> tuple[str, ...]:
    """The private functions (``_name``) of the exercise's own chapter module, e.g. ``dlscratch.exercises.ch01``.

    A chapter module computes its cases' expected values with such reference
    implementations; they answer the exercise, so they are switched off while it
    is checked, like the package functions in ``switched_off``. (Functions that
    cases pass to the student's code, like the ``f`` of a numerical gradient, are
    public and keep working.)
    """
    module_name = f"{__package__}.{exercise.id.split('.', 1)[0]}"
    module = importlib.import_module(module_name)
    return tuple(
        f"{module_name}.{name}"
        for name, obj in vars(module).items()
        if name.startswith("_") and isinstance(obj, types.FunctionType) and obj.__module__ == module_name
    )


# ----------------------------------------------------------------------------- comparing and reporting


def _show(v) -> str:
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, np.ndarray):
        text = np.array2string(v, precision=6, separator=", ", threshold=12, max_line_width=10**6)
        return " ".join(text.split())  # one line, also for a 2-D array
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if callable(v) and hasattr(v, "__name__"):
        return v.__name__
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


def _failure(exercise, message: str, *, hint: bool = True) -> ExerciseFailed:
    text = f"✗ {message}"
    if hint and exercise.hint:
        text += f"\n  hint: {exercise.hint}"
    return ExerciseFailed(text)


def _run_case(exercise: FunctionExercise, answer: Callable, case: Case) -> ExerciseFailed | None:
    """Run one case; return the failure to report, or None."""
    args = copy.deepcopy(case.args)
    kwargs = copy.deepcopy(case.kwargs)
    call = _call(exercise, case)
    error = None
    no_torch = contextlib.nullcontext([]) if exercise.allow_torch else _torch_switched_off()
    with switched_off(exercise.switched_off + private_references(exercise)) as refused, no_torch as torch_used:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                    got = answer(*args, **kwargs)
        except Exception as err:  # the student's bug, reported rather than re-raised
            error = err
    if torch_used:
        return _failure(
            exercise,
            f"{call} used PyTorch (`{torch_used[0]}`), which is switched off while this exercise is checked: "
            "it asks for your own implementation with numpy",
            hint=False,
        )
    if refused:
        return _failure(
            exercise,
            f"{call} called `{refused[0]}`, which is switched off while this exercise is checked: "
            "it asks for your own implementation",
            hint=False,
        )
    if error is not None:
        if isinstance(error, NotImplementedError) and not str(error):
            return _failure(exercise, f"{call} raised NotImplementedError: {UNTOUCHED}", hint=False)
        return _failure(exercise, f"{call} raised {type(error).__name__}: {error}")
    for before, after in zip(case.args, args, strict=True):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            return _failure(exercise, f"{call} modified its input array (now {_show(after)})")
    problem = _same(got, case.expected, exercise.rtol, exercise.atol)
    if problem:
        note = f" ({case.note})" if case.note else ""
        detail = "" if problem == "differs" else f": the result {problem}"
        return _failure(exercise, f"{call} returned {_show(got)}, expected {_show(case.expected)}{note}{detail}")
    return None


@contextlib.contextmanager
def _torch_switched_off() -> Iterator[list[str]]:
    """Refuse every torch function and tensor method called inside; yield the names of those called.

    Does nothing when PyTorch is not installed (then it cannot answer anything).
    """
    used: list[str] = []
    try:
        from torch.overrides import TorchFunctionMode
    except ImportError:
        yield used
        return

    class _Refuse(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            used.append(getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func)))
            raise RuntimeError("PyTorch is switched off while this exercise is checked")

    with _Refuse():
        yield used


def check(exercise_id: str, answer: Callable | Any) -> None:
    """Check ``answer`` (a function or a value) against exercise ``exercise_id``.

    Prints ``✓ ...`` when every case passes; raises :class:`ExerciseFailed`
    (an ``AssertionError``) naming the first failing case otherwise. Returns
    nothing, so a passing check cell has no ``Out[...]``.
    """
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"exercise_id must be one of: {known}; got {exercise_id!r}")
    exercise = EXERCISES[exercise_id]
    if isinstance(exercise, ValueExercise):
        problem = _same(answer, exercise.expected, exercise.rtol, exercise.atol)
        if problem:
            raise _failure(exercise, f"{exercise_id}: {exercise.describe} {_show(answer)} {problem} from the answer")
        print(f"✓ {exercise_id}: correct")
        return

    if not callable(answer):
        raise _failure(exercise, f"{exercise_id}: expected a function {exercise.name}(...), got {_show(answer)}")
    if inspect.isclass(answer) is False and getattr(answer, "__code__", None) is not None:
        for dotted in exercise.switched_off + private_references(exercise):
            if any(answer.__code__ is fn.__code__ for _, fn in _functions_of(dotted)):
                raise _failure(
                    exercise,
                    f"{exercise.name} is `{dotted}`, which is switched off while this exercise is checked: "
                    "it asks for your own implementation",
                    hint=False,
                )
    for case in exercise.cases:
        failure = _run_case(exercise, answer, case)
        if failure is not None:
            raise failure
    print(f"✓ {exercise_id}: all {len(exercise.cases)} checks passed")


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
