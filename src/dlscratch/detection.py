"""Two building blocks of object detection: intersection over union and non-maximum suppression (chapter 13).

A detector proposes many boxes around each object, each with a score.
:func:`iou` measures how much two boxes overlap; :func:`nms` keeps the best
box of each cluster of overlapping ones: take the highest-scoring box,
drop every remaining box that overlaps it by more than ``iou_threshold``,
repeat with the next survivor.

Boxes are rows ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and ``y1 <= y2``, the
convention of ``torchvision.ops``. A box of zero area (a point or a line) is
allowed: its intersection with anything has area 0, so its IoU is 0, even
with itself (where ``torchvision.ops.box_iou`` computes 0/0 = NaN).

References
----------
Chapter 13 of the book (``chapters/13_cnn_architectures.md``); notes 001,
002. ``torchvision.ops.box_iou``, ``nms`` and ``batched_nms``; Girshick et
al., "Rich feature hierarchies ..." (R-CNN, 2014); Zhang et al., *Dive into
Deep Learning*, §14.3-14.4.
"""

from __future__ import annotations

import numbers

import numpy as np

from dlscratch._validation import as_float_array

__all__ = ["iou", "nms"]


def _check_boxes(boxes, name: str) -> np.ndarray:
    boxes = as_float_array(boxes, name)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) with rows (x1, y1, x2, y2), got shape {boxes.shape}")
    if not np.isfinite(boxes).all():
        raise ValueError(f"{name} must be finite, got {boxes[~np.isfinite(boxes).all(axis=1)][0].tolist()}")
    bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name}[{i}] must have x1 <= x2 and y1 <= y2, got {boxes[i].tolist()}")
    return boxes


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])  # (N,)


def _pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2)
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])  # (N, M, 2)
    sides = np.clip(bottom_right - top_left, 0.0, None)  # (N, M, 2): 0 where they do not overlap
    inter = sides[..., 0] * sides[..., 1]  # (N, M)
    union = _area(a)[:, None] + _area(b)[None, :] - inter  # (N, M)
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)  # zero-area pairs: 0, not 0/0
    return out


def iou(boxes_a, boxes_b) -> np.ndarray:
    """Return the intersection over union of every box of ``boxes_a`` with every box of ``boxes_b``.

    ``IoU(A, B) = area(A ∩ B) / area(A ∪ B)``, in ``[0, 1]``: 1 for identical
    boxes (of positive area), 0 for boxes that do not overlap (or touch only
    along an edge) and for zero-area boxes.

    Parameters
    ----------
    boxes_a : (N, 4) array_like
    boxes_b : (M, 4) array_like

    Returns
    -------
    (N, M) ndarray

    Examples
    --------
    >>> iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [0, 0, 2, 2], [2, 0, 4, 2]])  # overlap 1 of 7; same; edge only
    array([[0.14285714, 1.        , 0.        ]])
    """
    return _pairwise_iou(_check_boxes(boxes_a, "boxes_a"), _check_boxes(boxes_b, "boxes_b"))


def nms(boxes, scores, iou_threshold, *, classes=None) -> np.ndarray:
    """Greedy non-maximum suppression: the indices of the boxes kept, by descending score.

    Visit the boxes from the highest score down (equal scores: the lower index
    first); keep a box unless a box kept before it overlaps it with
    ``IoU > iou_threshold``. With ``classes``, boxes of different classes
    never suppress each other (``torchvision.ops.batched_nms``): a cat's box
    does not remove an overlapping dog's.

    Each round removes every box the newly kept one suppresses, by one
    vectorised IoU row, so the loop runs once per *kept* box, not per box.

    Parameters
    ----------
    boxes : (N, 4) array_like
    scores : (N,) array_like
        Finite.
    iou_threshold : float
        In ``[0, 1]``: a box is dropped if its IoU with a kept box is *greater*.
    classes : (N,) array_like of int, optional
        The class of each box.

    Returns
    -------
    keep : (K,) int64 ndarray
        Indices into ``boxes``, the highest score first.

    Examples
    --------
    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]
    >>> nms(boxes, [0.9, 0.8, 0.7], 0.5)  # box 1 overlaps box 0 (IoU 0.68): dropped
    array([0, 2])
    >>> nms(boxes, [0.9, 0.8, 0.7], 0.5, classes=[0, 1, 0])  # a different class: kept
    array([0, 1, 2])
    """
    boxes = _check_boxes(boxes, "boxes")
    scores = as_float_array(scores, "scores")
    if scores.shape != (boxes.shape[0],):
        raise ValueError(f"scores must have shape (N,) = ({boxes.shape[0]},) to match boxes, got {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite, got NaN or inf")
    if isinstance(iou_threshold, bool) or not isinstance(iou_threshold, numbers.Real):
        raise TypeError(f"iou_threshold must be a number in [0, 1], got {type(iou_threshold).__name__}")
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold!r}")
    if classes is not None:
        classes = np.asarray(classes)
        if classes.size == 0:  # np.asarray([]) is float64: an empty list of labels is still labels
            classes = classes.astype(np.int64)
        if classes.shape != scores.shape or classes.dtype.kind not in "iu":
            raise ValueError(
                f"classes must be {scores.shape[0]} integer class labels, shape {scores.shape}, "
                f"got shape {classes.shape} {classes.dtype}"
            )
    order = np.argsort(-scores, kind="stable")  # (N,), highest first; ties: lower index first
    keep = []
    while order.size:
        best = order[0]
        keep.append(best)
        rest = order[1:]
        overlap = _pairwise_iou(boxes[best : best + 1], boxes[rest])[0]  # (len(rest),)
        suppressed = overlap > iou_threshold
        if classes is not None:
            suppressed &= classes[rest] == classes[best]
        order = rest[~suppressed]
    return np.array(keep, dtype=np.int64)
