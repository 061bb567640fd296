"""Tests for dlscratch.layers: gradient checks, torch autograd parity, no mutation, bad input, properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes

from dlscratch.layers import Add, Affine, Layer, Mul, ReLU, Sigmoid, SoftmaxWithLoss
from dlscratch.numgrad import gradient_check

RTOL = 1e-7  # the float64 gradient-check threshold (cs231n; STYLE.md)

BROADCAST_PAIRS = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((), (2, 2)),
    ((4, 1, 3), (2, 3)),
    ((5, 1), (1, 4)),
    ((2, 3, 4), (2, 3, 4)),
]
ELEMENTWISE_SHAPES = [(), (5,), (3, 4), (2, 3, 4, 5)]
AFFINE_CASES = [  # (x shape, M): (N, D) and (N, ...) inputs, including images (N, C, H, W)
    ((1, 1), 1),
    ((4, 3), 2),
    ((5, 2, 3), 4),
    ((2, 3, 4, 4), 5),
]
SOFTMAX_SHAPES = [(1, 1), (1, 4), (5, 3), (8, 10)]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _normal(shape, seed=0):
    return _rng(seed).normal(size=shape)


def _away_from_zero(shape, seed=0):
    """Values with |x| in [0.1, 2]: the central difference never straddles ReLU's kink."""
    rng = _rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def _t(x, grad=False):
    tensor = torch.from_numpy(np.array(x, dtype=np.float64))
    return tensor.requires_grad_(grad)


def _check(f, x, analytic):
    """Assert the numerical gradient check passes; return the relative error (for the report)."""
    result = gradient_check(f, x, analytic, rtol=RTOL)
    assert result.ok, f"relative error {result.rel_error:.2e} at {result.worst_index}"
    return result.rel_error


# ----------------------------------------------------------------------------- the interface


@pytest.mark.parametrize("cls", [Add, Mul, ReLU, Sigmoid, SoftmaxWithLoss])
def test_layers_without_parameters_have_empty_dicts(cls):
    layer = cls()
    assert isinstance(layer, Layer)
    assert layer.params == {}
    assert layer.grads == {}


def test_affine_params_and_grads_share_keys_and_shapes():
    W, b = _normal((3, 2)), np.zeros(2)
    layer = Affine(W, b)
    assert layer.params.keys() == layer.grads.keys() == {"W", "b"}
    assert layer.params["W"] is W  # the array itself, not a copy
    assert layer.params["b"] is b
    layer.forward(_normal((4, 3), 1))
    layer.backward(_normal((4, 2), 2))
    for key in layer.params:
        assert layer.grads[key].shape == layer.params[key].shape


def test_affine_in_place_update_changes_the_layer():
    W, b = _normal((3, 2)), np.zeros(2)
    layer = Affine(W, b)
    x = _normal((4, 3), 1)
    before = layer.forward(x)
    layer.backward(np.ones((4, 2)))
    for key in layer.params:  # one gradient-descent step, as an optimizer does it
        layer.params[key] -= 0.1 * layer.grads[key]
    assert not np.allclose(layer.forward(x), before)
    np.testing.assert_array_equal(W, layer.params["W"])  # the caller's W moved too: it is the same array


def test_affine_converts_lists_and_integer_arrays_to_new_float64_arrays():
    W = np.array([[1, 2], [3, 4]])
    layer = Affine(W, [0, 0])
    assert layer.params["W"].dtype == np.float64
    assert layer.params["W"] is not W
    np.testing.assert_array_equal(layer.forward([[1, 1]]), [[4.0, 6.0]])


def test_affine_repr_shows_shapes():
    assert repr(Affine(np.zeros((6, 4)), np.zeros(4))) == "Affine(W: (6, 4), b: (4,))"


@pytest.mark.parametrize("cls", [Add, Mul])
def test_scalar_inputs_give_floats(cls):
    layer = cls()
    out = layer.forward(3.0, 4.0)
    assert type(out) is float
    dx, dy = layer.backward(1.0)
    assert type(dx) is float
    assert type(dy) is float


