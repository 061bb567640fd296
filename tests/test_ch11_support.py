"""Chapter 11 support code: the figures of dlscratch.plots.pooling, the claims of the chapter that depend on
a seed (checked on several), and the exercises in exercises/ch11.py: the model solutions pass, typical
mistakes fail, and every claim of the written model answer holds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlscratch.exercises import EXERCISES, ExerciseFailed, ch11, check
from dlscratch.plots import pooling as plots
from dlscratch.pool import AvgPool2d, MaxPool2d

SEEDS = [0, 1, 2, 3]

# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("plot", "params"),
    [
        (plots.plot_pool_gradient, {}),
        (plots.plot_pool_gradient, {"pooling": "average", "stride": 1}),
        (plots.plot_pool_gradient, {"pooling": "max", "stride": 4}),
        (plots.plot_shift_robustness, {}),
        (plots.plot_shift_robustness, {"shift": -2, "pooling": "none"}),
        (plots.plot_shift_robustness, {"shift": 0, "pooling": "max 4×4"}),
    ],
)
def test_figures_draw(plot, params):
    fig = Figure(figsize=(10, 3.2), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    update = plot(fig, **params)
    update(**params)
    assert fig.axes
    fig.canvas.draw()


@pytest.mark.parametrize(
    ("plot", "params", "match"),
    [
        (plots.plot_pool_gradient, {"pooling": "l2"}, "pooling must be one of"),
        (plots.plot_pool_gradient, {"stride": 3}, "stride must be one of"),
        (plots.plot_shift_robustness, {"shift": 3}, "shift must be one of"),
        (plots.plot_shift_robustness, {"pooling": "max 3×3"}, "pooling must be one of"),
    ],
)
def test_figures_reject_unknown_values(plot, params, match):
    with pytest.raises(ValueError, match=match):
        plot(Figure(), **params)


def test_the_gradient_figure_shows_the_layers_gradients():
    """The dx panel is the layer's own backward pass for a gradient of 1 everywhere (ties: the first maximum)."""
    image = plots.GRADIENT_IMAGE[None, None]
    pool = MaxPool2d(2)
    dx = pool.backward(np.ones_like(pool.forward(image)))[0, 0]
    assert dx.sum() == 9
    assert np.count_nonzero(dx) == 9
    assert dx[4, 0] == 1
    assert dx[4, 1] == 0
    overlapping = MaxPool2d(2, stride=1)
    dx = overlapping.backward(np.ones_like(overlapping.forward(image)))[0, 0]
    assert dx.sum() == 25
    assert dx.max() <= 4
    assert dx[2, 2] == 4  # the 7 is the maximum of all four windows around it


