"""Tests for dlscratch.mlp: the Tanh layer, MLP (backprop vs numerical gradient, torch parity, initializations,
no mutation, bad input) and train (determinism, learning, bad input)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlscratch.init import he_std, xavier, xavier_std
from dlscratch.layers import Affine, ReLU, Sigmoid, SoftmaxWithLoss, Tanh
from dlscratch.mlp import MLP, train
from dlscratch.numgrad import rel_error
from dlscratch.optim import SGD

ACTIVATIONS = ["relu", "sigmoid", "tanh"]
TORCH_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def _batch(n=7, d=5, c=4, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, c, size=n)


def _blobs(n=300, d=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(c, d)) * 2.0  # (C, D)
    labels = rng.integers(0, c, size=n)  # (N,)
    return centers[labels] + rng.normal(size=(n, d)), labels


# ----------------------------------------------------------------------------- Tanh


def test_tanh_forward_backward_and_numerical_gradient():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3)) * 2
    dout = rng.normal(size=(4, 3))
    layer = Tanh()
    np.testing.assert_allclose(layer.forward(x), np.tanh(x), rtol=1e-15)
    dx = layer.backward(dout)
    h = 1e-6
    numerical = (np.tanh(x + h) - np.tanh(x - h)) / (2 * h) * dout
    assert rel_error(dx, numerical) < 1e-8


def test_tanh_matches_torch_and_mutates_nothing():
    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    x_copy, dout_copy = x.copy(), dout.copy()
    layer = Tanh()
    out = layer.forward(x)
    dx = layer.backward(dout)
    xt = torch.from_numpy(x).requires_grad_()
    torch.tanh(xt).backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, torch.tanh(xt).detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)
    out[0, 0] = 99.0  # the returned array is the caller's; the cached one is not
    np.testing.assert_allclose(layer.backward(dout), dx)


def test_tanh_backward_before_forward_and_bad_dout():
    with pytest.raises(RuntimeError, match=r"Tanh.backward\(\) was called before Tanh.forward\(\)"):
        Tanh().backward(np.ones(3))
    layer = Tanh()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dout must have the shape of Tanh's output \(2, 3\), got shape \(3,\)"):
        layer.backward(np.ones(3))


# ----------------------------------------------------------------------------- structure and initialization


def test_structure_params_and_layers():
    net = MLP([5, 8, 6, 4], activation="sigmoid", init=0.3, rng=np.random.default_rng(0))
    assert list(net.params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert [net.params[k].shape for k in net.params] == [(5, 8), (8,), (8, 6), (6,), (6, 4), (4,)]
    assert list(net.layers) == ["Affine1", "Sigmoid1", "Affine2", "Sigmoid2", "Affine3"]
    assert [type(layer) for layer in net.layers.values()] == [Affine, Sigmoid, Affine, Sigmoid, Affine]
    assert isinstance(net.last_layer, SoftmaxWithLoss)
    assert net.num_layers == 3
    for i in (1, 2, 3):
        assert net.params[f"W{i}"] is net.layers[f"Affine{i}"].params["W"]
        assert net.params[f"b{i}"] is net.layers[f"Affine{i}"].params["b"]
        np.testing.assert_array_equal(net.params[f"b{i}"], 0.0)
    assert repr(net) == "MLP(sizes=[5, 8, 6, 4], activation='sigmoid')"
    assert list(MLP([3, 2], rng=np.random.default_rng(0)).layers) == ["Affine1"]  # no hidden layer
    assert [type(x) for x in MLP([3, 4, 2], rng=np.random.default_rng(0)).layers.values()] == [Affine, ReLU, Affine]


@pytest.mark.parametrize(
    ("init", "std"),
    [
        (0.05, lambda n_in, n_out: 0.05),
        ("xavier", xavier_std),
        ("he", he_std),
    ],
    ids=["fixed", "xavier", "he"],
)
def test_initializations_have_the_formula_std(init, std):
    net = MLP([300, 500, 200], init=init, rng=np.random.default_rng(0))
    for i, (n_in, n_out) in enumerate([(300, 500), (500, 200)], start=1):
        assert net.params[f"W{i}"].std() == pytest.approx(std(n_in, n_out), rel=0.02)
        assert abs(net.params[f"W{i}"].mean()) < 0.01 * std(n_in, n_out)


def test_callable_init_and_the_same_seed():
    dlfs_xavier = functools.partial(xavier, mode="fan_in")
    a = MLP([400, 300, 10], init=lambda i, o, rng: dlfs_xavier(i, o, rng=rng), rng=np.random.default_rng(3))
    assert a.params["W1"].std() == pytest.approx(1 / 20, rel=0.02)  # 1/√400
    b = MLP([400, 300, 10], init=lambda i, o, rng: dlfs_xavier(i, o, rng=rng), rng=np.random.default_rng(3))
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    constant = MLP([4, 3, 2], init=lambda i, o, rng: np.full((i, o), 0.5), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(constant.params["W1"], 0.5)


def test_the_init_callables_array_is_copied():
    shared = np.ones((4, 3))
    net = MLP([4, 3], init=lambda i, o, rng: shared, rng=np.random.default_rng(0))
    net.params["W1"] -= 1.0
    np.testing.assert_array_equal(shared, 1.0)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backprop_matches_numerical_gradient(activation, seed):
    # Weights of std 0.5 keep the ReLU kinks away from the ±h steps. Three layers make some gradient entries
    # tiny (1e-5), whose elementwise relative error the central difference's O(h²) truncation alone pushes
    # towards 1e-6; so the whole matrix is compared (norm of the difference relative to the norms, as in
    # cs231n) and every entry in absolute terms.
    net = MLP([5, 6, 6, 4], activation=activation, init=0.5, rng=np.random.default_rng(seed))
    for key in net.params:  # non-zero biases, so that their gradients are checked in general position
        if key.startswith("b"):
            net.params[key][...] = np.random.default_rng(seed + 5).normal(size=net.params[key].shape)
    x, t = _batch(seed=seed + 10)
    grads = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t, h=1e-5)
    assert sorted(grads) == sorted(numerical) == sorted(net.params)
    for key in net.params:
        assert grads[key].shape == net.params[key].shape
        difference = np.linalg.norm(grads[key] - numerical[key])
        assert difference / (np.linalg.norm(grads[key]) + np.linalg.norm(numerical[key])) < 1e-8, key
        assert np.abs(grads[key] - numerical[key]).max() < 1e-9, key


def test_a_wrong_backward_fails_the_gradient_check():
    """The check above can fail: a sigmoid layer that forgets its (1 - σ) factor is caught."""
    net = MLP([5, 6, 4], activation="sigmoid", init=0.5, rng=np.random.default_rng(0))
    x, t = _batch()
    layer = net.layers["Sigmoid1"]
    layer.backward = lambda dout: dout * layer._saved()[0]  # σ instead of σ(1 - σ)
    grads, numerical = net.gradient(x, t), net.numerical_gradient(x, t, h=1e-5)
    assert np.abs(grads["W1"] - numerical["W1"]).max() > 1e-3


def test_loss_and_gradient_agree_with_loss_and_gradient():
    net = MLP([5, 6, 4], activation="tanh", init="xavier", rng=np.random.default_rng(0))
    x, t = _batch()
    loss, grads = net.loss_and_gradient(x, t)
    assert loss == net.loss(x, t)
    for key, value in net.gradient(x, t).items():
        np.testing.assert_array_equal(value, grads[key])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_matches_torch_sequential(activation):
    sizes = [5, 7, 6, 4]
    net = MLP(sizes, activation=activation, init="he", rng=np.random.default_rng(2))
    for key in net.params:
        if key.startswith("b"):
            net.params[key][...] = np.random.default_rng(3).normal(size=net.params[key].shape)
    x, t = _batch(n=9, seed=4)
    loss, grads = net.loss_and_gradient(x, t)

    modules = []
    for i in range(1, net.num_layers + 1):
        linear = nn.Linear(sizes[i - 1], sizes[i], dtype=torch.float64)
        with torch.no_grad():  # nn.Linear keeps (out, in): the transpose of ours
            linear.weight.copy_(torch.from_numpy(net.params[f"W{i}"].T))
            linear.bias.copy_(torch.from_numpy(net.params[f"b{i}"]))
        modules += [linear, TORCH_ACTIVATIONS[activation]()]
    model = nn.Sequential(*modules[:-1])
    logits = model(torch.from_numpy(x))
    torch_loss = F.cross_entropy(logits, torch.from_numpy(t))
    torch_loss.backward()

    np.testing.assert_allclose(net.predict(x), logits.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert loss == pytest.approx(torch_loss.item(), rel=1e-13)
    for i, linear in enumerate(model[::2], start=1):
        np.testing.assert_allclose(grads[f"W{i}"], linear.weight.grad.numpy().T, rtol=1e-11, atol=1e-14)
        np.testing.assert_allclose(grads[f"b{i}"], linear.bias.grad.numpy(), rtol=1e-11, atol=1e-14)
    assert net.accuracy(x, t) == float(np.mean(logits.argmax(1).numpy() == t))


def test_hidden_activations_are_the_layers_outputs():
    net = MLP([5, 6, 6, 4], activation="relu", init="he", rng=np.random.default_rng(0))
    x, _ = _batch()
    outputs = net.hidden_activations(x)
    assert [out.shape for out in outputs] == [(7, 6), (7, 6)]
    h1 = np.maximum(x @ net.params["W1"] + net.params["b1"], 0)
    np.testing.assert_allclose(outputs[0], h1, rtol=1e-14)
    np.testing.assert_allclose(outputs[1], np.maximum(h1 @ net.params["W2"] + net.params["b2"], 0), rtol=1e-14)


def test_nothing_is_modified():
    net = MLP([5, 6, 4], activation="sigmoid", init="xavier", rng=np.random.default_rng(0))
    x, t = _batch()
    x_copy, t_copy = x.copy(), t.copy()
    arrays = dict(net.params)
    copies = {k: v.copy() for k, v in net.params.items()}
    net.loss_and_gradient(x, t)
    net.numerical_gradient(x, t)
    net.accuracy(x, t)
    net.hidden_activations(x)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(t, t_copy)
    for key in net.params:
        assert net.params[key] is arrays[key]
        np.testing.assert_array_equal(net.params[key], copies[key])


def test_equal_weights_stay_equal():
    """The symmetry problem, on the class itself: equal columns get equal gradients."""
    net = MLP(
        [5, 6, 6, 3], activation="tanh", init=lambda i, o, rng: np.full((i, o), 0.3), rng=np.random.default_rng(0)
    )
    X, y = _blobs(n=60, d=5, c=3)
    history = train(net, X, y, optimizer=SGD(lr=0.5), num_epochs=5, batch_size=10, rng=np.random.default_rng(1))
    assert history.train_loss[-1] != history.train_loss[0]  # it did train
    for key in ("W1", "W2"):  # equal up to the rounding of the matrix products
        assert np.ptp(net.params[key], axis=1).max() < 1e-12 * np.abs(net.params[key]).max()
    assert np.abs(net.params["W1"] - 0.3).max() > 0.01  # and they did move


# ----------------------------------------------------------------------------- training


def test_train_learns_and_records_history():
    X, y = _blobs()
    net = MLP([6, 16, 16, 3], activation="relu", init="he", rng=np.random.default_rng(0))
    history = train(
        net, X[:240], y[:240], optimizer=SGD(lr=0.1), num_epochs=15, batch_size=32,
        rng=np.random.default_rng(1), X_test=X[240:], y_test=y[240:],
    )  # fmt: skip
    assert history.train_loss.shape == history.test_loss.shape == history.test_accuracy.shape == (16,)
    assert history.train_loss[0] == pytest.approx(
        MLP([6, 16, 16, 3], activation="relu", init="he", rng=np.random.default_rng(0)).loss(X[:240], y[:240])
    )
    assert history.train_loss[-1] < 0.3 * history.train_loss[0]
    assert history.test_accuracy[-1] > 0.9
    assert history.test_loss[-1] == pytest.approx(net.loss(X[240:], y[240:]))
    assert history.test_accuracy[-1] == net.accuracy(X[240:], y[240:])


def test_train_without_test_set_and_determinism():
    X, y = _blobs(n=100)
    runs = []
    for _ in range(2):
        net = MLP([6, 8, 3], init="xavier", rng=np.random.default_rng(5))
        history = train(net, X, y, optimizer=SGD(lr=0.1), num_epochs=3, batch_size=7, rng=np.random.default_rng(6))
        runs.append((net, history))
    (a, ha), (b, hb) = runs
    np.testing.assert_array_equal(ha.train_loss, hb.train_loss)
    assert np.all(np.isnan(ha.test_loss))
    assert np.all(np.isnan(ha.test_accuracy))
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])


def test_train_mean_minibatch_loss_and_last_partial_batch():
    """With one epoch and a learning rate of 0, the recorded loss is the loss of the unchanged network."""

    class Frozen:
        def update(self, params, grads):
            pass

    X, y = _blobs(n=50)
    net = MLP([6, 5, 3], init="he", rng=np.random.default_rng(0))
    history = train(net, X, y, optimizer=Frozen(), num_epochs=1, batch_size=8, rng=np.random.default_rng(0))
    assert history.train_loss[1] == pytest.approx(net.loss(X, y), rel=1e-12)  # 6 batches of 8 and one of 2


def test_train_leaves_the_data_alone():
    X, y = _blobs(n=40)
    X_copy, y_copy = X.copy(), y.copy()
    train(
        MLP([6, 4, 3], rng=np.random.default_rng(0)), X, y, optimizer=SGD(lr=0.1), num_epochs=2, batch_size=8,
        rng=np.random.default_rng(0), X_test=X, y_test=y,
    )  # fmt: skip
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


# ----------------------------------------------------------------------------- batch norm, dropout, weight decay


def test_options_add_layers_and_parameters_in_order():
    net = MLP([5, 6, 6, 4], init="he", rng=np.random.default_rng(0), batch_norm=True, dropout=0.3)
    assert list(net.layers) == [
        "Affine1", "BatchNorm1", "ReLU1", "Dropout1", "Affine2", "BatchNorm2", "ReLU2", "Dropout2", "Affine3",
    ]  # fmt: skip
    assert list(net.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert net.layers["BatchNorm2"].params["gamma"] is net.params["gamma2"]
    plain = MLP([5, 6, 6, 4], init="he", rng=np.random.default_rng(0))
    for key in plain.params:  # the options do not change the weights a seed draws
        np.testing.assert_array_equal(plain.params[key], net.params[key])
    assert "batch_norm=True" in repr(net)
    assert "dropout=0.3" in repr(net)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("batch_norm", "weight_decay"), [(True, 0.0), (False, 0.1), (True, 0.05)])
def test_backprop_with_batch_norm_and_weight_decay_matches_numerical_gradient(activation, batch_norm, weight_decay):
    net = MLP(
        [5, 6, 6, 4],
        activation=activation,
        init="xavier",
        rng=np.random.default_rng(1),
        batch_norm=batch_norm,
        weight_decay=weight_decay,
    )
    rng = np.random.default_rng(2)
    for value in net.params.values():  # move γ, β and b off their initial values
        value += 0.3 * rng.normal(size=value.shape)
    x, t = _batch(n=8, seed=3)
    analytic = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t, h=1e-5)
    assert sorted(analytic) == sorted(net.params)
    for key in net.params:
        if batch_norm and key in ("b1", "b2"):  # BN subtracts the batch mean: a bias before it has no effect
            np.testing.assert_allclose(analytic[key], 0.0, atol=1e-15)
            np.testing.assert_allclose(numerical[key], 0.0, atol=1e-9)
        else:
            assert rel_error(analytic[key], numerical[key]) < 1e-6, key


def test_weight_decay_adds_the_l2_penalty_to_loss_and_gradient():
    x, t = _batch(seed=5)
    plain = MLP([5, 6, 4], rng=np.random.default_rng(0))
    decayed = MLP([5, 6, 4], rng=np.random.default_rng(0), weight_decay=0.2)
    penalty = 0.1 * (np.sum(plain.params["W1"] ** 2) + np.sum(plain.params["W2"] ** 2))
    assert decayed.penalty() == pytest.approx(penalty, rel=1e-14)
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + penalty, rel=1e-14)
    g_plain, g_decay = plain.gradient(x, t), decayed.gradient(x, t)
    np.testing.assert_allclose(g_decay["W1"], g_plain["W1"] + 0.2 * plain.params["W1"], rtol=1e-14)
    np.testing.assert_array_equal(g_decay["b1"], g_plain["b1"])  # biases are not decayed


def test_l2_penalty_step_equals_torch_sgd_weight_decay():
    x, t = _batch(n=12, seed=6)
    ours = MLP([5, 6, 4], rng=np.random.default_rng(0), weight_decay=0.01)
    linear1, linear2 = nn.Linear(5, 6, dtype=torch.float64), nn.Linear(6, 4, dtype=torch.float64)
    with torch.no_grad():
        for linear, i in ((linear1, 1), (linear2, 2)):
            linear.weight.copy_(torch.from_numpy(ours.params[f"W{i}"].T))
            linear.bias.copy_(torch.from_numpy(ours.params[f"b{i}"]))
    model = nn.Sequential(linear1, nn.ReLU(), linear2)
    opt = torch.optim.SGD(
        [{"params": [linear1.weight, linear2.weight], "weight_decay": 0.01},
         {"params": [linear1.bias, linear2.bias], "weight_decay": 0.0}],
        lr=0.5,
    )  # fmt: skip
    sgd = SGD(lr=0.5)
    for _ in range(20):
        sgd.update(ours.params, ours.gradient(x, t))
        opt.zero_grad()
        F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(t)).backward()
        opt.step()
    np.testing.assert_allclose(ours.params["W2"], linear2.weight.detach().numpy().T, rtol=1e-12, atol=1e-15)


def test_batch_norm_mlp_matches_torch_in_training_and_evaluation():
    sizes = [5, 7, 4]
    net = MLP(sizes, activation="tanh", init="he", rng=np.random.default_rng(2), batch_norm=True)
    linear1, linear2 = nn.Linear(5, 7, dtype=torch.float64), nn.Linear(7, 4, dtype=torch.float64)
    norm = nn.BatchNorm1d(7, dtype=torch.float64)
    with torch.no_grad():
        for linear, i in ((linear1, 1), (linear2, 2)):
            linear.weight.copy_(torch.from_numpy(net.params[f"W{i}"].T))
            linear.bias.copy_(torch.from_numpy(net.params[f"b{i}"]))
    model = nn.Sequential(linear1, norm, nn.Tanh(), linear2)
    sgd, opt = SGD(lr=0.1), torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(5):
        x, t = _batch(n=9, seed=10 + step)
        loss, grads = net.loss_and_gradient(x, t)
        model.train()
        opt.zero_grad()
        torch_loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(t))
        torch_loss.backward()
        assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
        np.testing.assert_allclose(grads["gamma1"], norm.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
        sgd.update(net.params, grads)
        opt.step()
    np.testing.assert_allclose(net.layers["BatchNorm1"].running_var, norm.running_var.numpy(), rtol=1e-12)
    model.eval()
    x, _ = _batch(n=3, seed=99)
    np.testing.assert_allclose(net.predict(x), model(torch.from_numpy(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_evaluation_is_deterministic_and_training_mode_is_not_with_dropout():
    net = MLP([5, 20, 4], rng=np.random.default_rng(0), dropout=0.5)
    x, t = _batch(seed=7)
    np.testing.assert_array_equal(net.predict(x), net.predict(x))  # eval: dropout off
    plain = MLP([5, 20, 4], rng=np.random.default_rng(0))
    np.testing.assert_allclose(net.predict(x), plain.predict(x), rtol=1e-15)  # inverted scaling: eval = no dropout
    assert not np.array_equal(net.predict(x, train=True), net.predict(x, train=True))
    a = MLP([5, 20, 4], rng=np.random.default_rng(0), dropout=0.5).gradient(x, t)
    b = MLP([5, 20, 4], rng=np.random.default_rng(0), dropout=0.5).gradient(x, t)
    np.testing.assert_array_equal(a["W1"], b["W1"])  # one seed fixes the masks too


def test_dropout_backprop_uses_the_forward_masks():
    net = MLP([5, 8, 4], rng=np.random.default_rng(0), dropout=0.5)
    x, t = _batch(seed=8)
    grads = net.gradient(x, t)
    mask = net.layers["Dropout1"].mask  # the masks of that step, fixed
    h1 = np.maximum(x @ net.params["W1"] + net.params["b1"], 0) * mask / 0.5

    def loss_at(W2):
        return SoftmaxWithLoss().forward(h1 @ W2 + net.params["b2"], t)

    from dlscratch.numgrad import numerical_gradient

    assert rel_error(grads["W2"], numerical_gradient(loss_at, net.params["W2"].copy())) < 1e-7
    with pytest.raises(ValueError, match=r"numerical_gradient needs a deterministic loss.*dropout=0.5"):
        net.numerical_gradient(x, t)


def test_train_records_train_accuracy_in_evaluation_mode():
    X, y = _blobs(n=120)
    model = MLP([6, 16, 3], rng=np.random.default_rng(0), batch_norm=True, dropout=0.2)
    history = train(model, X, y, optimizer=SGD(lr=0.1), num_epochs=3, batch_size=16, rng=np.random.default_rng(1))
    assert history.train_accuracy.shape == (4,)
    assert history.train_accuracy[-1] == model.accuracy(X, y)
    assert history.train_accuracy[-1] > 0.9


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_norm": 1}, TypeError, "batch_norm must be True or False, got int 1"),
        ({"dropout": 1.0}, ValueError, r"dropout must be a drop probability in \[0, 1\), got 1.0"),
        ({"dropout": -0.1}, ValueError, "dropout must be a finite number >= 0"),
        ({"weight_decay": -1e-3}, ValueError, "weight_decay must be a finite number >= 0"),
        ({"weight_decay": "0.1"}, TypeError, "weight_decay must be a real number"),
    ],
)
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLP([4, 5, 3], rng=np.random.default_rng(0), **kwargs)


def test_train_flag_must_be_a_bool():
    net = MLP([4, 5, 3], rng=np.random.default_rng(0), batch_norm=True)
    with pytest.raises(TypeError, match=r"train must be True .* got str 'yes'"):
        net.predict(np.ones((2, 4)), train="yes")


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sizes": 5}, TypeError, "sizes must be a sequence of ints"),
        ({"sizes": "64"}, TypeError, "sizes must be a sequence of ints"),
        ({"sizes": [4]}, ValueError, "at least the input and output sizes"),
        ({"sizes": [4, 0, 3]}, ValueError, r"sizes\[1\] must be >= 1, got 0"),
        ({"sizes": [4, 2.5, 3]}, TypeError, r"sizes\[1\] must be an int, got float 2.5"),
        ({"sizes": [4, True, 3]}, TypeError, r"sizes\[1\] must be an int"),
        ({"activation": "softplus"}, ValueError, "activation must be one of 'relu', 'sigmoid', 'tanh'"),
        ({"init": "glorot"}, ValueError, "init must be 'xavier', 'he', a std > 0 or a callable, got 'glorot'"),
        ({"init": 0.0}, ValueError, "init must be a finite number > 0"),
        ({"init": -1}, ValueError, "init must be a finite number > 0"),
        ({"init": True}, TypeError, "init must be"),
        ({"init": None}, TypeError, "init must be"),
        ({"init": lambda i, o, rng: np.ones((o, i))}, ValueError, r"init must return shape \(fan_in, fan_out\)"),
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
        ({"rng": np.random.RandomState(0)}, TypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    arguments = {"sizes": [4, 5, 3], "rng": np.random.default_rng(0), **kwargs}
    sizes = arguments.pop("sizes")
    with pytest.raises(error, match=match):
        MLP(sizes, **arguments)


def test_rng_is_required():
    with pytest.raises(TypeError, match="rng"):
        MLP([4, 3])


def test_bad_input_to_the_network():
    net = MLP([4, 5, 3], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\) = \(N, 4\)"):
        net.predict(np.ones((6, 5)))
    with pytest.raises(ValueError, match=r"t must have shape \(6, 3\) \(one-hot rows\) or \(6,\) \(class labels\)"):
        net.accuracy(np.ones((6, 4)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match=r"t must be class labels in \[0, 3\), got label 3"):
        net.gradient(np.ones((2, 4)), [0, 3])


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"model": "net"}, TypeError, "model must be a dlscratch model such as MLP or SimpleConvNet"),
        ({"optimizer": object()}, TypeError, r"optimizer must have an update\(params, grads\) method"),
        ({"rng": 1}, TypeError, "rng must be a numpy.random.Generator"),
        ({"num_epochs": -1}, ValueError, "num_epochs must be >= 0"),
        ({"num_epochs": 2.0}, TypeError, "num_epochs must be an int"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"X": np.ones((10, 5))}, ValueError, r"X must have shape \(N, 4\), got \(10, 5\)"),
        ({"y": np.zeros(9, dtype=int)}, ValueError, r"y must be 10 integer labels"),
        ({"y": np.zeros(10)}, ValueError, r"y must be 10 integer labels"),
        ({"y": np.full(10, 3)}, ValueError, r"y must be labels in \[0, 3\), got 3 .. 3"),
        ({"X_test": np.ones((2, 4))}, ValueError, "X_test and y_test must be given together"),
        ({"X_test": np.ones((2, 4)), "y_test": np.zeros(3, dtype=int)}, ValueError, "y_test must be 2 integer"),
    ],
)
def test_bad_training_arguments(change, error, match):
    arguments = {
        "model": MLP([4, 5, 3], rng=np.random.default_rng(0)),
        "X": np.ones((10, 4)),
        "y": np.zeros(10, dtype=int),
        "optimizer": SGD(lr=0.1),
        "num_epochs": 1,
        "batch_size": 4,
        "rng": np.random.default_rng(0),
        **change,
    }
    model, X, y = arguments.pop("model"), arguments.pop("X"), arguments.pop("y")
    with pytest.raises(error, match=match):
        train(model, X, y, **arguments)
