"""Chapter 4 support code: the figures of dlscratch.plots.numgrad, and the exercises in exercises/ch04.py:
the model solutions pass, the typical mistakes fail with a useful message, and every number in the
written model answer is right."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlscratch import numgrad
from dlscratch.exercises import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, ch04, check
from dlscratch.plots import numgrad as plots
from dlscratch.plots import regression

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


# ----------------------------------------------------------------------------- the second edition's figures


@pytest.mark.parametrize(
    ("plot", "params"),
    [
        (plots.plot_gradient_field, {"name": "x0² + x1²"}),
        (plots.plot_gradient_field, {"name": "0.1·x0² + x1²"}),
        (plots.plot_local_minima, {"x0": 2.0}),
        (plots.plot_local_minima, {"x0": -2.5, "lr": 0.1, "num_steps": 5}),
        (regression.plot_training_curves, {"lr": 30.0, "num_steps": 10}),
        (regression.plot_weight_images, {"num_steps": 0, "lr": 0.1}),
    ],
)
def test_new_figures_draw(plot, params):
    fig = Figure(figsize=(8, 3.4), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    plot(fig, **params)
    fig.canvas.draw()


def test_gradient_field_is_minus_the_numerical_gradient_and_cached():
    for name, (_f, grad) in plots.BOWLS.items():
        points, arrows = plots.gradient_field(name)
        assert points.shape == arrows.shape == (169, 2)
        assert np.allclose(arrows, [-grad(p) for p in points], atol=1e-8)
        assert plots.gradient_field(name)[1] is arrows  # computed once
        assert not arrows.flags.writeable  # a shared cache must not be edited by a caller
    with pytest.raises(ValueError, match="name must be one of"):
        plots.gradient_field("cosh")


def test_gradient_field_redraws_without_new_gradients(monkeypatch):
    fig = Figure(figsize=(8, 3.4), dpi=80)
    FigureCanvasAgg(fig)
    update = plots.plot_gradient_field(fig)

    def refuse(*args, **kwargs):
        raise AssertionError("gradients computed again")

    monkeypatch.setattr(plots, "numerical_gradient", refuse)
    monkeypatch.setattr(plots.contourpy, "contour_generator", refuse)
    for name in plots.BOWLS:
        update(name=name)
    fig.canvas.draw()


def test_double_well_stationary_points():
    f, df = plots.DOUBLE_WELL
    low, top, high = plots.double_well_minima()
    assert low < top < high
    assert np.allclose(df(np.array([low, top, high])), 0.0, atol=1e-12)
    assert numgrad.numerical_diff(f, low) == pytest.approx(0.0, abs=1e-7)  # truncation h²/6·f''' ~ 6e-8
    assert f(low) < f(high) < f(top)  # a global and a local minimum around a hump
    second = 12 * np.array([low, high]) ** 2 - 8  # f'' > 0 at both minima
    assert np.all(second > 0)


def test_local_minima_paths_stay_in_the_picture():
    """Every start and learning rate the chapter's sliders reach: the path never leaves the drawn range."""
    f, df = plots.DOUBLE_WELL
    for x0 in np.arange(-2.5, 2.51, 0.25):
        for lr in np.arange(0.01, 0.1001, 0.01):
            path = numgrad.gradient_descent(f, [x0], lr=lr, num_steps=30, grad=df)
            assert np.all(np.abs(path) <= 2.7)


def test_descent_draws_a_zero_value_on_the_bottom_edge():
    """At lr = 0.5 the round bowl reaches f = 0 in one step; the log panel shows it at its lower limit."""
    fig = Figure(figsize=(8, 3.4), dpi=80)
    plots.plot_descent(fig, lr=0.5, num_steps=3)
    values = fig.axes[1].get_lines()[0].get_ydata()
    low, _ = fig.axes[1].get_ylim()
    assert values[0] == 25.0
    assert np.all(values[1:] >= low)
    assert np.all(values[1:] < 2 * low)


