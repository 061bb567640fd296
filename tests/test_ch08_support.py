"""Chapter 8 (batch normalization): its figure's helpers, the claims that depend on a seed, and its exercises."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlscratch.data import load_digits_split
from dlscratch.exercises import EXERCISES, ExerciseFailed, ch08, check
from dlscratch.layers import Affine, BatchNorm
from dlscratch.mlp import MLP, train
from dlscratch.optim import SGD
from dlscratch.plots import batch_norm as plots

SEEDS = [0, 1, 2]
CHANCE = math.log(10)
DIGITS = load_digits_split(seed=0, standardize=True)


# ----------------------------------------------------------------------------- the figure and its helpers


def test_training_run_rejects_unknown_settings():
    with pytest.raises(ValueError, match="lr must be one of"):
        plots.training_run(True, 0.5, "std 0.1")
    with pytest.raises(ValueError, match="init must be one of"):
        plots.training_run(True, 0.1, "he")
    with pytest.raises(ValueError, match="lr must be one of"):
        plots.plot_bn_training(Figure(), lr=3.0)


def test_runs_are_complete_read_only_and_stop_at_a_divergence():
    runs = plots.training_runs()
    assert len(runs) == 18
    for (batch_norm, _, init), run in runs.items():
        for values in (run.train_loss, run.test_loss, run.train_accuracy, run.test_accuracy):
            assert values.shape == (plots.NUM_EPOCHS + 1,)
            assert not values.flags.writeable
        if run.diverged is None:
            assert np.all(np.isfinite(run.train_loss))
        else:
            assert not batch_norm
            assert init == "std 1"
            assert np.all(np.isnan(run.train_loss[run.diverged :]))


def test_redraws_train_nothing(monkeypatch):
    """Every run is trained when the figure is built; a redraw only sets line data."""
    fig = Figure(figsize=(9, 3.4), dpi=80)
    FigureCanvasAgg(fig)
    update = plots.plot_bn_training(fig)

    def refuse(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr("dlscratch.mlp.train", refuse)
    for lr in plots.LRS:
        for init in plots.INIT_STDS:
            update(lr=lr, init=init)
    fig.canvas.draw()
    assert "diverged" in fig.axes[1].get_legend().get_texts()[0].get_text()


def test_preactivations_are_the_hidden_affine_outputs():
    net = MLP(list(plots.MLP_SIZES), rng=np.random.default_rng(0), batch_norm=True)
    x = DIGITS.X_test[:7]
    outputs = plots.preactivations(net, x)
    assert [z.shape for z in outputs] == [(7, 100)] * 4
    np.testing.assert_allclose(outputs[0], x @ net.params["W1"] + net.params["b1"], rtol=1e-12)
    np.testing.assert_array_equal(net.layers["BatchNorm1"].running_mean, 0.0)  # evaluation mode: no update


# ----------------------------------------------------------------------------- claims that depend on a seed


@pytest.mark.parametrize("seed", SEEDS)
def test_the_grid_claims_hold_for_every_seed(seed):
    runs = plots.training_runs(seed)
    for lr in plots.LRS:
        small = runs[(False, lr, "std 0.01")]
        assert small.train_loss[-1] > CHANCE - 0.01
        assert small.test_accuracy[-1] < 0.12
        assert runs[(False, lr, "std 1")].diverged == 1
        assert runs[(True, lr, "std 0.01")].train_loss[-1] < 0.25
        assert runs[(True, lr, "std 0.01")].test_accuracy[-1] > 0.85
        assert runs[(True, lr, "std 1")].diverged is None
    for init in plots.INIT_STDS:
        assert runs[(True, 1.0, init)].test_accuracy[-1] > 0.9
    best = {bn: max(np.nan_to_num(r.test_accuracy[-1]) for (b, _, _), r in runs.items() if b == bn) for bn in (0, 1)}
    assert best[1] > best[0]
    assert runs[(True, 0.01, "std 1")].train_loss[-1] > 2
    low, high = plots.LOSS_LIMITS
    finite = np.concatenate([r.train_loss[np.isfinite(r.train_loss)] for r in runs.values()])
    assert low < finite.min()
    assert finite.max() < high


def test_the_plain_network_at_lr_1_is_unreliable():
    """The prose: at lr 1 the plain network learns at most from std 0.1, 'and there not reliably'."""
    finals = [plots.training_run(False, 1.0, "std 0.1", seed).test_accuracy[-1] for seed in SEEDS]
    assert min(finals) < 0.5 < max(finals)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_drift_grows_with_depth_for_every_seed(seed):
    net = MLP(list(plots.MLP_SIZES), init=0.1, rng=np.random.default_rng(seed))
    before = plots.preactivations(net, DIGITS.X_test)
    train(
        net,
        DIGITS.X_train,
        DIGITS.y_train,
        optimizer=SGD(lr=0.1),
        num_epochs=1,
        batch_size=100,
        rng=np.random.default_rng(seed + 100),
    )
    after = plots.preactivations(net, DIGITS.X_test)
    sd = np.array([z.std() for z in before])
    drift = np.array([np.abs(b.mean(0) - a.mean(0)).mean() / a.std() for a, b in zip(before, after, strict=True)])
    assert np.all(np.diff(sd) < 0)
    assert sd[-1] < 0.5
    assert np.all(np.diff(drift) > 0)
    assert drift[0] < 0.01
    assert drift[-1] > 0.1


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_small_data_regularization_for_every_seed(seed):
    runs = plots.small_data_runs(seed)
    assert all(h.train_accuracy[-1] == 1.0 for h in runs.values())
    assert runs[True].train_loss[-1] > runs[False].train_loss[-1]
    assert runs[True].test_loss[-1] < runs[False].test_loss[-1]
    gain = runs[True].test_accuracy[-1] - runs[False].test_accuracy[-1]
    assert 0.005 < gain < 0.03  # "between half a point and three points"


def _accuracy_in_batches(model, order, batch_size, train_mode):
    model = copy.deepcopy(model)
    correct = 0
    for start in range(0, len(order) - batch_size + 1, batch_size):
        batch = order[start : start + batch_size]
        correct += np.sum(np.argmax(model.predict(DIGITS.X_test[batch], train=train_mode), 1) == DIGITS.y_test[batch])
    return correct / (len(order) // batch_size * batch_size)


@pytest.mark.parametrize("seed", SEEDS)
def test_forgetting_eval_mode_for_every_seed(seed):
    net = MLP(list(plots.MLP_SIZES), init=0.1, rng=np.random.default_rng(seed), batch_norm=True)
    train(
        net,
        DIGITS.X_train,
        DIGITS.y_train,
        optimizer=SGD(lr=0.1),
        num_epochs=10,
        batch_size=100,
        rng=np.random.default_rng(seed + 100),
    )
    shuffled = np.random.default_rng(1).permutation(len(DIGITS.y_test))
    values = [_accuracy_in_batches(net, shuffled, 1, False)]
    values += [_accuracy_in_batches(net, shuffled, size, True) for size in (2, 4, 16, 64)]
    values.append(_accuracy_in_batches(net, np.argsort(DIGITS.y_test, kind="stable"), 10, True))
    assert values[0] > 0.95
    assert np.all(np.diff(values[1:5]) > 0)
    assert values[1] < 0.5
    assert values[0] - values[4] < 0.03
    assert values[5] < 0.2


# ----------------------------------------------------------------------------- exercise 1: layer_norm_backward


def layer_norm_backward(x, gamma, dout, eps=1e-5):
    """The chapter's model solution."""
    x, gamma, dout = (np.asarray(a, dtype=float) for a in (x, gamma, dout))
    D = x.shape[1]
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - x.mean(axis=1, keepdims=True)) / std
    g = dout * gamma
    return (D * g - g.sum(axis=1, keepdims=True) - xhat * np.sum(g * xhat, axis=1, keepdims=True)) / (D * std)


