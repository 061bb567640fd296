"""Self-checking exercises: ``check(exercise_id, fn_or_value)``.

Each chapter's exercises register here, one module per chapter
(``ch01.py`` for chapter 1, ...); every ``chNN`` module in this package is
imported below. A student calls::

    check("ch01.leaky_relu", leaky_relu)

and sees ``✓ ch01.leaky_relu: all 8 checks passed``, or the first failing case
(``✗ leaky_relu(-2.0) returned -2.0, expected -0.02``) raised as
:class:`ExerciseFailed`, an :class:`AssertionError`, so that nbgrader and
pytest record the cell as failed.
"""

import importlib
import pkgutil

from .core import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, check, expect_error

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module.startswith("ch") and _module[2:].isdigit():
        importlib.import_module(f"{__name__}.{_module}")

__all__ = ["EXERCISES", "ExerciseFailed", "FunctionExercise", "ValueExercise", "check", "expect_error"]