def test_weight_mosaic_places_each_class():
    W = np.arange(640.0).reshape(64, 10)  # W[d, c] = 10 d + c
    mosaic = regression.weight_mosaic(W)
    assert mosaic.shape == (22, 44)
    for c in range(10):
        top, left = regression._tile_origin(c)
        assert np.array_equal(mosaic[top : top + 8, left : left + 8], W[:, c].reshape(8, 8))
    assert np.isnan(mosaic).sum() == mosaic.size - 640  # everything else is a gap
    with pytest.raises(ValueError, match=r"\(64, 10\)"):
        regression.weight_mosaic(np.zeros((10, 64)))


def test_training_runs_are_cached_and_learn():
    run = regression.training_run(3.0)
    assert regression.training_run(3.0) is run
    assert run.train_loss.shape == (regression.MAX_STEPS + 1,)
    assert run.train_loss[0] == pytest.approx(math.log(10))
    assert run.test_accuracy[-1] >= 0.93
    assert list(run.weight_steps) == list(range(0, regression.MAX_STEPS + 1, regression.WEIGHTS_EVERY))
    assert np.array_equal(run.weights[0], np.zeros((64, 10)))


@pytest.mark.parametrize(
    ("plot", "params", "message"),
    [
        (regression.plot_training_curves, {"lr": 2.0}, "lr must be one of"),
        (regression.plot_training_curves, {"num_steps": 301}, "num_steps must be in"),
        (regression.plot_weight_images, {"num_steps": 15}, "multiple of 10"),
    ],
)
def test_training_figures_reject_what_was_not_trained(plot, params, message):
    with pytest.raises(ValueError, match=message):
        plot(Figure(), **params)


# ----------------------------------------------------------------------------- exercises
# Correct answers written independently of the package (and of each other's style), then the typical mistakes.


def numerical_hessian(f, x):
    """Second differences of f itself, without any gradient: H_ij from the four points x ± h e_i ± h e_j."""
    h = 1e-4
    x = np.asarray(x, dtype=float)
    n = x.size
    unit = np.eye(n) * h  # (n, n): row i is h e_i
    hessian = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            hessian[i, j] = (
                f(x + unit[i] + unit[j])
                - f(x + unit[i] - unit[j])
                - f(x - unit[i] + unit[j])
                + f(x - unit[i] - unit[j])
            ) / (4 * h * h)
    return hessian


def hessian_from_the_package_gradient(f, x):
    """The model solution's way: central differences of ng.numerical_gradient (allowed: nothing is switched off)."""
    h = 1e-4
    x = np.array(x, dtype=float)
    columns = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = h
        columns.append((numgrad.numerical_gradient(f, x + step) - numgrad.numerical_gradient(f, x - step)) / (2 * h))
    return np.stack(columns, axis=1)


def largest_stable_lr(A):
    """2/λmax, with λmax by power iteration (no eigen-solver)."""
    A = np.asarray(A, dtype=float)
    v = np.arange(1.0, len(A) + 1) ** 2  # not orthogonal to the top eigenvector of any case
    for _ in range(2000):
        v = A @ v
        v = v / np.linalg.norm(v)
    return 2.0 / float(v @ A @ v)


def rosenbrock_hessian(x):
    """The Rosenbrock Hessian, by hand."""
    return np.array([[2 - 400 * (x[1] - x[0] ** 2) + 800 * x[0] ** 2, -400 * x[0]], [-400 * x[0], 200.0]])


