"""Chapter 9 support code: the figures of dlscratch.plots.regularization, the claims of the chapter that
depend on a seed (checked on several), and the exercises in exercises/ch09.py: the model solutions pass,
typical mistakes fail, and every number in the written model answers is right."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlscratch import regularization as reg
from dlscratch.exercises import EXERCISES, ExerciseFailed, ch09, check
from dlscratch.optim import Momentum
from dlscratch.plots import regularization as plots

SEEDS = [0, 1, 2, 3]
LAST10 = slice(-10, None)

# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("plot", "params"),
    [
        (plots.plot_regularization, {}),
        (plots.plot_regularization, {"regularizer": "dropout 0.5"}),
        (plots.plot_dropout, {"p": 0.9}),
        (plots.plot_dropout, {"p": 0.0}),
        (plots.plot_search, {"search": "grid", "num_trials": 1}),
    ],
)
def test_figures_draw(plot, params):
    fig = Figure(figsize=(9, 3.6), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    plot(fig, **params)
    assert fig.axes
    fig.canvas.draw()


@pytest.mark.parametrize(
    ("plot", "params", "match"),
    [
        (plots.plot_regularization, {"regularizer": "L1"}, "regularizer must be one of"),
        (plots.plot_dropout, {"p": 0.33}, "p must be one of"),
        (plots.plot_search, {"search": "bayes"}, "search must be one of"),
        (plots.plot_search, {"num_trials": 26}, r"num_trials must be in \[1, 25\]"),
    ],
)
def test_figures_reject_unknown_values(plot, params, match):
    with pytest.raises(ValueError, match=match):
        plot(Figure(), **params)


def test_keep_fractions_follow_their_laws():
    fractions = plots.keep_fractions()
    phi = np.array([0.5 * (1 + math.erf(-p / math.sqrt(2))) for p in fractions["p"]])
    np.testing.assert_allclose(fractions["uniform"], 1 - fractions["p"], atol=0.015)
    np.testing.assert_allclose(fractions["normal"], phi, atol=0.015)


def test_the_mean_of_many_dropout_passes_is_the_digit():
    digit, mean = plots._digit_masks(0.5)
    image = (plots.digits().X_train[0] * plots.digits().std + plots.digits().mean).reshape(8, 8)
    assert np.abs(mean - image).max() < 0.2  # 500 masks: standard error ≤ 1/√500 ≈ 0.045 per pixel
    kept = digit > 0
    np.testing.assert_allclose(digit[kept], 2 * image[kept], rtol=1e-12)


def test_the_search_trials():
    trials = plots.search_trials()
    assert len(trials["grid"]) == len(trials["random"]) == plots.SEARCH_TRIALS
    grid_lrs = {round(t.params["lr"], 12) for t in trials["grid"]}
    assert len(grid_lrs) == 5
    np.testing.assert_allclose(sorted(grid_lrs), np.geomspace(1e-3, 3.0, 5), rtol=1e-9)
    for t in trials["random"]:
        assert 1e-3 <= t.params["lr"] <= 3.0
        assert 1e-4 <= t.params["weight_decay"] <= 1.0
    for found in trials.values():
        assert 0.9 < reg.best_trial(found).score < 0.95


# ----------------------------------------------------------------------------- claims across seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_regularization_claims_hold_for_every_seed(seed):
    """The chapter's statements about the 100-digit experiment, for the seeds 0 to 3 the prose names."""
    runs = plots.regularization_runs(seed)

    def val(name):
        return runs[name][0].test_accuracy[LAST10].mean()

    def rms(name):
        return math.sqrt(np.mean(runs[name][1]["W2"] ** 2))

    def first_perfect(name):
        return int(np.argmax(runs[name][0].train_accuracy == 1.0))

    history = runs["none"][0]
    assert first_perfect("none") <= 8
    assert np.all(history.train_accuracy[first_perfect("none") :] == 1.0)
    assert 0.79 <= val("none") < 0.845
    assert history.train_accuracy[LAST10].mean() - val("none") > 0.14
    # weight decay: none < 0.01 < 0.03, weights a third the size
    assert val("none") + 0.02 < val("weight decay 0.01") < val("weight decay 0.03")
    assert rms("weight decay 0.03") < 0.4 * rms("none")
    # dropout: slower to memorise, same size of weights, below the stronger weight decay
    assert first_perfect("dropout 0.5") >= 2 * first_perfect("none")
    assert abs(rms("dropout 0.5") / rms("none") - 1) < 0.05
    for name in ("dropout 0.2", "dropout 0.5"):
        assert val(name) < val("weight decay 0.03")
        assert val(name) > val("none") - 0.005


