"""Tests for dlscratch.conv: output sizes, corr2d, im2col/col2im (layout and adjointness), Conv2d gradients and
parity with torch.nn.functional.conv2d, bad input, no mutation, dtypes, memory layouts of dout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlscratch.conv import Conv2d, col2im, conv_output_size, corr2d, im2col
from dlscratch.numgrad import gradient_check

RTOL = 1e-7  # the float64 gradient-check threshold (cs231n; STYLE.md)

#: (N, C, H, W), (FN, FH, FW), stride, pad; every one fits (the output size is whole)
CONV_CASES = [
    ((1, 1, 5, 5), (1, 3, 3), 1, 0),
    ((2, 1, 6, 6), (2, 3, 3), 1, 1),
    ((2, 3, 7, 5), (4, 3, 2), 1, 1),
    ((3, 2, 9, 7), (5, 3, 3), 2, 1),
    ((1, 4, 8, 12), (2, 2, 4), 2, 0),
    ((2, 3, 6, 6), (3, 2, 2), 2, 0),
    ((2, 2, 5, 7), (3, 3, 3), 1, 2),
    ((1, 3, 7, 9), (2, 5, 3), 2, 2),
    ((2, 5, 4, 4), (3, 1, 1), 1, 0),
    ((1, 2, 3, 3), (1, 3, 3), 1, 0),
    ((2, 1, 8, 6), (2, 4, 2), 2, 1),
]
IDS = [f"x{x}-k{k}-s{s}-p{p}" for x, k, s, p in CONV_CASES]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _layer_and_input(case, seed=0, dtype=np.float64):
    (N, C, H, W), (FN, FH, FW), stride, pad = case
    rng = _rng(seed)
    x = rng.normal(size=(N, C, H, W)).astype(dtype)
    weights = rng.normal(size=(FN, C, FH, FW)).astype(dtype)
    bias = rng.normal(size=FN).astype(dtype)
    return Conv2d(weights, bias, stride=stride, pad=pad), x


def _brute_force_conv(x, weights, bias, stride, pad):
    """The definition, one output value at a time."""
    N, _, H, W = x.shape
    FN, _, FH, FW = weights.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    out = np.zeros((N, FN, OH, OW))
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    field = padded[n, :, i * stride : i * stride + FH, j * stride : j * stride + FW]
                    out[n, f, i, j] = np.sum(field * weights[f]) + bias[f]
    return out


# ----------------------------------------------------------------------------- conv_output_size


@pytest.mark.parametrize(
    ("W", "F", "S", "P", "expected"),
    [
        (6, 3, 1, 0, 4),
        (28, 5, 1, 0, 24),
        (28, 3, 1, 1, 28),
        (28, 5, 1, 2, 28),
        (7, 3, 2, 0, 3),
        (39, 3, 1, 0, 37),
        (37, 5, 2, 0, 17),
        (17, 5, 2, 0, 7),
        (1, 1, 1, 0, 1),
        (3, 3, 1, 0, 1),
        (4, 6, 1, 1, 1),  # the padded input just fits
        (10, 3, 7, 0, 2),
    ],
)
def test_conv_output_size(W, F, S, P, expected):
    assert conv_output_size(W, F, S, P) == expected
    assert conv_output_size(input_size=W, filter_size=F, stride=S, pad=P) == expected


def test_a_size_that_is_not_whole_names_the_four_sizes():
    with pytest.raises(ValueError, match="not a whole number") as info:
        conv_output_size(10, 3, stride=2)
    message = str(info.value)
    assert "W=10, F=3, S=2, P=0" in message
    assert "4.5" in message


def test_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match="filter_size F=5") as info:
        conv_output_size(3, 5, pad=0)
    assert "W=3" in str(info.value)


@pytest.mark.parametrize(
    ("args", "error", "name"),
    [
        ((0, 3), ValueError, "input_size"),
        ((5, 0), ValueError, "filter_size"),
        ((5, 3, 0), ValueError, "stride"),
        ((5, 3, 1, -1), ValueError, "pad"),
        ((5.0, 3), TypeError, "input_size"),
        ((5, 3, True), TypeError, "stride"),
        ((5, "3"), TypeError, "filter_size"),
    ],
)
def test_conv_output_size_bad_arguments(args, error, name):
    with pytest.raises(error, match=name):
        conv_output_size(*args)


@settings(max_examples=200, deadline=None)
@given(W=st.integers(1, 40), FS=st.integers(1, 9), S=st.integers(1, 4), P=st.integers(0, 4))
def test_conv_output_size_matches_torch_when_it_fits(W, FS, S, P):
    span = W - FS + 2 * P
    if span < 0 or span % S:
        with pytest.raises(ValueError, match=f"W={W}"):
            conv_output_size(W, FS, S, P)
        return
    assert conv_output_size(W, FS, S, P) == _torch_output_size(W, FS, S, P)


def _torch_output_size(size, filter_size, stride, pad):
    x, k = torch.zeros(1, 1, size, 1), torch.zeros(1, 1, filter_size, 1)
    return F.conv2d(x, k, stride=(stride, 1), padding=(pad, 0)).shape[2]


# ----------------------------------------------------------------------------- corr2d


def test_corr2d_examples():
    x = np.arange(9.0).reshape(3, 3)
    k = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(corr2d(x, k), [[19.0, 25.0], [37.0, 43.0]])
    image = np.tile([10.0, 10.0, 10.0, 0.0, 0.0, 0.0], (6, 1))
    np.testing.assert_array_equal(corr2d(image, np.array([[1.0, 0.0, -1.0]] * 3)), np.tile([0.0, 30, 30, 0], (4, 1)))
    X = np.ones((6, 8))
    X[:, 2:6] = 0
    Y = corr2d(X, np.array([[1.0, -1.0]]))
    np.testing.assert_array_equal(Y, np.tile([0.0, 1, 0, 0, 0, -1, 0], (6, 1)))


@pytest.mark.parametrize(
    ("x_shape", "k_shape"), [((1, 1), (1, 1)), ((5, 5), (3, 3)), ((4, 7), (2, 3)), ((6, 3), (6, 1))]
)
def test_corr2d_matches_brute_force_and_torch(x_shape, k_shape):
    rng = _rng(1)
    x, k = rng.normal(size=x_shape), rng.normal(size=k_shape)
    ours = corr2d(x, k)
    brute = _brute_force_conv(x[None, None], k[None, None], np.zeros(1), 1, 0)[0, 0]
    theirs = F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(k)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(ours, brute, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_corr2d_is_a_convolution_with_the_flipped_kernel():
    rng = _rng(2)
    row, k = rng.normal(size=9), rng.normal(size=3)
    np.testing.assert_allclose(corr2d(row[None], k[None])[0], np.convolve(row, k[::-1], mode="valid"), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_corr2d_keeps_the_dtype(dtype):
    x, k = np.ones((4, 4), dtype=dtype), np.ones((2, 2), dtype=dtype)
    assert corr2d(x, k).dtype == dtype


def test_corr2d_accepts_lists_and_integers():
    np.testing.assert_array_equal(corr2d([[1, 2], [3, 4]], [[1]]), [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("x", "k", "name"),
    [
        (np.ones((2, 3, 3)), np.ones((2, 2)), "x"),
        (np.ones(5), np.ones((1, 1)), "x"),
        (np.ones((3, 3)), np.ones((2, 2, 2)), "k"),
        (np.ones((3, 3)), np.ones((0, 2)), "k"),
        (np.ones((3, 3)), np.ones((4, 1)), "k of shape"),
        (np.ones((3, 3)), [["a"]], "k"),
    ],
)
def test_corr2d_bad_input(x, k, name):
    with pytest.raises((ValueError, TypeError), match=name):
        corr2d(x, k)


def test_corr2d_does_not_modify_its_inputs():
    rng = _rng(3)
    x, k = rng.normal(size=(5, 6)), rng.normal(size=(2, 3))
    x0, k0 = x.copy(), k.copy()
    corr2d(x, k)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(k, k0)


# ----------------------------------------------------------------------------- im2col / col2im


def test_im2col_layout():
    """Rows in the order (n, i, j), j fastest; each row the field flattened in the order (c, a, b)."""
    rng = _rng(4)
    N, C, H, W, FH, FW, S, P = 2, 3, 7, 8, 3, 2, 2, 1
    x = rng.normal(size=(N, C, H, W))
    col = im2col(x, FH, FW, stride=S, pad=P)
    OH, OW = conv_output_size(H, FH, S, P), conv_output_size(W, FW, S, P)
    assert col.shape == (N * OH * OW, C * FH * FW)
    padded = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                field = padded[n, :, i * S : i * S + FH, j * S : j * S + FW]  # (C, FH, FW)
                np.testing.assert_array_equal(col[(n * OH + i) * OW + j], field.ravel())


def test_im2col_docstring_example():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(
        im2col(x, 2, 2, stride=2), [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    )


def test_col2im_of_ones_counts_the_fields_each_pixel_is_in():
    counts = col2im(np.ones((16, 9)), (1, 1, 6, 6), 3, 3)[0, 0]
    assert counts[0, 0] == 1
    assert counts[2, 2] == 9
    assert counts[0, 2] == 3
    assert counts.sum() == 16 * 9
    padded_counts = col2im(np.ones((36, 9)), (1, 1, 6, 6), 3, 3, pad=1)[0, 0]
    assert padded_counts[0, 0] == 4
    assert padded_counts.sum() == 16 * 16  # per axis the 6 fields hold 2, 3, 3, 3, 3, 2 real pixels
    assert padded_counts[3, 3] == 9


@settings(max_examples=150, deadline=None)
@given(
    N=st.integers(1, 3),
    C=st.integers(1, 3),
    FH=st.integers(1, 4),
    FW=st.integers(1, 4),
    S=st.integers(1, 3),
    P=st.integers(0, 2),
    OH=st.integers(1, 4),
    OW=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_col2im_is_the_adjoint_of_im2col(N, C, FH, FW, S, P, OH, OW, seed):
    """<im2col(x), c> = <x, col2im(c)> for random shapes that fit (H chosen so that the output is OH)."""
    H, W = (OH - 1) * S + FH - 2 * P, (OW - 1) * S + FW - 2 * P
    if H < 1 or W < 1:
        return
    rng = _rng(seed)
    x = rng.normal(size=(N, C, H, W))
    c = rng.normal(size=(N * OH * OW, C * FH * FW))
    left = np.sum(im2col(x, FH, FW, S, P) * c)
    right = np.sum(x * col2im(c, (N, C, H, W), FH, FW, S, P))
    assert left == pytest.approx(right, rel=1e-10, abs=1e-10)


def test_col2im_matches_torch_fold():
    rng = _rng(5)
    N, C, H, W, FH, FW, S, P = 2, 3, 7, 6, 3, 2, 2, 1
    OH, OW = conv_output_size(H, FH, S, P), conv_output_size(W, FW, S, P)
    c = rng.normal(size=(N * OH * OW, C * FH * FW))
    # torch's fold takes (N, C·FH·FW, L) with the same (c, a, b) order and L = OH·OW in row-major order
    blocks = torch.from_numpy(c.reshape(N, OH * OW, C * FH * FW).transpose(0, 2, 1).copy())
    theirs = F.fold(blocks, (H, W), (FH, FW), padding=P, stride=S).numpy()
    np.testing.assert_allclose(col2im(c, (N, C, H, W), FH, FW, S, P), theirs, rtol=1e-12, atol=1e-14)
    x = rng.normal(size=(N, C, H, W))
    unfolded = F.unfold(torch.from_numpy(x), (FH, FW), padding=P, stride=S).numpy()  # (N, C·FH·FW, L)
    np.testing.assert_array_equal(im2col(x, FH, FW, S, P), unfolded.transpose(0, 2, 1).reshape(-1, C * FH * FW))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_col2im_keep_the_dtype(dtype):
    x = np.ones((1, 2, 4, 4), dtype=dtype)
    col = im2col(x, 3, 3)
    assert col.dtype == dtype
    assert col2im(col, x.shape, 3, 3).dtype == dtype


def test_im2col_col2im_do_not_modify_their_inputs():
    rng = _rng(6)
    x = rng.normal(size=(2, 2, 5, 5))
    x0 = x.copy()
    col = im2col(x, 3, 3, pad=1)
    np.testing.assert_array_equal(x, x0)
    col[...] = 7.0  # the result is not a window onto x
    np.testing.assert_array_equal(x, x0)
    c = rng.normal(size=col.shape)
    c0 = c.copy()
    col2im(c, x.shape, 3, 3, pad=1)
    np.testing.assert_array_equal(c, c0)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: im2col(np.ones((3, 5, 5)), 3, 3), ValueError, "x must have shape"),
        (lambda: im2col(np.ones((1, 1, 10, 10)), 3, 3, stride=2), ValueError, "W=10, F=3, S=2"),
        (lambda: im2col(np.ones((1, 1, 4, 4)), 5, 3), ValueError, "filter_size"),
        (lambda: im2col(np.ones((1, 1, 4, 4)), 3, 3, stride=0), ValueError, "stride"),
        (lambda: im2col([["a"]], 1, 1), TypeError, "x"),
        (lambda: col2im(np.ones((4, 9)), (1, 1, 4), 3, 3), ValueError, "input_shape"),
        (lambda: col2im(np.ones((4, 8)), (1, 1, 4, 4), 3, 3), ValueError, "col must have shape"),
        (lambda: col2im(np.ones((4, 9)), (1, 0, 4, 4), 3, 3), ValueError, "input_shape"),
        (lambda: col2im(np.ones((4, 9)), (1, 1, 4, 4), 3, 3, pad=-1), ValueError, "pad"),
    ],
)
def test_im2col_col2im_bad_input(call, error, name):
    with pytest.raises(error, match=name):
        call()


# ----------------------------------------------------------------------------- Conv2d forward


@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_forward_matches_the_brute_force_definition(case):
    layer, x = _layer_and_input(case)
    expected = _brute_force_conv(x, layer.params["W"], layer.params["b"], layer.stride, layer.pad)
    out = layer.forward(x)
    assert out.shape == layer.output_shape(x.shape) == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert out.flags.c_contiguous


# ----------------------------------------------------------------------------- Conv2d backward: gradient checks


@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_gradient_check_float64(case):
    layer, x = _layer_and_input(case, seed=1)
    weights, bias = layer.params["W"].copy(), layer.params["b"].copy()
    G = _rng(2).normal(size=layer.output_shape(x.shape))
    layer.forward(x)
    dx = layer.backward(G)

    def loss(x=x, weights=weights, bias=bias):
        trial = Conv2d(weights, bias, stride=layer.stride, pad=layer.pad)
        return float(np.sum(trial.forward(x) * G))

    checks = {
        "dx": gradient_check(lambda v: loss(x=v), x, dx, h=1e-3, rtol=RTOL),
        "dW": gradient_check(lambda v: loss(weights=v), weights, layer.grads["W"], h=1e-3, rtol=RTOL),
        "db": gradient_check(lambda v: loss(bias=v), bias, layer.grads["b"], h=1e-3, rtol=RTOL),
    }
    for name, result in checks.items():
        assert result.ok, f"{name}: relative error {result.rel_error:.2e} at {result.worst_index}"


def test_gradient_check_of_a_nonlinear_loss():
    """A loss that is not linear in the output (½ Σ out²), so dout depends on the forward values."""
    layer, x = _layer_and_input(((2, 2, 6, 5), (3, 3, 2), 1, 1), seed=3)
    weights = layer.params["W"].copy()
    out = layer.forward(x)
    dx = layer.backward(out)
    dW = layer.grads["W"]

    def loss_x(v):
        return 0.5 * float(np.sum(Conv2d(weights, layer.params["b"], pad=1).forward(v) ** 2))

    def loss_W(v):
        return 0.5 * float(np.sum(Conv2d(v, layer.params["b"], pad=1).forward(x) ** 2))

    # central differences are exact for a quadratic: a large step h only cuts the rounding error
    assert gradient_check(loss_x, x, dx, h=1e-3, rtol=RTOL).ok
    assert gradient_check(loss_W, weights, dW, h=1e-3, rtol=RTOL).ok


# ----------------------------------------------------------------------------- Conv2d: parity with torch


def _torch_reference(layer, x, dout):
    x_t = torch.tensor(x, requires_grad=True)
    w_t = torch.tensor(layer.params["W"], requires_grad=True)
    b_t = torch.tensor(layer.params["b"], requires_grad=True)
    out = F.conv2d(x_t, w_t, b_t, stride=layer.stride, padding=layer.pad)
    out.backward(torch.from_numpy(np.ascontiguousarray(dout)))
    return out.detach().numpy(), x_t.grad.numpy(), w_t.grad.numpy(), b_t.grad.numpy()


@pytest.mark.parametrize(("dtype", "rtol", "atol"), [(np.float64, 1e-10, 1e-12), (np.float32, 1e-4, 1e-4)])
@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_matches_torch_values_and_gradients(case, dtype, rtol, atol):
    layer, x = _layer_and_input(case, seed=4, dtype=dtype)
    out = layer.forward(x)
    dout = _rng(5).normal(size=out.shape).astype(dtype)
    dx = layer.backward(dout)
    out_t, dx_t, dW_t, db_t = _torch_reference(layer, x, dout)
    for ours, theirs in ((out, out_t), (dx, dx_t), (layer.grads["W"], dW_t), (layer.grads["b"], db_t)):
        assert ours.dtype == dtype
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", CONV_CASES[:6], ids=IDS[:6])
@pytest.mark.parametrize(
    "make_view",
    [
        lambda d: np.ascontiguousarray(d.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2),  # Fortran-like in H, W
        lambda d: np.asfortranarray(d),
        lambda d: np.concatenate([d, d], axis=0)[: d.shape[0]],  # a slice of a larger array
        lambda d: np.repeat(d, 2, axis=3)[..., ::2],  # a strided slice
        lambda d: np.ascontiguousarray(d.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3),
    ],
    ids=["transposed-hw", "fortran", "sliced", "strided", "transposed-nc"],
)
def test_a_non_contiguous_dout_gives_the_same_result(case, make_view):
    layer, x = _layer_and_input(case, seed=6)
    out = layer.forward(x)
    dout = _rng(7).normal(size=out.shape)
    view = make_view(dout)
    np.testing.assert_array_equal(view, dout)
    dx = layer.backward(dout)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    dx_view = layer.backward(view)
    np.testing.assert_allclose(dx_view, dx, rtol=1e-13, atol=1e-13)
    for key in grads:
        np.testing.assert_allclose(layer.grads[key], grads[key], rtol=1e-13, atol=1e-13)


# ----------------------------------------------------------------------------- Conv2d: state, mutation, errors


def test_backward_before_forward_raises():
    layer, _ = _layer_and_input(CONV_CASES[1])
    with pytest.raises(RuntimeError, match=r"before Conv2d\.forward"):
        layer.backward(np.zeros((2, 2, 6, 6)))


def test_params_are_the_given_arrays_and_grads_have_their_shapes():
    weights, bias = np.ones((2, 1, 3, 3)), np.zeros(2)
    layer = Conv2d(weights, bias)
    assert layer.params["W"] is weights
    assert layer.params["b"] is bias
    assert {k: v.shape for k, v in layer.grads.items()} == {"W": (2, 1, 3, 3), "b": (2,)}
    layer.forward(np.ones((1, 1, 4, 4)))
    layer.backward(np.ones((1, 2, 2, 2)))
    assert layer.grads["W"].shape == weights.shape
    assert layer.grads["b"].shape == bias.shape
    assert "Conv2d(1 -> 2, kernel 3x3" in repr(layer)


def test_an_update_of_params_in_place_is_seen_by_the_layer():
    weights, bias = np.zeros((1, 1, 2, 2)), np.zeros(1)
    layer = Conv2d(weights, bias)
    x = np.ones((1, 1, 3, 3))
    assert not layer.forward(x).any()
    weights += 1.0  # an optimizer updates params in place
    np.testing.assert_array_equal(layer.forward(x), np.full((1, 1, 2, 2), 4.0))


def test_nothing_is_modified():
    layer, x = _layer_and_input(CONV_CASES[3], seed=8)
    x0, W0, b0 = x.copy(), layer.params["W"].copy(), layer.params["b"].copy()
    out = layer.forward(x)
    dout = _rng(9).normal(size=out.shape)
    dout0 = dout.copy()
    dx = layer.backward(dout)
    for now, before in ((x, x0), (layer.params["W"], W0), (layer.params["b"], b0), (dout, dout0)):
        np.testing.assert_array_equal(now, before)
    out[...] = 0.0  # the returned arrays are the caller's, not the layer's cache
    dx[...] = 0.0
    np.testing.assert_allclose(layer.backward(dout), layer.backward(dout0))
    assert layer.backward(dout).any()


def test_a_second_forward_replaces_the_cache():
    layer, x = _layer_and_input(CONV_CASES[2], seed=10)
    other = _rng(11).normal(size=x.shape)
    layer.forward(x)
    layer.forward(other)
    dout = _rng(12).normal(size=layer.output_shape(x.shape))
    layer.backward(dout)
    _, _, dW_t, _ = _torch_reference(layer, other, dout)
    np.testing.assert_allclose(layer.grads["W"], dW_t, rtol=1e-10)


@pytest.mark.parametrize(
    ("make", "error", "name"),
    [
        (lambda: Conv2d(np.ones((2, 3, 3)), np.zeros(2)), ValueError, "W must have shape"),
        (lambda: Conv2d(np.ones((0, 1, 3, 3)), np.zeros(0)), ValueError, "W must have shape"),
        (lambda: Conv2d(np.ones((2, 1, 3, 3)), np.zeros(3)), ValueError, "b must have shape"),
        (lambda: Conv2d(np.ones((2, 1, 3, 3)), np.zeros((2, 1))), ValueError, "b must have shape"),
        (lambda: Conv2d(np.ones((2, 1, 3, 3)), np.zeros(2), stride=0), ValueError, "stride"),
        (lambda: Conv2d(np.ones((2, 1, 3, 3)), np.zeros(2), pad=-1), ValueError, "pad"),
        (lambda: Conv2d(np.ones((2, 1, 3, 3)), np.zeros(2), stride=1.5), TypeError, "stride"),
        (lambda: Conv2d([["w"]], np.zeros(2)), TypeError, "W"),
    ],
)
def test_constructor_bad_input(make, error, name):
    with pytest.raises(error, match=name):
        make()


@pytest.mark.parametrize(
    ("x", "name"),
    [
        (np.ones((3, 6, 6)), "x must have shape"),
        (np.ones((1, 2, 6, 6)), "channels"),
        (np.ones((1, 1, 10, 10)), "W=10, F=3, S=2"),
        (np.ones((1, 1, 2, 2)), "filter_size"),
    ],
)
def test_forward_bad_input(x, name):
    layer = Conv2d(np.ones((1, 1, 3, 3)), np.zeros(1), stride=2)
    with pytest.raises(ValueError, match=name):
        layer.forward(x)


def test_backward_bad_dout():
    layer, x = _layer_and_input(CONV_CASES[1])
    out = layer.forward(x)
    with pytest.raises(ValueError, match="dout must have the shape") as info:
        layer.backward(np.ones((*out.shape[:-1], out.shape[-1] + 1)))
    assert str(out.shape) in str(info.value)
    with pytest.raises(TypeError, match="dout"):
        layer.backward(np.full(out.shape, "a"))


# ----------------------------------------------------------------------------- properties (hypothesis)


@settings(max_examples=60, deadline=None)
@given(
    N=st.integers(1, 3),
    C=st.integers(1, 3),
    FN=st.integers(1, 3),
    FH=st.integers(1, 3),
    FW=st.integers(1, 3),
    S=st.integers(1, 3),
    P=st.integers(0, 2),
    OH=st.integers(1, 4),
    OW=st.integers(1, 4),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_layers_match_torch(N, C, FN, FH, FW, S, P, OH, OW, scale, seed):
    H, W = (OH - 1) * S + FH - 2 * P, (OW - 1) * S + FW - 2 * P
    if H < 1 or W < 1:
        return
    rng = _rng(seed)
    layer = Conv2d(rng.normal(size=(FN, C, FH, FW)) * scale, rng.normal(size=FN), stride=S, pad=P)
    x = rng.normal(size=(N, C, H, W)) * scale
    out = layer.forward(x)
    assert out.shape == (N, FN, OH, OW)
    dout = rng.normal(size=out.shape)
    dx = layer.backward(dout)
    out_t, dx_t, dW_t, db_t = _torch_reference(layer, x, dout)
    for ours, theirs in ((out, out_t), (dx, dx_t), (layer.grads["W"], dW_t), (layer.grads["b"], db_t)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(theirs).max()))


@settings(max_examples=50, deadline=None)
@given(shift=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_a_stride_1_layer_is_translation_equivariant(shift, seed):
    rng = _rng(seed)
    layer = Conv2d(rng.normal(size=(2, 1, 3, 3)), np.zeros(2))
    x = np.zeros((1, 1, 12, 12))
    x[..., 2:7, 2:7] = rng.normal(size=(5, 5))
    moved = np.roll(x, shift, axis=3)
    np.testing.assert_allclose(layer.forward(moved), np.roll(layer.forward(x), shift, axis=3), atol=1e-12)