def test_the_model_solution_passes(capsys):
    check("ch08.layer_norm_backward", layer_norm_backward)
    assert "all 8 checks passed" in capsys.readouterr().out


def test_the_cases_agree_with_torch_autograd():
    for case in EXERCISES["ch08.layer_norm_backward"].cases:
        x, gamma, dout = case.args
        xt = torch.tensor(x, requires_grad=True)
        eps = case.kwargs.get("eps", 1e-5)
        out = torch.nn.functional.layer_norm(xt, (x.shape[1],), weight=torch.from_numpy(gamma), eps=eps)
        out.backward(torch.from_numpy(dout))
        np.testing.assert_allclose(case.expected, xt.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_autograd_is_switched_off_but_would_be_within_the_tolerance():
    """Letting torch differentiate the forward pass is not a derivation: check() refuses PyTorch (it would pass)."""

    def with_autograd(x, gamma, dout, eps=1e-5):
        xt = torch.tensor(x, requires_grad=True)
        mean = xt.mean(1, keepdim=True)
        out = (xt - mean) / torch.sqrt(xt.var(1, unbiased=False, keepdim=True) + eps) * torch.from_numpy(gamma)
        out.backward(torch.from_numpy(dout))
        return xt.grad.numpy()

    with pytest.raises(ExerciseFailed, match=r"used PyTorch .* which is switched off"):
        check("ch08.layer_norm_backward", with_autograd)
    case = EXERCISES["ch08.layer_norm_backward"].cases[0]
    np.testing.assert_allclose(with_autograd(*case.args, **case.kwargs), case.expected, rtol=1e-9, atol=1e-12)


def _batch_norm_formula_on_rows(x, gamma, dout, eps=1e-5):
    """γ as one factor outside the sums, as in batch normalization: wrong when γ varies along the axis."""
    D = x.shape[1]
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - x.mean(axis=1, keepdims=True)) / std
    return (
        gamma
        / (D * std)
        * (D * dout - dout.sum(axis=1, keepdims=True) - xhat * np.sum(dout * xhat, axis=1, keepdims=True))
    )


