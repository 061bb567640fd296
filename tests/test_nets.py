"""Tests for dlscratch.nets.TwoLayerNet: backprop vs numerical gradient, torch parity, training, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlscratch.layers import Affine, ReLU, SoftmaxWithLoss
from dlscratch.nets import SimpleConvNet, TwoLayerNet
from dlscratch.numgrad import numerical_gradient, rel_error

KEYS = ["W1", "b1", "W2", "b2"]


def _net(seed=0, sizes=(4, 5, 3), std=0.01):
    return TwoLayerNet(*sizes, weight_init_std=std, rng=np.random.default_rng(seed))


def _batch(n=6, d=4, c=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, c, size=n)


def _blobs(n=600, d=8, c=3, seed=0):
    """Three Gaussian clusters in 8 dimensions: learnable, not trivially separable."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(c, d)) * 1.5  # (C, D)
    labels = rng.integers(0, c, size=n)  # (N,)
    return centers[labels] + rng.normal(size=(n, d)), labels


def _train_sgd(net, X, y, *, num_steps, batch_size, lr, seed):
    """Plain mini-batch SGD, updating ``net.params`` in place; returns the mini-batch losses."""
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(num_steps):
        batch = rng.choice(len(X), size=batch_size, replace=False)
        grads = net.gradient(X[batch], y[batch])
        for key in net.params:
            net.params[key] -= lr * grads[key]
        losses.append(net.last_layer.forward(net.predict(X[batch]), y[batch]))
    return np.array(losses)


# ----------------------------------------------------------------------------- structure


def test_shapes_layers_and_initial_values():
    net = _net(std=0.01, sizes=(4, 5, 3))
    assert list(net.params) == KEYS
    assert {k: v.shape for k, v in net.params.items()} == {"W1": (4, 5), "b1": (5,), "W2": (5, 3), "b2": (3,)}
    assert list(net.layers) == ["Affine1", "ReLU1", "Affine2"]
    assert [type(layer) for layer in net.layers.values()] == [Affine, ReLU, Affine]
    assert isinstance(net.last_layer, SoftmaxWithLoss)
    np.testing.assert_array_equal(net.params["b1"], 0.0)
    np.testing.assert_array_equal(net.params["b2"], 0.0)
    big = _net(sizes=(200, 200, 3), std=0.01)
    assert big.params["W1"].std() == pytest.approx(0.01, rel=0.02)
    assert repr(net) == "TwoLayerNet(input_size=4, hidden_size=5, output_size=3)"


def test_params_are_the_layers_arrays():
    net = _net()
    assert net.params["W1"] is net.layers["Affine1"].params["W"]
    assert net.params["b1"] is net.layers["Affine1"].params["b"]
    assert net.params["W2"] is net.layers["Affine2"].params["W"]
    assert net.params["b2"] is net.layers["Affine2"].params["b"]


def test_in_place_update_of_params_changes_the_network():
    net = _net()
    x, t = _batch()
    before = net.loss(x, t)
    grads = net.gradient(x, t)
    for key in net.params:
        net.params[key] -= 1.0 * grads[key]
    assert net.loss(x, t) < before


def test_predict_loss_and_accuracy():
    net = _net()
    x, t = _batch()
    logits = net.predict(x)
    assert logits.shape == (6, 3)
    expected = np.maximum(x @ net.params["W1"] + net.params["b1"], 0) @ net.params["W2"] + net.params["b2"]
    np.testing.assert_allclose(logits, expected, rtol=1e-14)
    onehot = np.eye(3)[t]  # (N, C)
    assert net.loss(x, t) == pytest.approx(net.loss(x, onehot), rel=1e-14)
    accuracy = net.accuracy(x, t)
    assert accuracy == net.accuracy(x, onehot)
    assert accuracy == np.mean(np.argmax(logits, axis=1) == t)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backprop_matches_numerical_gradient(seed):
    # weight_init_std=1: with 0.01 some gradients are ~1e-6, and the numerical gradient's
    # rounding error (~1e-16 * loss / h) alone gives them relative errors of ~1e-5.
    net = _net(seed, std=1.0)
    x, t = _batch(seed=seed + 10)
    grads = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t, h=1e-5)
    assert sorted(grads) == sorted(numerical) == sorted(KEYS)
    for key in KEYS:
        assert grads[key].shape == net.params[key].shape
        assert rel_error(grads[key], numerical[key]) < 1e-7, key