def rosenbrock_gradient(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def test_chapter_4_exercises_are_registered():
    assert isinstance(EXERCISES["ch04.numerical_hessian"], FunctionExercise)
    assert isinstance(EXERCISES["ch04.largest_stable_lr"], FunctionExercise)
    assert isinstance(EXERCISES["ch04.rosenbrock_lr"], ValueExercise)
    assert {eid for eid in EXERCISES if eid.startswith("ch04.")} == {
        "ch04.numerical_hessian",
        "ch04.largest_stable_lr",
        "ch04.rosenbrock_lr",
    }


def test_nothing_in_the_package_answers_them():
    """Hence switched_off is empty; the Hessian exercise tells the reader to use ng.numerical_gradient."""
    assert EXERCISES["ch04.numerical_hessian"].switched_off == ()
    assert EXERCISES["ch04.largest_stable_lr"].switched_off == ()
    assert not [name for name in dir(numgrad) if "hess" in name.lower() or "stable" in name.lower()]


def test_correct_answers_pass(capsys):
    check("ch04.numerical_hessian", numerical_hessian)
    check("ch04.numerical_hessian", hessian_from_the_package_gradient)
    check("ch04.largest_stable_lr", largest_stable_lr)
    check("ch04.largest_stable_lr", lambda A: 2 / np.linalg.eigvalsh(A).max())
    check("ch04.rosenbrock_lr", largest_stable_lr(numerical_hessian(ch04.rosenbrock, np.array([1.0, 1.0]))))
    check("ch04.rosenbrock_lr", largest_stable_lr(rosenbrock_hessian([1.0, 1.0])))
    out = capsys.readouterr().out
    assert out.count("✓") == 6
    assert "✓ ch04.numerical_hessian: all 6 checks passed" in out


def test_the_expected_hessians_are_right():
    """The cases' hand-written Hessians agree with second differences of the functions themselves."""
    for case in EXERCISES["ch04.numerical_hessian"].cases:
        f, x = case.args
        np.testing.assert_allclose(numerical_hessian(f, x), case.expected, rtol=1e-6, atol=1e-7)
        assert np.allclose(case.expected, np.transpose(case.expected))
    np.testing.assert_array_equal(ch04.ROSENBROCK_HESSIAN, rosenbrock_hessian([1.0, 1.0]))


def test_the_expected_limits_are_where_gradient_descent_turns():
    """Just below each case's limit gradient descent on ½xᵀAx converges, just above it diverges."""
    for case in EXERCISES["ch04.largest_stable_lr"].cases:
        (A,) = case.args
        A = np.asarray(A, dtype=float)
        x0 = np.linspace(1.0, 2.0, len(A))
        for factor, converges in ((0.99, True), (1.01, False)):
            path = numgrad.gradient_descent(
                lambda v, A=A: 0.5 * v @ A @ v, x0, lr=factor * case.expected, num_steps=3000, grad=lambda v, A=A: A @ v
            )
            assert (np.linalg.norm(path[-1]) < 1e-3 * np.linalg.norm(x0)) == converges, (A, factor)


def test_the_rosenbrock_limit_holds_for_gradient_descent_near_the_minimum():
    lr = EXERCISES["ch04.rosenbrock_lr"].expected
    start = np.array([1.0, 1.0]) + 1e-3 * np.array([0.6, -0.8])
    good = numgrad.gradient_descent(ch04.rosenbrock, start, lr=0.98 * lr, num_steps=300, grad=rosenbrock_gradient)
    bad = numgrad.gradient_descent(ch04.rosenbrock, start, lr=1.02 * lr, num_steps=300, grad=rosenbrock_gradient)
    distance = np.linalg.norm(start - 1.0)
    assert np.linalg.norm(good[-1] - 1.0) < distance  # converging, slowly along the valley
    assert np.linalg.norm(bad[-1] - 1.0) > 10 * distance  # thrown out of the minimum (and caught by the valley)


# ----------------------------------------------------------------------------- typical mistakes: the Hessian


def _forward_difference_of_the_gradient(f, x):
    h = 1e-4
    x = np.array(x, dtype=float)
    base = numgrad.numerical_gradient(f, x)
    return np.stack([(numgrad.numerical_gradient(f, x + h * e) - base) / h for e in np.eye(x.size)], axis=1)


def _divides_by_h(f, x):
    return 2 * hessian_from_the_package_gradient(f, x)


def _pure_second_derivatives_only(f, x):
    return np.diag(np.diag(numerical_hessian(f, x)))


def _moves_the_callers_x(f, x):
    """Perturbs the caller's array in place and 'restores' it: (x + h) - 2h + h is not always x."""
    h = 1e-4
    x = np.asarray(x, dtype=float)  # no copy for a float array
    hessian = np.empty((x.size, x.size))
    for j in range(x.size):
        x[j] += h
        g_plus = numgrad.numerical_gradient(f, x)
        x[j] -= 2 * h
        g_minus = numgrad.numerical_gradient(f, x)
        x[j] += h
        hessian[:, j] = (g_plus - g_minus) / (2 * h)
    return hessian


def _keeps_the_integer_dtype(f, x):
    """A copy, but of the caller's dtype: storing x_j ± h into an integer array truncates it."""
    h = 1e-4
    x = np.array(x)
    hessian = np.empty((x.size, x.size))
    for j in range(x.size):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[j] = x[j] + h
        x_minus[j] = x[j] - h
        hessian[:, j] = (numgrad.numerical_gradient(f, x_plus) - numgrad.numerical_gradient(f, x_minus)) / (2 * h)
    return hessian


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (_forward_difference_of_the_gradient, r"(?s)numerical_hessian\(exp_ridge, .*a one-sided difference"),
        (_divides_by_h, r"(?s)numerical_hessian\(quadratic, .*off-diagonal entries included"),
        (_pure_second_derivatives_only, r"(?s)numerical_hessian\(quadratic, .*off-diagonal entries included"),
        (_moves_the_callers_x, "modified its input array"),
        (_keeps_the_integer_dtype, r"(?s)numerical_hessian\(mixed_cubic, \[1, 2\]\) .*integer input"),
    ],
)
def test_hessian_mistakes(wrong, message):
    with pytest.raises(ExerciseFailed, match=message) as info:
        check("ch04.numerical_hessian", wrong)
    if "modified" not in message:
        assert "hint: column j of the Hessian" in str(info.value)


