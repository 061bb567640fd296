"""Chapter 10 support code: the figures of dlscratch.plots.convolution, the claims of the chapter that depend
on a seed (checked on several), and the exercises in exercises/ch10.py: the model solutions pass, typical
mistakes fail, and every claim of the written model answer holds numerically."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn

from dlscratch.conv import Conv2d, conv_output_size, corr2d
from dlscratch.data import load_digits_split
from dlscratch.exercises import EXERCISES, ExerciseFailed, ch10, check
from dlscratch.plots import convolution as plots

SEEDS = [0, 1, 2, 3, 4, 5, 6, 7]

# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("plot", "params"),
    [
        (plots.plot_feature_map, {}),
        (plots.plot_feature_map, {"kernel": "blur", "stride": 2, "pad": 2}),
        (plots.plot_feature_map, {"kernel": "identity", "stride": 1, "pad": 1}),
        (plots.plot_im2col, {}),
        (plots.plot_im2col, {"position": 3}),
    ],
)
def test_figures_draw(plot, params):
    fig = Figure(figsize=(9, 3.6), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    update = plot(fig, **params)
    fig.canvas.draw()
    update(**params)
    fig.canvas.draw()


@pytest.mark.parametrize(
    ("plot", "params", "name"),
    [
        (plots.plot_feature_map, {"kernel": "emboss"}, "kernel"),
        (plots.plot_feature_map, {"stride": 3}, "stride"),
        (plots.plot_feature_map, {"pad": 5}, "pad"),
        (plots.plot_im2col, {"position": 4}, "position"),
    ],
)
def test_figures_refuse_unknown_settings(plot, params, name):
    fig = Figure()
    update = plot(fig)
    with pytest.raises(ValueError, match=name):
        update(**params)


def test_feature_maps_have_the_sizes_of_the_formula_and_are_correlations():
    image = plots.digit_image()
    assert image.shape == (plots.IMAGE_SIZE, plots.IMAGE_SIZE)
    assert 0.0 <= image.min()
    assert image.max() <= 1.0
    for (name, stride, pad), out in plots.feature_maps().items():
        side = conv_output_size(plots.IMAGE_SIZE, 3, stride, pad)
        assert out.shape == (side, side)
        full = corr2d(np.pad(image, pad), plots.KERNELS[name])
        np.testing.assert_allclose(out, full[::stride, ::stride], rtol=1e-12, atol=1e-12)
    identity = plots.feature_maps()["identity", 1, 1]
    np.testing.assert_allclose(identity, image, atol=1e-15)  # same padding keeps the image


def test_resample_keeps_the_corners_and_constant_images():
    image = np.arange(64.0).reshape(8, 8)
    out = plots.resample(image, 25)
    assert out[0, 0] == image[0, 0]
    assert out[-1, -1] == image[-1, -1]
    np.testing.assert_allclose(plots.resample(np.full((8, 8), 0.3), 25), 0.3)


# ----------------------------------------------------------------------------- claims that depend on a seed

_X = np.ones((6, 8))
_X[:, 2:6] = 0
_Y = corr2d(_X, np.array([[1.0, -1.0]]))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_notes_torch_loop_recovers_the_kernel_for_every_seed(seed):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        conv2d = nn.Conv2d(1, 1, (1, 2), bias=False, dtype=torch.float64)
        x, y = torch.from_numpy(_X).reshape(1, 1, 6, 8), torch.from_numpy(_Y).reshape(1, 1, 6, 7)
        for _ in range(10):
            loss = ((conv2d(x) - y) ** 2).sum()
            conv2d.zero_grad()
            loss.backward()
            with torch.no_grad():
                conv2d.weight -= 3e-2 * conv2d.weight.grad
    assert np.abs(conv2d.weight.detach().reshape(2).numpy() - [1.0, -1.0]).max() < 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_conv2d_backward_recovers_the_kernel_in_20_steps_for_every_seed(seed):
    layer = Conv2d(np.random.default_rng(seed).uniform(-1, 1, (1, 1, 1, 2)), np.zeros(1))
    for _ in range(20):
        diff = layer.forward(_X[None, None]) - _Y[None, None]
        layer.backward(2 * diff)
        layer.params["W"] -= 3e-2 * layer.grads["W"]
    assert np.abs(layer.params["W"].ravel() - [1.0, -1.0]).max() < 0.01


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_one_position_collides_but_whole_feature_maps_do_not(seed):
    images = load_digits_split(seed=seed, flatten=False).X_train
    layer = Conv2d(np.array([[[[1.0, 0.0, -1.0]] * 3]]), np.zeros(1))
    maps = layer.forward(images[:, None])
    assert len(np.unique(maps[:, 0, 3, 3].round(9))) < len(images) / 10
    assert len(np.unique(maps.reshape(len(images), -1).round(9), axis=0)) == len(images)


def test_one_kernel_maps_a_whole_hyperplane_of_patches_to_one_value():
    """The written claim of 'Two questions from the notes': patches that differ orthogonally to k collide."""
    rng = np.random.default_rng(0)
    k = rng.normal(size=(3, 3))
    patch = rng.normal(size=(3, 3))
    v = rng.normal(size=(3, 3))
    v -= np.sum(v * k) / np.sum(k * k) * k  # orthogonal to the kernel
    assert corr2d(patch, k)[0, 0] == pytest.approx(corr2d(patch + 5 * v, k)[0, 0], abs=1e-12)


# ----------------------------------------------------------------------------- exercise 1: depthwise_conv2d


def depthwise_conv2d(x, K, *, stride=1, pad=0):
    """The chapter's model solution."""
    x = np.asarray(x, dtype=float)
    K = np.asarray(K, dtype=float)
    N, C, H, W = x.shape
    FH, FW = K.shape[1:]
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.empty((N, C, OH, OW))
    for n in range(N):
        for c in range(C):
            out[n, c] = corr2d(padded[n, c], K[c])[::stride, ::stride]
    return out


