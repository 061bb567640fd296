"""Tests for dlscratch.optim: step-by-step parity with torch.optim and its schedules, DLFS vs PyTorch, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlscratch.optim import (
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LinearLR,
    Momentum,
    Nesterov,
    RMSprop,
    SequentialLR,
    StepLR,
    dlfs_adagrad_step,
    dlfs_adam_step,
    dlfs_momentum_step,
    dlfs_nesterov_step,
    dlfs_rmsprop_step,
)

NUM_STEPS = 30
SHAPES = {"W": (3, 4), "b": (4,)}


def make_quadratic(seed=0):
    """A fixed quadratic f(θ) = Σ_k ½ θ_kᵀ A_k θ_k − c_kᵀ θ_k per key, with A_k SPD (eigenvalues in [0.5, 3])."""
    rng = np.random.default_rng(seed)
    problem = {}
    for key, shape in SHAPES.items():
        n = math.prod(shape)
        q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        A = q @ np.diag(rng.uniform(0.5, 3.0, size=n)) @ q.T
        problem[key] = (A, rng.normal(size=n))
    return problem


def quadratic_grad(problem, key, theta: np.ndarray) -> np.ndarray:
    A, c = problem[key]
    return (A @ theta.ravel() - c).reshape(theta.shape)


def initial_params(seed=1):
    rng = np.random.default_rng(seed)
    return {key: rng.normal(size=shape) for key, shape in SHAPES.items()}


#: (our class, its kwargs, torch class, torch kwargs)
CASES = {
    "sgd": (SGD, {"lr": 0.1}, torch.optim.SGD, {"lr": 0.1}),
    "sgd-wd": (SGD, {"lr": 0.1, "weight_decay": 0.05}, torch.optim.SGD, {"lr": 0.1, "weight_decay": 0.05}),
    "momentum": (Momentum, {"lr": 0.05, "momentum": 0.9}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    "momentum-wd": (
        Momentum,
        {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1},
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1},
    ),
    "nesterov": (
        Nesterov,
        {"lr": 0.05, "momentum": 0.9},
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    ),
    "nesterov-wd": (
        Nesterov,
        {"lr": 0.05, "momentum": 0.7, "weight_decay": 0.1},
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.1},
    ),
    "adagrad": (AdaGrad, {"lr": 0.1}, torch.optim.Adagrad, {"lr": 0.1}),
    "adagrad-options": (
        AdaGrad,
        {"lr": 0.2, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.3, "eps": 1e-7},
        torch.optim.Adagrad,
        {"lr": 0.2, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.3, "eps": 1e-7},
    ),
    "rmsprop": (RMSprop, {"lr": 0.01}, torch.optim.RMSprop, {"lr": 0.01}),
    "rmsprop-options": (
        RMSprop,
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1, "momentum": 0.5, "centered": True},
        torch.optim.RMSprop,
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1, "momentum": 0.5, "centered": True},
    ),
    "rmsprop-momentum": (
        RMSprop,
        {"lr": 0.01, "momentum": 0.9},
        torch.optim.RMSprop,
        {"lr": 0.01, "momentum": 0.9},
    ),
    "adam": (Adam, {"lr": 0.05}, torch.optim.Adam, {"lr": 0.05}),
    "adam-options": (
        Adam,
        {"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True},
        torch.optim.Adam,
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True},
    ),
    "adamw": (AdamW, {"lr": 0.05}, torch.optim.AdamW, {"lr": 0.05}),
    "adamw-options": (
        AdamW,
        {"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.3, "amsgrad": True},
        torch.optim.AdamW,
        {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.3, "amsgrad": True},
    ),
}


def run_both(case, num_steps=NUM_STEPS, schedule=None):
    """Run ours and torch's optimizer side by side on the quadratic; return both params and both optimizers."""
    ours_cls, ours_kwargs, torch_cls, torch_kwargs = case
    problem = make_quadratic()
    params = initial_params()
    tensors = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in params.items()}
    ours = ours_cls(**ours_kwargs)
    theirs = torch_cls(list(tensors.values()), **torch_kwargs)
    schedules = schedule(ours, theirs) if schedule else None
    for _ in range(num_steps):
        grads = {key: quadratic_grad(problem, key, value) for key, value in params.items()}
        for key, tensor in tensors.items():
            tensor.grad = torch.from_numpy(quadratic_grad(problem, key, tensor.detach().numpy()))
        ours.update(params, grads)
        theirs.step()
        if schedules:
            for s in schedules:
                s.step()
    return params, tensors, ours, theirs


