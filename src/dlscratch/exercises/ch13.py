"""Exercises of chapter 13, CNN architectures (``chapters/13_cnn_architectures.md``).

The chapter measures the classic networks and ends with the two building
blocks of detection, IoU and greedy non-maximum suppression. The exercises
carry both to cases the chapter did not treat:

1. **soft-NMS** (Bodla et al., 2017): instead of deleting a box that overlaps
   a kept one by more than the threshold, multiply its score by
   ``1 - IoU`` and keep going; the function returns every box's final score.
   ``dlscratch.detection`` (``iou`` and ``nms``) is switched off while it is
   checked: the exercise asks for the student's own overlap computation.
2. **the bottleneck block**: the chapter shows how a 1×1 reduction makes
   Inception's large kernels cheap; the same trick makes ResNet-50's block
   (1×1 reduce, 3×3, 1×1 expand) many times lighter than two 3×3
   convolutions on the full width.
"""

from __future__ import annotations

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- exercise 1: soft_nms


def _iou_one(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one box (4,) with each row of others (M, 4); 0 where the union has zero area."""
    top_left = np.maximum(box[:2], others[:, :2])  # (M, 2)
    bottom_right = np.minimum(box[2:], others[:, 2:])  # (M, 2)
    sides = np.clip(bottom_right - top_left, 0.0, None)  # (M, 2)
    inter = sides[:, 0] * sides[:, 1]
    area = (box[2] - box[0]) * (box[3] - box[1])
    union = area + (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1]) - inter
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def _soft_nms(boxes, scores, iou_threshold):
    boxes = np.asarray(boxes, dtype=float)
    scores = np.array(scores, dtype=float)  # a copy: the caller's scores stay as they were
    remaining = list(range(len(scores)))
    while remaining:
        best = max(remaining, key=lambda i: (scores[i], -i))  # highest current score, ties: lower index
        remaining.remove(best)
        if not remaining:
            break
        rest = np.array(remaining)
        overlap = _iou_one(boxes[best], boxes[rest])  # (len(rest),)
        decay = np.where(overlap > iou_threshold, 1.0 - overlap, 1.0)
        scores[rest] = scores[rest] * decay
    return scores


def _random_boxes(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0.0, 20.0, size=(n, 2))  # (n, 2)
    size = rng.uniform(2.0, 12.0, size=(n, 2))  # (n, 2)
    return np.concatenate([corner, corner + size], axis=1), rng.uniform(0.1, 1.0, size=n)


def _case(boxes, scores, threshold, note):
    boxes, scores = np.asarray(boxes, dtype=float), np.asarray(scores, dtype=float)
    return Case((boxes, scores, threshold), _soft_nms(boxes, scores, threshold), note=note)


_PAIR = np.array([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0]])  # IoU 81/119
_APART = np.array([[0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 7.0, 7.0], [10.0, 0.0, 12.0, 3.0]])
_CHAIN = np.array([[0.0, 0.0, 4.0, 4.0], [2.0, 0.0, 6.0, 4.0], [4.0, 0.0, 8.0, 4.0]])  # neighbours overlap by 1/3
_POINT = np.array([[0.0, 0.0, 4.0, 4.0], [2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 5.0, 5.0]])  # box 1 has zero area

register(
    FunctionExercise(
        id="ch13.soft_nms",
        name="soft_nms",
        cases=[
            _case(_PAIR, [0.9, 0.8], 0.5, "two overlapping boxes: the weaker one's score is scaled by 1 - IoU"),
            _case(_PAIR, [0.8, 0.9], 0.5, "the box with the higher score is visited first, whatever its index"),
            _case(_PAIR, [0.9, 0.8], 0.7, "an IoU at or below the threshold leaves the score alone"),
            _case(_APART, [0.3, 0.9, 0.6], 0.0, "boxes that do not overlap never decay, even at threshold 0"),
            _case(
                _CHAIN,
                [0.9, 0.85, 0.8],
                0.2,
                "after a decay the order can change: pick the highest *current* score each round",
            ),
            _case(_PAIR[[0, 0]], [0.7, 0.7], 0.5, "equal scores: the lower index first; identical boxes: IoU 1"),
            _case(_POINT, [0.5, 0.9, 0.8], 0.1, "a zero-area box overlaps nothing (no division by zero)"),
            _case(*_random_boxes(0, 12), 0.3, "twelve random boxes"),
            _case(*_random_boxes(1, 30), 0.5, "thirty random boxes"),
            _case(*_random_boxes(2, 8), 1.0, "threshold 1: no IoU is greater, nothing decays"),
        ],
        switched_off=("dlscratch.detection",),
        rtol=1e-9,
        atol=1e-12,
        hint=(
            "follow the greedy loop of non-maximum suppression ('Detection, briefly'), but where it deletes "
            "a box, multiply the box's score instead, and choose each round among the boxes not yet visited "
            "by their scores as they are now. Compute the overlaps yourself, and treat a union of zero area "
            "as no overlap"
        ),
    )
)

# ----------------------------------------------------------------------------- exercise 2: bottleneck_ratio

#: width of the block's input and output, and of the bottleneck inside ResNet-50's block
BOTTLENECK_CHANNELS = 256
BOTTLENECK_PLANES = 64
_BASIC_WEIGHTS = 2 * 9 * BOTTLENECK_CHANNELS**2  # two 3×3 convolutions 256 → 256
_BOTTLENECK_WEIGHTS = (
    BOTTLENECK_CHANNELS * BOTTLENECK_PLANES + 9 * BOTTLENECK_PLANES**2 + BOTTLENECK_PLANES * BOTTLENECK_CHANNELS
)

register(
    ValueExercise(
        id="ch13.bottleneck_ratio",
        expected=_BASIC_WEIGHTS / _BOTTLENECK_WEIGHTS,
        rtol=1e-6,
        describe="the ratio of the convolution weights, two 3×3 layers over the bottleneck",
        hint=(
            "count the weights of each convolution as output channels × input channels × kernel height × "
            "kernel width, as for Inception's 1×1 reductions; no biases and no batch normalization"
        ),
    )
)
