"""Chapter 1's exercises: the model solutions pass, the typical mistakes fail with a useful message,
and every number in the written model answer is right."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlscratch import activations as act
from dlscratch.exercises import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, check


def softplus(x):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def silu_grad(x):
    x = np.asarray(x, dtype=float)
    s = act.sigmoid(x)
    return s + x * s * (1 - s)  # σ + x σ' with σ' = σ(1 - σ): also right, written differently


def test_chapter_1_exercises_are_registered():
    assert isinstance(EXERCISES["ch01.softplus"], FunctionExercise)
    assert isinstance(EXERCISES["ch01.silu_grad"], FunctionExercise)
    assert isinstance(EXERCISES["ch01.sigmoid_rounds_to_one"], ValueExercise)


def test_correct_answers_pass(capsys):
    check("ch01.softplus", softplus)
    check("ch01.silu_grad", silu_grad)
    saturated_at = [next(x for x in range(1, 100) if act.sigmoid(t(x)) == 1.0) for t in (np.float64, np.float32)]
    check("ch01.sigmoid_rounds_to_one", saturated_at)
    assert capsys.readouterr().out.count("✓") == 3


def test_the_cases_agree_with_torch():
    x = torch.linspace(-30.0, 30.0, 601, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.silu(x).sum().backward()
    np.testing.assert_allclose(silu_grad(x.detach().numpy()), x.grad.numpy(), rtol=1e-12, atol=1e-15)
    z = torch.linspace(-700.0, 700.0, 1401, dtype=torch.float64)
    np.testing.assert_allclose(softplus(z.numpy()), torch.nn.functional.softplus(z, threshold=1000).numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda x: np.log(1 + np.exp(np.asarray(x, dtype=float))), "overflow"),  # the textbook formula
        (lambda x: np.log1p(np.exp(np.asarray(x, dtype=float))), "overflow"),  # log1p alone does not help
        (  # stable for large x, but 1 + e^-|x| rounds a tiny e^x away
            lambda x: np.maximum(x, 0.0) + np.log(1 + np.exp(-np.abs(np.asarray(x, dtype=float)))),
            "softplus([ -40., -740.]) returned [0., 0.]",
        ),
        (lambda x: np.maximum(np.asarray(x, dtype=float), 0.0), "softplus(0.0) returned 0.0"),  # that is ReLU
        (lambda x: np.logaddexp(0.0, x) if np.ndim(x) else math.log1p(math.exp(x)), None),  # passes: numpy's own
    ],
)
def test_softplus_mistakes(wrong, message):
    if message is None:
        check("ch01.softplus", wrong)  # np.logaddexp is numpy's, not the package's: the text asks not to use it
        return
    with pytest.raises(ExerciseFailed, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        check("ch01.softplus", wrong)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda x: act.sigmoid_grad(x), r"silu_grad\(0.0\) returned 0.25, expected 0.5"),  # σ', not SiLU'
        (lambda x: act.sigmoid(x), r"silu_grad\(2.0\) returned"),  # forgot the product rule's second term
        (
            lambda x: (1 / (1 + np.exp(-np.asarray(x, dtype=float)))) * (1 + x * (1 - 1 / (1 + np.exp(-x)))),
            "overflow",
        ),
    ],
)
def test_silu_grad_mistakes(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("ch01.silu_grad", wrong)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ([37, 18], "float32 off by one"),
        ([36, 17], "float64 off by one"),
        ([17, 37], "swapped"),
        ([709, 88], "the overflow limits"),
    ],
)
def test_wrong_saturation_points_fail(answer, why):
    with pytest.raises(ExerciseFailed, match="differs from the answer"):
        check("ch01.sigmoid_rounds_to_one", answer)


def test_the_saturation_points_are_where_the_rounding_says():
    """σ(x) rounds to 1 once e^-x is below half the gap between 1 and the next float (2^-53, 2^-24)."""
    for dtype, expected in ((np.float64, 37), (np.float32, 17)):
        gap = np.finfo(dtype).eps
        assert math.exp(-expected) < gap / 2 < math.exp(-(expected - 1))
        assert act.sigmoid(dtype(expected)) == 1.0
        assert act.sigmoid(dtype(expected - 1)) < 1.0


def test_the_numbers_of_the_written_answer():
    """Exercise 4's model answer: σ' below 4.5e-5 past |z| = 10; SiLU' negative below -1.28, minimum about
    -0.10 near x = -2.4, maximum about 1.10 near x = 2.4."""
    assert act.sigmoid_grad(10.0) < 4.55e-5
    assert np.all(act.sigmoid_grad(np.linspace(10, 60, 51)) < 4.55e-5)
    x = np.linspace(-10.0, 10.0, 2_000_001)
    g = silu_grad(x)
    assert round(float(x[np.argmin(np.abs(g[x < 0]))]), 2) == -1.28  # the zero of SiLU' (SiLU's minimum)
    assert np.all(g[x < -1.2785] < 0)
    assert np.all(g[(x > -1.2784) & (x < 0)] > 0)
    assert round(float(g.min()), 2) == -0.10
    assert round(float(x[np.argmin(g)]), 1) == -2.4
    assert round(float(g.max()), 2) == 1.10
    assert round(float(x[np.argmax(g)]), 1) == 2.4
    assert abs(silu_grad(-40.0)) < 1e-15
    assert silu_grad(40.0) == pytest.approx(1.0)
