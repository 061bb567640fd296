"""Chapter 1's exercises: the model solutions pass, the typical mistakes fail with a useful message,
and every number in the written model answer is right. Then the chapter's text (no exercise answer in the
body, the notes only in pitfalls and "In the notes" lines, the 中文 table in the notes' words), its
activation figure, and its low-precision claims."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlscratch import activations as act
from dlscratch.exercises import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, check
from dlscratch.plots.activations import plot_activation


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


# ----------------------------------------------------------------------------- the chapter's text and figure

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "01_activations.md"
GLOSSARY = Path(__file__).resolve().parents[1] / "book" / "glossary.md"


def _body_and_summary():
    text = CHAPTER.read_text(encoding="utf-8")
    start, end = text.index("\n## Exercises"), text.index("\n## Summary")
    return text[:start], text[end:]


def test_the_body_and_summary_do_not_give_the_exercises_away():
    """Exercise 2 asks for SiLU's derivative, exercise 3 for where σ rounds to 1 in float64 and float32 (37, 17);
    the chapter may name SiLU and show float16's point, but not these."""
    body, summary = _body_and_summary()
    for text in (body, summary):
        assert not re.search(r"\b(37|17)\b", text), "an answer of exercise 3"
        assert "silu_grad" not in text
        assert not re.search(r"SiLU\}?'|SiLU\}?\^\\prime|silu\)?'", text), "SiLU's derivative"
        for number in ("1.28", "-0.10", "1.10"):  # exercise 4(b)
            assert number not in text, number
        assert "F.silu(grid_t).sum().backward" not in text


def test_code_cells_of_the_body_fit_80_characters():
    from chapter_cells import long_code_lines

    body, _ = _body_and_summary()
    too_long = long_code_lines(body)
    assert not too_long, too_long


def test_the_notes_appear_only_in_pitfalls_and_in_the_notes_lines():
    """Teach first: a prose paragraph that names the notes opens with "In the notes", or sits in a pitfall box."""
    from chapter_cells import notes_narrated

    body, _ = _body_and_summary()
    assert notes_narrated(body) == []


# The notes' own words for the terms of chapter 1 (notes 002, 003, 004, verbatim).
NOTES_WORDING = (
    "## 激活函数",
    "作用：增强网络的表大能力",  # 004: 表大能力 is its typo for 表达能力
    "> 连续，sigmoid函数是关于(x, y)=(0, 0.5)对称的S型曲曲线",  # 003, with its doubled 曲
    "### 阶跃函数\n> 非连续",
    "### tanh函数",
    "### Sigmoid函数",
    "### ReLU函数\n> 修正函数,常用，计算量相较于exp来说较小",
    "用作激活函数的函数最好具有关于原点对称的性质",
    "输出不是以0为均值",
    "会造成梯度消失",
    "溢出",
    "## 数值稳定",
    "提高数据稳定性",
    "导数(存在误差)",
    "梯度",
    "## 误差反向传播",
    "## 输出层函数",
    "### 恒等函数",
    "### Logistic回归",
    "一般在同一个网络中，我们都使用同一种类型的激活函数。",
)


def _table_terms(chinese: str) -> list[str]:
    """The notes' spellings in one 中文 cell: "X (the notes write Y)" stands for Y; lists split at ；，/."""
    written = re.search(r"\(the notes write (.+?)\)", chinese)
    if written:
        return [written.group(1)]
    return [t for t in re.split(r"；|，|/", re.sub(r"\(.*?\)|（.*?）", "", chinese)) if t.strip()]


def test_summary_terms_are_the_notes_own():
    """Every 中文 entry of the summary's "from the notes" table occurs in the notes' wording (spaces ignored)."""
    _, summary = _body_and_summary()
    rows = [row for row in re.findall(r"^\| (.+?) \| (.+?) \|$", summary, re.M) if row[0] != "English"]
    assert len(rows) >= 12
    notes = "".join(NOTES_WORDING).replace(" ", "").lower()
    for english, chinese in rows:
        for term in _table_terms(chinese):
            term = term.replace(" ", "").lower()
            assert term in notes, f"{english}: {term!r} is not in the notes"
    for usual_only in ("修正线性单元", "双曲正切", "带泄露"):
        assert not any(usual_only in chinese for _, chinese in rows), usual_only


