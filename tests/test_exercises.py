"""dlscratch.exercises.check: honest checks, friendly messages, and a failure a grader records.

The tests run over every registered exercise, so a new chapter's exercises get
them for free: the package cannot answer a coding exercise (however it was
imported), an untouched stub gets one line and no hint, and no hint or case
note contains the chapter's solution code.
"""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest

from chapter_cells import all_chapters, shared_code
from dlscratch import activations as act
from dlscratch.exercises import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, check, expect_error
from dlscratch.exercises.core import (
    UNTOUCHED,
    Case,
    SwitchedOff,
    _functions_of,
    private_references,
    register,
    switched_off,
)

FUNCTION_EXERCISES = sorted(eid for eid, ex in EXERCISES.items() if isinstance(ex, FunctionExercise))


def _callables(dotted: str) -> list[str]:
    """A switched-off name, or for a whole module the public functions and classes it defines."""
    try:
        module = importlib.import_module(dotted)
    except ImportError:
        return [dotted]
    return [
        f"{dotted}.{name}"
        for name, member in vars(module).items()
        if not name.startswith("_") and callable(member) and getattr(member, "__module__", None) == dotted
    ]


SWITCHED = sorted(
    (eid, name) for eid in FUNCTION_EXERCISES for dotted in EXERCISES[eid].switched_off for name in _callables(dotted)
)
PRIVATE = sorted((eid, dotted) for eid in FUNCTION_EXERCISES for dotted in private_references(EXERCISES[eid]))
CHAPTER_SOLUTIONS = {eid: code for chapter in all_chapters() for eid, code in chapter.solutions.items()}


def softplus(x):
    """A correct answer to ch01.softplus, written independently of the package."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def delegates(style: str, dotted: str):
    """A 'solution' that hands the work to the package object ``dotted``, imported in one of three ways."""
    module_name, _, name = dotted.rpartition(".")
    module = importlib.import_module(module_name)
    namespace: dict = {}
    if style == "module attribute":  # from dlscratch import activations as act; act.leaky_relu(...)
        code = f"import {module_name} as pkg\ndef answer(*args, **kwargs):\n    return pkg.{name}(*args, **kwargs)"
        exec(code, namespace)
    elif style == "name bound in the notebook":  # from dlscratch.activations import leaky_relu
        code = f"from {module_name} import {name}\ndef answer(*args, **kwargs):\n    return {name}(*args, **kwargs)"
        exec(code, namespace)
    else:  # an alias bound before the check, in another name
        namespace["mine"] = getattr(module, name)
        exec("def answer(*args, **kwargs):\n    return mine(*args, **kwargs)", namespace)
    return namespace["answer"]


# ----------------------------------------------------------------------------- passing


def test_a_correct_answer_passes_and_check_returns_nothing(capsys):
    assert check("ch01.softplus", softplus) is None
    assert check("ch01.sigmoid_rounds_to_one", [37, 17]) is None
    out = capsys.readouterr().out
    assert "✓ ch01.softplus: all 8 checks passed" in out
    assert "✓ ch01.sigmoid_rounds_to_one: correct" in out


# ----------------------------------------------------------------------------- the package cannot answer


def test_every_coding_exercise_names_what_it_switches_off():
    """A coding exercise whose package equivalent is not switched off could be answered by the package."""
    assert FUNCTION_EXERCISES
    assert all(isinstance(EXERCISES[eid].switched_off, tuple) for eid in FUNCTION_EXERCISES)
    assert SWITCHED, "no exercise switches anything off"


@pytest.mark.parametrize("style", ["module attribute", "name bound in the notebook", "alias"])
@pytest.mark.parametrize(("exercise_id", "dotted"), SWITCHED)
def test_delegating_to_the_package_fails(exercise_id, dotted, style):
    answer = delegates(style, dotted)
    codes = [(fn, fn.__code__) for _, fn in _functions_of(dotted)]
    with pytest.raises(ExerciseFailed) as info:
        check(exercise_id, answer)
    message = str(info.value)
    module = dotted.rsplit(".", 1)[0] if dotted.rsplit(".", 1)[1][0].isupper() else dotted  # a class: any method
    assert f"called `{module}" in message.splitlines()[0] or f"called `{dotted}" in message.splitlines()[0]
    assert "which is switched off while this exercise is checked: it asks for your own implementation" in message
    # afterwards the chapter goes on using the package normally
    assert all(fn.__code__ is code for fn, code in codes)


@pytest.mark.parametrize(("exercise_id", "dotted"), PRIVATE)
def test_the_chapter_modules_own_references_are_switched_off_too(exercise_id, dotted):
    """ch01.py computes expected values with _softplus; a student who found it cannot hand it in."""
    with pytest.raises(ExerciseFailed, match="switched off while this exercise is checked"):
        check(exercise_id, delegates("alias", dotted))


def test_there_are_private_references():
    assert ("ch01.softplus", "dlscratch.exercises.ch01._softplus") in PRIVATE


@pytest.mark.parametrize(("exercise_id", "dotted"), SWITCHED)
def test_catching_the_refusal_does_not_help(exercise_id, dotted):
    module_name, _, name = dotted.rpartition(".")
    target = getattr(importlib.import_module(module_name), name)
    first = EXERCISES[exercise_id].cases[0].expected

    def answer(*args, **kwargs):
        try:
            return target(*args, **kwargs)
        except Exception:
            return first  # right for the first case, whatever the package said

    with pytest.raises(ExerciseFailed, match="switched off while this exercise is checked"):
        check(exercise_id, answer)


def test_passing_the_package_function_itself_fails():
    from dlscratch.losses import sigmoid_cross_entropy

    with pytest.raises(
        ExerciseFailed, match=r"softplus is `dlscratch.losses.sigmoid_cross_entropy`, which is switched off"
    ):
        check("ch01.softplus", sigmoid_cross_entropy)


def test_the_package_works_again_after_a_check_and_outside_it():
    from dlscratch import losses

    before = losses.sigmoid_cross_entropy(np.array([1.0, -2.0]), np.array([0.0, 1.0]))
    with pytest.raises(ExerciseFailed):
        check("ch01.softplus", lambda x: losses.sigmoid_cross_entropy(x, np.zeros_like(x), reduction="none"))
    assert losses.sigmoid_cross_entropy(np.array([1.0, -2.0]), np.array([0.0, 1.0])) == before
    with switched_off(["dlscratch.losses.sigmoid_cross_entropy"]), pytest.raises(SwitchedOff):
        losses.sigmoid_cross_entropy(1.0, 0.0)
    assert losses.sigmoid_cross_entropy(0.0, 1.0) == pytest.approx(np.log(2.0))


def test_a_class_is_switched_off_method_by_method():
    """Later chapters ask for layers; a class's methods (closures included: dataclasses, super()) refuse."""
    from dlscratch.widgets import Slider

    assert Slider(0.0, 1.0).is_int is False
    with switched_off(["dlscratch.widgets.Slider"]), pytest.raises(SwitchedOff, match=r"widgets.Slider.__init__"):
        Slider(0.0, 1.0)
    assert Slider(0.0, 1.0).is_int is False


