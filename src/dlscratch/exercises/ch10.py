"""Exercises of chapter 10, convolution (``chapters/10_convolution.md``).

The chapter builds the convolutional layer in which every output channel
sums the correlations of *all* input channels with its kernels. The exercises
carry the ideas to cases it did not treat:

1. a *depthwise* convolution (MobileNet's building block, PyTorch's
   ``groups=C``): each channel is correlated with its own kernel and nothing
   is summed across channels, with stride and padding;
2. the receptive field of a stack of layers with strides, where the
   chapter only stacked stride-1 layers.

``dlscratch.conv.Conv2d``, ``im2col`` and ``col2im`` are switched off while
exercise 1 is checked (a ``Conv2d`` with block-diagonal kernels would answer
it); ``corr2d`` and ``conv_output_size`` stay available.
"""

from __future__ import annotations

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- exercise 1: depthwise_conv2d


def _depthwise_conv2d(x, K, *, stride=1, pad=0):
    """Reference: ``out[n, c] = x[n, c] ⋆ K[c]`` with stride and zero padding; (N, C, OH, OW)."""
    x = np.asarray(x, dtype=float)
    K = np.asarray(K, dtype=float)
    N, C, H, W = x.shape
    _, FH, FW = K.shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (N, C, H + 2P, W + 2P)
    out = np.zeros((N, C, OH, OW))
    for a in range(FH):
        for b in range(FW):  # every kernel entry meets a strided view of the whole batch
            window = padded[:, :, a : a + stride * OH : stride, b : b + stride * OW : stride]  # (N, C, OH, OW)
            out += window * K[None, :, a, b, None, None]
    return out


def _case(shape, kernel_shape, seed, note, **kwargs):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).round(2)
    K = rng.normal(size=kernel_shape).round(2)
    return Case((x, K), _depthwise_conv2d(x, K, **kwargs), kwargs=kwargs, note=note)


def _edge_case():
    """Two channels: the notes' 10|0 image and its transpose, each with the vertical edge kernel."""
    image = np.tile([10.0, 10.0, 10.0, 0.0, 0.0, 0.0], (6, 1))  # (6, 6)
    x = np.stack([image, image.T])[None]  # (1, 2, 6, 6)
    K = np.stack([np.array([[1.0, 0.0, -1.0]] * 3)] * 2)  # (2, 3, 3)
    return Case((x, K), _depthwise_conv2d(x, K), note="each channel keeps its own result: nothing is summed")


register(
    FunctionExercise(
        id="ch10.depthwise_conv2d",
        name="depthwise_conv2d",
        cases=[
            _edge_case(),
            _case((1, 1, 5, 5), (1, 3, 3), 0, "one channel: an ordinary cross-correlation"),
            _case((2, 3, 6, 6), (3, 3, 3), 1, "three channels, two images: one kernel per channel"),
            _case((1, 2, 5, 7), (2, 3, 3), 2, "zero padding keeps the size", pad=1),
            _case((2, 2, 7, 7), (2, 3, 3), 3, "stride 2 skips every other position", stride=2),
            _case((1, 3, 6, 7), (3, 2, 3), 4, "a non-square kernel on a non-square image", stride=2, pad=1),
            _case((1, 4, 4, 4), (4, 1, 1), 5, "a 1×1 depthwise kernel scales each channel"),
        ],
        switched_off=("dlscratch.conv.Conv2d", "dlscratch.conv.im2col", "dlscratch.conv.col2im"),
        rtol=1e-9,
        atol=1e-12,
        hint=(
            "reread 'Several input and output channels': an ordinary layer sums the correlations of all input "
            "channels; here channel c meets only kernel c and the sum over channels is dropped. The output "
            "size along each axis is the formula of 'Padding and stride', and a strided output keeps every "
            "S-th position of the stride-1 one"
        ),
    )
)

# ----------------------------------------------------------------------------- exercise 2: receptive_field

#: the stack of exercise 2: (kernel size, stride) of each layer, input first
RECEPTIVE_FIELD_STACK = ((3, 1), (3, 2), (2, 2), (3, 1))


def _receptive_field(stack) -> int:
    """Side of the input region one output of the last layer sees: r += (k - 1)·jump, jump *= s."""
    side, jump = 1, 1
    for kernel, stride in stack:
        side += (kernel - 1) * jump
        jump *= stride
    return side


register(
    ValueExercise(
        id="ch10.receptive_field",
        expected=_receptive_field(RECEPTIVE_FIELD_STACK),
        rtol=0.0,
        describe="the receptive field's side",
        hint=(
            "walk the stack from the input up: each layer widens the field by (kernel size - 1) steps of the "
            "layer below, and a stride makes one step of the layers above span several input pixels"
        ),
    )
)