def max_diff(params, tensors) -> float:
    return max(float(np.max(np.abs(params[k] - tensors[k].detach().numpy()))) for k in params)


# ----------------------------------------------------------------------------- parity with torch.optim


@pytest.mark.parametrize("name", CASES)
def test_matches_torch_step_by_step(name):
    ours_cls, ours_kwargs, torch_cls, torch_kwargs = CASES[name]
    problem = make_quadratic()
    params = initial_params()
    start = {key: value.copy() for key, value in params.items()}
    tensors = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in params.items()}
    ours, theirs = ours_cls(**ours_kwargs), torch_cls(list(tensors.values()), **torch_kwargs)
    for step in range(NUM_STEPS):
        grads = {key: quadratic_grad(problem, key, value) for key, value in params.items()}
        for key, tensor in tensors.items():
            tensor.grad = torch.from_numpy(quadratic_grad(problem, key, tensor.detach().numpy()))
        ours.update(params, grads)
        theirs.step()
        assert max_diff(params, tensors) < 1e-12, f"{name}: step {step + 1}"
    # the state carries torch's names and values
    for key, tensor in tensors.items():
        for entry, value in ours.state[key].items():
            expected = theirs.state[tensor][entry]
            if isinstance(value, np.ndarray):
                np.testing.assert_allclose(value, expected.numpy(), rtol=0, atol=1e-12, err_msg=f"{name} {entry}")
            else:
                assert value == int(expected) == NUM_STEPS
    # and the runs went somewhere: the parameters moved
    assert max(np.max(np.abs(params[k] - start[k])) for k in params) > 0.05


@pytest.mark.parametrize("cls", [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW])
def test_defaults_match_torch_where_dlfs_and_torch_agree(cls):
    opt = cls()
    expected_lr = {SGD: 0.01, Momentum: 0.01, Nesterov: 0.01, AdaGrad: 0.01, RMSprop: 0.01}.get(cls, 0.001)
    assert opt.lr == expected_lr
    if cls is AdaGrad:
        assert opt.eps == 1e-10  # torch's default, not DLFS's 1e-7
    if cls in (RMSprop, Adam, AdamW):
        assert opt.eps == 1e-8
    if cls in (Adam, AdamW):
        assert (opt.beta1, opt.beta2) == (0.9, 0.999)
    assert (cls is AdamW) == (getattr(opt, "weight_decay", 0) == 0.01)
    assert repr(opt).startswith(f"{cls.__name__}(lr=")