@pytest.mark.parametrize("cls", [ReLU, Sigmoid])
def test_scalar_input_to_an_activation_gives_a_float(cls):
    layer = cls()
    assert type(layer.forward(2.0)) is float
    assert type(layer.backward(1.0)) is float


# ----------------------------------------------------------------------------- the shopping example (notes 003)


def test_apples_and_oranges_graph():
    """Deep Learning from Scratch's shopping graph: 2 apples at 100, 3 oranges at 150, tax 1.1."""
    apple, apple_num, orange, orange_num, tax = 100.0, 2.0, 150.0, 3.0, 1.1
    mul_apple, mul_orange, add, mul_tax = Mul(), Mul(), Add(), Mul()
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    total = add.forward(apple_price, orange_price)
    price = mul_tax.forward(total, tax)
    assert price == pytest.approx(715.0)

    dtotal, dtax = mul_tax.backward(1.0)
    dapple_price, dorange_price = add.backward(dtotal)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    expected = {"apple": 2.2, "apple_num": 110.0, "orange": 3.3, "orange_num": 165.0, "tax": 650.0}
    got = {"apple": dapple, "apple_num": dapple_num, "orange": dorange, "orange_num": dorange_num, "tax": dtax}
    assert got == pytest.approx(expected)


# ----------------------------------------------------------------------------- numerical gradient checks (float64)


@pytest.mark.parametrize(("x_shape", "y_shape"), BROADCAST_PAIRS)
@pytest.mark.parametrize("cls", [Add, Mul])
def test_binary_node_gradient_check(cls, x_shape, y_shape):
    x, y = _normal(x_shape, 1), _normal(y_shape, 2)
    layer = cls()
    out = layer.forward(x, y)
    dout = _normal(np.shape(out), 3)
    dx, dy = layer.backward(dout)
    assert np.shape(dx) == x_shape
    assert np.shape(dy) == y_shape
    _check(lambda v: np.sum(cls().forward(v, y) * dout), x, dx)
    _check(lambda v: np.sum(cls().forward(x, v) * dout), y, dy)


@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
@pytest.mark.parametrize("cls", [ReLU, Sigmoid])
def test_activation_gradient_check(cls, shape):
    x = _away_from_zero(shape, 1) * 3
    layer = cls()
    out = layer.forward(x)
    dout = _normal(np.shape(out), 2)
    dx = layer.backward(dout)
    assert np.shape(dx) == shape
    _check(lambda v: np.sum(cls().forward(v) * dout), x, dx)


@pytest.mark.parametrize(("x_shape", "M"), AFFINE_CASES)
def test_affine_gradient_check(x_shape, M):
    N, D = x_shape[0], int(np.prod(x_shape[1:]))
    x, W, b = _normal(x_shape, 1), _normal((D, M), 2), _normal(M, 3)
    layer = Affine(W, b)
    out = layer.forward(x)
    assert out.shape == (N, M)
    dout = _normal((N, M), 4)
    dx = layer.backward(dout)
    assert dx.shape == x_shape  # restored from (N, D)
    _check(lambda v: np.sum(Affine(W, b).forward(v) * dout), x, dx)
    _check(lambda v: np.sum(Affine(v, b).forward(x) * dout), W, layer.grads["W"])
    _check(lambda v: np.sum(Affine(W, v).forward(x) * dout), b, layer.grads["b"])


@pytest.mark.parametrize("shape", SOFTMAX_SHAPES)
@pytest.mark.parametrize("targets", ["labels", "onehot", "soft"])
def test_softmax_with_loss_gradient_check(shape, targets):
    # Logits of order 1: no probability is tiny, so no gradient entry sits near the
    # numerical gradient's rounding floor (about 1e-16 * loss / h = 1e-11).
    x = _normal(shape, 1)
    t = _targets(shape, targets, seed=2)
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    dout = 0.7
    dx = layer.backward(dout)
    _check(lambda v: dout * SoftmaxWithLoss().forward(v, t), x, dx)


