"""Chapter 7 support code: the figures of dlscratch.plots.initialization, the claims of the chapter that
depend on a seed (checked on several), and the exercises in exercises/ch07.py: the model solutions pass,
typical mistakes fail, and every number in the written model answers is right."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlscratch.data import load_digits_split
from dlscratch.exercises import EXERCISES, ExerciseFailed, ch07, check
from dlscratch.init import he_std
from dlscratch.mlp import MLP
from dlscratch.nets import TwoLayerNet
from dlscratch.optim import SGD
from dlscratch.plots import initialization as plots

SEEDS = [0, 1, 2, 3]
CHANCE = math.log(10)

# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("plot", "params"),
    [
        (plots.plot_activation_histograms, {}),
        (plots.plot_activation_histograms, {"init": "He", "activation": "relu", "depth": 20}),
        (plots.plot_activation_histograms, {"init": "std 0.01", "activation": "tanh", "depth": 10}),
        (plots.plot_init_training, {"activation": "sigmoid"}),
    ],
)
def test_figures_draw(plot, params):
    fig = Figure(figsize=(9, 3.6), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    plot(fig, **params)
    assert fig.axes
    fig.canvas.draw()


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"init": "lecun"}, "init must be one of"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"depth": 7}, "depth must be one of"),
    ],
)
def test_histogram_figure_rejects_unknown_values(params, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_activation_histograms(Figure(), **params)


def test_training_figure_rejects_unknown_activations():
    with pytest.raises(ValueError, match="activation must be one of"):
        plots.training_runs("gelu")


def test_histogram_redraws_compute_nothing(monkeypatch):
    """Every histogram is computed when the figure is built; a redraw only sets bar heights."""
    fig = Figure(figsize=(9, 3.6), dpi=80)
    FigureCanvasAgg(fig)
    update = plots.plot_activation_histograms(fig)

    def refuse(*args, **kwargs):
        raise AssertionError("activations computed again")

    monkeypatch.setattr(plots, "stack_activations", refuse)  # what a histogram not in the cache would need
    for init in plots.INIT_STDS:
        for activation in plots.ACTIVATIONS:
            update(init=init, activation=activation, depth=20)
    fig.canvas.draw()


def test_histograms_are_consistent():
    for activation in plots.ACTIVATIONS:
        for init, stats in plots.histograms(activation).items():
            assert stats.fractions.shape == (plots.MAX_DEPTH, 30)
            assert np.allclose(stats.fractions.sum(axis=1), 1.0), (activation, init)
            outputs = plots.stack_activations(activation, init)
            assert len(outputs) == plots.MAX_DEPTH
            assert outputs[0].shape == (plots.NUM_SAMPLES, plots.WIDTH)
            assert not outputs[0].flags.writeable
            assert np.allclose(stats.sd, [o.std() for o in outputs])
            assert np.all(stats.unit_sd <= stats.sd * (1 + 1e-12))  # a part of the spread, never more
    relu = plots.histograms("relu")["He"]
    assert np.all(np.abs(relu.zeros - 0.5) < 0.1)


def test_the_inits_share_their_draws():
    """Two initializations differ only in the scale of the same weights: for ReLU, exactly a power of the ratio."""
    small = plots.stack_activations("relu", "std 0.01")
    large = plots.stack_activations("relu", "std 1")
    for layer in (1, 3, 5):
        np.testing.assert_allclose(large[layer - 1], small[layer - 1] * 100.0**layer, rtol=1e-9)


def test_sd_labels():
    assert plots._format_sd(0.4567) == "0.46"
    assert plots._format_sd(0.012) == "0.012"
    assert plots._format_sd(41.23) == "41"
    assert plots._format_sd(6.3e-4) == "6.3×10⁻⁴"
    assert plots._format_sd(1.77e4) == "1.8×10⁴"
    assert plots._format_sd(math.inf) == "inf"


# ----------------------------------------------------------------------------- claims that depend on a seed

DIGITS = load_digits_split(seed=0, standardize=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_training_orderings_hold_for_every_seed(seed):
    """The chapter asserts these for seed 0; they hold for the other seeds too."""
    runs = {act: plots.training_runs(act, seed) for act in ("relu", "tanh", "sigmoid")}
    for act in runs:
        small = runs[act]["std 0.01"]
        assert small.train_loss[-1] > CHANCE - 0.01
        assert small.test_accuracy[-1] < 0.12
    for act in ("relu", "tanh"):
        for name in ("Xavier", "He"):
            assert runs[act][name].test_accuracy[-1] > 0.9, (act, name)
    he, xavier = runs["relu"]["He"], runs["relu"]["Xavier"]
    assert np.all(he.train_loss[1:4] < xavier.train_loss[1:4])
    for name in ("Xavier", "He"):
        assert runs["sigmoid"][name].train_loss[-1] > CHANCE - 0.01
    assert max(run.train_loss.max() for by_init in runs.values() for run in by_init.values()) < 4.0  # the y-limit


def _gradient_norms(init, activation, seed):
    net = MLP(list(plots.MLP_SIZES), activation=activation, init=init, rng=np.random.default_rng(seed))
    grads = net.gradient(DIGITS.X_train[:200], DIGITS.y_train[:200])
    return np.array([np.linalg.norm(grads[f"W{i}"]) for i in range(1, net.num_layers + 1)])


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_claims_hold_for_every_seed(seed):
    small, he = _gradient_norms(0.01, "relu", seed), _gradient_norms("he", "relu", seed)
    assert small.max() < 1e-5
    assert he.min() > 0.1
    assert 1e5 < (he / small).min()
    assert (he / small).max() < 1e7
    np.testing.assert_allclose(small / _gradient_norms(0.005, "relu", seed), 32.0, rtol=0.01)
    sigmoid = _gradient_norms("xavier", "sigmoid", seed)
    assert 300 < sigmoid[-1] / sigmoid[0] < 3000


@pytest.mark.parametrize("seed", SEEDS)
def test_symmetric_weights_stay_symmetric_for_every_seed(seed):
    net = TwoLayerNet(64, 30, 10, rng=np.random.default_rng(seed))
    for key in ("W1", "W2"):
        net.params[key][...] = 0.05
    _sgd(net, seed=seed + 1)
    assert np.ptp(net.params["W1"], axis=1).max() < 1e-12
    assert np.linalg.matrix_rank(net.params["W1"]) == 1
    assert 0.2 < net.accuracy(DIGITS.X_test, DIGITS.y_test) < 0.3


def _sgd(net, *, seed, num_steps=300, lr=0.1, batch_size=100):
    batches, optimizer = np.random.default_rng(seed), SGD(lr=lr)
    for _ in range(num_steps):
        batch = batches.choice(len(DIGITS.X_train), batch_size, replace=False)
        optimizer.update(net.params, net.gradient(DIGITS.X_train[batch], DIGITS.y_train[batch]))
    return net


# ----------------------------------------------------------------------------- exercise 1: he_style_init


def he_style_init(f, fan_in, fan_out, *, rng):
    """The chapter's model solution."""
    passed = (float(f(1.0)) ** 2 + float(f(-1.0)) ** 2) / 2
    std = 1.0 / math.sqrt(passed * fan_in)
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def test_the_model_solution_passes(capsys):
    check("ch07.he_style_init", he_style_init)
    assert "all 7 checks passed" in capsys.readouterr().out


