"""Tests for dlscratch.detection: iou and nms against brute-force references (hypothesis), ties, identical and
zero-area boxes, empty input, per-class suppression, bad input, and no mutation of the arguments.

torchvision.ops cannot be imported beside this torch build, so the references are plain Python loops written from
the definitions: IoU = area(A ∩ B) / area(A ∪ B) (0 when the union has no area), and greedy NMS that visits the
boxes by descending score (equal scores: lower index first) and keeps a box unless an already kept box of the same
class overlaps it with IoU > threshold.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlscratch.detection import iou, nms

# ----------------------------------------------------------------------------- brute-force references


def iou_one(a, b) -> float:
    """IoU of two boxes (x1, y1, x2, y2) in plain Python floats, in the same order of operations as the module."""
    ax1, ay1, ax2, ay2 = map(float, a)
    bx1, by1, bx2, by2 = map(float, b)
    inter_w = max(min(ax2, bx2) - max(ax1, bx1), 0.0)
    inter_h = max(min(ay2, by2) - max(ay1, by1), 0.0)
    inter = inter_w * inter_h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return inter / union if union > 0 else 0.0


def iou_brute(boxes_a, boxes_b) -> np.ndarray:
    out = np.zeros((len(boxes_a), len(boxes_b)))
    for i, a in enumerate(boxes_a):
        for j, b in enumerate(boxes_b):
            out[i, j] = iou_one(a, b)
    return out


def nms_brute(boxes, scores, threshold, classes=None) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
    keep: list[int] = []
    for i in order:
        same_class = [k for k in keep if classes is None or classes[k] == classes[i]]
        if all(iou_one(boxes[k], boxes[i]) <= threshold for k in same_class):
            keep.append(i)
    return keep


# ----------------------------------------------------------------------------- strategies


@st.composite
def box_lists(draw, min_size=0, max_size=12, integer=None):
    """Boxes as (x1, y1, x2, y2) rows: small integer grids (many ties, identical and zero-area boxes) or floats."""
    n = draw(st.integers(min_size, max_size))
    if integer is None:
        integer = draw(st.booleans())
    if integer:
        coord, side = st.integers(0, 10), st.integers(0, 6)
    else:
        coord = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
        side = st.floats(0, 50, allow_nan=False, allow_infinity=False)
    rows = []
    for _ in range(n):
        x, y, w, h = draw(coord), draw(coord), draw(side), draw(side)
        rows.append([x, y, x + w, y + h])
    return np.array(rows, dtype=np.float64).reshape(n, 4)


@st.composite
def nms_cases(draw):
    boxes = draw(box_lists())
    n = len(boxes)
    scores = np.array(draw(st.lists(st.sampled_from([0.1, 0.5, 0.5, 0.9, 1.0]), min_size=n, max_size=n)))
    threshold = draw(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 1.0]) | st.floats(0, 1))
    classes = draw(st.none() | st.lists(st.integers(0, 2), min_size=n, max_size=n).map(np.array))
    return boxes, scores, threshold, classes


# ----------------------------------------------------------------------------- iou


@settings(max_examples=200, deadline=None)
@given(box_lists(), box_lists())
def test_iou_matches_brute_force(boxes_a, boxes_b):
    result = iou(boxes_a, boxes_b)
    assert result.shape == (len(boxes_a), len(boxes_b))
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, iou_brute(boxes_a, boxes_b), rtol=1e-12, atol=0)
    assert np.all((result >= 0) & (result <= 1))


@settings(max_examples=100, deadline=None)
@given(box_lists(min_size=1), box_lists(min_size=1))
def test_iou_is_symmetric(boxes_a, boxes_b):
    np.testing.assert_array_equal(iou(boxes_a, boxes_b), iou(boxes_b, boxes_a).T)


@settings(max_examples=100, deadline=None)
@given(box_lists(min_size=1, integer=True), box_lists(min_size=1, integer=True), st.integers(-50, 50))
def test_iou_is_invariant_to_shift_and_scale(boxes_a, boxes_b, shift):
    # integer boxes: scaling by 4 and shifting by an integer are exact in float64, so IoU must not move
    moved = iou(boxes_a * 4 + shift, boxes_b * 4 + shift)
    np.testing.assert_allclose(moved, iou(boxes_a, boxes_b), rtol=1e-14, atol=0)


def test_iou_known_values():
    a = [[0, 0, 2, 2]]
    b = [[1, 1, 3, 3], [0, 0, 2, 2], [2, 0, 4, 2], [0, 0, 1, 2], [5, 5, 6, 6], [-1, -1, 3, 3]]
    # overlap 1 of union 7; identical; touching along an edge only; half inside; apart; containing (4 of 16)
    np.testing.assert_allclose(iou(a, b), [[1 / 7, 1.0, 0.0, 0.5, 0.0, 0.25]], rtol=1e-15)


def test_identical_boxes_have_iou_one():
    boxes = np.array([[0.5, 1.5, 3.25, 4.0], [0.5, 1.5, 3.25, 4.0], [10, 10, 11, 12]])
    result = iou(boxes, boxes)
    assert result[0, 1] == result[1, 0] == 1.0
    np.testing.assert_array_equal(np.diag(result), [1.0, 1.0, 1.0])


def test_zero_area_boxes_have_iou_zero():
    point = [2, 2, 2, 2]
    line = [0, 1, 4, 1]  # zero height
    boxes = np.array([point, line, [0, 0, 4, 4]], dtype=float)
    result = iou(boxes, boxes)
    # a zero-area box has IoU 0 with everything, itself included (0/0 is defined as 0, not NaN)
    assert np.all(result[:2] == 0)
    assert np.all(result[:, :2] == 0)
    assert result[2, 2] == 1.0
    assert not np.isnan(result).any()


def test_iou_empty_inputs():
    for n, m in [(0, 0), (0, 3), (2, 0)]:
        result = iou(np.zeros((n, 4)), np.ones((m, 4)))
        assert result.shape == (n, m)
        assert result.dtype == np.float64


def test_iou_keeps_float32_and_accepts_lists_and_ints():
    a32 = np.array([[0, 0, 2, 2]], dtype=np.float32)
    assert iou(a32, a32).dtype == np.float32
    assert iou([[0, 0, 2, 2]], [[1, 1, 3, 3]]).dtype == np.float64  # ints become float64


@pytest.mark.parametrize(
    ("a", "b", "error", "pattern"),
    [
        (np.zeros((2, 3)), np.zeros((1, 4)), ValueError, r"boxes_a must have shape \(N, 4\).*got shape \(2, 3\)"),
        (np.zeros((1, 4)), np.zeros(4), ValueError, r"boxes_b must have shape \(N, 4\).*got shape \(4,\)"),
        (np.zeros((1, 4)), np.zeros((1, 2, 4)), ValueError, "boxes_b must have shape"),
        ([[0, 0, 1, 1], [2, 0, 1, 1]], [[0, 0, 1, 1]], ValueError, r"boxes_a\[1\] must have x1 <= x2"),
        ([[0, 0, 1, 1]], [[0, 3, 1, 1]], ValueError, r"boxes_b\[0\] must have x1 <= x2 and y1 <= y2"),
        ([[0, 0, np.nan, 1]], [[0, 0, 1, 1]], ValueError, "boxes_a must be finite"),
        ([[0, 0, 1, 1]], [[0, 0, 1, np.inf]], ValueError, "boxes_b must be finite"),
        ("box", [[0, 0, 1, 1]], TypeError, "boxes_a"),
        ([[0, 0, 1, 1], [0, 0, 1]], [[0, 0, 1, 1]], ValueError, "boxes_a"),  # ragged
        ([[0, 0, 1, 1]], np.array([[0, 0, 1, 1j]]), TypeError, "boxes_b"),
    ],
)
def test_iou_bad_input_names_the_argument(a, b, error, pattern):
    with pytest.raises(error, match=pattern):
        iou(a, b)


def test_iou_does_not_mutate():
    a = np.array([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]])
    b = [[1, 1, 3, 3]]
    a_copy, b_copy = a.copy(), [row[:] for row in b]
    iou(a, b)
    np.testing.assert_array_equal(a, a_copy)
    assert b == b_copy


# ----------------------------------------------------------------------------- nms


@settings(max_examples=300, deadline=None)
@given(nms_cases())
def test_nms_matches_brute_force(case):
    boxes, scores, threshold, classes = case
    keep = nms(boxes, scores, threshold, classes=classes)
    assert keep.dtype == np.int64
    assert keep.ndim == 1
    assert keep.tolist() == nms_brute(boxes, scores, threshold, classes)


@settings(max_examples=200, deadline=None)
@given(nms_cases())
def test_nms_properties(case):
    boxes, scores, threshold, classes = case
    keep = nms(boxes, scores, threshold, classes=classes).tolist()
    labels = np.zeros(len(boxes), dtype=int) if classes is None else classes
    assert len(set(keep)) == len(keep)
    # kept by descending score, equal scores by ascending index
    assert all((-scores[i], i) < (-scores[j], j) for i, j in itertools.pairwise(keep))
    overlap = iou(boxes, boxes)
    # no two kept boxes of one class overlap by more than the threshold
    for a, i in enumerate(keep):
        for j in keep[a + 1 :]:
            assert labels[i] != labels[j] or overlap[i, j] <= threshold
    # every dropped box is suppressed by a kept box of its class that comes before it
    for d in set(range(len(boxes))) - set(keep):
        assert any(
            labels[k] == labels[d] and overlap[k, d] > threshold and (-scores[k], k) < (-scores[d], d) for k in keep
        )


def test_nms_known_example():
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]]
    scores = [0.9, 0.8, 0.7, 0.95]
    # box 3 (0.95) first; box 0 overlaps it by 0.9 -> dropped; box 1 overlaps box 3 by 0.6 (> 0.5) -> dropped
    assert nms(boxes, scores, 0.5).tolist() == [3, 2]
    assert nms(boxes, scores, 0.95).tolist() == [3, 0, 1, 2]


def test_nms_ties_keep_lower_index_first():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=float)
    scores = np.full(4, 0.5)
    # equal scores: visited as 0, 1, 2, 3; box 0 suppresses the identical box 1 and box 2 (IoU 9/11)
    assert nms(boxes, scores, 0.5).tolist() == [0, 3]
    # the same boxes listed in the other order: again the lower index survives (box 1 = the old box 2)
    assert nms(boxes[::-1], scores, 0.5).tolist() == [0, 1]
    # nothing overlaps more than IoU 1: every box kept, in index order
    assert nms(boxes, scores, 1.0).tolist() == [0, 1, 2, 3]
    # ties broken by index, not by position of -0.0 and 0.0
    assert nms(boxes[3:], np.array([-0.0]), 0.5).tolist() == [0]
    assert nms(boxes[:2], np.array([0.0, -0.0]), 0.5).tolist() == [0]


def test_nms_identical_boxes_keep_the_best():
    boxes = np.tile([[2.0, 3.0, 7.0, 9.0]], (5, 1))
    scores = np.array([0.3, 0.9, 0.1, 0.9, 0.5])
    assert nms(boxes, scores, 0.5).tolist() == [1]
    assert nms(boxes, scores, 0.999).tolist() == [1]
    assert nms(boxes, scores, 1.0).tolist() == [1, 3, 4, 0, 2]  # IoU 1 is not > 1


def test_nms_threshold_is_strict():
    boxes = [[0, 0, 2, 2], [0, 0, 2, 1]]  # IoU exactly 0.5
    assert nms(boxes, [1.0, 0.5], 0.5).tolist() == [0, 1]
    assert nms(boxes, [1.0, 0.5], 0.4999).tolist() == [0]
    # threshold 0: any overlap at all suppresses, touching edges do not
    assert nms([[0, 0, 2, 2], [2, 0, 4, 2], [1.9, 0, 4, 2]], [3, 2, 1], 0.0).tolist() == [0, 1]


def test_nms_zero_area_boxes_are_never_suppressed():
    boxes = [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 2, 2], [0, 1, 2, 1]]
    # a zero-area box has IoU 0 with everything, so even threshold 0 keeps them all
    assert nms(boxes, [0.1, 0.2, 0.3, 0.4], 0.0).tolist() == [3, 2, 1, 0]


def test_nms_empty_input():
    for classes in (None, [], np.zeros(0, dtype=np.int64)):
        keep = nms(np.zeros((0, 4)), np.zeros(0), 0.5, classes=classes)
        assert keep.shape == (0,)
        assert keep.dtype == np.int64


def test_nms_per_class_suppression():
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [20, 20, 30, 30]]
    scores = [0.9, 0.8, 0.7, 0.6]
    assert nms(boxes, scores, 0.5).tolist() == [0, 3]
    # a dog (1) overlapping a cat (0) is kept; the second cat is not
    assert nms(boxes, scores, 0.5, classes=[0, 1, 0, 0]).tolist() == [0, 1, 3]
    assert nms(boxes, scores, 0.5, classes=np.array([0, 1, 2, 0], dtype=np.uint8)).tolist() == [0, 1, 2, 3]


@settings(max_examples=100, deadline=None)
@given(nms_cases())
def test_nms_per_class_equals_merging_separate_runs(case):
    boxes, scores, threshold, classes = case
    if classes is None:
        return
    merged = []
    for c in np.unique(classes):
        idx = np.flatnonzero(classes == c)
        merged += idx[nms(boxes[idx], scores[idx], threshold)].tolist()
    merged.sort(key=lambda i: (-scores[i], i))
    assert nms(boxes, scores, threshold, classes=classes).tolist() == merged


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"boxes": np.zeros((3, 5))}, ValueError, r"boxes must have shape \(N, 4\)"),
        ({"boxes": [[0, 0, -1, 1], [0, 0, 1, 1], [0, 0, 1, 1]]}, ValueError, r"boxes\[0\] must have x1 <= x2"),
        ({"boxes": np.full((3, 4), np.nan)}, ValueError, "boxes must be finite"),
        ({"scores": [0.5, 0.4]}, ValueError, r"scores must have shape \(N,\) = \(3,\).*got \(2,\)"),
        ({"scores": [[0.5, 0.4, 0.3]]}, ValueError, "scores must have shape"),
        ({"scores": [0.5, np.nan, 0.3]}, ValueError, "scores must be finite"),
        ({"scores": ["a", "b", "c"]}, TypeError, "scores"),
        ({"iou_threshold": 1.5}, ValueError, r"iou_threshold must be in \[0, 1\], got 1.5"),
        ({"iou_threshold": -0.1}, ValueError, "iou_threshold"),
        ({"iou_threshold": float("nan")}, ValueError, "iou_threshold"),
        ({"iou_threshold": "0.5"}, TypeError, "iou_threshold"),
        ({"iou_threshold": True}, TypeError, "iou_threshold"),
        ({"classes": [0, 1]}, ValueError, "classes must be 3 integer class labels"),
        ({"classes": [0.0, 1.0, 0.0]}, ValueError, "classes must be 3 integer"),
        ({"classes": [True, False, True]}, ValueError, "classes"),
    ],
)
def test_nms_bad_input_names_the_argument(kwargs, error, pattern):
    args = {"boxes": [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3]], "scores": [0.9, 0.8, 0.7], "iou_threshold": 0.5}
    args.update(kwargs)
    with pytest.raises(error, match=pattern):
        nms(args["boxes"], args["scores"], args["iou_threshold"], classes=args.get("classes"))


def test_nms_does_not_mutate():
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [20.0, 20.0, 30.0, 30.0]])
    scores = np.array([0.5, 0.9, 0.7])
    classes = np.array([0, 0, 1])
    copies = boxes.copy(), scores.copy(), classes.copy()
    scores_list = [0.5, 0.9, 0.7]
    nms(boxes, scores, 0.3, classes=classes)
    nms(boxes.tolist(), scores_list, 0.3)
    for before, after in zip(copies, (boxes, scores, classes), strict=True):
        np.testing.assert_array_equal(before, after)
    assert scores_list == [0.5, 0.9, 0.7]
    assert boxes.flags.writeable
    assert scores.flags.writeable