def _targets(shape, kind, seed=0):
    rng = _rng(seed)
    labels = rng.integers(0, shape[1], size=shape[0])
    if kind == "labels":
        return labels
    if kind == "onehot":
        return np.eye(shape[1])[labels]  # (N, C)
    return rng.uniform(0, 1, size=shape)  # probability-like rows in [0, 1] that need not sum to 1


def test_softmax_with_loss_gradient_is_p_minus_t_over_n():
    x = _normal((4, 3), 1)
    labels = np.array([0, 2, 1, 2])
    onehot = np.eye(3)[labels]  # (N, C)
    probs = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    for t in (labels, onehot):
        layer = SoftmaxWithLoss()
        layer.forward(x, t)
        np.testing.assert_allclose(layer.backward(), (probs - onehot) / 4, rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(layer.backward(2.5), 2.5 * (probs - onehot) / 4, rtol=1e-13, atol=1e-16)


# ----------------------------------------------------------------------------- torch autograd parity


def _assert_close(ours, theirs, rtol=1e-12, atol=1e-14):
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


@pytest.mark.parametrize(("x_shape", "y_shape"), BROADCAST_PAIRS)
@pytest.mark.parametrize(("cls", "op"), [(Add, torch.add), (Mul, torch.mul)])
def test_binary_node_matches_torch(cls, op, x_shape, y_shape):
    x, y = _normal(x_shape, 1), _normal(y_shape, 2)
    layer = cls()
    out = layer.forward(x, y)
    dout = _normal(np.shape(out), 3)
    dx, dy = layer.backward(dout)

    tx, ty = _t(x, grad=True), _t(y, grad=True)
    tout = op(tx, ty)
    tout.backward(_t(dout))
    _assert_close(out, tout)
    _assert_close(dx, tx.grad)
    _assert_close(dy, ty.grad)


@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
@pytest.mark.parametrize(("cls", "op"), [(ReLU, torch.relu), (Sigmoid, torch.sigmoid)])
def test_activation_matches_torch(cls, op, shape):
    x = _normal(shape, 1) * 5
    if shape:
        x.flat[0] = 0.0  # ReLU's kink: both say the gradient is 0 there
    layer = cls()
    out = layer.forward(x)
    dout = _normal(np.shape(out), 2)
    dx = layer.backward(dout)

    tx = _t(x, grad=True)
    tout = op(tx)
    tout.backward(_t(dout))
    _assert_close(out, tout)
    _assert_close(dx, tx.grad)


@pytest.mark.parametrize(("x_shape", "M"), AFFINE_CASES)
def test_affine_matches_torch(x_shape, M):
    N, D = x_shape[0], int(np.prod(x_shape[1:]))
    x, W, b = _normal(x_shape, 1), _normal((D, M), 2), _normal(M, 3)
    layer = Affine(W, b)
    out = layer.forward(x)
    dout = _normal((N, M), 4)
    dx = layer.backward(dout)

    tx, tW, tb = _t(x, grad=True), _t(W, grad=True), _t(b, grad=True)
    tout = F.linear(tx.flatten(1), tW.T, tb)  # (N, M); torch.nn.Linear stores W transposed, (M, D)
    tout.backward(_t(dout))
    _assert_close(out, tout)
    _assert_close(dx, tx.grad)
    _assert_close(layer.grads["W"], tW.grad)
    _assert_close(layer.grads["b"], tb.grad)


@pytest.mark.parametrize("shape", SOFTMAX_SHAPES)
@pytest.mark.parametrize("targets", ["labels", "onehot", "soft"])
def test_softmax_with_loss_matches_torch(shape, targets):
    x = _normal(shape, 1) * 3
    t = _targets(shape, targets, seed=2)
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    dx = layer.backward(0.7)

    tx = _t(x, grad=True)
    target = torch.from_numpy(t) if targets == "labels" else _t(t)  # int64 labels or float rows
    tloss = F.cross_entropy(tx, target)
    (0.7 * tloss).backward()
    assert isinstance(loss, float)
    _assert_close(loss, tloss)
    _assert_close(dx, tx.grad)


# ----------------------------------------------------------------------------- nothing is modified


def _frozen(*arrays):
    for a in arrays:
        a.flags.writeable = False  # any write into an argument now raises


def _mutation_cases():
    """(layer, forward args, dout) for every layer, with arrays."""
    x, y = _normal((3, 4), 1), _normal((4,), 2)
    d34 = _normal((3, 4), 3)
    W, b = _normal((4, 2), 4), _normal(2, 5)
    x_img = _normal((3, 1, 2, 2), 6)
    return [
        (Add(), (x, y), d34),
        (Mul(), (x, y), d34),
        (ReLU(), (x,), d34),
        (Sigmoid(), (x,), d34),
        (Affine(W, b), (x_img,), _normal((3, 2), 7)),
        (SoftmaxWithLoss(), (x, np.array([0, 3, 1])), np.array(2.0)),
        (SoftmaxWithLoss(), (x, np.eye(4)[[0, 3, 1]]), np.array(2.0)),
    ]


@pytest.mark.parametrize("case", range(7))
def test_no_argument_or_dout_is_modified(case):
    layer, args, dout = _mutation_cases()[case]
    params = list(layer.params.values())
    copies = [a.copy() for a in (*args, dout, *params)]
    _frozen(*args, dout, *params)  # read-only: an in-place write raises ValueError
    layer.forward(*args)
    grads = layer.backward(dout)
    for before, after in zip(copies, (*args, dout, *params), strict=True):
        np.testing.assert_array_equal(before, after)
    for grad in grads if isinstance(grads, tuple) else (grads,):
        assert not np.shares_memory(grad, dout)  # writing into a returned gradient cannot change dout
        for arg in args:
            assert not np.shares_memory(grad, arg)


def test_notes_relu_backward_writes_into_dout():
    """The notes' ``Relu`` (003): ``dout[self.mask] = 0`` changes the caller's array; ours returns a new one."""

    class NotesRelu:
        def forward(self, x):
            self.mask = x <= 0
            out = x.copy()
            out[self.mask] = 0
            return out

        def backward(self, dout):
            dout[self.mask] = 0
            return dout

    x = np.array([-1.0, 2.0])
    dout = np.array([5.0, 5.0])
    notes = NotesRelu()
    notes.forward(x)
    assert notes.backward(dout) is dout
    np.testing.assert_array_equal(dout, [0.0, 5.0])  # the caller's dout was overwritten

    dout = np.array([5.0, 5.0])
    ours = ReLU()
    ours.forward(x)
    np.testing.assert_array_equal(ours.backward(dout), [0.0, 5.0])
    np.testing.assert_array_equal(dout, [5.0, 5.0])


def test_forward_caches_copies_not_the_callers_arrays():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    mul = Mul()
    mul.forward(x, y)
    x[:] = 100.0  # the caller reuses its buffer after the forward pass
    y[:] = 100.0
    dx, dy = mul.backward(np.ones(2))
    np.testing.assert_array_equal(dx, [3.0, 4.0])
    np.testing.assert_array_equal(dy, [1.0, 2.0])


def test_changing_the_forward_output_does_not_change_backward():
    layer = Sigmoid()
    out = layer.forward(np.zeros(3))
    out[:] = 1.0  # the caller writes into the output it was given
    np.testing.assert_array_equal(layer.backward(np.ones(3)), [0.25] * 3)


def test_backward_can_be_repeated_with_another_dout():
    layer = Sigmoid()
    layer.forward(np.zeros(3))
    np.testing.assert_array_equal(layer.backward(np.ones(3)), [0.25] * 3)
    np.testing.assert_array_equal(layer.backward(np.full(3, 2.0)), [0.5] * 3)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("layer", "dout"),
    [
        (Add(), 1.0),
        (Mul(), 1.0),
        (ReLU(), 1.0),
        (Sigmoid(), 1.0),
        (Affine(np.ones((2, 2)), np.zeros(2)), np.ones((1, 2))),
        (SoftmaxWithLoss(), 1.0),
    ],
)
def test_backward_before_forward_raises(layer, dout):
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=rf"{name}\.backward\(\) was called before {name}\.forward\(\)"):
        layer.backward(dout)