def test_a_numerical_integral_passes_too():
    """A student who integrates E[f(z)²] numerically instead of using homogeneity is within the tolerance."""
    z = np.linspace(-12.0, 12.0, 240_001)
    density = np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)

    def integrating(f, fan_in, fan_out, *, rng):
        values = np.asarray(f(z), dtype=float) ** 2 * density
        second_moment = float(np.sum((values[1:] + values[:-1]) / 2 * np.diff(z)))
        return rng.normal(0.0, 1.0 / math.sqrt(second_moment * fan_in), size=(fan_in, fan_out))

    check("ch07.he_style_init", integrating)


@pytest.mark.parametrize(
    ("mistake", "expected_in_message"),
    [
        # He's 2/n for every activation: right for ReLU only
        (lambda f, i, o, *, rng: rng.normal(0.0, math.sqrt(2 / i), size=(i, o)), "leaky_relu_02"),
        # the fan-out instead of the fan-in (right while they are equal)
        (
            lambda f, i, o, *, rng: rng.normal(0.0, 1 / math.sqrt((f(1.0) ** 2 + f(-1.0) ** 2) / 2 * o), size=(i, o)),
            "relu",
        ),
        # only the positive half: f(1)² / 2 ignores what passes below 0
        (lambda f, i, o, *, rng: rng.normal(0.0, 1 / math.sqrt(float(f(1.0)) ** 2 / 2 * i), size=(i, o)), "leaky"),
        # the std from a Monte Carlo estimate that uses the same generator: the draws are no longer the check's
        (
            lambda f, i, o, *, rng: rng.normal(
                0.0, 1 / math.sqrt(np.mean(f(rng.normal(size=1000)) ** 2) * i), size=(i, o)
            ),
            "relu",
        ),
        # the transposed layout of PyTorch
        (lambda f, i, o, *, rng: he_style_init(f, o, i, rng=rng).T, "relu"),
    ],
    ids=["he-everywhere", "fan-out", "positive-half", "monte-carlo", "transposed"],
)
def test_typical_mistakes_fail(mistake, expected_in_message):
    with pytest.raises(ExerciseFailed) as info:
        check("ch07.he_style_init", mistake)
    assert expected_in_message in str(info.value).splitlines()[0]


