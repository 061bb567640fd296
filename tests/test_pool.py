"""Tests for dlscratch.pool: float64 gradient checks, parity with PyTorch (forward and gradients), ties,
padding, dtypes, bad input, no mutation, and properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlscratch.layers import Layer
from dlscratch.numgrad import gradient_check
from dlscratch.pool import AvgPool2d, GlobalAvgPool2d, MaxPool2d

RTOL = 1e-7  # the float64 gradient-check threshold (STYLE.md)

# (x shape, kernel_size, stride, pad): window = stride, stride != window (gaps and overlaps), padding,
# non-square inputs, a window as large as the input, 1x1 windows
GEOMETRIES = [
    ((2, 3, 4, 4), 2, None, 0),
    ((1, 1, 6, 6), 3, None, 0),
    ((2, 2, 5, 7), 3, 2, 0),  # overlapping windows (AlexNet's 3x3, stride 2), non-square
    ((1, 2, 7, 5), 3, 1, 1),  # overlapping, padded: the output keeps the size ("same")
    ((2, 1, 6, 4), 2, 2, 1),  # padding with window = stride
    ((1, 3, 7, 7), 2, 5, 0),  # stride > window: some inputs are in no window
    ((3, 2, 5, 5), 5, None, 0),  # one window covers the whole image
    ((1, 1, 4, 6), 1, 1, 0),  # 1x1 windows: the identity
    ((2, 2, 9, 9), 4, 1, 2),  # even window, maximal padding K/2
    ((1, 1, 8, 6), 4, 2, 1),
]
IDS = [f"{s}-K{k}-S{st_}-P{p}" for s, k, st_, p in GEOMETRIES]


def _distinct(shape, seed=0, gap=0.05):
    """Values in random order, no two closer than ``gap``: the central difference never crosses a tie."""
    rng = np.random.default_rng(seed)
    values = rng.permutation(np.prod(shape)) * gap - np.prod(shape) * gap / 2
    return (values + rng.uniform(0, gap / 10, size=values.shape)).reshape(shape)


def _t(x, grad=False):
    return torch.from_numpy(np.array(x)).requires_grad_(grad)


def _torch_max(x, K, S, P):
    return F.max_pool2d(x, K, S if S is not None else K, P)


def _torch_avg(x, K, S, P, count_include_pad=True):
    return F.avg_pool2d(x, K, S if S is not None else K, P, count_include_pad=count_include_pad)


def _torch_forward_backward(fn, x, dout):
    xt = _t(x, grad=True)
    out = fn(xt)
    out.backward(_t(dout))
    return out.detach().numpy(), xt.grad.numpy()


def _layers(K, S, P):
    yield "max", MaxPool2d(K, S, P), lambda x: _torch_max(x, K, S, P)
    yield "avg", AvgPool2d(K, S, P), lambda x: _torch_avg(x, K, S, P)
    yield (
        "avg-no-pad",
        AvgPool2d(K, S, P, count_include_pad=False),
        lambda x: _torch_avg(x, K, S, P, count_include_pad=False),
    )


# ----------------------------------------------------------------------------- the layer interface


@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d(2), GlobalAvgPool2d()], ids=repr)
def test_pooling_layers_are_layers_without_parameters(layer):
    assert isinstance(layer, Layer)
    assert layer.params == {}
    assert layer.grads == {}


@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d(2, pad=1), GlobalAvgPool2d()], ids=repr)
def test_backward_before_forward_raises(layer):
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before"):
        layer.backward(np.ones((1, 1, 2, 2)))


def test_stride_defaults_to_the_window():
    assert MaxPool2d(3).stride == 3
    assert AvgPool2d(2).stride == 2
    assert MaxPool2d(3, stride=1).stride == 1
    assert repr(MaxPool2d(3, 2, 1)) == "MaxPool2d(kernel_size=3, stride=2, pad=1)"


@pytest.mark.parametrize(("shape", "K", "S", "P"), GEOMETRIES, ids=IDS)
def test_channels_unchanged_and_output_size(shape, K, S, P):
    from dlscratch.conv import conv_output_size

    x = _distinct(shape)
    for _, layer, _ in _layers(K, S, P):
        out = layer.forward(x)
        stride = K if S is None else S
        OH, OW = conv_output_size(shape[2], K, stride, P), conv_output_size(shape[3], K, stride, P)
        assert out.shape == (shape[0], shape[1], OH, OW)


# ----------------------------------------------------------------------------- parity with PyTorch


@pytest.mark.parametrize(("shape", "K", "S", "P"), GEOMETRIES, ids=IDS)
def test_forward_and_gradient_match_torch(shape, K, S, P):
    x = _distinct(shape, seed=1)
    for name, layer, fn in _layers(K, S, P):
        out = layer.forward(x)
        dout = np.random.default_rng(2).normal(size=out.shape)
        dx = layer.backward(dout)
        t_out, t_dx = _torch_forward_backward(fn, x, dout)
        np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(dx, t_dx, rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (1, 1, 1, 1), (3, 2, 5, 7), (1, 4, 1, 9)])
def test_global_average_pooling_matches_adaptive_avg_pool(shape):
    x = np.random.default_rng(0).normal(size=shape)
    gap = GlobalAvgPool2d()
    out = gap.forward(x)
    assert out.shape == (*shape[:2], 1, 1)
    dout = np.random.default_rng(1).normal(size=out.shape)
    t_out, t_dx = _torch_forward_backward(lambda t: F.adaptive_avg_pool2d(t, 1), x, dout)
    np.testing.assert_allclose(out, t_out, rtol=1e-12)
    np.testing.assert_allclose(gap.backward(dout), t_dx, rtol=1e-12)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("S", [1, 2, 3])
@pytest.mark.parametrize("P", [0, 1])
def test_ties_send_the_gradient_where_torch_does(K, S, P):
    """Integer inputs with many equal values: each window's gradient goes to its first maximum, as in PyTorch."""
    size = next(n for n in range(7, 12) if (n - K + 2 * P) % S == 0)
    x = np.random.default_rng(K * 10 + S + P).integers(0, 3, size=(2, 2, size, size)).astype(float)
    layer = MaxPool2d(K, S, P)
    out = layer.forward(x)
    dout = np.random.default_rng(5).integers(1, 5, size=out.shape).astype(float)
    t_out, t_dx = _torch_forward_backward(lambda t: _torch_max(t, K, S, P), x, dout)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_array_equal(layer.backward(dout), t_dx)