def test_momentum_equals_torch_sgd_momentum_over_many_steps_with_float32():
    # float32 parameters stay float32 and are still updated in place
    params = {"w": np.ones(5, dtype=np.float32)}
    before = params["w"]
    opt = Momentum(lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.update(params, {"w": np.full(5, 0.5)})
    assert params["w"] is before
    assert params["w"].dtype == np.float32
    assert opt.state["w"]["momentum_buffer"].dtype == np.float32
    np.testing.assert_allclose(params["w"], 1 - 0.1 * 0.5 * (1 + 1.9 + 2.71), rtol=1e-6)


# ----------------------------------------------------------------------------- in place, no mutation of grads


@pytest.mark.parametrize("name", CASES)
def test_updates_in_place_and_leaves_grads_alone(name):
    ours_cls, ours_kwargs, _, _ = CASES[name]
    params = initial_params()
    ids = {key: id(value) for key, value in params.items()}
    grads = {key: np.random.default_rng(2).normal(size=shape) for key, shape in SHAPES.items()}
    grads_copy = {key: value.copy() for key, value in grads.items()}
    before = {key: value.copy() for key, value in params.items()}
    opt = ours_cls(**ours_kwargs)
    for _ in range(3):
        opt.update(params, grads)
    assert {key: id(value) for key, value in params.items()} == ids
    for key in params:
        np.testing.assert_array_equal(grads[key], grads_copy[key])
        assert not np.array_equal(params[key], before[key])
    assert set(opt.state) == set(params)


def test_extra_grads_are_ignored_so_a_subset_can_be_trained():
    params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
    grads = {"W": np.ones((2, 2)), "b": np.ones(2)}
    SGD(lr=0.5).update({"W": params["W"]}, grads)
    np.testing.assert_array_equal(params["W"], 0.5)
    np.testing.assert_array_equal(params["b"], 0.0)


def test_list_gradients_are_accepted():
    params = {"w": np.array([1.0, 2.0])}
    SGD(lr=0.5).update(params, {"w": [2, 2]})
    np.testing.assert_array_equal(params["w"], [0.0, 1.0])


# ----------------------------------------------------------------------------- learning-rate schedules against torch


def torch_sgd(lr=0.1):
    return torch.optim.SGD([torch.zeros(1, dtype=torch.float64, requires_grad=True)], lr=lr)


SCHEDULES = {
    "step": (lambda o: StepLR(o, step_size=7, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5)),
    "cosine": (
        lambda o: CosineAnnealingLR(o, T_max=50, eta_min=1e-3),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=50, eta_min=1e-3),
    ),
    "cosine-to-zero": (
        lambda o: CosineAnnealingLR(o, T_max=37),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=37),
    ),
    "warmup": (
        lambda o: LinearLR(o, start_factor=0.1, total_iters=10),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=10),
    ),
    "linear-decay": (
        lambda o: LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=80),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=80),
    ),
    "warmup-cosine": (
        lambda o: SequentialLR(
            o, [LinearLR(o, start_factor=0.01, total_iters=5), CosineAnnealingLR(o, T_max=95)], milestones=[5]
        ),
        lambda o: torch.optim.lr_scheduler.SequentialLR(
            o,
            [
                torch.optim.lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=5),
                torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=95),
            ],
            milestones=[5],
        ),
    ),
    "warmup-step-cosine": (
        lambda o: SequentialLR(
            o,
            [LinearLR(o, start_factor=0.2, total_iters=4), StepLR(o, 5, 0.7), CosineAnnealingLR(o, 30, 1e-4)],
            milestones=[6, 26],
        ),
        lambda o: torch.optim.lr_scheduler.SequentialLR(
            o,
            [
                torch.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=4),
                torch.optim.lr_scheduler.StepLR(o, 5, 0.7),
                torch.optim.lr_scheduler.CosineAnnealingLR(o, 30, 1e-4),
            ],
            milestones=[6, 26],
        ),
    ),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_match_torch(name):
    ours_factory, torch_factory = SCHEDULES[name]
    ours_opt, torch_opt = SGD(lr=0.1), torch_sgd(lr=0.1)
    ours, theirs = ours_factory(ours_opt), torch_factory(torch_opt)
    ours_lrs, torch_lrs = [], []
    for epoch in range(300):
        ours_lrs.append(ours_opt.lr)
        torch_lrs.append(torch_opt.param_groups[0]["lr"])
        assert ours.lr_at(epoch) == ours_opt.lr == ours.get_last_lr()
        torch_opt.step()
        theirs.step()
        assert ours.step() == ours_opt.lr
    np.testing.assert_allclose(ours_lrs, torch_lrs, rtol=0, atol=1e-12)
    assert len(set(np.round(ours_lrs, 10))) > 5  # the schedule really changes the lr