def test_the_model_solution_passes(capsys):
    check("ch10.depthwise_conv2d", depthwise_conv2d)
    assert "all 7 checks passed" in capsys.readouterr().out


def test_torch_groups_agrees_with_every_case():
    """The cases' expected values are PyTorch's depthwise convolution (groups = C)."""
    for case in EXERCISES["ch10.depthwise_conv2d"].cases:
        x, K = case.args
        theirs = F.conv2d(
            torch.from_numpy(x),
            torch.from_numpy(K[:, None]),
            stride=case.kwargs.get("stride", 1),
            padding=case.kwargs.get("pad", 0),
            groups=x.shape[1],
        ).numpy()
        np.testing.assert_allclose(case.expected, theirs, rtol=1e-12, atol=1e-12)


def test_the_hidden_test_holds_for_the_model_solution():
    x = np.random.default_rng(11).normal(size=(2, 6, 9, 7))
    K = np.random.default_rng(12).normal(size=(6, 3, 3))
    theirs = F.conv2d(torch.from_numpy(x), torch.from_numpy(K[:, None]), stride=2, padding=1, groups=6).numpy()
    np.testing.assert_allclose(depthwise_conv2d(x, K, stride=2, pad=1), theirs, rtol=1e-10, atol=1e-12)


def _sums_the_channels(x, K, *, stride=1, pad=0):
    out = depthwise_conv2d(x, K, stride=stride, pad=pad)
    return np.repeat(out.sum(axis=1, keepdims=True), x.shape[1], axis=1)


def _ignores_the_stride(x, K, *, stride=1, pad=0):
    return depthwise_conv2d(x, K, stride=1, pad=pad)


def _pads_one_side(x, K, *, stride=1, pad=0):
    x = np.pad(np.asarray(x, dtype=float), ((0, 0), (0, 0), (2 * pad, 0), (2 * pad, 0)))
    return depthwise_conv2d(x, K, stride=stride, pad=0)


def _flips_the_kernel(x, K, *, stride=1, pad=0):
    return depthwise_conv2d(x, np.asarray(K)[:, ::-1, ::-1], stride=stride, pad=pad)


def _uses_conv2d(x, K, *, stride=1, pad=0):
    C = x.shape[1]
    weights = np.zeros((C, C, *K.shape[1:]))
    weights[np.arange(C), np.arange(C)] = K  # block-diagonal: a depthwise layer as an ordinary one
    return Conv2d(weights, np.zeros(C), stride=stride, pad=pad).forward(x)


def _mutates_x(x, K, *, stride=1, pad=0):
    out = depthwise_conv2d(x, K, stride=stride, pad=pad)
    x *= 0.0
    return out


@pytest.mark.parametrize(
    ("mistake", "expected_in_message"),
    [
        (_sums_the_channels, "nothing is summed"),
        (_ignores_the_stride, "stride"),
        (_pads_one_side, "padding"),
        (_flips_the_kernel, "depthwise_conv2d"),
        (_uses_conv2d, "switched off"),
        (_mutates_x, "modified its input"),
    ],
    ids=["sums-channels", "no-stride", "one-sided-padding", "flipped-kernel", "conv2d", "mutates"],
)
def test_typical_mistakes_fail(mistake, expected_in_message):
    with pytest.raises(ExerciseFailed) as info:
        check("ch10.depthwise_conv2d", mistake)
    assert expected_in_message in str(info.value).splitlines()[0]