def test_a_tie_goes_to_the_first_maximum_in_row_major_order():
    layer = MaxPool2d(2)
    layer.forward(np.array([[[[0.0, 5.0], [5.0, 5.0]]]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_a_constant_image_under_overlapping_windows():
    """Every 3x3 window of a constant image picks its top-left entry; the gradients add up there."""
    x = np.ones((1, 1, 5, 5))
    layer = MaxPool2d(3, stride=1)
    layer.forward(x)
    dx = layer.backward(np.ones((1, 1, 3, 3)))
    _, t_dx = _torch_forward_backward(lambda t: F.max_pool2d(t, 3, 1), x, np.ones((1, 1, 3, 3)))
    np.testing.assert_array_equal(dx, t_dx)
    assert dx[0, 0, :3, :3].sum() == 9
    assert dx.sum() == 9


def test_max_pooling_pads_with_minus_infinity():
    """A negative border is still the maximum: zero padding would report 0 there."""
    x = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)  # all negative
    out = MaxPool2d(3, stride=1, pad=1).forward(x)
    np.testing.assert_array_equal(out, _torch_max(_t(x), 3, 1, 1).numpy())
    assert out.max() == -1.0  # never the 0 of a zero pad
    assert out[0, 0, 0, 0] == -1.0


def test_a_window_of_real_minus_infinities_beats_the_padding():
    """All real inputs -inf: the gradient goes to the first real position of each window, never to the pad."""
    x = np.full((1, 1, 3, 3), -np.inf)
    layer = MaxPool2d(3, stride=1, pad=1)
    out = layer.forward(x)
    dout = np.ones_like(out)
    t_out, t_dx = _torch_forward_backward(lambda t: F.max_pool2d(t, 3, 1, 1), x, dout)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_array_equal(layer.backward(dout), t_dx)
    assert layer.backward(dout).sum() == dout.sum()  # no gradient lost in the padding


def test_nan_propagates_as_in_torch():
    x = np.array([[[[np.nan, np.nan], [1.0, 2.0]]]])
    layer = MaxPool2d(2)
    out = layer.forward(x)
    t_out, t_dx = _torch_forward_backward(lambda t: F.max_pool2d(t, 2), x, np.ones((1, 1, 1, 1)))
    assert np.isnan(out).all()
    assert np.isnan(t_out).all()
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), t_dx)


def test_average_pooling_counts_the_padding_or_not():
    """A constant image through the Inception branch's 3x3, stride 1, pad 1 average: corners get 4/9 or 1."""
    x = np.ones((1, 1, 4, 4))
    with_pad = AvgPool2d(3, stride=1, pad=1).forward(x)
    without = AvgPool2d(3, stride=1, pad=1, count_include_pad=False).forward(x)
    assert with_pad[0, 0, 0, 0] == pytest.approx(4 / 9)
    assert with_pad[0, 0, 0, 1] == pytest.approx(6 / 9)
    assert with_pad[0, 0, 1, 1] == pytest.approx(1.0)
    np.testing.assert_allclose(without, 1.0)


