"""Exercises of chapter 12, a CNN from scratch (``chapters/12_cnn_from_scratch.md``).

The chapter trains a small convolutional network in numpy and in PyTorch,
serves the digits through a ``Dataset``, a ``DataLoader`` and a
``collate_fn``, and counts the network's parameters. The exercises carry
those ideas to cases it did not treat:

1. a ``collate_fn`` for images of *different* sizes, which the default one
   cannot stack: each image is centred in a zero frame of the largest height
   and width of the batch;
2. the share of the parameters in the first Affine layer of *Deep Learning
   from Scratch*'s ``SimpleConvNet`` for 28×28 MNIST images (30 kernels of
   5×5, no padding), where the chapter counted the 8×8 network.

The package has no padding collate function, so exercise 1 switches nothing
off but its own reference.
"""

from __future__ import annotations

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- exercise 1: pad_batch


def _pad_batch(images):
    """Reference: (N, 1, H, W), each image centred (extra row below, extra column right) in zeros."""
    arrays = [np.asarray(image, dtype=float) for image in images]
    H = max(a.shape[0] for a in arrays)
    W = max(a.shape[1] for a in arrays)
    batch = np.zeros((len(arrays), 1, H, W))
    for n, a in enumerate(arrays):
        top, left = (H - a.shape[0]) // 2, (W - a.shape[1]) // 2
        batch[n, 0, top : top + a.shape[0], left : left + a.shape[1]] = a
    return batch


class Images(list):
    """A list of 2-D images that shows itself in one line, by shapes: ``[3×3 image, 1×1 image]``."""

    def __repr__(self) -> str:
        return "[" + ", ".join("×".join(map(str, np.shape(image))) + " image" for image in self) + "]"


def _case(shapes, seed, note):
    rng = np.random.default_rng(seed)
    images = Images(rng.integers(1, 10, size=shape).astype(float) for shape in shapes)
    return Case((images,), _pad_batch(images), note=note)


register(
    FunctionExercise(
        id="ch12.pad_batch",
        name="pad_batch",
        cases=[
            _case([(3, 3), (3, 3)], 0, "images of one size: nothing to pad, just a batch with a channel axis"),
            _case([(3, 3), (1, 1)], 1, "a 1×1 image sits in the middle of a 3×3 frame"),
            _case([(4, 4), (2, 2)], 2, "an even margin: one free row above and one below"),
            _case([(4, 5), (3, 2)], 3, "odd margins: the extra row goes below, the extra column to the right"),
            _case([(2, 6), (5, 3), (4, 4)], 4, "the frame takes the largest height and the largest width separately"),
            _case([(7, 2)], 5, "a batch of one image"),
        ],
        switched_off=(),
        rtol=0.0,
        atol=0.0,
        hint=(
            "the frame's height is the largest height in the list and its width the largest width, "
            "taken separately; an image's free rows split into a top margin of half of them, rounded "
            "down, and the rest below (the same for columns). Reread 'Dataset, DataLoader and "
            "collate_fn' for the shape of a batch"
        ),
    )
)

# ----------------------------------------------------------------------------- exercise 2: dense_share

#: DLFS's SimpleConvNet on MNIST: 30 kernels 5×5 (no padding, stride 1) → 24×24, pooled 2×2 → 12×12
_MNIST_CONV = 30 * (1 * 5 * 5 + 1)
_MNIST_AFFINE1 = 30 * 12 * 12 * 100 + 100
_MNIST_AFFINE2 = 100 * 10 + 10

register(
    ValueExercise(
        id="ch12.dense_share",
        expected=_MNIST_AFFINE1 / (_MNIST_CONV + _MNIST_AFFINE1 + _MNIST_AFFINE2),
        rtol=1e-6,
        describe="the share of the parameters in the first Affine layer",
        hint=(
            "count layer by layer as in 'The network, layer by layer': the size of the convolution's "
            "output follows from chapter 10's formula, pooling halves it, and the first Affine layer "
            "connects every pooled number to every hidden unit; biases count too"
        ),
    )
)
