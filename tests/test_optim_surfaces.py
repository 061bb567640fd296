"""Tests for dlscratch.optim.surfaces: the test surfaces (values, gradients against numerical and torch
gradients, grids) and trajectory (closed forms, run-aways, no mutation, bad input)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlscratch.numgrad import gradient_check
from dlscratch.optim import SGD, Adam, Momentum
from dlscratch.optim.surfaces import SURFACES, beale, beale_grad, bowl, bowl_grad, trajectory

POINTS = [np.array(p) for p in ([-7.0, 2.0], [1.0, 1.5], [3.0, 0.6], [0.0, 1.2], [-1.3, -0.7], [2.5, 1.2])]


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("point", POINTS, ids=str)
def test_gradients_pass_the_gradient_check(name, point):
    s = SURFACES[name]
    assert gradient_check(lambda p: float(s.f(p)), point, s.grad(point)).ok


@pytest.mark.parametrize("name", SURFACES)
def test_gradients_match_torch_autograd(name):
    s = SURFACES[name]
    rng = np.random.default_rng(0)
    for point in rng.uniform(-2, 2, size=(10, 2)):
        xy = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        if name == "bowl":
            value = xy[0] ** 2 / 20 + xy[1] ** 2
        else:
            x, y = xy
            value = (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
        value.backward()
        assert float(s.f(point)) == pytest.approx(value.item(), rel=1e-14)
        np.testing.assert_allclose(s.grad(point), xy.grad.numpy(), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name", SURFACES)
def test_the_minimum_is_where_it_says(name):
    s = SURFACES[name]
    minimum = np.array(s.minimum)
    assert float(s.f(minimum)) == 0.0
    np.testing.assert_array_equal(s.grad(minimum), [0.0, 0.0])
    rng = np.random.default_rng(1)
    around = minimum + rng.normal(scale=0.3, size=(200, 2))  # (200, 2)
    assert np.all(s.f(around.T) > 0)


def test_beale_values():
    assert float(beale(np.array([0.0, 1.0]))) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)  # the saddle's value
    np.testing.assert_allclose(beale_grad(np.array([0.0, 1.0])), [0.0, 0.0], atol=1e-15)  # a saddle point
    np.testing.assert_allclose(beale_grad(np.array([1.0, 1.5])), [34.5, 92.5])  # the start of the chapter


def test_grids_evaluate_elementwise():
    xs, ys = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-2, 2, 4))
    grid = np.stack([xs, ys])  # (2, 4, 5)
    for f, grad in ((bowl, bowl_grad), (beale, beale_grad)):
        values, grads = f(grid), grad(grid)
        assert values.shape == (4, 5)
        assert grads.shape == (2, 4, 5)
        assert values[2, 3] == pytest.approx(float(f(grid[:, 2, 3])))
        np.testing.assert_allclose(grads[:, 2, 3], grad(grid[:, 2, 3]))


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((3, 4)), 1.0])
def test_points_must_have_two_coordinates_first(bad):
    with pytest.raises(ValueError, match=r"xy must have shape \(2, \.\.\.\)"):
        bowl(bad)


def test_surfaces_do_not_modify_their_input():
    point = np.array([1.0, 1.5])
    for fn in (bowl, bowl_grad, beale, beale_grad):
        fn(point)
    np.testing.assert_array_equal(point, [1.0, 1.5])


# ----------------------------------------------------------------------------- trajectory


@settings(max_examples=30, deadline=None)
@given(st.floats(0.01, 0.99), st.integers(0, 30))
def test_sgd_on_the_bowl_has_a_closed_form(lr, num_steps):
    path = trajectory(SGD(lr=lr), bowl_grad, [-7.0, 2.0], num_steps)
    k = np.arange(num_steps + 1)
    assert path.shape == (num_steps + 1, 2)
    np.testing.assert_allclose(path[:, 0], -7.0 * (1 - 0.1 * lr) ** k, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 2.0 * (1 - 2 * lr) ** k, rtol=1e-12, atol=1e-300)


def test_a_path_that_runs_away_is_stopped_and_ends_in_nan():
    path = trajectory(SGD(lr=1.5), bowl_grad, [-7.0, 2.0], 50)  # y: times -2 per step
    finite = np.isfinite(path).all(axis=1)
    first_nan = int(np.argmin(finite))
    assert first_nan == 9  # |y| = 2 * 2**k: 512 at step 8, 1024 > 1000 at step 9
    assert np.all(finite[:first_nan])
    assert not np.any(finite[first_nan:])
    assert np.all(np.abs(path[:first_nan]) <= 1e3)


def test_a_smaller_limit_stops_earlier_and_nothing_warns_on_beale():
    early = trajectory(SGD(lr=1.5), bowl_grad, [-7.0, 2.0], 50, limit=10.0)
    assert int(np.argmin(np.isfinite(early).all(axis=1))) == 3
    with np.errstate(all="raise"):  # the run is stopped before Beale's gradient overflows
        path = trajectory(SGD(lr=1.0), beale_grad, [1.0, 1.5], 100)
    assert np.isnan(path[-1]).all()


def test_the_start_and_the_optimizer_state():
    start = np.array([-7.0, 2.0])
    opt = Momentum(lr=0.1)
    path = trajectory(opt, bowl_grad, start, 5)
    np.testing.assert_array_equal(start, [-7.0, 2.0])
    np.testing.assert_array_equal(path[0], start)
    assert set(opt.state) == {"xy"}
    assert opt.state["xy"]["momentum_buffer"].shape == (2,)
    np.testing.assert_array_equal(trajectory(Adam(), bowl_grad, [1, 2], 0), [[1.0, 2.0]])  # integers, no step


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"optimizer": "sgd"}, TypeError, "optimizer must be a dlscratch.optim optimizer"),
        ({"start": [1.0, 2.0, 3.0]}, ValueError, r"start must be one point of shape \(2,\)"),
        ({"num_steps": -1}, ValueError, "num_steps"),
        ({"num_steps": 2.5}, TypeError, "num_steps"),
        ({"limit": 0.0}, ValueError, "limit"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    arguments = {"optimizer": SGD(), "grad": bowl_grad, "start": [-7.0, 2.0], "num_steps": 3, **kwargs}
    with pytest.raises(error, match=match):
        trajectory(**arguments)