@pytest.mark.parametrize(
    ("dotted", "message"),
    [
        ("numpy.exp", "switched_off names package objects"),
        ("dlscratch.activations.no_such_function", "does not exist"),
        ("dlscratch.exercises.core.EXERCISES", "is a dict, not a function or class"),
    ],
)
def test_register_rejects_what_cannot_be_switched_off(dotted, message):
    with pytest.raises(ValueError, match=message):
        register(FunctionExercise(id="ch99.bad", name="bad", cases=[Case((1.0,), 1.0)], switched_off=(dotted,)))
    assert "ch99.bad" not in EXERCISES


# ----------------------------------------------------------------------------- messages


def test_wrong_value_names_the_call_the_result_and_the_expectation():
    def broken(x):
        return np.log(1 + np.exp(np.asarray(x, dtype=float)))  # overflows, loses the far-left tail

    with pytest.raises(ExerciseFailed) as info:
        check("ch01.softplus", broken)
    assert isinstance(info.value, AssertionError)  # nbgrader and pytest see a failure
    first, hint = str(info.value).splitlines()
    assert first.startswith("✗ softplus([-1000.0]) ") or first.startswith("✗ softplus([1000.")
    assert hint.startswith("  hint: ")


def test_the_notes_if_on_arrays_is_reported_as_the_exception():
    def softplus_with_if(x):
        if x > -1e9:  # the notes' `if` on an array: fine for the scalar cases, fails on the first array
            return softplus(x)
        return 0.0

    with pytest.raises(ExerciseFailed, match=r"raised ValueError: The truth value of an array"):
        check("ch01.softplus", softplus_with_if)


def test_mutating_the_input_is_caught():
    def in_place(x):
        x = np.asarray(x, dtype=float)
        if x.ndim:
            x[...] = softplus(x)
            return x
        return softplus(x)

    with pytest.raises(ExerciseFailed, match="modified its input array"):
        check("ch01.softplus", in_place)


def test_wrong_shape_is_named():
    with pytest.raises(ExerciseFailed, match=r"has shape \(\), expected shape \(5,\)"):
        check("ch01.softplus", lambda x: 0.6931471805599453 if np.ndim(x) else softplus(x))


def test_value_exercise_messages():
    with pytest.raises(ExerciseFailed, match=r"\[37, 18\] differs from the answer"):
        check("ch01.sigmoid_rounds_to_one", [37, 18])
    with pytest.raises(ExerciseFailed, match="expected a function softplus"):
        check("ch01.softplus", 3.0)


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"exercise_id must be one of: .*ch01.softplus.*; got 'ch99.x'"):
        check("ch99.x", 1)


def test_a_failure_renders_as_its_message_without_the_checkers_traceback():
    with pytest.raises(ExerciseFailed) as info:
        check("ch01.softplus", lambda x: np.zeros_like(np.asarray(x, dtype=float)))
    rendered = info.value._render_traceback_()
    assert len(rendered) == 2
    assert rendered[0].endswith(str(info.value).splitlines()[0])
    assert "ExerciseFailed" in rendered[0]
    assert not any("Traceback" in line or "core.py" in line for line in rendered)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is False
    assert info.value.__context__ is None  # raised outside the except block: no "During handling ..."