def test_numerical_gradient_modifies_nothing():
    net = _net()
    x, t = _batch()
    arrays = {k: v for k, v in net.params.items()}
    copies = {k: v.copy() for k, v in net.params.items()}
    net.loss(x, t)  # caches of a pending backward pass
    net.numerical_gradient(x, t)
    for key in KEYS:
        assert net.params[key] is arrays[key]
        np.testing.assert_array_equal(net.params[key], copies[key])
    # the layers' caches still belong to the forward pass above
    dout = net.last_layer.backward()
    for layer in reversed(net.layers.values()):
        dout = layer.backward(dout)
    np.testing.assert_array_equal(net.layers["Affine1"].grads["W"], net.gradient(x, t)["W1"])


def test_closure_that_ignores_its_argument_gets_zero_gradient():
    """Deep Learning from Scratch's ``lambda W: net.loss(x, t)`` relies on in-place mutation; numgrad never mutates."""
    net = _net()
    x, t = _batch()
    ignored = numerical_gradient(lambda W: net.loss(x, t), net.params["W1"])
    np.testing.assert_array_equal(ignored, 0.0)
    assert np.abs(net.numerical_gradient(x, t)["W1"]).max() > 0


def test_gradient_accepts_images_and_one_hot_targets():
    net = _net(sizes=(12, 5, 3), std=1.0)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3, 2, 2))  # (N, C, H, W), flattened by the first Affine
    t = np.eye(3)[[0, 1, 2, 1]]  # (N, C)
    grads = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t, h=1e-5)
    for key in KEYS:
        assert rel_error(grads[key], numerical[key]) < 1e-7, key


def test_matches_torch_sequential():
    D, H, C = 6, 7, 4
    net = _net(5, sizes=(D, H, C), std=0.5)
    x, t = _batch(n=8, d=D, c=C, seed=6)
    loss = net.loss(x, t)
    grads = net.gradient(x, t)

    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C)).double()
    with torch.no_grad():  # nn.Linear stores W transposed: weight (M, D) = W.T
        model[0].weight.copy_(torch.from_numpy(net.params["W1"].T))
        model[0].bias.copy_(torch.from_numpy(net.params["b1"]))
        model[2].weight.copy_(torch.from_numpy(net.params["W2"].T))
        model[2].bias.copy_(torch.from_numpy(net.params["b2"]))
    torch_loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(t))
    torch_loss.backward()

    assert loss == pytest.approx(torch_loss.item(), rel=1e-13)
    pairs = {
        "W1": model[0].weight.grad.T,
        "b1": model[0].bias.grad,
        "W2": model[2].weight.grad.T,
        "b2": model[2].bias.grad,
    }
    for key, torch_grad in pairs.items():
        np.testing.assert_allclose(grads[key], torch_grad.numpy(), rtol=1e-12, atol=1e-15, err_msg=key)


# ----------------------------------------------------------------------------- training and determinism


def test_sgd_training_reduces_the_loss_on_blobs():
    X, y = _blobs()
    net = TwoLayerNet(8, 16, 3, weight_init_std=0.1, rng=np.random.default_rng(0))
    initial = net.loss(X, y)
    _train_sgd(net, X, y, num_steps=300, batch_size=32, lr=0.1, seed=1)
    assert initial == pytest.approx(np.log(3), abs=0.05)  # small weights: every class about 1/3
    assert net.loss(X, y) < 0.1 * initial
    assert net.accuracy(X, y) > 0.95