def test_schedule_values():
    opt = SGD(lr=1.0)
    schedule = SequentialLR(
        opt, [LinearLR(opt, start_factor=0.25, total_iters=3), CosineAnnealingLR(opt, T_max=2)], [3]
    )
    assert [schedule.lr_at(e) for e in range(6)] == pytest.approx([0.25, 0.5, 0.75, 1.0, 0.5, 0.0], abs=1e-15)
    assert opt.lr == 0.25
    assert opt.initial_lr == 1.0
    # lr 0 is allowed while scheduled (a cosine ends there), but not as a starting value
    for _ in range(5):
        schedule.step()
    assert opt.lr == pytest.approx(0.0, abs=1e-16)


def test_scheduled_momentum_matches_torch_trajectory():
    """The scheduling protocol: lr_at(e) is used in epoch e, as with torch's scheduler.step() after optimizer.step()."""

    def schedule(ours, theirs):
        warm_cos = (
            SequentialLR(ours, [LinearLR(ours, 0.1, total_iters=5), CosineAnnealingLR(ours, T_max=25)], [5]),
            torch.optim.lr_scheduler.SequentialLR(
                theirs,
                [
                    torch.optim.lr_scheduler.LinearLR(theirs, 0.1, total_iters=5),
                    torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=25),
                ],
                [5],
            ),
        )
        return warm_cos

    for name in ("momentum", "nesterov", "adam", "rmsprop-options"):
        params, tensors, ours, _ = run_both(CASES[name], num_steps=30, schedule=schedule)
        assert max_diff(params, tensors) < 1e-12, name
        assert ours.lr == pytest.approx(0.0, abs=1e-15)


# ----------------------------------------------------------------------------- DLFS (the notes) vs PyTorch


def trajectory_pytorch(opt, grad_fn, theta0, num_steps):
    params = {"w": np.array(theta0, dtype=float)}
    path = [params["w"].copy()]
    for _ in range(num_steps):
        opt.update(params, {"w": grad_fn(params["w"])})
        path.append(params["w"].copy())
    return np.array(path)


def trajectory_dlfs(step_fn, grad_fn, theta0, num_steps, lrs, **kwargs):
    theta, state = np.array(theta0, dtype=float), np.zeros(len(theta0))
    path = [theta]
    for t in range(num_steps):
        theta, state = step_fn(theta, state, grad_fn(theta), lr=lrs[t], **kwargs)
        path.append(theta)
    return np.array(path)


ILL_CONDITIONED = np.array([[1.0, 0.0], [0.0, 20.0]])


def grad_ill(theta):
    return ILL_CONDITIONED @ theta


def test_momentum_dlfs_equals_pytorch_with_constant_lr():
    ours = trajectory_pytorch(Momentum(lr=0.04, momentum=0.9), grad_ill, [-7.0, 2.0], 100)
    dlfs = trajectory_dlfs(dlfs_momentum_step, grad_ill, [-7.0, 2.0], 100, [0.04] * 100, momentum=0.9)
    assert np.max(np.abs(ours - dlfs)) < 1e-12
    assert np.max(np.abs(ours[1:] - ours[:-1])) > 0.1  # the runs move


def test_momentum_dlfs_differs_from_pytorch_when_the_lr_changes():
    lr1, lr2, mu, g = 0.1, 0.01, 0.9, np.array([1.0])
    opt, params = Momentum(lr=lr1, momentum=mu), {"w": np.zeros(1)}
    theta, v = np.zeros(1), np.zeros(1)
    for t in range(10):
        if t == 5:
            opt.lr = lr2
        lr = lr1 if t < 5 else lr2
        before = params["w"].copy(), theta.copy()
        b_before = opt.state["w"]["momentum_buffer"].copy() if "w" in opt.state else np.zeros(1)
        opt.update(params, {"w": g})
        theta, v = dlfs_momentum_step(theta, v, g, lr=lr, momentum=mu)
        if t == 5:
            # PyTorch: -η₂(μb + g); DLFS: μv - η₂g with v = -η₁b: they differ by μb(η₁ - η₂)
            step_torch, step_dlfs = params["w"] - before[0], theta - before[1]
            np.testing.assert_allclose(step_dlfs - step_torch, -mu * b_before * (lr1 - lr2), rtol=1e-12)
    assert abs(params["w"][0] - theta[0]) > 0.5