@pytest.mark.parametrize("cls", [Add, Mul])
def test_unbroadcastable_inputs_raise(cls):
    with pytest.raises(ValueError, match=r"x and y must .* broadcast together, got x \(2, 3\) and y \(4,\)"):
        cls().forward(np.ones((2, 3)), np.ones(4))


@pytest.mark.parametrize(
    ("layer", "args", "dout", "expected"),
    [
        (Add(), (np.ones((2, 3)), np.ones(3)), np.ones(3), r"\(2, 3\), got shape \(3,\)"),
        (Mul(), (2.0, 3.0), np.ones(2), r"\(\), got shape \(2,\)"),
        (ReLU(), (np.ones(4),), np.ones((4, 1)), r"\(4,\), got shape \(4, 1\)"),
        (Sigmoid(), (np.ones((2, 2)),), np.ones(4), r"\(2, 2\), got shape \(4,\)"),
        (Affine(np.ones((3, 2)), np.zeros(2)), (np.ones((4, 3)),), np.ones((4, 3)), r"\(4, 2\), got shape \(4, 3\)"),
        (SoftmaxWithLoss(), (np.ones((2, 3)), [0, 1]), np.ones(2), r"\(\), got shape \(2,\)"),
    ],
)
def test_dout_of_the_wrong_shape_raises(layer, args, dout, expected):
    layer.forward(*args)
    with pytest.raises(ValueError, match=rf"dout must have the shape of {type(layer).__name__}'s output {expected}"):
        layer.backward(dout)