# ----------------------------------------------------------------------------- numerical gradients (float64)


@pytest.mark.parametrize(("shape", "K", "S", "P"), GEOMETRIES, ids=IDS)
def test_numerical_gradient(shape, K, S, P):
    x = _distinct(shape, seed=3)  # no ties: max is differentiable at x
    for name, layer, _ in _layers(K, S, P):
        out = layer.forward(x)
        weights = np.random.default_rng(4).normal(size=out.shape)
        dx = layer.backward(weights)
        result = gradient_check(
            lambda v, layer=layer, weights=weights: float(np.sum(layer.forward(v) * weights)), x, dx, rtol=RTOL
        )
        assert result.ok, f"{name}: relative error {result.rel_error:.2e}"


def test_numerical_gradient_global_average():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    gap = GlobalAvgPool2d()
    weights = np.random.default_rng(1).normal(size=(2, 3, 1, 1))
    gap.forward(x)
    dx = gap.backward(weights)
    assert gradient_check(lambda v: float(np.sum(gap.forward(v) * weights)), x, dx, rtol=RTOL).ok


def test_at_a_tie_the_central_difference_splits_the_gradient():
    """Max is not differentiable at a tie: the central difference averages the one-sided slopes (1/2 each)."""
    from dlscratch.numgrad import numerical_gradient

    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    layer = MaxPool2d(2)
    numerical = numerical_gradient(lambda v: float(layer.forward(v).sum()), x)
    np.testing.assert_allclose(numerical, [[[[0.0, 0.5], [0.5, 0.0]]]], atol=1e-9)
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), [[[[0.0, 1.0], [0.0, 0.0]]]])


# ----------------------------------------------------------------------------- dtypes and mutation


@pytest.mark.parametrize(
    "layer", [MaxPool2d(2), MaxPool2d(3, 1, 1), AvgPool2d(2), AvgPool2d(3, 1, 1, count_include_pad=False)], ids=repr
)
def test_float32_is_kept_and_matches_torch(layer):
    x = _distinct((2, 3, 6, 6), seed=6).astype(np.float32)
    out = layer.forward(x)
    assert out.dtype == np.float32
    dout = np.random.default_rng(7).normal(size=out.shape).astype(np.float32)
    dx = layer.backward(dout)
    assert dx.dtype == np.float32
    K, S, P = layer.kernel_size, layer.stride, layer.pad
    if isinstance(layer, MaxPool2d):
        fn = lambda t: F.max_pool2d(t, K, S, P)  # noqa: E731
    else:
        fn = lambda t: F.avg_pool2d(t, K, S, P, count_include_pad=layer.count_include_pad)  # noqa: E731
    t_out, t_dx = _torch_forward_backward(fn, x, dout)
    np.testing.assert_allclose(out, t_out, rtol=1e-6)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-6, atol=1e-7)


def test_global_average_pooling_keeps_float32():
    gap = GlobalAvgPool2d()
    assert gap.forward(np.ones((1, 2, 3, 3), dtype=np.float32)).dtype == np.float32
    assert gap.backward(np.ones((1, 2, 1, 1), dtype=np.float32)).dtype == np.float32


def test_integer_input_becomes_float64():
    out = MaxPool2d(2).forward(np.arange(16).reshape(1, 1, 4, 4))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[[[5.0, 7.0], [13.0, 15.0]]]])


@pytest.mark.parametrize("layer", [MaxPool2d(2), MaxPool2d(3, 1, 1), AvgPool2d(2, pad=1), GlobalAvgPool2d()], ids=repr)
def test_no_argument_is_modified_and_outputs_are_fresh(layer):
    x = _distinct((2, 2, 6, 6), seed=8)
    x_before = x.copy()
    out = layer.forward(x)
    dout = np.ones_like(out)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)
    assert not np.shares_memory(dx, dout)
    assert not np.shares_memory(dx, x)
    assert not np.shares_memory(out, x)
    dx[...] = 99.0  # writing into a result changes nothing the layer keeps
    assert not np.any(layer.backward(dout) == 99.0)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: MaxPool2d(3, pad=2), ValueError, "pad must be at most half of kernel_size"),
        (lambda: AvgPool2d(2, pad=2), ValueError, "pad=2 for kernel_size=2"),
        (lambda: MaxPool2d(0), ValueError, "kernel_size must be >= 1"),
        (lambda: MaxPool2d(2, stride=0), ValueError, "stride must be >= 1"),
        (lambda: MaxPool2d(2, pad=-1), ValueError, "pad must be >= 0"),
        (lambda: MaxPool2d(2.0), TypeError, "kernel_size must be an int"),
        (lambda: AvgPool2d(2, stride=1.5), TypeError, "stride must be an int"),
        (lambda: AvgPool2d(2, count_include_pad="no"), TypeError, "count_include_pad must be True or False"),
    ],
)
def test_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d(2), GlobalAvgPool2d()], ids=repr)
@pytest.mark.parametrize("shape", [(4, 4), (1, 4, 4), (1, 1, 1, 4, 4)])
def test_input_must_be_four_dimensional(layer, shape):
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\)"):
        layer.forward(np.ones(shape))