def bengio_nesterov(theta0, grad_fn, num_steps, lr, mu):
    """Bengio, Boulanger-Lewandowski & Pascanu (2012): θ ← θ + μ²v − (1+μ)ηg, v ← μv − ηg (v the old velocity)."""
    theta, v = np.array(theta0, dtype=float), np.zeros(len(theta0))
    path = [theta]
    for _ in range(num_steps):
        g = grad_fn(theta)
        theta = theta + mu * mu * v - (1 + mu) * lr * g
        v = mu * v - lr * g
        path.append(theta)
    return np.array(path)


def test_nesterov_pytorch_is_the_formula_dlfs_cites_but_not_dlfs_code():
    ours = trajectory_pytorch(Nesterov(lr=0.04, momentum=0.9), grad_ill, [-7.0, 2.0], 60)
    paper = bengio_nesterov([-7.0, 2.0], grad_ill, 60, 0.04, 0.9)
    dlfs = trajectory_dlfs(dlfs_nesterov_step, grad_ill, [-7.0, 2.0], 60, [0.04] * 60, momentum=0.9)
    assert np.max(np.abs(ours - paper)) < 1e-12
    assert np.max(np.abs(ours - dlfs)) > 0.1
    # first step: -(1 + μ) η g versus DLFS's -(1 + μ + μ²) η g
    g = grad_ill(np.array([-7.0, 2.0]))
    np.testing.assert_allclose(ours[1] - ours[0], -(1 + 0.9) * 0.04 * g, rtol=1e-14)
    np.testing.assert_allclose(dlfs[1] - dlfs[0], -(1 + 0.9 + 0.81) * 0.04 * g, rtol=1e-14)


def test_nesterov_dlfs_and_pytorch_agree_for_zero_momentum_and_in_the_long_run_on_a_constant_gradient():
    def constant(theta):
        return np.array([1.0, -2.0])

    ours = trajectory_pytorch(Nesterov(lr=0.1, momentum=0.0), grad_ill, [-7.0, 2.0], 30)
    dlfs = trajectory_dlfs(dlfs_nesterov_step, grad_ill, [-7.0, 2.0], 30, [0.1] * 30, momentum=0.0)
    sgd = trajectory_pytorch(SGD(lr=0.1), grad_ill, [-7.0, 2.0], 30)
    assert np.max(np.abs(ours - dlfs)) < 1e-12
    assert np.max(np.abs(ours - sgd)) < 1e-12

    ours = trajectory_pytorch(Nesterov(lr=0.1, momentum=0.8), constant, [0.0, 0.0], 200)
    dlfs = trajectory_dlfs(dlfs_nesterov_step, constant, [0.0, 0.0], 200, [0.1] * 200, momentum=0.8)
    terminal = -0.1 * constant(None) / (1 - 0.8)
    np.testing.assert_allclose(ours[-1] - ours[-2], terminal, rtol=1e-12)
    np.testing.assert_allclose(dlfs[-1] - dlfs[-2], terminal, rtol=1e-12)
    assert not np.allclose(ours[1] - ours[0], dlfs[1] - dlfs[0])


def notes_adagrad_class_trajectory(theta0, grad_fn, num_steps, lr):
    """The notes' (DLFS's) AdaGrad class, verbatim apart from names."""

    class NotesAdaGrad:
        def __init__(self, lr=0.01):
            self.lr = lr
            self.h = None

        def update(self, params, grads):
            if self.h is None:
                self.h = {key: np.zeros_like(val) for key, val in params.items()}
            for key in params.keys():
                self.h[key] += grads[key] * grads[key]
                params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)

    params, opt = {"w": np.array(theta0, dtype=float)}, NotesAdaGrad(lr)
    path = [params["w"].copy()]
    for _ in range(num_steps):
        opt.update(params, {"w": grad_fn(params["w"])})
        path.append(params["w"].copy())
    return np.array(path)


