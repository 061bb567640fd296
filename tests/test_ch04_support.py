"""Chapter 4 support code: the figures of dlscratch.plots.numgrad and the exercises in exercises/ch04.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlscratch import numgrad
from dlscratch.exercises import EXERCISES, ExerciseFailed, check
from dlscratch.plots import numgrad as plots

EPS = np.finfo(np.float64).eps
HS = np.logspace(-15, 0, 301)

# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("plot", "params"),
    [
        (plots.plot_secant, {"h": 0.1, "name": "sin"}),
        (plots.plot_secant, {"h": 1.5, "name": "x³ − 2x", "x0": -1.5}),
        (plots.plot_step_error, {"name": "exp"}),
        (plots.plot_step_error, {"name": "sin", "x0": 2.0}),
        (plots.plot_descent, {"lr": 0.1}),
        (plots.plot_descent, {"lr": 1.1, "name": "0.1·x0² + x1²", "num_steps": 50}),  # diverges: clipped
        (plots.plot_descent, {"lr": 0.5, "num_steps": 1}),
        (plots.plot_directional, {"angle": 45.0}),
        (plots.plot_directional, {"angle": -180.0, "name": "x0² + x1²"}),
    ],
)
def test_figures_draw(plot, params):
    fig = Figure(figsize=(8, 3.4), dpi=80, layout="constrained")
    plot(fig, **params)
    assert fig.axes, "nothing was drawn"
    fig.canvas.draw()


@pytest.mark.parametrize("plot", [plots.plot_secant, plots.plot_step_error, plots.plot_descent])
def test_unknown_name_is_rejected(plot):
    with pytest.raises(ValueError, match="name must be one of"):
        plot(Figure(), name="cosh")


def test_contour_plot_does_not_recompute_the_grid(monkeypatch):
    """The contour lines are traced once at import; building or updating a figure never traces them again."""
    assert set(plots._CONTOURS) == set(plots.BOWLS)
    assert all(len(lines) > 0 for lines in plots._CONTOURS.values())

    def trace(*args, **kwargs):
        raise AssertionError("contours traced again")

    monkeypatch.setattr(plots.contourpy, "contour_generator", trace)
    for plot in (plots.plot_descent, plots.plot_directional):
        fig = Figure(figsize=(8, 3.4), dpi=80)
        FigureCanvasAgg(fig)  # a real draw, not the base canvas's no-op
        update = plot(fig)
        for name in plots.BOWLS:
            update(name=name)
        fig.canvas.draw()


def test_step_errors_match_forward_and_central_differences():
    forward, central = plots.step_errors("exp", 1.0, [1e-2, 1e-4])
    assert forward[0] == pytest.approx(abs(numgrad.forward_diff(math.exp, 1.0, 1e-2) - math.e), rel=1e-9)
    assert central[1] == pytest.approx(abs(numgrad.numerical_diff(math.exp, 1.0, 1e-4) - math.e), rel=1e-6)


def test_step_errors_average_over_points():
    points = plots.smoothing_points(1.0)
    assert points.shape == (41,)
    assert points[0] == pytest.approx(0.8)
    assert points[-1] == pytest.approx(1.2)
    forward, _ = plots.step_errors("sin", points, [1e-3])
    one_by_one = np.mean([plots.step_errors("sin", p, [1e-3])[0][0] for p in points])
    assert forward[0] == pytest.approx(one_by_one, rel=1e-12)


@pytest.mark.parametrize("name", list(plots.SCALAR_FUNCTIONS))
@pytest.mark.parametrize("x0", [0.5, 1.0, 2.0])
def test_best_steps_are_near_the_theory(name, x0):
    forward, central = plots.step_errors(name, plots.smoothing_points(x0), HS)
    assert 0.25 < plots.best_step(HS, forward) / EPS**0.5 < 4
    assert 0.25 < plots.best_step(HS, central) / EPS ** (1 / 3) < 4
    assert central.min() < forward.min() / 10


@pytest.mark.parametrize(("hs", "x0"), [([0.0, 1e-3], 1.0), ([[1e-3]], 1.0), ([1e-3], [[1.0]])])
def test_step_errors_reject_bad_input(hs, x0):
    with pytest.raises(ValueError, match=r"hs must|x0 must"):
        plots.step_errors("sin", x0, hs)


def test_directional_derivatives_are_gradient_dot_direction():
    grad = np.array([-0.6, 2.0])
    thetas = np.radians([0.0, 90.0, 180.0])
    assert np.allclose(plots.directional_derivatives(grad, thetas), [-0.6, 2.0, 0.6])
    all_directions = plots.directional_derivatives(grad, np.linspace(-np.pi, np.pi, 3601))
    assert all_directions.max() == pytest.approx(np.linalg.norm(grad), rel=1e-6)


@pytest.mark.parametrize("name", list(plots.BOWLS))
def test_bowl_gradients_are_right(name):
    f, grad = plots.BOWLS[name]
    x = np.array([-3.0, 1.5])
    assert np.allclose(grad(x), numgrad.numerical_gradient(f, x), atol=1e-8)


# ----------------------------------------------------------------------------- exercises


def test_chapter_4_exercises_are_registered():
    expected = {
        "ch04.numerical_gradient",
        "ch04.gradient_descent",
        "ch04.one_step_lr",
        "ch04.directional_derivative",
        "ch04.steepest_rate",
    }
    assert expected <= set(EXERCISES)


def _reference_gradient_descent(f, init_x, lr=0.01, step_num=100):
    return numgrad.gradient_descent(f, init_x, lr=lr, num_steps=step_num)[-1]


def test_reference_solutions_pass(capsys):
    assert check("ch04.numerical_gradient", numgrad.numerical_gradient)
    assert check("ch04.gradient_descent", _reference_gradient_descent)
    assert check("ch04.one_step_lr", 0.5)
    assert check("ch04.directional_derivative", (12 + 4 * (1 + math.cos(2.0))) / 5)
    assert check("ch04.steepest_rate", math.hypot(4, 1 + math.cos(2.0)))
    assert "✓ ch04.numerical_gradient: all 6 checks passed" in capsys.readouterr().out


def test_numerical_answers_to_the_value_exercises_pass():
    def f(x):
        return x[0] ** 2 * x[1] + np.sin(x[1])

    g = numgrad.numerical_gradient(f, np.array([1.0, 2.0]))
    assert check("ch04.directional_derivative", g @ np.array([0.6, 0.8]))
    assert check("ch04.steepest_rate", np.linalg.norm(g))


def _notes_gradient(f, x):
    """The notes' numerial_gradient: loops over x[i] and writes into x."""
    h = 1e-4
    grad = np.zeros_like(x)
    for i in range(x.size):
        tmp_val = x[i]
        x[i] = tmp_val + h
        fxh1 = f(x)
        x[i] = tmp_val - h
        fxh2 = f(x)
        grad[i] = (fxh1 - fxh2) / (2 * h)
        x[i] = tmp_val
    return grad