@pytest.mark.parametrize(
    ("W", "b", "match"),
    [
        (np.ones(3), np.zeros(3), r"W must have shape \(D, M\) with D, M >= 1, got shape \(3,\)"),
        (np.ones((2, 3, 4)), np.zeros(4), r"W must have shape \(D, M\).*got shape \(2, 3, 4\)"),
        (np.ones((0, 3)), np.zeros(3), r"W must have shape \(D, M\).*got shape \(0, 3\)"),
        (
            np.ones((2, 3)),
            np.zeros(2),
            r"b must have shape \(M,\) = \(3,\) to match W of shape \(2, 3\), got shape \(2,\)",
        ),
        (np.ones((2, 3)), np.zeros((1, 3)), r"b must have shape \(M,\) = \(3,\).*got shape \(1, 3\)"),
    ],
)
def test_affine_bad_parameters_raise(W, b, match):
    with pytest.raises(ValueError, match=match):
        Affine(W, b)


@pytest.mark.parametrize("x_shape", [(6,), (4, 5), (4, 2, 2)])
def test_affine_bad_input_raises(x_shape):
    layer = Affine(np.ones((6, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=rf"x must have shape \(N, D\) = \(N, 6\).*got shape {re_shape(x_shape)}"):
        layer.forward(np.ones(x_shape))


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def test_non_numeric_input_raises_type_error():
    with pytest.raises(TypeError, match="x must be real numbers"):
        ReLU().forward("abc")
    with pytest.raises(TypeError, match="y must be real numbers"):
        Add().forward(1.0, "abc")
    with pytest.raises(TypeError, match="W must be real numbers"):
        Affine("abc", np.zeros(1))


@pytest.mark.parametrize(
    ("x", "t", "match"),
    [
        (np.ones(3), 0, r"x must have shape \(N, C\) .*got shape \(3,\)"),
        (np.ones((2, 3, 1)), [0, 1], r"x must have shape \(N, C\) .*got shape \(2, 3, 1\)"),
        (np.ones((0, 3)), np.zeros(0, dtype=int), r"x must have shape \(N, C\) .*got shape \(0, 3\)"),
        (np.array([[0.0, np.inf]]), [0], r"x must be finite"),
        (np.array([[0.0, np.nan]]), [0], r"x must be finite"),
        (
            np.ones((2, 3)),
            [0, 1, 2],
            r"t must have shape \(2, 3\) \(one-hot rows\) or \(2,\) \(class labels\).*got shape \(3,\)",
        ),
        (np.ones((2, 3)), [0, 3], r"t must be class labels in \[0, 3\), got label 3"),
        (np.ones((2, 3)), [-1, 0], r"t must be class labels in \[0, 3\), got label -1"),
        (
            np.ones((2, 3)),
            [0.0, 1.0],
            r"t of shape \(2,\) \(class labels\) must be integers in \[0, 3\), got dtype float64",
        ),
        (
            np.ones((1, 2)),
            [[2.0, 0.0]],
            r"t of shape \(1, 2\) \(one-hot rows\) must have every entry in \[0, 1\], got 2\.0",
        ),
    ],
)
def test_softmax_with_loss_bad_input_raises(x, t, match):
    with pytest.raises(ValueError, match=match):
        SoftmaxWithLoss().forward(x, t)


def test_softmax_with_loss_ragged_targets_raise():
    with pytest.raises(ValueError, match=r"t must be a rectangular array of shape \(2, 2\) or \(2,\)"):
        SoftmaxWithLoss().forward(np.ones((2, 2)), [[0, 1], [1]])


def test_softmax_with_loss_non_numeric_targets_raise_type_error():
    with pytest.raises(TypeError, match="t must be integer class labels or one-hot rows"):
        SoftmaxWithLoss().forward(np.ones((1, 2)), ["a"])


# ----------------------------------------------------------------------------- properties (hypothesis)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    shape=st.tuples(st.integers(1, 6), st.integers(1, 8)),
    scale=st.sampled_from([1.0, 1e3, 1e6, 1e100, 1e300]),
)
def test_softmax_with_loss_huge_logits_stay_finite_and_match_torch(data, shape, scale):
    x = data.draw(arrays(np.float64, shape, elements=st.floats(-1, 1))) * scale
    t = data.draw(arrays(np.int64, shape[:1], elements=st.integers(0, shape[1] - 1)))
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    dx = layer.backward()
    assert np.isfinite(loss)
    assert loss >= 0
    assert np.all(np.isfinite(dx))
    N = shape[0]
    assert np.all(np.abs(dx) <= 1 / N + 1e-15)  # each entry of (p - t) / N lies in [-1/N, 1/N]
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-15)  # p and t both sum to 1 per row

    tx = _t(x, grad=True)
    tloss = F.cross_entropy(tx, torch.from_numpy(t))
    tloss.backward()
    np.testing.assert_allclose(loss, tloss.item(), rtol=1e-12, atol=1e-14 * scale)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-15)