def test_cases_cover_the_activations_and_their_stds():
    exercise = EXERCISES["ch07.he_style_init"]
    stds = {case.args[0].__name__: case.expected.std() / (1 / math.sqrt(case.args[1])) for case in exercise.cases}
    assert stds["identity"] == pytest.approx(1.0, rel=0.05)
    assert stds["absolute"] == pytest.approx(1.0, rel=0.1)
    assert stds["relu_times_3"] == pytest.approx(math.sqrt(2) / 3, rel=0.05)
    assert stds["leaky_relu_02"] == pytest.approx(math.sqrt(2 / 1.04), rel=0.05)
    assert stds["v_shape"] == pytest.approx(math.sqrt(2 / 1.25), rel=0.1)


def test_exercise_1_hidden_test_holds_for_the_model_solution():
    x = np.random.default_rng(8).normal(size=(400, 500))
    for _ in range(10):
        x = np.maximum(x @ he_style_init(lambda v: np.maximum(v, 0.0), 500, 500, rng=np.random.default_rng(9)), 0)
    assert 0.2 < np.mean(x**2) < 5


def test_homogeneous_std_keeps_the_second_moment():
    """The idea behind exercise 1, measured: each activation's std keeps E[x²] over 8 wide layers."""
    for f in (ch07.leaky_relu_02, ch07.absolute, ch07.relu_times_3, ch07.v_shape):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(500, 400))
        for _ in range(8):
            x = f(x @ he_style_init(f, 400, 400, rng=rng))
        assert 0.5 < np.mean(x**2) < 2, f.__name__
    assert he_style_init(ch07.relu, 100, 1, rng=np.random.default_rng(0)).shape == (100, 1)
    assert he_std(100, 1) == pytest.approx(1 / math.sqrt(100 * 0.5))


# ----------------------------------------------------------------------------- exercise 2: scaled_tanh_std


def test_scaled_tanh_std():
    slope = 1.7159 * 2 / 3
    value = 1 / (slope * math.sqrt(256))
    assert value == pytest.approx(0.054636, rel=1e-4)
    check("ch07.scaled_tanh_std", value)
    for wrong in (1 / 16, math.sqrt(2 / 256), 1 / (1.7159 * 16), 5 / 3 / 16):  # Xavier, He, no 2/3, torch's gain
        with pytest.raises(ExerciseFailed):
            check("ch07.scaled_tanh_std", wrong)


