"""Self-checking exercises: ``check(exercise_id, fn_or_value)``.

Each chapter's exercises register here (one module per chapter, e.g.
:mod:`dlscratch.exercises.ch01`). A student calls::

    check("ch01.leaky_relu", leaky_relu)

and sees ``✓ ch01.leaky_relu: all 9 checks passed``, or the first failing case
(``✗ leaky_relu(-2.0) returned -2.0, expected -0.02``) raised as
:class:`ExerciseFailed`, an :class:`AssertionError`, so that nbgrader and
pytest record the cell as failed.
"""

from . import ch01
from .core import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, check, expect_error

__all__ = ["EXERCISES", "ExerciseFailed", "FunctionExercise", "ValueExercise", "ch01", "check", "expect_error"]
