"""Chapter 13 support code: the experiments and figures of dlscratch.plots.architectures, the chapter's
seed-dependent claims (checked on seeds 0, 1 and 2), and the exercises in exercises/ch13.py: the model
solutions pass, typical mistakes fail, and the numbers in the written model answers are right."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn

from dlscratch import models
from dlscratch.exercises import EXERCISES, ExerciseFailed, ch13, check
from dlscratch.plots import architectures as arch

SEEDS = [0, 1, 2]

# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("plot", "params"),
    [
        (arch.plot_degradation, {}),
        (arch.plot_degradation, {"num_blocks": 1}),
        (arch.plot_nms, {"iou_threshold": 0.05}),
        (arch.plot_nms, {"iou_threshold": 0.95}),
    ],
)
def test_figures_draw(plot, params):
    fig = Figure(figsize=(8, 4), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    plot(fig, **params)
    assert fig.axes
    fig.canvas.draw()


def test_figures_reject_unknown_values():
    with pytest.raises(ValueError, match="num_blocks must be one of"):
        arch.plot_degradation(Figure(), num_blocks=5)
    with pytest.raises(ValueError, match="iou_threshold"):
        arch.plot_nms(Figure(), iou_threshold=1.5)


def test_nms_scene_is_valid_and_fixed():
    boxes, scores, classes = arch.nms_scene()
    assert boxes.shape == (21, 4)
    assert scores.shape == classes.shape == (21,)
    assert (boxes[:, 2] > boxes[:, 0]).all()
    assert (boxes[:, 3] > boxes[:, 1]).all()
    assert ((scores > 0) & (scores <= 1)).all()
    assert set(classes.tolist()) == {0, 1}
    again = arch.nms_scene()
    assert all(np.array_equal(a, b) for a, b in zip((boxes, scores, classes), again, strict=True))


def test_nms_figure_keeps_more_boxes_at_higher_thresholds():
    boxes, scores, classes = arch.nms_scene()
    kept = [len(arch.nms(boxes, scores, t, classes=classes)) for t in np.arange(0.05, 1.0, 0.05)]
    assert kept == sorted(kept)
    assert kept[0] >= 3
    assert kept[-1] > kept[0]


# ----------------------------------------------------------------------------- the deep nets


def test_plain_and_residual_nets_have_the_same_parameters():
    torch.manual_seed(0)
    plain = arch.DeepConvNet(3, residual=False)
    torch.manual_seed(0)
    residual = arch.DeepConvNet(3, residual=True)
    assert models.count_parameters(plain) == models.count_parameters(residual)
    for (name, p), (_, q) in zip(plain.named_parameters(), residual.named_parameters(), strict=True):
        assert torch.equal(p, q), name
    x = torch.rand(5, 1, 8, 8)
    assert plain(x).shape == residual(x).shape == (5, 10)
    assert not torch.allclose(plain(x), residual(x))


@pytest.mark.parametrize("bad", [torch.zeros(2, 3, 8, 8), torch.zeros(8, 8), np.zeros((2, 1, 8, 8))])
def test_deep_net_rejects_bad_input_naming_x(bad):
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, H, W\)"):
        arch.DeepConvNet(1, residual=True)(bad)


@pytest.mark.parametrize(("kwargs", "name"), [({"num_blocks": 0}, "num_blocks"), ({"channels": 2.5}, "channels")])
def test_deep_net_rejects_bad_sizes(kwargs, name):
    with pytest.raises(ValueError, match=f"{name} must be an int >= 1"):
        arch.DeepConvNet(**{"num_blocks": 2, "residual": True, **kwargs})


def test_a_zeroed_residual_block_is_the_identity_and_a_zeroed_plain_block_is_zero():
    x = torch.relu(torch.randn(3, 4, 5, 5))
    for residual, expected in ((True, x), (False, torch.zeros_like(x))):
        block = arch.ResidualBlock(4, residual=residual).eval()
        with torch.no_grad():
            block.conv1.weight.zero_()
            block.conv2.weight.zero_()
            assert torch.equal(block(x), expected)


def test_residual_block_matches_the_packages_basic_block_in_float64():
    torch.manual_seed(1)
    ours = arch.ResidualBlock(6, residual=True).double().train()
    basic = models.BasicBlock(6, 6).double().train()
    basic.load_state_dict(ours.state_dict(), strict=False)
    x = torch.randn(4, 6, 7, 7, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 6, 7, 7, dtype=torch.float64)
    (ours(x) * y).sum().backward()
    grad_ours = x.grad.clone()
    x.grad = None
    (basic(x) * y).sum().backward()
    torch.testing.assert_close(grad_ours, x.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ours(x), basic(x), rtol=1e-12, atol=1e-12)


def test_residual_block_gradient_check_float64():
    torch.manual_seed(2)
    block = arch.ResidualBlock(2, residual=True).double().eval()
    with torch.no_grad():
        for bn in (block.bn1, block.bn2):
            bn.running_var.fill_(1.5)
    x = torch.randn(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(block, (x,))


# ----------------------------------------------------------------------------- training


def _tiny_data():
    X, y, _, _ = arch.digits_tensors()
    return X[:96], y[:96]


def test_train_classifier_is_seeded_and_leaves_its_data_alone():
    X, y = _tiny_data()
    X0, y0 = X.clone(), y.clone()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        runs.append(arch.train_classifier(models.small_lenet(), X, y, num_epochs=2, seed=3))
    assert runs[0].shape == (2 * 2,)  # 96 images in batches of 64: 2 per epoch
    np.testing.assert_array_equal(runs[0], runs[1])
    assert torch.equal(X, X0)
    assert torch.equal(y, y0)


def test_train_classifier_updates_only_the_given_params_and_keeps_frozen_statistics():
    X, y = _tiny_data()
    torch.manual_seed(0)
    net = models.small_resnet()
    before = copy.deepcopy(net.state_dict())
    arch.train_classifier(net, X, y, num_epochs=1, params=net.fc.parameters(), frozen_batch_norm=True)
    after = net.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"fc.weight", "fc.bias"}
    assert not net.training


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((torch.zeros(4, 64), torch.zeros(4, dtype=torch.long)), "X must be a"),
        ((torch.zeros(4, 1, 8, 8), torch.zeros(3, dtype=torch.long)), "y must be a"),
    ],
)
def test_train_classifier_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        arch.train_classifier(models.small_lenet(), *args, num_epochs=1)
    with pytest.raises(ValueError, match="num_epochs"):
        arch.train_classifier(models.small_lenet(), *_tiny_data(), num_epochs=0)


def test_smooth():
    np.testing.assert_allclose(arch.smooth(np.arange(6.0), 3), [1.0, 4.0])
    with pytest.raises(ValueError, match="per_epoch=4"):
        arch.smooth(np.arange(6.0), 4)


# ----------------------------------------------------------------------------- the chapter's claims on three seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_degradation_orderings_hold_for_every_seed(seed):
    runs = arch.degradation_runs(seed)
    per_epoch = len(runs[1, False]) // arch.NUM_EPOCHS
    final = {key: arch.smooth(losses, per_epoch)[-1] for key, losses in runs.items()}
    assert final[12, False] > final[4, False]
    assert final[12, False] > final[1, False]
    assert final[12, False] > 3 * final[12, True]
    assert final[12, True] < final[4, True]


def _accuracy(net, X, y):
    with torch.no_grad():
        return (net(X).argmax(dim=1) == y).float().mean().item()


@pytest.mark.parametrize("seed", SEEDS)
def test_batch_norm_nets_beat_the_others_for_every_seed(seed):
    X, y, X_test, y_test = arch.digits_tensors()
    accuracy = {}
    for name in ("lenet", "alexnet", "vgg", "nin", "googlenet", "resnet", "densenet"):
        torch.manual_seed(seed)
        net = getattr(models, f"small_{name}")()
        arch.train_classifier(net, X, y, num_epochs=3, seed=seed)
        accuracy[name] = _accuracy(net, X_test, y_test)
    with_bn = [accuracy[n] for n in ("googlenet", "resnet", "densenet")]
    assert min(with_bn) > 0.9
    assert min(with_bn) > max(accuracy[n] for n in ("lenet", "alexnet", "vgg", "nin"))
    assert accuracy["alexnet"] < 0.5


def _transfer(seed):
    """The chapter's transfer experiment, pretrained and fine-tuned from ``seed``."""
    X, y, X_test, y_test = arch.digits_tensors()
    old, new = y < 5, y >= 5
    X_new_test, y_new_test = X_test[y_test >= 5], y_test[y_test >= 5] - 5
    torch.manual_seed(seed)
    pretrained = models.small_resnet(num_classes=5)
    arch.train_classifier(pretrained, X[old], y[old], num_epochs=4, seed=seed)
    out = {}
    for k in (5, 150):
        g = torch.Generator().manual_seed(100 + seed)
        X_new, y_new = X[new], y[new] - 5
        picks = [torch.nonzero(y_new == c)[:, 0] for c in range(5)]
        picks = torch.cat([p[torch.randperm(len(p), generator=g)[:k]] for p in picks])
        X_few, y_few = X_new[picks], y_new[picks]
        num_epochs = max(4, 400 // len(X_few))
        torch.manual_seed(seed)
        scratch = models.small_resnet(num_classes=5)
        arch.train_classifier(scratch, X_few, y_few, num_epochs=num_epochs, seed=seed)
        frozen = copy.deepcopy(pretrained)
        frozen.fc = nn.Linear(frozen.fc.in_features, 5)
        for p in frozen.parameters():
            p.requires_grad_(False)
        for p in frozen.fc.parameters():
            p.requires_grad_(True)
        arch.train_classifier(
            frozen,
            X_few,
            y_few,
            num_epochs=num_epochs,
            lr=0.01,
            params=frozen.fc.parameters(),
            frozen_batch_norm=True,
            seed=seed,
        )
        tuned = copy.deepcopy(frozen)
        for p in tuned.parameters():
            p.requires_grad_(True)
        arch.train_classifier(tuned, X_few, y_few, num_epochs=num_epochs, lr=0.001, seed=seed)
        out[k] = {
            name: _accuracy(net, X_new_test, y_new_test)
            for name, net in (("scratch", scratch), ("frozen", frozen), ("fine-tuned", tuned))
        }
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_transfer_orderings_hold_for_every_seed(seed):
    result = _transfer(seed)
    few, many = result[5], result[150]
    assert few["fine-tuned"] > few["frozen"] > few["scratch"] + 0.1
    assert many["scratch"] > many["frozen"]
    assert many["fine-tuned"] > many["frozen"]


# ----------------------------------------------------------------------------- exercise 1: soft_nms


def soft_nms(boxes, scores, iou_threshold):
    """The chapter's model solution."""
    boxes = np.asarray(boxes, dtype=float)
    scores = np.array(scores, dtype=float)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    unvisited = list(range(len(scores)))
    while unvisited:
        best = max(unvisited, key=lambda i: (scores[i], -i))
        unvisited.remove(best)
        for i in unvisited:
            w = min(boxes[best, 2], boxes[i, 2]) - max(boxes[best, 0], boxes[i, 0])
            h = min(boxes[best, 3], boxes[i, 3]) - max(boxes[best, 1], boxes[i, 1])
            inter = max(w, 0.0) * max(h, 0.0)
            union = areas[best] + areas[i] - inter
            overlap = inter / union if union > 0 else 0.0
            if overlap > iou_threshold:
                scores[i] *= 1.0 - overlap
    return scores


def test_the_model_solution_passes(capsys):
    check("ch13.soft_nms", soft_nms)
    assert "✓ ch13.soft_nms" in capsys.readouterr().out


def _original_order(boxes, scores, iou_threshold):
    """Visits the boxes in the order of their initial scores: misses the re-ranking after a decay."""
    boxes, scores = np.asarray(boxes, dtype=float), np.array(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    for n, best in enumerate(order):
        for i in order[n + 1 :]:
            overlap = soft_iou(boxes[best], boxes[i])
            if overlap > iou_threshold:
                scores[i] *= 1.0 - overlap
    return scores


def soft_iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union


def _hard(boxes, scores, iou_threshold):
    """Greedy NMS: deletes (score 0) instead of decaying."""
    out = soft_nms(boxes, scores, iou_threshold)
    return np.where(out < np.asarray(scores), 0.0, out)


def _in_place(boxes, scores, iou_threshold):
    scores[:] = soft_nms(boxes, scores, iou_threshold)
    return scores


def _uses_the_package(boxes, scores, iou_threshold):
    from dlscratch.detection import iou

    iou(boxes, boxes)
    return soft_nms(boxes, scores, iou_threshold)


@pytest.mark.parametrize(
    ("mistake", "expected_in_message"),
    [
        (_original_order, "the order can change"),
        (_hard, "scaled by 1 - IoU"),
        (_in_place, "modified its input"),
        (_uses_the_package, "switched off"),
    ],
)
def test_typical_mistakes_fail(mistake, expected_in_message):
    with pytest.raises(ExerciseFailed, match=expected_in_message):
        check("ch13.soft_nms", mistake)


def test_dividing_by_a_zero_union_fails():
    def careless(boxes, scores, iou_threshold):
        boxes, scores = np.asarray(boxes, dtype=float), np.array(scores, dtype=float)
        for i in range(len(boxes)):  # a zero-area box against itself: 0/0
            np.float64(0.0) / (boxes[i, 2] - boxes[i, 0]) * 0
        return soft_nms(boxes, scores, iou_threshold)

    with pytest.raises(ExerciseFailed, match=r"raised FloatingPointError"):
        check("ch13.soft_nms", careless)


boxes_strategy = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 8), st.integers(0, 8)),
            min_size=n,
            max_size=n,
        ),
        st.lists(st.integers(1, 10), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(boxes_strategy, st.sampled_from([0.0, 0.3, 0.5, 1.0]))
def test_soft_nms_properties(data, threshold):
    corners, ints = data
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in corners], dtype=float)
    scores = np.array(ints, dtype=float) / 10
    out = ch13._soft_nms(boxes, scores, threshold)
    np.testing.assert_allclose(out, soft_nms(boxes, scores, threshold), rtol=1e-12, atol=0)
    assert (out <= scores).all()
    assert (out >= 0).all()
    assert out.max() == scores.max()  # the first box visited never decays
    if threshold == 1.0:
        np.testing.assert_array_equal(out, scores)
    # the first box visited (highest score, lowest index among ties) keeps its score
    first = int(np.lexsort((np.arange(len(scores)), -scores))[0])
    assert out[first] == scores[first]


# ----------------------------------------------------------------------------- exercise 2 and the written answers


def test_bottleneck_ratio_matches_the_packages_blocks():
    bottleneck = models.Bottleneck(256, 64)
    basic = models.BasicBlock(256, 256)

    def conv_weights(block):
        return sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))

    expected = conv_weights(basic) / conv_weights(bottleneck)
    assert EXERCISES["ch13.bottleneck_ratio"].expected == pytest.approx(expected, rel=1e-12)
    assert 16 < expected < 17
    check("ch13.bottleneck_ratio", expected)
    with pytest.raises(ExerciseFailed):
        check("ch13.bottleneck_ratio", conv_weights(basic) / (conv_weights(bottleneck) + 64 * 4 * 2))


def test_exercise_3_residual_jacobian_product_stays_near_the_identity():
    rng = np.random.default_rng(0)
    n, depth = 20, 30
    jacobians = [0.1 * rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(depth)]
    plain, residual = np.eye(n), np.eye(n)
    for J in jacobians:
        plain, residual = plain @ J, residual @ (np.eye(n) + J)
    assert np.linalg.norm(plain, 2) < 1e-20
    assert 0.1 < np.linalg.norm(residual, 2) < 10