def test_the_glossary_has_the_notes_terms_of_issue_9():
    text = GLOSSARY.read_text(encoding="utf-8")
    for needed in ("表达能力", "表大能力", "Logistic回归", "目标函数", "模 (mó;", "连续 / 非连续"):
        assert needed in text, needed
    for wrong in ("修正线性单元 / 线性整流函数 (xiūzhèng xiànxìng dānyuán). Rectified",):
        assert wrong not in text


def test_the_activation_figure_is_driven_by_the_function():
    """The website's scrubber sweeps the function (and the leaky slope), not the x-range."""
    text = CHAPTER.read_text(encoding="utf-8")
    call = re.search(r"explore\(\n    plot_activation,.*?\n\)", text, re.S).group(0)
    assert 'static=("name", "negative_slope")' in call
    assert call.index("name=Choice") < call.index("negative_slope=Slider") < call.index("x_max=Slider")


def _lines_and_titles(**params):
    fig = Figure()
    update = plot_activation(fig)
    update(**params)
    ax_f, ax_d = fig.axes
    return ax_f.lines[0].get_ydata(), ax_d.lines[0].get_ydata(), ax_f.get_title(), ax_d.get_title()


@pytest.mark.parametrize("name", ["step", "sigmoid", "tanh", "relu"])
def test_the_leaky_slope_changes_only_the_leaky_relu(name):
    a, b = _lines_and_titles(name=name, negative_slope=0.0), _lines_and_titles(name=name, negative_slope=0.5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2:] == b[2:]
    assert "alpha" not in a[2]


def test_the_leaky_relu_frame_shows_its_slope():
    _, dy, title_f, title_d = _lines_and_titles(name="leaky_relu", negative_slope=0.3)
    assert r"$\alpha = 0.3$" in title_f
    assert r"\alpha" in title_d
    assert np.isclose(dy.min(), 0.3)
    assert dy.max() == 1.0
    with pytest.raises(ValueError, match="name must be one of"):
        plot_activation(Figure(), name="softsign")


# ----------------------------------------------------------------------------- low precision (the chapter's claims)


def test_float16_exp_overflow_point():
    """ln(65504) ≈ 11.09: float16's exp is finite at 11.0859 (the float16 below 11.09) and inf at 11.09375."""
    limit = math.log(float(np.finfo(np.float16).max))
    assert round(limit, 2) == 11.09
    below, above = np.float16(11.0859375), np.float16(11.09375)
    assert float(below) < limit < float(above)
    assert np.nextafter(below, np.float16(20)) == above  # neighbours: the limit falls between them
    with np.errstate(over="ignore"):
        assert np.isfinite(np.exp(below))
        assert np.isinf(np.exp(above))


def test_sigmoid_and_its_derivative_are_quiet_on_every_float16():
    """The sign split holds in float16 too: all 63488 finite float16 values, no warning, the right range and dtype."""
    every = np.arange(2**16, dtype=np.uint16).view(np.float16)
    every = every[np.isfinite(every)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, dy = act.sigmoid(every), act.sigmoid_grad(every)
    assert y.dtype == dy.dtype == np.float16
    assert np.all((y >= 0) & (y <= 1))
    assert np.all((dy >= 0) & (dy <= 0.25))
    exact = 1 / (1 + np.exp(-every.astype(np.float64).clip(-700, 700)))
    assert np.max(np.abs(y.astype(np.float64) - exact)) < 2**-10  # within float16's rounding


def test_bfloat16_has_float32_range_and_8_bits():
    bf16 = torch.finfo(torch.bfloat16)
    assert abs(math.log(bf16.max) - math.log(torch.finfo(torch.float32).max)) < 0.01
    assert bf16.eps == 2**-7
    assert torch.sigmoid(torch.tensor(1.0, dtype=torch.bfloat16)).item() == 0.73046875