# ----------------------------------------------------------------------------- typical mistakes: the learning rate


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda A: 2 / np.max(np.diag(A)), "coupled coordinates: the diagonal entries are not the curvatures"),
        (
            lambda A: 1 / np.linalg.eigvalsh(A).max(),
            r"largest_stable_lr\(\[\[5.\]\]\) returned 0.2, expected 0.4",
        ),  # forgot the 2
        (lambda A: 2 / np.linalg.eigvalsh(A).min(), "uncoupled: the steepest axis sets the limit"),
        (lambda A: 2 / np.trace(A), "uncoupled"),
        (lambda A: 2 / np.abs(A).sum(axis=1).max(), "three coupled variables"),  # a Gershgorin bound: safe, too small
    ],
)
def test_learning_rate_mistakes(wrong, message):
    with pytest.raises(ExerciseFailed, match=message) as info:
        check("ch04.largest_stable_lr", wrong)
    assert "hint: write one step of gradient descent" in str(info.value)


@pytest.mark.parametrize(
    "answer",
    [
        2 / 802,  # the diagonal entry of the Hessian
        1 / 1001.6,  # forgot the 2
        2 / np.linalg.eigvalsh(rosenbrock_hessian([0.0, 0.0])).max(),  # the Hessian at the start, not the minimum
        0.0019,  # just below the limit is not the limit
    ],
)
def test_wrong_rosenbrock_learning_rates_fail(answer):
    with pytest.raises(ExerciseFailed, match="hint: at a minimum the gradient vanishes"):
        check("ch04.rosenbrock_lr", answer)


# ----------------------------------------------------------------------------- the written model answer (exercise 4)


def _second_difference_errors(name, hs):
    """|nested central difference - f''|, the same h in both, averaged over x ∈ [0.8, 1.2] like the chapter's figure."""
    f, second = {"exp": (np.exp, np.exp), "sin": (np.sin, lambda x: -np.sin(x))}[name]
    xs = plots.smoothing_points(1.0)
    errors = []
    for h in hs:

        def central(x, h=h):
            return (f(x + h) - f(x - h)) / (2 * h)

        errors.append(np.mean(np.abs((central(xs + h) - central(xs - h)) / (2 * h) - second(xs))))
    return np.array(errors)