def test_sgd_training_on_the_digits():
    from dlscratch.data import load_digits_split

    split = load_digits_split(seed=0)
    net = TwoLayerNet(64, 32, 10, weight_init_std=0.1, rng=np.random.default_rng(0))
    initial = net.loss(split.X_train, split.y_train)
    _train_sgd(net, split.X_train, split.y_train, num_steps=400, batch_size=64, lr=0.5, seed=1)
    assert net.loss(split.X_train, split.y_train) < 0.1 * initial
    assert net.accuracy(split.X_test, split.y_test) > 0.9


def test_same_seed_same_network_and_training():
    X, y = _blobs(n=200)
    runs = []
    for _ in range(2):
        net = TwoLayerNet(8, 16, 3, weight_init_std=0.1, rng=np.random.default_rng(42))
        runs.append((net, _train_sgd(net, X, y, num_steps=50, batch_size=16, lr=0.1, seed=7)))
    (net_a, losses_a), (net_b, losses_b) = runs
    np.testing.assert_array_equal(losses_a, losses_b)
    for key in KEYS:
        np.testing.assert_array_equal(net_a.params[key], net_b.params[key])
    other = TwoLayerNet(8, 16, 3, weight_init_std=0.1, rng=np.random.default_rng(43))
    assert not np.array_equal(other.params["W1"], TwoLayerNet(8, 16, 3, rng=np.random.default_rng(42)).params["W1"])


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0, 5, 3), {}, ValueError, "input_size must be a positive int, got 0"),
        ((4, -1, 3), {}, ValueError, "hidden_size must be a positive int, got -1"),
        ((4, 5, 2.5), {}, TypeError, "output_size must be a positive int, got float 2.5"),
        ((4, 5, 3), {"weight_init_std": 0.0}, ValueError, "weight_init_std must be a finite number > 0, got 0.0"),
        ((4, 5, 3), {"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
        ((4, 5, 3), {"rng": np.random.RandomState(0)}, TypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_bad_constructor_arguments_raise(args, kwargs, error, match):
    kwargs = {"rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error, match=match):
        TwoLayerNet(*args, **kwargs)


def test_rng_is_required():
    with pytest.raises(TypeError, match="rng"):
        TwoLayerNet(4, 5, 3)


def test_bad_input_raises():
    net = _net()
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\) = \(N, 4\).*got shape \(6, 5\)"):
        net.predict(np.ones((6, 5)))
    with pytest.raises(ValueError, match=r"t must have shape \(6, 3\) \(one-hot rows\) or \(6,\) \(class labels\)"):
        net.loss(np.ones((6, 4)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match=r"t must have shape \(6, 3\) \(one-hot rows\) or \(6,\) \(class labels\)"):
        net.accuracy(np.ones((6, 4)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match=r"t must be class labels in \[0, 3\), got label 3"):
        net.gradient(np.ones((2, 4)), [0, 3])


# ----------------------------------------------------------------------------- SimpleConvNet


def _small_convnet(seed=0, **kwargs):
    options = {"filters": 3, "hidden_size": 5, "num_classes": 4, **kwargs}
    return SimpleConvNet((2, 6, 6), rng=np.random.default_rng(seed), **options)


def test_convnet_structure_and_shared_arrays():
    net = _small_convnet()
    assert list(net.layers) == ["Conv1", "ReLU1", "Pool1", "Affine1", "ReLU2", "Affine2"]
    assert {key: value.shape for key, value in net.params.items()} == {
        "W1": (3, 2, 3, 3), "b1": (3,), "W2": (27, 5), "b2": (5,), "W3": (5, 4), "b3": (4,),
    }  # fmt: skip
    assert net.layers["Conv1"].params["W"] is net.params["W1"]
    assert net.layers["Affine2"].params["W"] is net.params["W3"]
    np.testing.assert_allclose(SimpleConvNet(rng=np.random.default_rng(0)).params["W1"].std(), np.sqrt(2 / 9), rtol=0.2)


@pytest.mark.parametrize("seed", [0, 1])
def test_convnet_backprop_matches_numerical_gradient(seed):
    net = _small_convnet(seed)
    rng = np.random.default_rng(seed + 10)
    for key in ("b1", "b2", "b3"):
        net.params[key] += rng.normal(size=net.params[key].shape) * 0.1
    x, t = rng.normal(size=(3, 2, 6, 6)), rng.integers(0, 4, size=3)
    analytic = net.gradient(x, t)
    numerical = net.numerical_gradient(x, t, h=1e-5)
    for key in net.params:
        assert rel_error(analytic[key], numerical[key]) < 1e-6, key


def test_convnet_matches_torch():
    net = _small_convnet(2)
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(4, 2, 6, 6)), rng.integers(0, 4, size=4)
    loss, grads = net.loss_and_gradient(x, t)
    conv = nn.Conv2d(2, 3, 3, padding=1, dtype=torch.float64)
    fc1, fc2 = nn.Linear(27, 5, dtype=torch.float64), nn.Linear(5, 4, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(net.params["W1"]))
        conv.bias.copy_(torch.from_numpy(net.params["b1"]))
        for layer, i in ((fc1, 2), (fc2, 3)):
            layer.weight.copy_(torch.from_numpy(net.params[f"W{i}"].T))
            layer.bias.copy_(torch.from_numpy(net.params[f"b{i}"]))
    model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), fc1, nn.ReLU(), fc2)
    logits = model(torch.from_numpy(x))
    torch_loss = F.cross_entropy(logits, torch.from_numpy(t))
    torch_loss.backward()
    np.testing.assert_allclose(net.predict(x), logits.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert loss == pytest.approx(torch_loss.item(), rel=1e-13)
    np.testing.assert_allclose(grads["W1"], conv.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["W2"], fc1.weight.grad.numpy().T, rtol=1e-10, atol=1e-14)


def test_convnet_trains_on_the_digits_with_the_training_loop():
    from dlscratch.data import load_digits_split
    from dlscratch.mlp import train
    from dlscratch.optim import Adam

    split = load_digits_split(seed=0, flatten=False)
    net = SimpleConvNet(filters=8, hidden_size=32, rng=np.random.default_rng(0))
    history = train(
        net, split.X_train[:600, None], split.y_train[:600], optimizer=Adam(lr=0.003), num_epochs=4,
        batch_size=32, rng=np.random.default_rng(1), X_test=split.X_test[:, None], y_test=split.y_test,
    )  # fmt: skip
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.test_accuracy[-1] > 0.85
    assert history.test_accuracy[-1] == net.accuracy(split.X_test[:, None], split.y_test)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"input_shape": (8, 8)}, ValueError, r"input_shape must be \(C, H, W\)"),
        ({"filters": 0}, ValueError, "filters must be a positive int, got 0"),
        ({"pad": -1}, ValueError, "pad must be an int >= 0, got -1"),
        ({"init": "xavier"}, ValueError, "init must be 'he' or a std > 0"),
        ({"kernel_size": 4, "pad": 0}, ValueError, r"is not a whole number \(W=5, F=2, S=2, P=0\)"),
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_convnet_bad_arguments(kwargs, error, match):
    arguments = {"rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error, match=match):
        SimpleConvNet(**arguments)


def test_convnet_bad_input():
    net = _small_convnet()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2, 6, 6\), got shape \(3, 6, 6\)"):
        net.predict(np.zeros((3, 6, 6)))
    with pytest.raises(ValueError, match="t must have 2 labels"):
        net.accuracy(np.zeros((2, 2, 6, 6)), np.zeros(3, dtype=int))