def test_shift_images():
    images = np.arange(12.0).reshape(1, 3, 4)
    np.testing.assert_array_equal(plots.shift_images(images, 1)[0, 0], [0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(plots.shift_images(images, -2)[0, 0], [2.0, 3.0, 0.0, 0.0])
    np.testing.assert_array_equal(plots.shift_images(images, 0), images)
    assert not plots.shift_images(images, 9).any()
    assert not np.shares_memory(plots.shift_images(images, 0), images)
    with pytest.raises(TypeError, match="dx must be an int"):
        plots.shift_images(images, 1.0)


def test_edge_features():
    images = np.random.default_rng(0).uniform(size=(3, 8, 8))
    assert plots.edge_features(images).shape == (3, 4, 8, 8)
    assert plots.edge_features(images, "max 4×4").shape == (3, 4, 2, 2)
    assert (plots.edge_features(images) >= 0).all()  # after the ReLU
    with pytest.raises(ValueError, match="pooling must be one of"):
        plots.edge_features(images, "median")


# ----------------------------------------------------------------------------- claims that depend on a seed


@pytest.mark.parametrize("seed", SEEDS)
def test_the_robustness_ordering_holds_for_every_seed(seed):
    """The chapter asserts this order for the test digits of seed 0; it holds for the other splits too."""
    change = plots.shift_experiment(seed).change
    for k, s in enumerate(plots.SHIFTS):
        values = [change[name][k] for name in ("max 4×4", "max 2×2", "average 2×2", "none")]
        if s == 0:
            assert values == [0.0] * 4
        else:
            assert values == sorted(values), (seed, s)
            assert values[0] < 0.6 * values[-1]  # 4×4 max pooling: well below no pooling
    one = {name: change[name][plots.SHIFTS.index(1)] for name in plots.POOLINGS}
    assert 0.8 < one["none"] < 0.95
    assert 0.5 < one["max 2×2"] < 0.7
    assert max(v.max() for v in change.values()) < 1.75  # the figure's y-limit


def test_two_by_two_keeps_half_of_the_positions():
    """The chapter's 'half of the positions' for 2×2 windows, by the counting function of exercise 2."""
    assert ch11.unchanged_fraction_1d(2, 2) == 0.5
    assert ch11.unchanged_fraction_1d(3, 3) == pytest.approx(2 / 3)
    assert ch11.unchanged_fraction_1d(3, 2) == 0.0  # AlexNet's windows: every one-pixel move shows


# ----------------------------------------------------------------------------- exercise 1: l2_pool_backward


def l2_pool_backward(x, dout, kernel_size):
    """The chapter's model solution."""
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    N, C, H, W = x.shape
    K = kernel_size
    blocks = x.reshape(N, C, H // K, K, W // K, K)
    scale = np.abs(blocks).max(axis=(3, 5), keepdims=True)
    z = blocks / np.where(scale > 0, scale, 1.0)
    norm = np.sqrt((z**2).sum(axis=(3, 5), keepdims=True))
    direction = np.where(norm > 0, z / np.where(norm > 0, norm, 1.0), 0.0)
    dx = direction * dout[:, :, :, None, :, None]
    return dx.reshape(N, C, H, W)


def test_the_model_solution_passes(capsys):
    check("ch11.l2_pool_backward", l2_pool_backward)
    assert "all 7 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("K", [1, 2, 3])
def test_the_model_solution_matches_torch_lp_pool(K):
    rng = np.random.default_rng(K)
    x = rng.normal(size=(2, 3, 3 * K, 2 * K))
    dout = rng.normal(size=(2, 3, 3, 2))
    t = torch.tensor(x, requires_grad=True)
    F.lp_pool2d(t, 2, K).backward(torch.from_numpy(dout))
    np.testing.assert_allclose(l2_pool_backward(x, dout, K), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_cases_match_torch_where_torch_is_finite():
    for case in EXERCISES["ch11.l2_pool_backward"].cases:
        x, dout, K = case.args
        if np.abs(x).max() > 1e100 or 0 < np.abs(x[x != 0]).min() < 1e-100:
            continue  # torch squares too: overflow, underflow
        t = torch.tensor(x, requires_grad=True)
        F.lp_pool2d(t, 2, K).backward(torch.from_numpy(dout))
        expected = np.nan_to_num(t.grad.numpy())  # torch: 0/0 at an all-zero window
        np.testing.assert_allclose(case.expected, expected, rtol=1e-10, atol=1e-12, err_msg=case.note)


def _naive(x, dout, K):
    """Squares without scaling: overflows for huge inputs."""
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // K, K, W // K, K)
    y = np.sqrt((blocks**2).sum(axis=(3, 5), keepdims=True))
    return (np.where(y > 0, blocks / np.where(y > 0, y, 1.0), 0.0) * dout[:, :, :, None, :, None]).reshape(x.shape)


def _divides_by_zero(x, dout, K):
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // K, K, W // K, K)
    scale = np.abs(blocks).max(axis=(3, 5), keepdims=True)
    z = blocks / scale
    return (z / np.sqrt((z**2).sum(axis=(3, 5), keepdims=True)) * dout[:, :, :, None, :, None]).reshape(x.shape)


def _no_dout(x, dout, K):
    return l2_pool_backward(x, np.ones_like(dout), K)


def _like_max(x, dout, K):
    pool = MaxPool2d(K)
    pool.forward(x)
    return pool.backward(dout)


def _like_average(x, dout, K):
    return np.repeat(np.repeat(dout, K, axis=2), K, axis=3) / K**2


def _mutates(x, dout, K):
    x /= 1.0 + 0 * x  # in place: harmless here ...
    x[...] = l2_pool_backward(x, dout, K)  # ... but this overwrites the caller's x
    return x


@pytest.mark.parametrize(
    ("mistake", "expected_in_message"),
    [
        (_naive, "overflow"),
        (_divides_by_zero, "raised"),
        (_no_dout, "expected [[[[1.2"),
        (_like_max, "switched off"),
        (_like_average, "l2_pool_backward"),
        (_mutates, "modified its input"),
    ],
    ids=["no-scaling", "zero-window", "ignores-dout", "uses-max-pool", "average-gradient", "mutates"],
)
def test_typical_mistakes_fail(mistake, expected_in_message):
    with pytest.raises(ExerciseFailed) as info:
        check("ch11.l2_pool_backward", mistake)
    assert expected_in_message in str(info.value)


def test_a_naive_solution_fails_only_on_the_extreme_cases():
    """Without scaling, everything but the huge and the tiny case passes: those two teach the scaling."""
    exercise = EXERCISES["ch11.l2_pool_backward"]
    failing = []
    for case in exercise.cases:
        with np.errstate(all="ignore"):
            got = _naive(*case.args)
        if not np.allclose(got, case.expected, rtol=1e-9, atol=1e-12):
            failing.append(case.note)
    assert len(failing) == 2
    assert all(("huge" in n or "tiny" in n) for n in failing)


def test_the_hidden_test_holds_for_the_model_solution():
    x = np.random.default_rng(3).normal(size=(2, 2, 4, 4))
    dout = np.random.default_rng(4).normal(size=(2, 2, 2, 2))
    t = torch.tensor(x, requires_grad=True)
    F.lp_pool2d(t, 2, 2).backward(torch.from_numpy(dout))
    assert np.allclose(l2_pool_backward(x, dout, 2), t.grad.numpy())


# ----------------------------------------------------------------------------- exercise 2: unchanged_fraction


def _simulate(K, S, dr, dc, size=41):
    pool = MaxPool2d(K, stride=S)
    size = next(n for n in range(size, size + S) if (n - K) % S == 0)
    kept = []
    for r in range(4 * S, 5 * S):
        for c in range(4 * S, 5 * S):
            bright = np.zeros((1, 1, size, size))
            bright[0, 0, r, c] = 1.0
            moved = np.zeros_like(bright)
            moved[0, 0, r + dr, c + dc] = 1.0
            kept.append(np.array_equal(pool.forward(bright), pool.forward(moved)))
    return float(np.mean(kept))


def test_unchanged_fraction_by_simulation():
    value = _simulate(5, 3, 1, 1)
    assert value == pytest.approx(1 / 9)
    check("ch11.unchanged_fraction", value)
    assert _simulate(2, 2, 0, 1) == 0.5  # the chapter's case
    assert _simulate(2, 2, 1, 1) == 0.25
    for K, S in [(3, 3), (3, 2), (4, 2), (5, 3)]:
        assert _simulate(K, S, 0, 1) == pytest.approx(ch11.unchanged_fraction_1d(K, S))


@pytest.mark.parametrize("wrong", [1 / 3, 0.25, 0.0, 2 / 3, 4 / 9])
def test_unchanged_fraction_wrong_answers_fail(wrong):
    """One axis only (1/3), the 2×2 answer (1/4), 'overlap never keeps' (0), 3×3 windows ((2/3)², 2/3)."""
    with pytest.raises(ExerciseFailed):
        check("ch11.unchanged_fraction", wrong)


# ----------------------------------------------------------------------------- exercise 3: pooling and ReLU


def _relu(x):
    return np.maximum(x, 0.0)


@pytest.mark.parametrize(("K", "S", "P"), [(2, 2, 0), (3, 2, 1), (3, 1, 1), (4, 2, 2)])
def test_max_pooling_commutes_with_relu_and_other_increasing_functions(K, S, P):
    x = np.random.default_rng(K + S + P).normal(size=(2, 3, 2 * S + K - 2 * P, 3 * S + K - 2 * P)) - 0.5
    pool = MaxPool2d(K, S, P)
    np.testing.assert_array_equal(pool.forward(_relu(x)), _relu(pool.forward(x)))
    np.testing.assert_allclose(pool.forward(np.tanh(x)), np.tanh(pool.forward(x)), rtol=1e-15)
    minimum = -pool.forward(-x)
    np.testing.assert_allclose(pool.forward(np.exp(-x)), np.exp(-minimum), rtol=1e-14)  # decreasing: the minimum


def test_the_cheaper_order_saves_three_quarters_of_the_relus():
    x = np.zeros((1, 1, 8, 8))
    assert MaxPool2d(2).forward(x).size / x.size == 0.25


def test_average_pooling_does_not_commute_with_relu():
    window = np.array([[[[-1.0, 1.0], [1.0, -1.0]]]])
    avg = AvgPool2d(2)
    assert _relu(avg.forward(window)).item() == 0.0
    assert avg.forward(_relu(window)).item() == 0.5
    rng = np.random.default_rng(0)
    same_sign = np.abs(rng.normal(size=(1, 1, 4, 4))) * np.array([1.0, 1.0, -1.0, -1.0])[None, None, :, None]
    np.testing.assert_allclose(avg.forward(_relu(same_sign)), _relu(avg.forward(same_sign)))  # rows 0-1 ≥ 0, 2-3 ≤ 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_both_orders_give_the_same_gradient(seed):
    """conv-ReLU-pool and conv-pool-ReLU: the same gradient, also for windows whose inputs are all negative."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3, 6, 6)) - 0.3
    x[0, 0, :2, :2] = -np.abs(x[0, 0, :2, :2]) - 0.1  # one window all negative
    dout = rng.normal(size=(2, 3, 3, 3))
    first = torch.tensor(x, requires_grad=True)
    F.max_pool2d(torch.relu(first), 2).backward(torch.from_numpy(dout))
    second = torch.tensor(x, requires_grad=True)
    torch.relu(F.max_pool2d(second, 2)).backward(torch.from_numpy(dout))
    np.testing.assert_array_equal(first.grad.numpy(), second.grad.numpy())
    assert not first.grad.numpy()[0, 0, :2, :2].any()
