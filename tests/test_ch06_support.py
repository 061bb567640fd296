"""Chapter 6 support code: the figures of dlscratch.plots.optimizers and their cached runs, the claims the
chapter makes about the digits that must hold for other seeds too, and the exercises in exercises/ch06.py:
the expected values are right (Adamax against torch.optim.Adamax), the model solutions pass, the typical
mistakes fail, and every number in the written model answer is right."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlscratch import optim
from dlscratch.exercises import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, ch06, check
from dlscratch.optim.surfaces import SURFACES, bowl_grad, trajectory
from dlscratch.plots import optimizers as plots

SEEDS = range(5)

# ----------------------------------------------------------------------------- figures and their runs


@pytest.mark.parametrize(
    ("plot", "params"),
    [
        (plots.plot_trajectories, {"optimizer": "Nesterov", "lr": 0.95}),  # runs away
        (plots.plot_trajectories, {"optimizer": "RMSprop", "lr": 0.001, "surface": "beale"}),
        (plots.plot_schedules, {"schedule": "warm-up + cosine"}),
        (plots.plot_digits_training, {"lr": 0.001}),  # SGD's bar is short: its label goes after it
    ],
)
def test_figures_draw(plot, params):
    fig = Figure(figsize=(9, 3.8), dpi=80, layout="constrained")
    plot(fig, **params)
    assert fig.axes
    fig.canvas.draw()


@pytest.mark.parametrize(
    ("plot", "params", "message"),
    [
        (plots.plot_trajectories, {"optimizer": "Adadelta"}, "optimizer must be one of"),
        (plots.plot_trajectories, {"lr": 0.5}, "lr must be one of"),
        (plots.plot_trajectories, {"surface": "rosenbrock"}, "surface must be one of"),
        (plots.plot_schedules, {"schedule": "exponential"}, "schedule must be one of"),
        (plots.plot_digits_training, {"lr": 0.3}, "lr must be one of"),
    ],
)
def test_figures_reject_what_was_not_computed(plot, params, message):
    with pytest.raises(ValueError, match=message):
        plot(Figure(), **params)


def test_paths_cover_every_optimizer_and_learning_rate():
    for surface in SURFACES:
        runs = plots.paths(surface)
        assert plots.paths(surface) is runs  # cached
        assert set(runs) == {(n, lr) for n in plots.OPTIMIZERS for lr in plots.LEARNING_RATES}
        assert all(p.shape == (plots.NUM_STEPS[surface] + 1, 2) for p in runs.values())
    np.testing.assert_array_equal(
        plots.paths("bowl")["Adam", 0.1], trajectory(optim.Adam(lr=0.1), bowl_grad, (-7.0, 2.0), 40)
    )


def test_digits_runs_are_cached_deterministic_and_record_twice_per_epoch():
    run = plots.digits_run("Adam", 0.01)
    assert plots.digits_run("Adam", 0.01) is run
    plots.digits_run.cache_clear()
    again = plots.digits_run("Adam", 0.01)
    np.testing.assert_array_equal(run.train_loss, again.train_loss)
    np.testing.assert_array_equal(run.epochs, np.arange(0, plots.EPOCHS + 0.25, 0.5))
    assert run.train_loss[0] == pytest.approx(math.log(10), abs=1e-3)  # tiny initial weights
    np.testing.assert_array_equal(run.lrs, 0.01)


def test_schedules_run_per_epoch():
    run = plots.digits_run("Momentum", 0.3, "step")
    np.testing.assert_allclose(run.lrs, 0.3 * 0.3 ** (np.arange(10) // 4))
    warm = plots.digits_run("Momentum", 0.3, "warm-up + cosine").lrs
    assert warm[0] == pytest.approx(0.03)
    assert warm[2] == pytest.approx(0.3)
    assert warm[-1] < 0.02


# ----------------------------------------------------------------------------- the chapter's claims, for other seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_digits_orderings_hold_for_every_seed(seed):
    final = {
        (name, lr): plots.digits_run(name, lr, seed=seed).train_loss[-1]
        for name in plots.OPTIMIZERS
        for lr in plots.DIGITS_LEARNING_RATES
    }
    for lr in (0.001, 0.01):
        assert final["SGD", lr] > 2.2
        for adaptive in ("RMSprop", "Adam"):
            assert all(final[adaptive, lr] < final[o, lr] for o in ("SGD", "Momentum", "Nesterov", "AdaGrad"))
    for heavy_ball in ("Momentum", "Nesterov"):
        assert all(final[heavy_ball, 0.1] < final[o, 0.1] for o in ("SGD", "RMSprop", "Adam"))


@pytest.mark.parametrize("seed", SEEDS)
def test_every_schedule_ends_below_the_constant_rate_for_every_seed(seed):
    final = {name: plots.digits_run(*plots.SCHEDULED, name, seed=seed).train_loss[-1] for name in plots.SCHEDULES}
    for name in ("step", "cosine", "warm-up + cosine"):
        assert final[name] < final["constant"]


# ----------------------------------------------------------------------------- exercise 1: adamax_step


def adamax_step(param, m, u, grad, *, step, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
    """A correct answer, written independently of the model solution (in the lerp form PyTorch uses)."""
    param, m, u, grad = (np.array(a, dtype=float) for a in (param, m, u, grad))
    m = m + (1 - beta1) * (grad - m)
    u = np.where(beta2 * u > np.abs(grad) + eps, beta2 * u, np.abs(grad) + eps)
    return param - (lr / (1 - beta1**step)) * (m / u), m, u


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-6}, {"lr": 0.01, "betas": (0.95, 0.99), "eps": 0.0}],
)
def test_the_reference_is_torch_adamax(kwargs):
    rng = np.random.default_rng(6)
    start = rng.normal(size=(3, 4))
    w = torch.tensor(start, requires_grad=True)
    opt = torch.optim.Adamax([w], **kwargs)
    ours = {"lr": kwargs.get("lr", 0.002), "eps": kwargs.get("eps", 1e-8)}
    ours["beta1"], ours["beta2"] = kwargs.get("betas", (0.9, 0.999))
    state = (start, np.zeros_like(start), np.zeros_like(start))
    for t in range(1, 31):
        g = rng.normal(size=(3, 4)) * (10.0 if t % 7 == 0 else 1.0)  # now and then a large gradient
        w.grad = torch.tensor(g)
        opt.step()
        state = ch06._adamax_step(*state, g, step=t, **ours)
        np.testing.assert_allclose(state[0], w.detach().numpy(), rtol=0, atol=1e-13, err_msg=f"step {t}")
    np.testing.assert_allclose(state[2], opt.state[w]["exp_inf"].numpy(), rtol=1e-13)


def test_chapter_6_exercises_are_registered():
    assert isinstance(EXERCISES["ch06.adamax_step"], FunctionExercise)
    assert isinstance(EXERCISES["ch06.momentum_halving_steps"], ValueExercise)
    assert {eid for eid in EXERCISES if eid.startswith("ch06.")} == {"ch06.adamax_step", "ch06.momentum_halving_steps"}


def test_the_whole_optim_package_is_switched_off():
    switched = set(EXERCISES["ch06.adamax_step"].switched_off)
    assert switched == {"dlscratch.optim"} | {f"dlscratch.optim.{m}" for m in ("optimizers", "schedules", "surfaces")}


def test_correct_answers_pass(capsys):
    check("ch06.adamax_step", adamax_step)
    check("ch06.momentum_halving_steps", math.log(2) / -math.log(0.9795711))
    out = capsys.readouterr().out
    assert "✓ ch06.adamax_step: all 6 checks passed" in out
    assert "✓ ch06.momentum_halving_steps: correct" in out


def test_delegating_to_the_package_fails():
    def via_adam(param, m, u, grad, *, step, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        params = {"w": np.array(param, dtype=float)}
        optim.Adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps).update(params, {"w": np.asarray(grad, dtype=float)})
        return params["w"], m, u

    with pytest.raises(ExerciseFailed, match=r"called `dlscratch.optim.optimizers.Adam"):
        check("ch06.adamax_step", via_adam)


def _with(**changes):
    """adamax_step with one mistake."""

    def wrong(param, m, u, grad, *, step, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        param, m, u, grad = (np.array(a, dtype=float) for a in (param, m, u, grad))
        m = beta1 * m + (1 - beta1) * grad
        u = np.maximum(beta2 * u, np.abs(grad) + eps)
        u_used = u / (1 - beta2**step) if changes.get("correct_u") else u
        correction = 1.0 if changes.get("no_m_correction") else 1 - beta1**step
        if changes.get("eps_outside"):
            u = np.maximum(beta2 * u, np.abs(grad))
            u_used = u + eps
        return param - lr / correction * m / u_used, m, u

    return wrong


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ({"correct_u": True}, "adamax_step"),
        ({"no_m_correction": True}, "the first step"),
        ({"eps_outside": True}, "the first step"),
    ],
)
def test_adamax_mistakes_fail(mistake, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("ch06.adamax_step", _with(**mistake))


def test_modifying_the_inputs_fails():
    def in_place(param, m, u, grad, *, step, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        if isinstance(m, np.ndarray):
            m *= beta1
            m += (1 - beta1) * np.asarray(grad)
        return adamax_step(param, np.zeros_like(np.asarray(m, dtype=float)), u, grad, step=step, lr=lr)

    with pytest.raises(ExerciseFailed):
        check("ch06.adamax_step", in_place)


# ----------------------------------------------------------------------------- exercise 2: momentum_halving_steps


def heavy_ball_distances(num_steps, curvatures=ch06.HALVING_CURVATURES, lr=0.01, mu=0.5):
    """|x_k| of heavy-ball momentum (PyTorch's form) on ½ Σ λ x², from (1, 1)."""
    lam = np.asarray(curvatures)
    path = trajectory(optim.Momentum(lr=lr, momentum=mu), lambda x: lam * x, [1.0, 1.0], num_steps, limit=10.0)
    return np.linalg.norm(path, axis=1)


def test_the_expected_halving_steps_are_what_a_run_measures():
    distances = heavy_ball_distances(1000)
    measured_rate = (distances[1000] / distances[500]) ** (1 / 500)
    expected = EXERCISES["ch06.momentum_halving_steps"].expected
    assert math.log(2) / -math.log(measured_rate) == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(33.58, abs=0.01)
    # the roots in the slow direction are real (the chapter's bowl had complex ones), in the fast one complex
    slow = np.roots([1.0, -(1.5 - 0.01), 0.5])
    fast = np.roots([1.0, -(1.5 - 1.0), 0.5])
    assert np.all(np.isreal(slow))
    assert np.allclose(sorted(slow.real), [0.51043, 0.97957], atol=1e-5)
    assert np.all(np.iscomplex(fast))
    assert np.allclose(np.abs(fast), math.sqrt(0.5))
    # gradient descent at the same learning rate: factor 0.99 along x1, 69 steps (the solution's comment)
    assert round(math.log(2) / -math.log(0.99)) == 69


@pytest.mark.parametrize(
    "wrong",
    [
        math.log(2) / -math.log(math.sqrt(0.5)),  # |r| = √μ, as if every root were complex
        math.log(2) / -math.log(0.99),  # gradient descent's rate
        34,  # rounded
        math.log(2) / -math.log(0.51043),  # the fast root of the slow direction
    ],
)
def test_wrong_halving_steps_fail(wrong):
    with pytest.raises(ExerciseFailed, match="differs from the answer"):
        check("ch06.momentum_halving_steps", wrong)


# ----------------------------------------------------------------------------- exercise 3: the written answer


def one_update(make, grad):
    params = {"w": np.array([0.5, -1.0])}
    opt = make()
    opt.update(params, {"w": grad})  # a first step, then the one compared: state in use
    before = params["w"].copy()
    opt.update(params, {"w": 0.8 * grad})
    return params["w"] - before


MAKERS = {
    "SGD": lambda: optim.SGD(lr=0.1),
    "Momentum": lambda: optim.Momentum(lr=0.1),
    "AdaGrad": lambda: optim.AdaGrad(lr=0.1),
    "RMSprop": lambda: optim.RMSprop(lr=0.01),
    "Adam": lambda: optim.Adam(lr=0.01),
}


@pytest.mark.parametrize("name", MAKERS)
def test_written_answer_a_scaling_the_loss(name):
    grad = np.array([0.3, -2.0])
    ratio = one_update(MAKERS[name], 32 * grad) / one_update(MAKERS[name], grad)
    expected = 32.0 if name in ("SGD", "Momentum") else 1.0
    np.testing.assert_allclose(ratio, expected, rtol=1e-6)


def test_written_answer_b_eps():
    for g, shortening in ((1e-6, 0.0099), (99e-8, 0.01)):
        params = {"w": np.zeros(1)}
        optim.Adam(lr=1.0).update(params, {"w": np.array([g])})
        assert 1 - abs(params["w"][0]) == pytest.approx(shortening, rel=1e-2)
    assert 99 * 1e-8 == pytest.approx(1e-6, rel=0.02)


def steps_to(make, rotation, tol=1e-6, num_steps=3000):
    hessian = rotation @ np.diag([0.1, 2.0]) @ rotation.T
    path = trajectory(make(), lambda v: hessian @ v, rotation @ np.array([-7.0, 2.0]), num_steps)
    values = 0.5 * np.einsum("ki,ij,kj->k", path, hessian, path)
    return int(np.flatnonzero(values < tol)[0])


def test_written_answer_c_rotated_bowl():
    c = math.cos(math.pi / 4)
    rotated, identity = np.array([[c, -c], [c, c]]), np.eye(2)
    counts = {
        name: (steps_to(make, identity), steps_to(make, rotated))
        for name, make in (
            ("Adam", lambda: optim.Adam(lr=0.1)),
            ("RMSprop", lambda: optim.RMSprop(lr=0.3)),
            ("SGD", lambda: optim.SGD(lr=0.95)),
        )
    }
    assert counts == {"Adam": (160, 338), "RMSprop": (17, 89), "SGD": (77, 77)}
    # momentum and SGD paths are the rotated paths
    for make in (lambda: optim.SGD(lr=0.5), lambda: optim.Momentum(lr=0.1), lambda: optim.Nesterov(lr=0.1)):
        hessian = rotated @ np.diag([0.1, 2.0]) @ rotated.T
        original = trajectory(make(), bowl_grad, [-7.0, 2.0], 60)
        turned = trajectory(make(), lambda v, h=hessian: h @ v, rotated @ np.array([-7.0, 2.0]), 60)
        np.testing.assert_allclose(turned, original @ rotated.T, atol=1e-12)