def test_the_notes_gradient_fails_on_matrices():
    with pytest.raises(ExerciseFailed, match=r"(?s)numerical_gradient\(.*\) raised IndexError"):
        check("ch04.numerical_gradient", _notes_gradient)


def test_a_gradient_that_mutates_its_input_fails():
    def numerical_gradient(f, x):
        x = np.asarray(x)  # no copy: writes go to the caller's array
        if x.dtype.kind != "f":
            x = x.astype(float)
        grad = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            original = x[index]
            x[index] = original + 1e-4
            f_plus = f(x)
            x[index] = original - 1e-4
            f_minus = f(x)
            x[index] = original + 1e-12  # "restores" the wrong value
            grad[index] = (f_plus - f_minus) / 2e-4
        return grad

    with pytest.raises(ExerciseFailed, match="modified its input array"):
        check("ch04.numerical_gradient", numerical_gradient)


def test_a_forward_difference_is_not_accurate_enough():
    def numerical_gradient(f, x):
        x = np.array(x, dtype=float)
        base = f(x)
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            shifted = x.copy()
            shifted[index] += 1e-4
            grad[index] = (f(shifted) - base) / 1e-4
        return grad

    with pytest.raises(ExerciseFailed, match=r"returned .* expected"):
        check("ch04.numerical_gradient", numerical_gradient)


def test_the_notes_gradient_descent_fails():
    def gradient_descent(f, init_x, lr=0.01, step_num=100):
        x = init_x  # no copy
        for _ in range(step_num):
            x -= lr * numgrad.numerical_gradient(f, x)
        return x

    with pytest.raises(ExerciseFailed, match="modified its input array"):
        check("ch04.gradient_descent", gradient_descent)


def test_gradient_descent_with_an_integer_start_must_copy_to_float():
    def gradient_descent(f, init_x, lr=0.01, step_num=100):
        x = np.array(init_x)  # a copy, but it keeps the integer dtype
        for _ in range(step_num):
            x -= lr * numgrad.numerical_gradient(f, x)
        return x

    with pytest.raises(ExerciseFailed, match=r"raised (UFuncTypeError|TypeError|numpy\._core\._exceptions)"):
        check("ch04.gradient_descent", gradient_descent)


def test_wrong_values_fail():
    with pytest.raises(ExerciseFailed, match="hint: one step maps"):
        check("ch04.one_step_lr", 1.0)
    with pytest.raises(ExerciseFailed):
        check("ch04.steepest_rate", 4.0)