def test_adagrad_with_eps_1e7_is_the_notes_adagrad():
    notes = notes_adagrad_class_trajectory([-7.0, 2.0], grad_ill, 50, 0.5)
    ours = trajectory_pytorch(AdaGrad(lr=0.5, eps=1e-7), grad_ill, [-7.0, 2.0], 50)
    dlfs = trajectory_dlfs(dlfs_adagrad_step, grad_ill, [-7.0, 2.0], 50, [0.5] * 50)
    assert np.max(np.abs(ours - notes)) < 1e-13
    assert np.max(np.abs(dlfs - notes)) < 1e-13
    # PyTorch's default eps (1e-10) changes little for ordinary gradients, a lot for tiny ones
    default = trajectory_pytorch(AdaGrad(lr=0.5), grad_ill, [-7.0, 2.0], 50)
    assert 0 < np.max(np.abs(default - notes)) < 1e-6
    tiny = {"w": np.zeros(1)}
    AdaGrad(lr=1.0).update(tiny, {"w": np.array([1e-9])})
    theta, _ = dlfs_adagrad_step(np.zeros(1), np.zeros(1), [1e-9], lr=1.0)
    assert tiny["w"][0] == pytest.approx(-1 / 1.1, rel=1e-12)  # 1e-9 / (1e-9 + 1e-10)
    assert theta[0] == pytest.approx(-1e-9 / (1e-9 + 1e-7), rel=1e-12)  # ~ -0.0099


def test_rmsprop_eps_outside_is_dlfs_and_inside_is_the_notes():
    grads = [np.array([3.0, -1e-6]) * (0.9**t) for t in range(20)]

    def run(step_kwargs, opt):
        theta, h, params = np.zeros(2), np.zeros(2), {"w": np.zeros(2)}
        for g in grads:
            theta, h = dlfs_rmsprop_step(theta, h, g, lr=0.01, decay_rate=0.9, **step_kwargs)
            opt.update(params, {"w": g})
        return theta, params["w"]

    # DLFS's code (eps outside) is RMSprop with the same eps
    dlfs, ours = run({"eps": 1e-7}, RMSprop(lr=0.01, alpha=0.9, eps=1e-7))
    np.testing.assert_allclose(dlfs, ours, rtol=0, atol=1e-14)
    # eps = 0: inside and outside are the same formula
    inside, ours = run({"eps": 0.0, "eps_inside_sqrt": True}, RMSprop(lr=0.01, alpha=0.9, eps=0.0))
    np.testing.assert_allclose(inside, ours, rtol=0, atol=1e-14)
    # eps > 0: the notes' sqrt(s + eps) floors the denominator at sqrt(eps) = 1e-4 and stalls the tiny coordinate
    inside, ours = run({"eps": 1e-8, "eps_inside_sqrt": True}, RMSprop(lr=0.01, alpha=0.9, eps=1e-8))
    assert inside[0] == pytest.approx(ours[0], rel=1e-6)  # large gradient: ~ no difference
    assert abs(ours[1]) > 50 * abs(inside[1])


def test_adam_dlfs_eps_is_pytorch_eps_over_sqrt_of_bias_correction():
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=3) * 1e-3 for _ in range(40)]

    def run_dlfs(eps):
        theta, m, v = np.zeros(3), np.zeros(3), np.zeros(3)
        path = []
        for t, g in enumerate(grads, start=1):
            theta, m, v = dlfs_adam_step(theta, m, v, g, step=t, lr=0.01, eps=eps)
            path.append(theta)
        return np.array(path)

    def run_ours(eps):
        params, opt, path = {"w": np.zeros(3)}, Adam(lr=0.01, eps=eps), []
        for g in grads:
            opt.update(params, {"w": g})
            path.append(params["w"].copy())
        return np.array(path)

    # the same method without eps
    assert np.max(np.abs(run_dlfs(0.0) - run_ours(0.0))) < 1e-14
    # with eps, the same step once eps is scaled by 1/sqrt(1 - beta2^t): here at t = 1
    first_dlfs = run_dlfs(1e-4)[0]
    params = {"w": np.zeros(3)}
    Adam(lr=0.01, eps=1e-4 / math.sqrt(1 - 0.999)).update(params, {"w": grads[0]})
    np.testing.assert_allclose(first_dlfs, params["w"], rtol=1e-12)
    # and the trajectories differ when the gradients are not much larger than eps
    assert np.max(np.abs(run_dlfs(1e-4) - run_ours(1e-4))) > 1e-3