# ----------------------------------------------------------------------------- exercise 1: l1_proximal_step


def l1_proximal_step(w, grad, *, lr, lam):
    z = np.asarray(w, dtype=float) - lr * np.asarray(grad, dtype=float)
    return np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0.0)


def test_the_model_solution_passes(capsys):
    check("ch09.l1_proximal_step", l1_proximal_step)
    assert "✓" in capsys.readouterr().out


def subgradient_step(w, grad, *, lr, lam):
    return w - lr * (grad + lam * np.sign(w))


def no_clamp(w, grad, *, lr, lam):
    z = w - lr * grad
    return z - lr * lam * np.sign(z)  # overshoots past 0


def shrink_before_the_step(w, grad, *, lr, lam):
    shrunk = np.sign(w) * np.maximum(np.abs(w) - lr * lam, 0.0)
    return shrunk - lr * grad


def in_place(w, grad, *, lr, lam):
    w -= lr * grad
    w[...] = np.sign(w) * np.maximum(np.abs(w) - lr * lam, 0.0)
    return w


def delegating(w, grad, *, lr, lam):
    return w - lr * (grad + lam * reg.l1_penalty_grad(w))


@pytest.mark.parametrize(
    ("mistake", "expected_in_message"),
    [
        (subgradient_step, "✗"),
        (no_clamp, "✗"),
        (shrink_before_the_step, "✗"),
        (in_place, "modified"),
        (delegating, "switched off"),
    ],
)
def test_typical_mistakes_fail(mistake, expected_in_message):
    with pytest.raises(ExerciseFailed) as info:
        check("ch09.l1_proximal_step", mistake)
    assert expected_in_message in str(info.value)


def test_the_proximal_step_minimises_its_objective():
    """Soft thresholding is the minimiser of ηλ|v| + (v - z)²/2 (checked against a fine grid)."""
    grid = np.linspace(-3, 3, 600_001)
    for z, lr, lam in [(1.3, 0.5, 1.0), (-0.2, 0.5, 1.0), (-2.0, 0.1, 3.0), (0.05, 1.0, 0.0)]:
        objective = lr * lam * np.abs(grid) + 0.5 * (grid - z) ** 2
        best = grid[np.argmin(objective)]
        assert abs(l1_proximal_step(z, 0.0, lr=lr, lam=lam) - best) < 2e-5


def test_switched_off_names_the_regularization_module():
    assert EXERCISES["ch09.l1_proximal_step"].switched_off == ("dlscratch.regularization",)


# ----------------------------------------------------------------------------- exercise 2: dropout_variance


def test_dropout_variance():
    x, p = ch09.DROPOUT_X, ch09.DROPOUT_P
    check("ch09.dropout_variance", x**2 * p / (1 - p))
    with pytest.raises(ExerciseFailed):
        check("ch09.dropout_variance", x**2 * p * (1 - p))  # the variance of the classic mask
    rng = np.random.default_rng(0)
    samples = np.where(rng.random(2_000_000) >= p, x / (1 - p), 0.0)
    assert abs(samples.var() - EXERCISES["ch09.dropout_variance"].expected) < 0.01


# ----------------------------------------------------------------------------- exercise 4: momentum and decay


def test_exercise_4_momentum_multiplies_the_l2_decay_by_one_over_one_minus_mu():
    """A weight with zero data gradient: L2 in the momentum shrinks ≈ (1 - ηλ/(1 - μ)) per step, decoupled (1 - ηλ)."""
    mu, lam = 0.9, 0.1
    for lr, tolerance in [(0.001, 0.02), (0.01, 0.15)]:  # first order in ηλ/(1 - μ)²: 0.01 and 0.1
        params = {"w": np.array([1.0])}
        optimizer = Momentum(lr=lr, momentum=mu, weight_decay=lam)
        ratios = []
        for _ in range(300):
            before = params["w"][0]
            optimizer.update(params, {"w": np.array([0.0])})
            ratios.append(params["w"][0] / before)
        settled = ratios[-1]
        assert abs((1 - settled) / (lr * lam / (1 - mu)) - 1) < tolerance  # ten times the decoupled rate
        # exactly: r = 1 - ε with ε(r - μ) = ηλ r, the root of the linear recursion nearest 1
        epsilon = ((1 - mu + lr * lam) - math.sqrt((1 - mu + lr * lam) ** 2 - 4 * lr * lam)) / 2
        assert math.isclose(1 - settled, epsilon, rel_tol=1e-6)
