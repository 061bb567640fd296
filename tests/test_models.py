"""Tests for dlscratch.models: parameter counts of the full-size networks against torchvision's published numbers,
FLOP (MAC) counts against torchvision's, output and intermediate shapes, meta-device builds (fast, no memory),
backward passes and short training runs of the small variants, the layer table, and bad input.

torchvision itself cannot be imported beside this torch build (briefs/torchvision.md), so the references are its
published numbers (``Weights.meta["num_params"]`` and ``["_ops"]``), written out here, not imported from the module.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from dlscratch import models as M
from dlscratch.data import load_digits_split

# torchvision's documented parameter counts (weights=None builds the same architecture)
PUBLISHED_PARAMS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg16": 138_357_544,
    "googlenet": 6_624_904,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "densenet121": 7_978_856,
}
# torchvision's "GFLOPS" column (meta["_ops"]): giga multiply-accumulates at 3x224x224, 3 decimals (VGG-16: 2)
PUBLISHED_GMACS = {
    "alexnet": 0.714,
    "vgg11": 7.609,
    "vgg16": 15.47,
    "googlenet": 1.498,
    "resnet18": 1.814,
    "resnet34": 3.664,
    "resnet50": 4.089,
    "densenet121": 2.834,
}
FULL = ["lenet", "alexnet", "vgg11", "vgg16", "nin", "googlenet", "resnet18", "resnet34", "resnet50", "densenet121"]
SMALL = [
    "small_lenet",
    "small_alexnet",
    "small_vgg",
    "small_nin",
    "small_googlenet",
    "small_resnet",
    "small_densenet",
]


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: small convolutions are 10-30x faster than with 2 threads on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _build(name, **kwargs):
    return getattr(M, name)(**kwargs)


def _conv(c_in, c_out, k, bias=True):
    return c_in * c_out * k * k + (c_out if bias else 0)


def _linear(d, m):
    return d * m + m


# ----------------------------------------------------------------------------- parameter counts


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_parameter_count_matches_torchvision(name):
    model = _build(name, device="meta")
    assert M.count_parameters(model) == PUBLISHED_PARAMS[name]
    assert M.TORCHVISION_NUM_PARAMS[name] == PUBLISHED_PARAMS[name]


def test_lenet_parameter_count_and_d2l_shape_table():
    # d2l's LeNet: conv 1->6 (5x5, pad 2), conv 6->16 (5x5), 400 -> 120 -> 84 -> 10
    expected = _conv(1, 6, 5) + _conv(6, 16, 5) + _linear(400, 120) + _linear(120, 84) + _linear(84, 10)
    assert expected == 61_706
    model = M.lenet()
    assert M.count_parameters(model) == expected
    rows = M.layer_table(model, (1, 1, 28, 28))
    # d2l §7.6's printed table: every layer's output shape for a 1x1x28x28 input
    d2l = [
        ("Conv2d", (1, 6, 28, 28)),
        ("Sigmoid", (1, 6, 28, 28)),
        ("AvgPool2d", (1, 6, 14, 14)),
        ("Conv2d", (1, 16, 10, 10)),
        ("Sigmoid", (1, 16, 10, 10)),
        ("AvgPool2d", (1, 16, 5, 5)),
        ("Flatten", (1, 400)),
        ("Linear", (1, 120)),
        ("Sigmoid", (1, 120)),
        ("Linear", (1, 84)),
        ("Sigmoid", (1, 84)),
        ("Linear", (1, 10)),
    ]
    assert [(r.layer, r.output_shape) for r in rows] == d2l


def _nin_count(c_in, num_classes, channels=(96, 256, 384), kernels=(11, 5, 3)):
    def block(a, b, k):
        return _conv(a, b, k) + 2 * _conv(b, b, 1)

    c1, c2, c3 = channels
    k1, k2, k3 = kernels
    return block(c_in, c1, k1) + block(c1, c2, k2) + block(c2, c3, k3) + block(c3, num_classes, 3)


def test_nin_parameter_count_by_formula():
    # torchvision has no NiN: the reference is the formula of d2l's layout
    assert M.count_parameters(M.nin(device="meta")) == _nin_count(3, 1000) == 7_439_608
    assert M.count_parameters(M.NiN(10, in_channels=1, device="meta")) == _nin_count(1, 10) == 1_992_166
    small = M.small_nin(8)
    assert M.count_parameters(small) == _nin_count(1, 10, (16, 32, 64), (3, 3, 3))


def test_googlenet_aux_heads_and_paper_5x5_counts():
    aux = 2 * (_linear(2048, 1024) + _linear(1024, 1000)) + (512 + 528) * 128 + 2 * 2 * 128  # convs, BN (γ, β)
    assert M.count_parameters(M.googlenet(aux_logits=True, device="meta")) == 6_624_904 + aux == 13_004_888
    # the paper's 5x5 third branch instead of torchvision's 3x3 (vision issue #906): 16 more weights per pair
    extra = sum(b[3] * b[4] * (25 - 9) for b in M.GOOGLENET_BLOCKS if b not in ("pool3", "pool2"))
    assert M.count_parameters(M.GoogLeNet(large_kernel=5, device="meta")) == 6_624_904 + extra


def test_resnet18_count_by_formula():
    def bn(c):
        return 2 * c

    def basic(c_in, c, downsample):
        n = _conv(c_in, c, 3, False) + bn(c) + _conv(c, c, 3, False) + bn(c)
        return n + (_conv(c_in, c, 1, False) + bn(c) if downsample else 0)

    stem = _conv(3, 64, 7, False) + bn(64)
    stages = 0
    for c_in, c in [(64, 64), (64, 128), (128, 256), (256, 512)]:
        stages += basic(c_in, c, c_in != c) + basic(c, c, False)
    assert stem + stages + _linear(512, 1000) == PUBLISHED_PARAMS["resnet18"]


def test_count_parameters_trainable_only():
    model = M.small_resnet(8)
    total = M.count_parameters(model)
    for p in model.stem.parameters():
        p.requires_grad_(False)
    frozen = sum(p.numel() for p in model.stem.parameters())
    assert M.count_parameters(model, trainable_only=True) == total - frozen
    assert M.count_parameters(model) == total


# ----------------------------------------------------------------------------- FLOPs


@pytest.mark.parametrize("name", sorted(PUBLISHED_GMACS))
def test_flops_match_torchvision(name):
    model = _build(name, device="meta")
    macs = M.flops(model, (3, 224, 224))
    digits = 2 if name == "vgg16" else 3
    assert round(macs / 1e9, digits) == PUBLISHED_GMACS[name]
    assert M.TORCHVISION_GMACS[name] == PUBLISHED_GMACS[name]


@pytest.mark.parametrize(
    ("c_in", "c_out", "k", "stride", "padding", "groups", "size"),
    [(3, 8, 3, 1, 1, 1, 10), (4, 6, 5, 2, 0, 2, 13), (2, 2, 1, 1, 0, 2, 7), (1, 5, 3, 3, 2, 1, 9)],
)
def test_flops_of_one_conv_by_brute_force(c_in, c_out, k, stride, padding, groups, size):
    conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, groups=groups)
    out = (size - k + 2 * padding) // stride + 1
    # one multiply-add per (output number, input channel of its group, kernel tap)
    brute = sum(
        1
        for _o in range(c_out)
        for _i in range(out)
        for _j in range(out)
        for _c in range(c_in // groups)
        for _u in range(k)
        for _v in range(k)
    )
    assert M.flops(conv, (c_in, size, size)) == brute


def test_flops_of_linear_and_batch_scaling():
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    assert M.flops(model, (1, 8, 8)) == 640
    lenet = M.lenet()
    one = M.flops(lenet, (1, 28, 28))
    assert M.flops(lenet, (5, 1, 28, 28)) == 5 * one
    # LeNet: 6·28·28·25 + 16·10·10·150 + 400·120 + 120·84 + 84·10
    assert one == 117_600 + 240_000 + 48_000 + 10_080 + 840


# ----------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("name", FULL)
def test_full_size_output_shape_on_meta(name):
    model = _build(name, device="meta")
    c, h, w = model.input_shape
    out = model.eval()(torch.zeros(2, c, h, w, device="meta"))
    assert out.device.type == "meta"
    assert tuple(out.shape) == (2, 10 if name == "lenet" else 1000)


def _shapes(model, input_shape, layer_type):
    return [r.output_shape for r in M.layer_table(model, input_shape) if r.layer == layer_type]


def test_intermediate_shapes_of_full_networks():
    alex = M.layer_table(M.alexnet(device="meta"), (3, 224, 224))
    assert [r.output_shape for r in alex if r.layer == "MaxPool2d"] == [
        (1, 64, 27, 27),
        (1, 192, 13, 13),
        (1, 256, 6, 6),
    ]
    vgg = _shapes(M.vgg16(device="meta"), (3, 224, 224), "MaxPool2d")
    assert [s[1:] for s in vgg] == [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)]
    nin = _shapes(M.nin(device="meta"), (3, 224, 224), "MaxPool2d")
    assert [s[1:] for s in nin] == [(96, 26, 26), (256, 12, 12), (384, 5, 5)]


def _hook_outputs(model, modules, input_shape):
    shapes = []
    handles = [m.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape))) for m in modules]
    with torch.no_grad():
        model.eval()(torch.zeros(input_shape, device="meta"))
    for h in handles:
        h.remove()
    return shapes


def test_googlenet_inception_channels_and_sizes():
    model = M.googlenet(device="meta")
    blocks = [b for b in model.blocks if isinstance(b, M.Inception)]
    shapes = _hook_outputs(model, blocks, (1, 3, 224, 224))
    # 3a 3b | 4a-4e | 5a 5b, as in the paper's Table 1 (28x28, 14x14, 7x7)
    assert [s[1] for s in shapes] == [256, 480, 512, 512, 512, 528, 832, 832, 1024]
    assert [s[2] for s in shapes] == [28, 28, 14, 14, 14, 14, 14, 7, 7]
    assert [b.out_channels for b in blocks] == [s[1] for s in shapes]


def test_googlenet_aux_outputs_in_training_mode():
    model = M.googlenet(aux_logits=True, device="meta").train()
    logits, aux2, aux1 = model(torch.zeros(2, 3, 224, 224, device="meta"))
    assert tuple(logits.shape) == tuple(aux2.shape) == tuple(aux1.shape) == (2, 1000)
    assert tuple(model.eval()(torch.zeros(2, 3, 224, 224, device="meta")).shape) == (2, 1000)


@pytest.mark.parametrize(
    ("name", "channels"),
    [("resnet18", [64, 128, 256, 512]), ("resnet34", [64, 128, 256, 512]), ("resnet50", [256, 512, 1024, 2048])],
)
def test_resnet_stage_shapes(name, channels):
    model = _build(name, device="meta")
    shapes = _hook_outputs(model, list(model.stages), (1, 3, 224, 224))
    assert shapes == [(1, c, s, s) for c, s in zip(channels, [56, 28, 14, 7], strict=True)]


def test_densenet121_block_and_transition_shapes():
    model = M.densenet121(device="meta")
    parts = [m for m in model.features if isinstance(m, (M.DenseBlock, M.Transition))]
    shapes = _hook_outputs(model, parts, (1, 3, 224, 224))
    # each block adds 32 channels per layer (6, 12, 24, 16 layers); each transition halves channels and size
    assert shapes == [
        (1, 256, 56, 56),
        (1, 128, 28, 28),
        (1, 512, 28, 28),
        (1, 256, 14, 14),
        (1, 1024, 14, 14),
        (1, 512, 7, 7),
        (1, 1024, 7, 7),
    ]


def test_dense_block_grows_by_growth_rate():
    block = M.DenseBlock(3, 5, growth_rate=4, bn_size=2)
    x = torch.randn(2, 5, 6, 6)
    out = block.eval()(x)
    assert out.shape == (2, 5 + 3 * 4, 6, 6)
    assert torch.equal(out[:, :5], x)  # concatenation keeps the input channels as they are
    assert M.Transition(17, 8)(out).shape == (2, 8, 3, 3)


def test_inception_block_concatenates_branches():
    block = M.Inception(10, 4, 3, 5, 2, 6, 7).eval()
    assert block(torch.randn(2, 10, 5, 5)).shape == (2, 4 + 5 + 6 + 7, 5, 5)
    assert M.Inception(10, 4, 3, 5, 2, 6, 7, large_kernel=5)(torch.randn(1, 10, 5, 5)).shape == (1, 22, 5, 5)


def test_residual_block_with_zero_residual_is_the_identity():
    # zero_init_residual: the last BN of each branch starts at γ = 0, so F(x) = 0 and the block outputs relu(x)
    model = M.ResNet(M.BasicBlock, (2,), 10, in_channels=1, widths=(4,), stem="small", zero_init_residual=True)
    block = model.stages[0][1]
    assert torch.all(block.bn2.weight == 0)
    x = torch.rand(3, 4, 5, 5)  # non-negative, like the output of the ReLU before it
    assert torch.equal(block.eval()(x), x)
    bottleneck = M.Bottleneck(16, 4).eval()
    nn.init.zeros_(bottleneck.bn3.weight)
    y = torch.rand(2, 16, 3, 3)
    assert torch.equal(bottleneck(y), y)


# ----------------------------------------------------------------------------- meta device


def _rss_bytes() -> int:
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * 4096


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc to read the resident memory")
def test_meta_build_is_fast_and_uses_no_memory():
    M.vgg16(device="meta")  # warm-up: imports, first-call dispatch
    before = _rss_bytes()
    start = time.perf_counter()
    models = [_build(name, device="meta") for name in FULL]
    elapsed = time.perf_counter() - start
    grown = _rss_bytes() - before
    total = sum(M.count_parameters(m) for m in models)
    assert total > 290_000_000  # over a gigabyte of float32 weights, were they real
    assert grown < 100 * 2**20, f"building on meta grew the resident memory by {grown / 2**20:.0f} MiB"
    assert elapsed < 5.0, f"building the full-size networks on meta took {elapsed:.1f} s"
    for model in models:
        assert all(p.is_meta for p in model.parameters())
        assert all(b.is_meta for b in model.buffers())


def test_meta_device_context_manager():
    with torch.device("meta"):
        model = M.resnet50()
    assert all(p.is_meta for p in model.parameters())
    assert M.count_parameters(model) == PUBLISHED_PARAMS["resnet50"]


def test_layer_table_on_meta_sums_to_count():
    for name in FULL:
        model = _build(name, device="meta")
        rows = M.layer_table(model, model.input_shape)
        assert sum(r.num_params for r in rows) == M.count_parameters(model), name
        assert rows[-1].output_shape[-1] == (10 if name == "lenet" else 1000)


# ----------------------------------------------------------------------------- small variants


@pytest.mark.parametrize("size", [8, 28])
@pytest.mark.parametrize("name", SMALL)
def test_small_variant_forward_backward(name, size):
    torch.manual_seed(0)
    model = _build(name, input_size=size)
    assert model.input_shape == (1, size, size)
    x = torch.randn(4, 1, size, size)
    logits = model(x)
    assert logits.shape == (4, 10)
    loss = nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 3]))
    loss.backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
    assert any(p.grad.abs().sum() > 0 for p in model.parameters())
    assert M.count_parameters(model) < 200_000  # small: trains in seconds on a CPU


def test_small_variants_other_classes_and_channels():
    for name in SMALL:
        model = _build(name, input_size=8, in_channels=3, num_classes=4)
        assert model(torch.randn(2, 3, 8, 8)).shape == (2, 4), name
    assert M.small_resnet(8, bottleneck=True)(torch.randn(2, 1, 8, 8)).shape == (2, 10)


@pytest.fixture(scope="module")
def digits_batch():
    split = load_digits_split(flatten=False, standardize=True, seed=0)
    X = torch.tensor(split.X_train[:128], dtype=torch.float32).reshape(-1, 1, 8, 8)  # (128, 1, 8, 8)
    y = torch.tensor(split.y_train[:128], dtype=torch.long)
    return X, y


@pytest.mark.parametrize("name", SMALL)
def test_small_variant_training_reduces_the_loss(name, digits_batch):
    X, y = digits_batch
    torch.manual_seed(0)
    model = _build(name, input_size=8)

    def eval_loss():
        model.eval()
        with torch.no_grad():
            return nn.functional.cross_entropy(model(X), y).item()

    before = eval_loss()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    for _ in range(60):
        model.train()
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
    elapsed = time.perf_counter() - start
    after = eval_loss()
    # measured over seeds 0-3: every variant ends below 0.83x its initial loss (NiN, with no BatchNorm and
    # ReLU'd class scores, is the slowest; ResNet the fastest, ~0.01x)
    assert after < 0.9 * before, f"{name}: loss {before:.3f} -> {after:.3f}"
    assert elapsed < 30, f"{name}: 60 steps took {elapsed:.1f} s"


# ----------------------------------------------------------------------------- layer table


def test_layer_table_leaves_the_model_unchanged():
    torch.manual_seed(0)
    model = M.small_densenet(8).train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    rows = M.layer_table(model, (1, 8, 8))
    assert model.training  # mode restored
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k  # BN running statistics untouched, weights untouched
    model.eval()
    M.layer_table(model, [1, 8, 8])
    assert not model.training
    assert all(len(r.output_shape) >= 2 and r.output_shape[0] == 1 for r in rows)
    assert not any(r.name == "" for r in rows)


def test_layer_table_macs_and_format():
    rows = M.layer_table(M.small_vgg(8), (1, 8, 8))
    assert sum(r.macs for r in rows) == M.flops(M.small_vgg(8), (1, 8, 8))
    assert all(r.macs == 0 for r in rows if r.layer not in ("Conv2d", "Linear"))
    text = M.format_layer_table(rows)
    total = text.splitlines()[-1]
    assert total.startswith("total")
    assert f"{M.count_parameters(M.small_vgg(8)):,}" in total
    assert len(text.splitlines()) == len(rows) + 4  # header, rule, rows, rule, total


def test_layer_table_accepts_torch_size_and_4d_shapes():
    model = M.lenet()
    a = M.layer_table(model, torch.Size([1, 28, 28]))
    b = M.layer_table(model, (3, 1, 28, 28))
    assert [r.output_shape[1:] for r in a] == [r.output_shape[1:] for r in b]
    assert b[0].output_shape[0] == 3


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: M.layer_table(M.lenet(), (28, 28)), ValueError, "input_shape"),
        (lambda: M.layer_table(M.lenet(), (1, 0, 28)), ValueError, r"input_shape\[1\]"),
        (lambda: M.layer_table(M.lenet(), (1, 28.0, 28)), TypeError, r"input_shape\[1\]"),
        (lambda: M.layer_table(M.lenet(), "1x28x28"), ValueError, "input_shape"),
        (lambda: M.layer_table(M.lenet(), (3, 28, 28)), ValueError, "input_shape"),  # wrong channels
        (lambda: M.flops(M.alexnet(device="meta"), (3, 32, 32)), ValueError, "input_shape"),  # too small
        (lambda: M.layer_table("lenet", (1, 28, 28)), TypeError, "model"),
        (lambda: M.count_parameters([1, 2]), TypeError, "model"),
        (lambda: M.lenet()(torch.zeros(2, 1, 32, 32)), ValueError, r"x must have shape \(N, 1, 28, 28\)"),
        (lambda: M.small_resnet(8)(torch.zeros(2, 3, 8, 8)), ValueError, r"x must have shape \(N, 1, H, W\)"),
        (lambda: M.small_vgg(8)(torch.zeros(1, 8, 8)), ValueError, "x must have shape"),
        (lambda: M.small_nin(8)([[0.0]]), TypeError, "x must be a torch.Tensor"),
        (lambda: M.alexnet(num_classes=0), ValueError, "num_classes"),
        (lambda: M.resnet18(num_classes=True, device="meta"), TypeError, "num_classes"),
        (lambda: M.small_lenet(4), ValueError, "input_size"),
        (lambda: M.small_googlenet(5), ValueError, "input_size"),
        (lambda: M.LeNet(input_size=8), ValueError, "input_size"),
        (lambda: M.LeNet(activation="tanh"), ValueError, "activation"),
        (lambda: M.vgg(12), ValueError, "depth"),
        (lambda: M.VGG(("M",)), ValueError, "config"),
        (lambda: M.VGG((64, "X")), TypeError, r"config\[1\]"),
        (lambda: M.AlexNet(stem="tiny"), ValueError, "stem"),
        (lambda: M.AlexNet(channels=(1, 2, 3)), ValueError, "channels"),
        (lambda: M.NiN(dropout=1.0), ValueError, "dropout"),
        (lambda: M.ResNet(M.BasicBlock, (1, 1), widths=(8,)), ValueError, "widths"),
        (lambda: M.ResNet(nn.Conv2d, (1,)), TypeError, "block"),
        (lambda: M.ResNet(M.BasicBlock, (), widths=()), TypeError, "layers"),
        (lambda: M.DenseNet(0), ValueError, "growth_rate"),
        (lambda: M.DenseNet(drop_rate=-0.1, device="meta"), ValueError, "drop_rate"),
        (lambda: M.GoogLeNet(large_kernel=4), ValueError, "large_kernel"),
        (lambda: M.GoogLeNet(blocks=((1, 2, 3, 4, 5),)), ValueError, r"blocks\[0\]"),
        (lambda: M.GoogLeNet(10, blocks=((4, 4, 4, 4, 4, 4),), aux_logits=True), ValueError, "aux_logits"),
        (lambda: M.resnet18(device="not-a-device"), ValueError, "device"),
    ],
)
def test_bad_input_names_the_argument(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_error_message_gives_the_value():
    with pytest.raises(ValueError, match=re.escape("got (2, 3, 8, 8)")):
        M.small_resnet(8)(torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match=re.escape("got 0")):
        M.alexnet(num_classes=0)


def test_no_mutation_of_the_input():
    model = M.small_resnet(8).eval()
    x = torch.randn(2, 1, 8, 8)
    copy = x.clone()
    model(x)  # the in-place ReLUs act on intermediate tensors, never on x
    assert torch.equal(x, copy)


def test_public_names_exist():
    for name in M.__all__:
        assert hasattr(M, name), name
    assert math.isclose(sum(PUBLISHED_PARAMS.values()), sum(M.TORCHVISION_NUM_PARAMS.values()))