def test_the_block_diagonal_conv2d_would_be_right_if_it_were_allowed():
    """So switching Conv2d off is what stops it, not a wrong answer."""
    for case in EXERCISES["ch10.depthwise_conv2d"].cases:
        np.testing.assert_allclose(_uses_conv2d(*case.args, **case.kwargs), case.expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- exercise 2: receptive_field


def _field_side(layers, size):
    """Side of the input region that reaches one output in the middle of the last layer (by backprop)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 1, size, size))
    for layer in layers:
        x = layer.forward(x)
    dout = np.zeros_like(x)
    dout[0, 0, x.shape[2] // 2, x.shape[3] // 2] = 1.0
    for layer in reversed(layers):
        dout = layer.backward(dout)
    rows = np.flatnonzero(np.abs(dout[0, 0]).sum(axis=1))
    return rows.max() - rows.min() + 1


def test_the_receptive_field_answer_is_what_backpropagation_sees():
    rng = np.random.default_rng(1)
    layers = [Conv2d(rng.normal(size=(1, 1, k, k)), np.zeros(1), stride=s) for k, s in ch10.RECEPTIVE_FIELD_STACK]
    side = _field_side(layers, size=35)  # 35 → 33 → 16 → 8 → 6: every size fits
    assert side == 15
    check("ch10.receptive_field", side)


@pytest.mark.parametrize("wrong", [9, 7, 11, 8])  # strides ignored; stride-1 rule; a stride too many; off by one
def test_wrong_receptive_fields_fail(wrong):
    with pytest.raises(ExerciseFailed):
        check("ch10.receptive_field", wrong)


# ----------------------------------------------------------------------------- exercise 3: the written answer


@pytest.mark.parametrize(("H", "W", "h", "w"), [(6, 7, 3, 2), (5, 5, 1, 3), (8, 6, 4, 4)])
def test_exercise_3a_dx_is_the_full_convolution_with_the_flipped_kernel(H, W, h, w):
    rng = np.random.default_rng(H * W)
    x, k = rng.normal(size=(H, W)), rng.normal(size=(h, w))
    layer = Conv2d(k[None, None].copy(), np.zeros(1))
    layer.forward(x[None, None])
    dy = rng.normal(size=(H - h + 1, W - w + 1))
    dx = layer.backward(dy[None, None])[0, 0]
    padded = np.pad(dy, ((h - 1, h - 1), (w - 1, w - 1)))
    np.testing.assert_allclose(dx, corr2d(padded, k[::-1, ::-1]), rtol=1e-12, atol=1e-12)
    # the same as numpy's full 2-D convolution built from 1-D ones: transposed convolution in torch
    theirs = F.conv_transpose2d(torch.from_numpy(dy)[None, None], torch.from_numpy(k)[None, None])[0, 0]
    np.testing.assert_allclose(dx, theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("H", "h"), [(7, 3), (8, 3)])  # (H - h) even, and odd: the last row is never read
def test_exercise_3b_stride_2_inserts_zeros(H, h):
    rng = np.random.default_rng(H)
    x, k = rng.normal(size=(H, H)), rng.normal(size=(h, h))
    if (H - h) % 2:
        x_used = x[: H - 1, : H - 1]  # the sizes must fit: the layer only sees H - 1
    else:
        x_used = x
    n = x_used.shape[0]
    layer = Conv2d(k[None, None].copy(), np.zeros(1), stride=2)
    out = layer.forward(x_used[None, None])
    dy = rng.normal(size=out.shape[2:])
    dx = layer.backward(dy[None, None])[0, 0]
    spread = np.zeros((2 * dy.shape[0] - 1, 2 * dy.shape[1] - 1))
    spread[::2, ::2] = dy  # one zero between neighbours
    padded = np.pad(spread, h - 1)
    np.testing.assert_allclose(dx, corr2d(padded, k[::-1, ::-1])[:n, :n], rtol=1e-12, atol=1e-12)
    if (H - h) % 2:  # with torch's flooring the unread last row of the full image gets a zero gradient
        x_t = torch.tensor(x[None, None], requires_grad=True)
        F.conv2d(x_t, torch.from_numpy(k)[None, None], stride=2).backward(torch.from_numpy(dy)[None, None])
        assert not x_t.grad[0, 0, -1].any()