@pytest.mark.parametrize(
    ("layer", "shape", "match"),
    [
        (MaxPool2d(2), (1, 1, 5, 4), r"W=5, F=2, S=2, P=0"),  # 5 rows do not split into windows of 2
        (AvgPool2d(2), (1, 1, 4, 7), r"W=7, F=2, S=2, P=0"),
        (MaxPool2d(3, stride=2), (1, 1, 6, 7), r"W=6, F=3, S=2, P=0"),
        (MaxPool2d(4), (1, 1, 3, 3), "the kernel does not fit"),
    ],
)
def test_sizes_that_do_not_fit(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer.forward(np.ones(shape))


@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d(2), GlobalAvgPool2d()], ids=repr)
def test_dout_of_the_wrong_shape(layer):
    out = layer.forward(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"dout must have the shape of .*output"):
        layer.backward(np.ones((*out.shape[:-1], out.shape[-1] + 1)))


@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d(2), GlobalAvgPool2d()], ids=repr)
def test_non_numeric_input(layer):
    with pytest.raises(TypeError, match="x must be real numbers"):
        layer.forward(np.full((1, 1, 2, 2), "a"))


# ----------------------------------------------------------------------------- properties


@st.composite
def _pooling_case(draw):
    K = draw(st.integers(1, 4))
    S = draw(st.integers(1, 4))
    P = draw(st.integers(0, K // 2))
    OH, OW = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    H, W = (OH - 1) * S + K - 2 * P, (OW - 1) * S + K - 2 * P
    if H < 1 or W < 1:
        H, W = H + S * 2, W + S * 2  # two more windows
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    x = draw(arrays(np.float64, (N, C, H, W), elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)))
    return x, K, S, P


@settings(max_examples=60, deadline=None)
@given(_pooling_case())
def test_property_forward_and_backward_match_torch(case):
    x, K, S, P = case
    for name, layer, fn in _layers(K, S, P):
        out = layer.forward(x)
        dout = np.ones_like(out)
        t_out, t_dx = _torch_forward_backward(fn, x, dout)
        np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(layer.backward(dout), t_dx, rtol=1e-12, atol=1e-12, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(_pooling_case())
def test_property_bounds_and_gradient_mass(case):
    """max >= average >= min of each window; max sends each output's gradient to one input, all of it."""
    x, K, S, P = case
    if P:
        return  # with padding the average counts zeros that are not in x
    mx, avg = MaxPool2d(K, S), AvgPool2d(K, S)
    out_max, out_avg = mx.forward(x), avg.forward(x)
    neg_min = MaxPool2d(K, S).forward(-x)
    scale = 1e-9 * max(1.0, np.abs(x).max())
    assert np.all(out_max >= out_avg - scale)
    assert np.all(out_avg <= out_max + scale)
    assert np.all(out_avg >= -neg_min - scale)
    dout = np.ones_like(out_max)
    dx = mx.backward(dout)
    assert dx.sum() == pytest.approx(dout.sum())
    assert np.count_nonzero(dx) <= out_max.size
    assert avg.backward(dout).sum() == pytest.approx(dout.sum())


@settings(max_examples=40, deadline=None)
@given(_pooling_case(), st.floats(0.1, 10.0))
def test_property_max_pooling_commutes_with_increasing_maps(case, scale):
    """max(f(window)) = f(max(window)) for a non-decreasing f: ReLU before or after pooling gives the same."""
    x, K, S, P = case
    layer = MaxPool2d(K, S, P)
    np.testing.assert_array_equal(layer.forward(np.maximum(x, 0)), np.maximum(layer.forward(x), 0))
    np.testing.assert_allclose(layer.forward(scale * x), scale * layer.forward(x), rtol=1e-12)