def test_written_answer_a_nested_differences():
    """(a): the nested central difference is (f(x+2h) - 2f(x) + f(x-2h)) / 4h², its truncation error h²/3·f''''."""
    h = 1e-2
    nested = numgrad.numerical_diff(lambda t: numgrad.numerical_diff(math.exp, t, h), 1.0, h)
    assert nested == pytest.approx((math.exp(1 + 2 * h) - 2 * math.e + math.exp(1 - 2 * h)) / (4 * h * h), rel=1e-12)
    assert nested - math.e == pytest.approx(h**2 / 3 * math.e, rel=0.01)
    assert round(EPS**0.25, 5) == 1.2e-4  # ε^(1/4) ≈ 1.2e-4
    assert round(EPS**0.5, 9) == 1.5e-8  # ε^(1/2) ≈ 1.5e-8
    assert round(EPS / 6e-6**2, 6) == 6e-6  # ε/h² at h = 6e-6


@pytest.mark.parametrize("name", ["exp", "sin"])
def test_written_answer_a_measured(name):
    """(a): the best step is of the order ε^(1/4), close to 1e-4; the best error of the order ε^(1/2);
    h = 6e-6 is more than a hundred times worse than h = 1e-4."""
    hs = np.logspace(-8, -1, 141)
    errors = _second_difference_errors(name, hs)
    best = hs[np.argmin(errors)]
    assert 0.25 < best / EPS**0.25 < 4
    assert 0.5 < best / 1e-4 < 2
    assert EPS**0.5 / 10 < errors.min() < 10 * EPS**0.5
    at_default, at_first_derivative_best = _second_difference_errors(name, [1e-4, 6e-6])
    assert at_first_derivative_best > 100 * at_default


def test_written_answer_b_cost():
    """(b): 4n² evaluations (36 for n = 3) with the chapter's model solution; 4e12 for a million, 8 TB of entries."""
    calls = 0

    def counted(x):
        nonlocal calls
        calls += 1
        return float(np.sum(np.sin(x)))

    hessian_from_the_package_gradient(counted, np.array([0.1, 0.2, 0.3]))
    assert calls == 4 * 3**2 == 36
    n = 10**6
    assert 4 * n**2 == 4e12
    assert n**2 * np.dtype(np.float64).itemsize == 8e12  # 10^12 entries, 8 TB


def test_written_answer_c_rosenbrock():
    """(c): λ ≈ 0.40 and 1001.6; factors 0.99924 and -0.90 at η = 0.0019; about 18,200 steps; ratio about 2500,
    against 10 for the chapter's elongated bowl."""
    eta = 0.0019
    assert eta < EXERCISES["ch04.rosenbrock_lr"].expected
    low, high = np.linalg.eigvalsh(ch04.ROSENBROCK_HESSIAN)
    assert round(low, 2) == 0.40
    assert round(high, 1) == 1001.6
    assert round(1 - eta * low, 5) == 0.99924
    assert round(1 - eta * high, 2) == -0.90
    steps = math.log(1e6) / abs(math.log(1 - eta * low))
    assert round(steps, -2) == 18_200
    assert round(high / low, -2) == 2500
    # the count on the function itself: from a point near (1, 1) along the flattest direction
    _, vectors = np.linalg.eigh(ch04.ROSENBROCK_HESSIAN)
    start = np.array([1.0, 1.0]) + 1e-3 * vectors[:, 0]
    path = numgrad.gradient_descent(ch04.rosenbrock, start, lr=eta, num_steps=18_500, grad=rosenbrock_gradient)
    distance = np.linalg.norm(path - [1.0, 1.0], axis=1)
    reached = int(np.argmax(distance < 1e-6 * distance[0]))
    assert reached == pytest.approx(18_200, rel=0.01)
    # the chapter's elongated bowl 0.1·x0² + x1²: curvatures 0.2 and 2
    bowl = np.linalg.eigvalsh(numerical_hessian(plots.BOWLS["0.1·x0² + x1²"][0], np.array([-3.0, 4.0])))
    assert bowl[1] / bowl[0] == pytest.approx(10, rel=1e-6)