def test_dlfs_steps_do_not_touch_their_inputs():
    arrays = [np.array([1.0, -2.0]) for _ in range(4)]
    copies = [a.copy() for a in arrays]
    dlfs_momentum_step(*arrays[:3], lr=0.1)
    dlfs_nesterov_step(*arrays[:3], lr=0.1)
    dlfs_adagrad_step(arrays[0], np.abs(arrays[1]), arrays[2], lr=0.1)
    dlfs_rmsprop_step(arrays[0], np.abs(arrays[1]), arrays[2], lr=0.1)
    dlfs_adam_step(arrays[0], arrays[1], np.abs(arrays[2]), arrays[3], step=2)
    for a, c in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, c)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=st.floats(-1e6, 1e6)))
def test_adam_first_step_moves_each_coordinate_by_at_most_lr(grad):
    params = {"w": np.zeros_like(grad)}
    Adam(lr=0.01).update(params, {"w": grad})
    assert np.all(np.abs(params["w"]) <= 0.01 * (1 + 1e-12))
    # and by exactly lr (to eps) where the gradient is not tiny
    big = np.abs(grad) > 1e-3
    np.testing.assert_allclose(np.abs(params["w"][big]), 0.01, rtol=1e-4)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.001, 1.0),
    st.floats(0.0, 0.99),
    arrays(np.float64, (6, 2), elements=st.floats(-100, 100)),
)
def test_momentum_dlfs_and_pytorch_agree_for_any_constant_lr(lr, mu, grads):
    params, opt = {"w": np.zeros(2)}, Momentum(lr=lr, momentum=mu)
    theta, v = np.zeros(2), np.zeros(2)
    for g in grads:
        opt.update(params, {"w": g})
        theta, v = dlfs_momentum_step(theta, v, g, lr=lr, momentum=mu)
    np.testing.assert_allclose(params["w"], theta, rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "name"),
    [
        (SGD, {"lr": 0}, ValueError, "lr"),
        (SGD, {"lr": -0.1}, ValueError, "lr"),
        (Adam, {"lr": float("nan")}, ValueError, "lr"),
        (Adam, {"lr": float("inf")}, ValueError, "lr"),
        (SGD, {"lr": "0.1"}, TypeError, "lr"),
        (SGD, {"lr": True}, TypeError, "lr"),
        (SGD, {"weight_decay": -1e-4}, ValueError, "weight_decay"),
        (Momentum, {"momentum": 1.0}, ValueError, "momentum"),
        (Momentum, {"momentum": -0.1}, ValueError, "momentum"),
        (Nesterov, {"momentum": 1.5}, ValueError, "momentum"),
        (AdaGrad, {"eps": -1e-10}, ValueError, "eps"),
        (AdaGrad, {"lr_decay": -1}, ValueError, "lr_decay"),
        (AdaGrad, {"initial_accumulator_value": -1}, ValueError, "initial_accumulator_value"),
        (RMSprop, {"alpha": 1.0}, ValueError, "alpha"),
        (RMSprop, {"momentum": 1.0}, ValueError, "momentum"),
        (RMSprop, {"centered": 1}, TypeError, "centered"),
        (Adam, {"beta1": 1.0}, ValueError, "beta1"),
        (Adam, {"beta2": -0.5}, ValueError, "beta2"),
        (Adam, {"eps": -1.0}, ValueError, "eps"),
        (Adam, {"amsgrad": "yes"}, TypeError, "amsgrad"),
        (AdamW, {"weight_decay": -0.01}, ValueError, "weight_decay"),
    ],
)
def test_bad_hyperparameters(cls, kwargs, error, name):
    with pytest.raises(error, match=name):
        cls(**kwargs)