@settings(max_examples=200, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e308, 1e308)))
def test_sigmoid_any_finite_input_has_no_overflow(x):
    layer = Sigmoid()
    out = layer.forward(x)  # filterwarnings = error: an overflow warning would fail the test
    dx = layer.backward(np.ones_like(x))
    assert np.all((out >= 0) & (out <= 1))
    assert np.all((dx >= 0) & (dx <= 0.25))


@settings(max_examples=100, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), data=st.data())
@pytest.mark.parametrize(("cls", "op"), [(Add, torch.add), (Mul, torch.mul)])
def test_broadcast_gradients_have_input_shapes_and_match_torch(cls, op, shapes, data):
    x_shape, y_shape = shapes.input_shapes
    x = data.draw(arrays(np.float64, x_shape, elements=st.floats(-10, 10)))
    y = data.draw(arrays(np.float64, y_shape, elements=st.floats(-10, 10)))
    layer = cls()
    out = layer.forward(x, y)
    dout = np.ones(shapes.result_shape) * 0.5
    dx, dy = layer.backward(dout)
    assert np.shape(dx) == x_shape
    assert np.shape(dy) == y_shape
    tx, ty = _t(x, grad=True), _t(y, grad=True)
    op(tx, ty).backward(_t(dout))
    _assert_close(out, op(_t(x), _t(y)))
    _assert_close(dx, tx.grad)
    _assert_close(dy, ty.grad)