def test_registry_ids_are_namespaced_by_chapter():
    assert EXERCISES
    assert all(re.fullmatch(r"ch\d\d\.\w+", eid) for eid in EXERCISES)


@pytest.mark.parametrize("exercise_id", FUNCTION_EXERCISES)
def test_an_untouched_stub_gets_one_line_and_no_hint(exercise_id):
    def untouched(*args, **kwargs):
        # YOUR CODE HERE
        raise NotImplementedError()

    with pytest.raises(ExerciseFailed) as info:
        check(exercise_id, untouched)
    (line,) = str(info.value).splitlines()
    assert line.startswith(f"✗ {EXERCISES[exercise_id].name}(")
    assert line.endswith(f"raised NotImplementedError: {UNTOUCHED}")


# ----------------------------------------------------------------------------- hints guide, they do not solve

CODE = re.compile(r"\b(?:np|numpy|torch|math|act|sm|ng)\.\w|\breturn\b|\b\w+ = |\bdef \w|\blambda\b|\[:|\w\[\w")


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_hints_and_notes_contain_no_code(exercise_id):
    exercise = EXERCISES[exercise_id]
    texts = [exercise.hint] + ([c.note for c in exercise.cases] if isinstance(exercise, FunctionExercise) else [])
    assert exercise.hint, f"{exercise_id}: no hint"
    for text in texts:
        assert not CODE.search(text), f"{exercise_id}: code in a hint or note: {text!r}"


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_hints_do_not_repeat_the_chapters_solution(exercise_id):
    assert exercise_id in CHAPTER_SOLUTIONS, f"{exercise_id}: no chapter has a check cell for it"
    exercise = EXERCISES[exercise_id]
    texts = [exercise.hint] + ([c.note for c in exercise.cases] if isinstance(exercise, FunctionExercise) else [])
    for text in texts:
        assert not shared_code(text, CHAPTER_SOLUTIONS[exercise_id]), f"{exercise_id}: {text!r}"


def test_the_hint_check_catches_a_solution_in_a_hint():
    """The two hint tests above must be able to fail."""
    assert CODE.search("use np.where(x > 0, x, negative_slope * x)")
    assert shared_code(
        "write max(x, 0) + log1p(exp(-abs(x)))", "return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))", width=4
    )
    assert not CODE.search("split by sign so that only e^(-|x|) is ever computed")


def test_value_exercise_types():
    assert all(isinstance(ex, (FunctionExercise, ValueExercise)) for ex in EXERCISES.values())


def test_expect_error(capsys):
    err = expect_error(ValueError, "bad", lambda: (_ for _ in ()).throw(ValueError("bad input")))
    assert isinstance(err, ValueError)
    assert "ValueError: bad input" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="expected to raise ValueError"):
        expect_error(ValueError, "x", lambda: None)
    with pytest.raises(AssertionError, match="without 'other'"):
        expect_error(ValueError, "other", lambda: (_ for _ in ()).throw(ValueError("bad")))


def test_act_is_untouched_by_the_tests():
    assert act.sigmoid(0.0) == 0.5


# ----------------------------------------------------------------------------- PyTorch cannot answer either


def _torch_depthwise(x, K, *, stride=1, pad=0):
    """A student's 'solution' of ch10.depthwise_conv2d that hands the work to PyTorch."""
    import torch
    import torch.nn.functional as F

    out = F.conv2d(torch.from_numpy(x), torch.from_numpy(K)[:, None], stride=stride, padding=pad, groups=x.shape[1])
    return out.numpy()


def test_pytorch_is_switched_off_while_a_coding_exercise_is_checked():
    import torch

    with pytest.raises(ExerciseFailed) as info:
        check("ch10.depthwise_conv2d", _torch_depthwise)
    first = str(info.value).splitlines()[0]
    assert "used PyTorch (`" in first
    assert "which is switched off while this exercise is checked: it asks for your own implementation" in first
    assert "hint" not in str(info.value)
    assert torch.ones(2).sum().item() == 2.0  # and works again afterwards


def test_catching_the_pytorch_refusal_does_not_help():
    def sly(x, K, *, stride=1, pad=0):
        try:
            return _torch_depthwise(x, K, stride=stride, pad=pad)
        except RuntimeError:
            return np.zeros(1)

    with pytest.raises(ExerciseFailed, match=r"used PyTorch \(`"):
        check("ch10.depthwise_conv2d", sly)


def test_an_exercise_about_pytorch_can_allow_it():
    import dataclasses

    from dlscratch.exercises.core import _run_case

    exercise = EXERCISES["ch10.depthwise_conv2d"]
    allowed = dataclasses.replace(exercise, allow_torch=True)
    assert all(_run_case(allowed, _torch_depthwise, case) is None for case in exercise.cases)
    assert _run_case(exercise, _torch_depthwise, exercise.cases[0]) is not None