def test_hyperparameters_are_keyword_only():
    with pytest.raises(TypeError):
        Momentum(0.1, 0.9)  # momentum must be named


def test_lr_setter_validates():
    opt = Adam()
    opt.lr = 0.0  # allowed: a schedule may reach 0
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1e-3


@pytest.mark.parametrize("cls", [SGD, Momentum, Adam])
def test_missing_key_or_wrong_shape_is_a_clear_error_and_updates_nothing(cls):
    params = {"W": np.ones((2, 3)), "b": np.zeros(3)}
    opt = cls()
    with pytest.raises(ValueError, match=r"grads has no entry for the parameter\(s\) \['b'\]"):
        opt.update(params, {"W": np.ones((2, 3))})
    with pytest.raises(ValueError, match=r"grads\['b'\] has shape \(1, 3\), but params\['b'\] has shape \(3,\)"):
        opt.update(params, {"W": np.ones((2, 3)), "b": np.ones((1, 3))})
    np.testing.assert_array_equal(params["W"], 1.0)  # W came first and was left alone
    assert opt.state == {}


@pytest.mark.parametrize(
    ("params", "grads", "error", "match"),
    [
        ([np.ones(2)], {"w": np.ones(2)}, TypeError, "params must be a dict"),
        ({"w": np.ones(2)}, [np.ones(2)], TypeError, "grads must be a dict"),
        ({"w": [1.0, 2.0]}, {"w": np.ones(2)}, TypeError, r"params\['w'\] must be a float ndarray.*list"),
        ({"w": np.ones(2, dtype=int)}, {"w": np.ones(2)}, TypeError, r"params\['w'\].*int"),
        ({"w": np.ones(2)}, {"w": np.array(["a", "b"])}, TypeError, r"grads\['w'\]"),
    ],
)
def test_bad_params_or_grads(params, grads, error, match):
    with pytest.raises(error, match=match):
        Adam().update(params, grads)


def test_read_only_param_is_rejected():
    w = np.ones(2)
    w.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        SGD().update({"w": w}, {"w": np.ones(2)})


def test_a_parameter_that_changes_shape_needs_a_new_optimizer():
    opt = Adam()
    opt.update({"w": np.ones(2)}, {"w": np.ones(2)})
    with pytest.raises(ValueError, match="new optimizer"):
        opt.update({"w": np.ones(3)}, {"w": np.ones(3)})


@pytest.mark.parametrize(
    ("factory", "error", "name"),
    [
        (lambda o: StepLR(o, step_size=0), ValueError, "step_size"),
        (lambda o: StepLR(o, step_size=2.5), TypeError, "step_size"),
        (lambda o: StepLR(o, step_size=3, gamma=0), ValueError, "gamma"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
        (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=-1e-3), ValueError, "eta_min"),
        (lambda o: LinearLR(o, start_factor=0), ValueError, "start_factor"),
        (lambda o: LinearLR(o, start_factor=1.5), ValueError, "start_factor"),
        (lambda o: LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
        (lambda o: LinearLR(o, total_iters=0), ValueError, "total_iters"),
        (lambda o: SequentialLR(o, [], []), ValueError, "schedulers"),
        (lambda o: SequentialLR(o, [StepLR(o, 2)], [3]), ValueError, "milestones"),
        (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], [0]), ValueError, "milestones"),
        (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3), StepLR(o, 4)], [5, 5]), ValueError, "milestones"),
        (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(SGD(), 3)], [5]), ValueError, r"schedulers\[1\]"),
        (lambda o: SequentialLR(o, ["cosine"], []), TypeError, r"schedulers\[0\]"),
        (lambda o: StepLR(object(), 2), TypeError, "optimizer"),
        (lambda o: StepLR(o, 2).lr_at(-1), ValueError, "epoch"),
    ],
)
def test_bad_schedule_arguments(factory, error, name):
    with pytest.raises(error, match=name):
        factory(SGD(lr=0.1))
