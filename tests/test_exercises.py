"""dlscratch.exercises.check: friendly messages, and a raised AssertionError a grader records."""

from __future__ import annotations

import numpy as np
import pytest

from dlscratch import activations as act
from dlscratch.exercises import EXERCISES, ExerciseFailed, check, expect_error


def test_correct_answers_pass(capsys):
    assert check("ch01.leaky_relu", act.leaky_relu) is True
    assert check("ch01.sigmoid", act.sigmoid) is True
    assert "✓ ch01.leaky_relu: all 8 checks passed" in capsys.readouterr().out
    assert check("ch01.sigmoid_grad_max", 0.25)
    assert check("ch01.exp_overflow_float64", 709.782712893384)


def test_wrong_value_names_the_call_the_result_and_the_expectation():
    def leaky_relu(x, negative_slope=0.01):
        return np.asarray(x, dtype=float)  # forgot the negative side

    with pytest.raises(ExerciseFailed, match=r"✗ leaky_relu\(-2.0\) returned -2.0, expected -0.02") as info:
        check("ch01.leaky_relu", leaky_relu)
    assert isinstance(info.value, AssertionError)  # nbgrader and pytest see a failure
    assert "hint: use np.where" in str(info.value)


def test_the_notes_if_on_arrays_is_reported_as_the_exception():
    def leaky_relu(x, negative_slope=0.01):
        return x if x > 0 else negative_slope * x

    with pytest.raises(ExerciseFailed, match=r"raised ValueError: The truth value of an array"):
        check("ch01.leaky_relu", leaky_relu)


def test_an_untouched_stub_says_what_to_do():
    def leaky_relu(x, negative_slope=0.01):
        raise NotImplementedError()

    with pytest.raises(ExerciseFailed) as info:
        check("ch01.leaky_relu", leaky_relu)
    first = str(info.value).splitlines()[0]
    assert first.startswith("✗ leaky_relu(")
    assert first.endswith("raised NotImplementedError: replace `raise NotImplementedError()` with your solution")


def test_overflowing_sigmoid_fails_on_the_warning():
    def sigmoid(x):
        return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))

    with pytest.raises(ExerciseFailed, match=r"sigmoid\(.*\) raised FloatingPointError: overflow"):
        check("ch01.sigmoid", sigmoid)


def test_clipping_sigmoid_fails_on_the_far_tail():
    with pytest.raises(ExerciseFailed, match=r"returned .* expected"):
        check("ch01.sigmoid", act.sigmoid_clipped)


def test_mutating_the_input_is_caught():
    def leaky_relu(x, negative_slope=0.01):
        x = np.asarray(x, dtype=float)
        if x.ndim:
            x[x < 0] *= negative_slope
            return x
        return x if x > 0 else negative_slope * x

    with pytest.raises(ExerciseFailed, match="modified its input array"):
        check("ch01.leaky_relu", leaky_relu)


def test_wrong_shape_is_named():
    with pytest.raises(ExerciseFailed, match=r"has shape \(\), expected shape \(5,\)"):
        check("ch01.leaky_relu", lambda x, negative_slope=0.01: 0.0 if np.ndim(x) else act.leaky_relu(x))


def test_value_exercise_messages():
    with pytest.raises(ExerciseFailed, match=r"max σ'\(x\) = 0.5 differs"):
        check("ch01.sigmoid_grad_max", 0.5)
    with pytest.raises(ExerciseFailed, match="expected a function leaky_relu"):
        check("ch01.leaky_relu", 3.0)


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"exercise_id must be one of: .*ch01.leaky_relu.*; got 'ch99.x'"):
        check("ch99.x", 1)


def test_registry_ids_are_namespaced_by_chapter():
    assert EXERCISES
    assert all(eid.startswith("ch") and "." in eid for eid in EXERCISES)


def test_expect_error(capsys):
    err = expect_error(ValueError, "bad", lambda: (_ for _ in ()).throw(ValueError("bad input")))
    assert isinstance(err, ValueError)
    assert "ValueError: bad input" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="expected to raise ValueError"):
        expect_error(ValueError, "x", lambda: None)
    with pytest.raises(AssertionError, match="without 'other'"):
        expect_error(ValueError, "other", lambda: (_ for _ in ()).throw(ValueError("bad")))