def _along_the_batch(x, gamma, dout, eps=1e-5):
    """The batch-normalization gradient (statistics over axis 0): the wrong axis."""
    N = x.shape[0]
    std = np.sqrt(x.var(axis=0) + eps)
    xhat = (x - x.mean(axis=0)) / std
    return gamma / (N * std) * (N * dout - dout.sum(axis=0) - xhat * np.sum(dout * xhat, axis=0))


def _without_the_sums(x, gamma, dout, eps=1e-5):
    """Treating the mean and variance as constants, as evaluation mode may."""
    return dout * gamma / np.sqrt(x.var(axis=1, keepdims=True) + eps)


def _unbiased(x, gamma, dout, eps=1e-5):
    D = x.shape[1]
    std = np.sqrt(x.var(axis=1, ddof=1, keepdims=True) + eps)
    xhat = (x - x.mean(axis=1, keepdims=True)) / std
    g = dout * gamma
    return (D * g - g.sum(axis=1, keepdims=True) - xhat * np.sum(g * xhat, axis=1, keepdims=True)) / (D * std)


@pytest.mark.parametrize(
    "mistake", [_batch_norm_formula_on_rows, _along_the_batch, _without_the_sums, _unbiased], ids=lambda f: f.__name__
)
def test_typical_mistakes_fail(mistake):
    with pytest.raises(ExerciseFailed):
        check("ch08.layer_norm_backward", mistake)


def test_batch_norm_is_switched_off():
    def delegating(x, gamma, dout, eps=1e-5):
        bn = BatchNorm(x.shape[0], eps=eps)
        bn.forward(x.T)
        return (bn.backward((dout * gamma).T)).T

    np.testing.assert_allclose(  # it would answer the exercise ...
        delegating(*EXERCISES["ch08.layer_norm_backward"].cases[0].args),
        EXERCISES["ch08.layer_norm_backward"].cases[0].expected,
        rtol=1e-9,
    )
    with pytest.raises(ExerciseFailed, match="switched off"):  # ... so the check refuses it
        check("ch08.layer_norm_backward", delegating)


# ----------------------------------------------------------------------------- exercise 2: notes_momentum_steps


def test_notes_momentum_steps():
    k = ch08.NOTES_MOMENTUM
    steps = math.ceil(math.log(ch08.TOLERANCE) / math.log(k))
    assert steps == 459
    assert k**steps <= 0.01 < k ** (steps - 1)
    check("ch08.notes_momentum_steps", steps)
    # simulated with the notes' update
    running, mu, count = 0.0, 3.0, 0
    while abs(running - mu) > 0.01 * abs(mu):
        running = k * running + (1 - k) * mu
        count += 1
    assert count == steps
    for wrong in (1, 44, 458, 460, 0.99 * 459):  # torch's reading, momentum 0.9, off by one
        with pytest.raises(ExerciseFailed):
            check("ch08.notes_momentum_steps", wrong)


# ----------------------------------------------------------------------------- exercise 3: a bias before BN


def test_exercise_3_a_bias_before_batch_norm_is_inert():
    rng = np.random.default_rng(0)
    x, W = rng.normal(size=(32, 5)), rng.normal(size=(5, 4))
    outputs, grads = [], []
    for b in (np.zeros(4), rng.normal(scale=10.0, size=4)):
        affine, bn = Affine(W, b.copy()), BatchNorm(4)
        outputs.append(bn.forward(affine.forward(x)))
        affine.backward(bn.backward(rng.normal(size=(32, 4))))
        grads.append(affine.grads["b"])
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-9, atol=1e-12)
    for g in grads:
        np.testing.assert_allclose(g, 0.0, atol=1e-12)


def test_exercise_3_in_eval_mode_the_running_mean_absorbs_the_bias():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(5, 4))
    results = []
    for b in (np.zeros(4), np.full(4, 7.0)):
        affine, bn, batches = Affine(W, b), BatchNorm(4), np.random.default_rng(2)
        for _ in range(300):  # long enough for the running mean to forget its start at 0
            bn.forward(affine.forward(batches.normal(size=(64, 5))))
        results.append(bn.forward(affine.forward(np.ones((3, 5))), train=False))
    np.testing.assert_allclose(results[0], results[1], atol=1e-6)