def test_scaled_tanh_std_keeps_small_signals():
    """Through 10 layers of width 256 and inputs of sd 0.01, the variance stays (the small-signal regime)."""
    rng = np.random.default_rng(0)
    x = 0.01 * rng.normal(size=(2000, 256))
    std = 1 / (1.7159 * 2 / 3 * 16)
    for _ in range(10):
        x = 1.7159 * np.tanh(2 / 3 * (x @ rng.normal(0.0, std, size=(256, 256))))
    assert 0.7 < x.std() / 0.01 < 1.4


# ----------------------------------------------------------------------------- exercise 3: biases


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exercise_3_random_biases_break_the_symmetry_from_the_second_step(seed):
    net = TwoLayerNet(64, 30, 10, rng=np.random.default_rng(0))
    for key in ("W1", "W2"):
        net.params[key][...] = 0.05
    net.params["b1"][...] = np.random.default_rng(seed + 10).normal(size=30)
    grads = net.gradient(DIGITS.X_train[:100], DIGITS.y_train[:100])
    assert np.abs(grads["W1"]).max() < 1e-15  # no gradient for W1 in the first step
    assert np.ptp(grads["W2"], axis=0).max() > 1e-3  # W2's rows get different gradients
    _sgd(net, seed=1)
    assert np.linalg.matrix_rank(net.params["W1"]) == 30
    assert 0.85 < net.accuracy(DIGITS.X_test, DIGITS.y_test) < 0.94  # "about 90%"
    random = _sgd(TwoLayerNet(64, 30, 10, rng=np.random.default_rng(0)), seed=1)
    assert random.accuracy(DIGITS.X_test, DIGITS.y_test) > net.accuracy(DIGITS.X_test, DIGITS.y_test)


# ----------------------------------------------------------------------------- exercise 4: batch normalization


def _bn_network_loss(W1, W2, x, t, eps):
    """Affine → batch norm (no γ, β) → ReLU → Affine → cross-entropy, in torch."""
    z = x @ W1  # (N, H)
    z_hat = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + eps)
    return torch.nn.functional.cross_entropy(torch.relu(z_hat) @ W2, t)


def _loss_and_grad(scale, eps, symmetric=False):
    """The loss and dL/dW1 with W1 = scale · W; symmetric: every hidden unit has the same in- and out-weights."""
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(64, 10)))
    t = torch.from_numpy(rng.integers(0, 3, size=64))
    W1 = np.full((10, 8), 0.3) if symmetric else rng.normal(size=(10, 8))
    W1 = torch.tensor(scale * W1, requires_grad=True)
    W2 = np.random.default_rng(1).normal(size=(8, 3))  # (H, C)
    W2 = torch.from_numpy(np.tile(W2[:1], (8, 1)) if symmetric else W2)  # equal rows: equal out-weights
    loss = _bn_network_loss(W1, W2, x, t, eps)
    loss.backward()
    return loss.item(), W1.grad.numpy()


@pytest.mark.parametrize("c", [0.01, 3.0, 100.0])
def test_exercise_4_batch_norm_is_scale_invariant(c):
    loss, grad = _loss_and_grad(1.0, eps=0.0)
    loss_c, grad_c = _loss_and_grad(c, eps=0.0)
    assert loss_c == pytest.approx(loss, rel=1e-10)  # L(cW) = L(W)
    np.testing.assert_allclose(grad_c, grad / c, rtol=1e-8, atol=1e-12)  # ∇L(cW) = ∇L(W) / c


def test_exercise_4_epsilon_breaks_the_invariance_only_for_tiny_variances():
    loss, _ = _loss_and_grad(1.0, eps=1e-5)
    assert _loss_and_grad(0.1, eps=1e-5)[0] == pytest.approx(loss, rel=1e-3)  # c²σ² ≫ ε
    assert abs(_loss_and_grad(1e-4, eps=1e-5)[0] - loss) > 0.01  # c²σ² ≪ ε: not invariant


def test_exercise_4_batch_norm_does_not_break_the_symmetry():
    _, grad = _loss_and_grad(1.0, eps=1e-5, symmetric=True)
    assert np.abs(grad).max() > 1e-3  # a real gradient ...
    assert np.ptp(grad, axis=1).max() < 1e-12 * np.abs(grad).max()  # ... the same for every unit
