"""Classic CNN architectures in PyTorch, full size and small (chapter 13), with shape, parameter and FLOP counts.

Seven networks, in the order they were invented, each an idea the next one
builds on:

* :class:`LeNet` (LeCun et al., 1998): convolution → pooling → convolution →
  pooling → fully connected layers. The template of every CNN since.
* :class:`AlexNet` (Krizhevsky et al., 2012): LeNet made deep and wide, with
  ReLU, dropout and large first kernels (11×11, stride 4); it showed that
  *learned* features beat hand-designed ones on ImageNet.
* :class:`VGG` (Simonyan & Zisserman, 2014): only 3×3 convolutions, in blocks
  ended by a 2×2 max pooling that halves the size while the channels double.
  Two stacked 3×3 layers see a 5×5 window with fewer weights (2·9C² < 25C²).
* :class:`NiN`, *Network in Network* (Lin et al., 2013): after each convolution
  two 1×1 convolutions (a small MLP at every pixel), and no fully connected
  head: the last block has one channel per class and a global average pooling
  turns each channel into a score.
* :class:`GoogLeNet` (Szegedy et al., 2014): :class:`Inception` blocks run 1×1,
  3×3, 5×5 convolutions and a max pooling side by side and concatenate the
  results along the channels; 1×1 convolutions first *reduce* the channels so
  that the large kernels stay cheap.
* :class:`ResNet` (He et al., 2015): each block learns a residual ``F(x)`` and
  outputs ``relu(F(x) + x)``; the identity path lets a block that is not needed
  reach ``F ≈ 0`` easily and lets gradients flow through 50+ layers.
  :class:`BasicBlock` (two 3×3) for ResNet-18/34, :class:`Bottleneck`
  (1×1 reduce, 3×3, 1×1 expand ×4) for ResNet-50.
* :class:`DenseNet` (Huang et al., 2017): instead of adding, each layer of a
  :class:`DenseBlock` *concatenates* its ``growth_rate`` new channels to all the
  channels before it; :class:`Transition` layers (1×1 conv halving the
  channels, 2×2 average pooling) keep the width in check.

**Full size and small.** :func:`lenet`, :func:`alexnet`, :func:`vgg11`,
:func:`vgg16`, :func:`nin`, :func:`googlenet`, :func:`resnet18`,
:func:`resnet34`, :func:`resnet50` and :func:`densenet121` build the ImageNet
networks (3×224×224 inputs, 1000 classes; LeNet: d2l's 1×28×28, 10 classes),
layer for layer as ``torchvision.models`` defines them, so their parameter
counts equal torchvision's published ones (:data:`TORCHVISION_NUM_PARAMS`;
NiN has no torchvision model: it follows d2l). Pass ``device="meta"`` (or build
inside ``with torch.device("meta"):``) to get the architecture with no memory
for its weights: shapes, parameter and FLOP counts all work on it. The
``small_*`` functions build the same architectures, narrower and with a 3×3
stem, for 1×8×8 (the digits) or 1×28×28 inputs; they train in seconds on a CPU.
Every model has an ``input_shape`` attribute ``(C, H, W)``.

**Measuring a network.** :func:`count_parameters`, :func:`layer_table` (the
output shape, parameters and multiply-accumulates of every layer, found with
forward hooks) and :func:`flops`.

References
----------
Chapter 13 of the book (``chapters/13_cnn_architectures.md``); notes 001, 002,
004. ``torchvision/models/{alexnet,vgg,googlenet,resnet,densenet}.py``; Zhang
et al., *Dive into Deep Learning*, ch. 7-8 (LeNet, NiN and the small variants).
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

__all__ = [
    "GOOGLENET_BLOCKS",
    "TORCHVISION_GMACS",
    "TORCHVISION_NUM_PARAMS",
    "VGG",
    "VGG_CONFIGS",
    "AlexNet",
    "BasicBlock",
    "BasicConv2d",
    "Bottleneck",
    "DenseBlock",
    "DenseLayer",
    "DenseNet",
    "GoogLeNet",
    "Inception",
    "InceptionAux",
    "LayerRow",
    "LeNet",
    "NiN",
    "ResNet",
    "Transition",
    "alexnet",
    "count_parameters",
    "densenet121",
    "flops",
    "format_layer_table",
    "googlenet",
    "layer_table",
    "lenet",
    "nin",
    "nin_block",
    "resnet18",
    "resnet34",
    "resnet50",
    "small_alexnet",
    "small_densenet",
    "small_googlenet",
    "small_lenet",
    "small_nin",
    "small_resnet",
    "small_vgg",
    "vgg",
    "vgg11",
    "vgg16",
]

#: Parameter counts published by torchvision (``Weights.meta["num_params"]``), ``weights=None`` builds the same.
TORCHVISION_NUM_PARAMS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg16": 138_357_544,
    "googlenet": 6_624_904,  # without the two auxiliary heads
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "densenet121": 7_978_856,
}

#: torchvision's published compute (``Weights.meta["_ops"]``, its "GFLOPS" column) for 3×224×224: billions of
#: multiply-accumulates of the convolution and linear layers, as :func:`flops` counts them.
TORCHVISION_GMACS = {
    "alexnet": 0.714,
    "vgg11": 7.609,
    "vgg16": 15.47,
    "googlenet": 1.498,
    "resnet18": 1.814,
    "resnet34": 3.664,
    "resnet50": 4.089,
    "densenet121": 2.834,
}


# ----------------------------------------------------------------------------- checks


def _check_int(value, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_ints(values, name: str, *, minimum: int = 1, length: int | None = None) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise TypeError(f"{name} must be a non-empty sequence of ints, got {values!r}")
    if length is not None and len(values) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(values)}: {tuple(values)!r}")
    for i, v in enumerate(values):
        _check_int(v, f"{name}[{i}]", minimum=minimum)
    return tuple(int(v) for v in values)


def _check_choice(value, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _check_dropout(p, name: str = "dropout") -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p < 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1), got {p!r}")
    return float(p)


def _check_size(input_size, minimum: int) -> int:
    input_size = _check_int(input_size, "input_size")
    if input_size < minimum:
        raise ValueError(f"input_size must be >= {minimum} for this small network, got {input_size}")
    return input_size


def _on(device):
    """A context that creates tensors on ``device`` (``None``: the current default)."""
    if device is None:
        return contextlib.nullcontext()
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be a torch device such as 'cpu' or 'meta', got {device!r}") from err


def _check_input(x, in_channels: int) -> None:
    """Raise a ValueError naming ``x`` unless it is an ``(N, in_channels, H, W)`` tensor."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape (N, {in_channels}, H, W), got {type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != in_channels:
        raise ValueError(f"x must have shape (N, {in_channels}, H, W), got {tuple(x.shape)}")


def _conv_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Output size ``(W - F + 2P)/S + 1`` of a convolution or pooling, rounded down as PyTorch does."""
    return (size - kernel + 2 * padding) // stride + 1


# ----------------------------------------------------------------------------- LeNet


class LeNet(nn.Module):
    """LeNet-5 as in d2l: two convolution + average-pooling stages, then three fully connected layers.

    ``conv(6, F, pad F//2) → act → avgpool 2 → conv(16, F) → act → avgpool 2 →
    flatten → 120 → act → 84 → act → num_classes``. With the defaults (a
    1×28×28 input, ``F = 5``) the first convolution's padding 2 makes the
    28×28 image act like LeNet's original 32×32 input: 28 → 28 → 14 → 10 →
    5, so the first fully connected layer sees 16·5·5 = 400 features, and the
    network has 61,706 parameters. LeNet used sigmoid-like activations; with
    ``activation="relu"`` it trains much faster.

    Parameters
    ----------
    in_channels, num_classes : int
    input_size : int
        Height = width of the input images (the fully connected layer's size depends on it).
    kernel_size : int
        ``F`` of both convolutions.
    activation : {"sigmoid", "relu"}
    device : torch device, optional
        Where to create the parameters (``"meta"``: no memory).
    """

    def __init__(
        self,
        *,
        in_channels: int = 1,
        num_classes: int = 10,
        input_size: int = 28,
        kernel_size: int = 5,
        activation: str = "sigmoid",
        device=None,
    ):
        super().__init__()
        in_channels = _check_int(in_channels, "in_channels")
        num_classes = _check_int(num_classes, "num_classes")
        input_size = _check_int(input_size, "input_size")
        kernel_size = _check_int(kernel_size, "kernel_size")
        act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[_check_choice(activation, "activation", ("sigmoid", "relu"))]
        size = _conv_size(input_size, kernel_size, padding=kernel_size // 2) // 2
        size = _conv_size(size, kernel_size) // 2
        if size < 1:
            raise ValueError(
                f"input_size={input_size} is too small for LeNet with kernel_size={kernel_size}: "
                f"the second pooling would leave {size}x{size} pixels"
            )
        self.in_channels = in_channels
        self.input_shape = (in_channels, input_size, input_size)
        with _on(device):
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, 6, kernel_size, padding=kernel_size // 2),
                act(),
                nn.AvgPool2d(2, stride=2),
                nn.Conv2d(6, 16, kernel_size),
                act(),
                nn.AvgPool2d(2, stride=2),
                nn.Flatten(),
            )
            self.classifier = nn.Sequential(
                nn.Linear(16 * size * size, 120),
                act(),
                nn.Linear(120, 84),
                act(),
                nn.Linear(84, num_classes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, C, H, W) tensor with H = W = input_size → logits (N, num_classes)."""
        _check_input(x, self.in_channels)
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        return self.classifier(self.features(x))


def lenet(*, num_classes: int = 10, device=None) -> LeNet:
    """d2l's LeNet-5 for 1×28×28 images: sigmoid activations, 61,706 parameters.

    >>> count_parameters(lenet())
    61706
    """
    return LeNet(num_classes=num_classes, device=device)


def small_lenet(input_size: int = 8, *, in_channels: int = 1, num_classes: int = 10, device=None) -> LeNet:
    """LeNet with ReLU for the 8×8 digits (3×3 kernels: 8 → 8 → 4 → 2 → 1) or for 28×28 images (5×5 kernels)."""
    input_size = _check_int(input_size, "input_size")
    kernel_size = 5 if input_size >= 28 else 3
    return LeNet(
        in_channels=in_channels,
        num_classes=num_classes,
        input_size=input_size,
        kernel_size=kernel_size,
        activation="relu",
        device=device,
    )


# ----------------------------------------------------------------------------- AlexNet


class AlexNet(nn.Module):
    """AlexNet as in torchvision (the one-GPU version of Krizhevsky's "one weird trick" paper).

    Five convolutions (the first 11×11 with stride 4, the second 5×5, then three
    3×3), three max poolings (3×3, stride 2), an adaptive average pooling to
    ``pool_size × pool_size``, and three fully connected layers with dropout.
    Almost all of its 61.1 million parameters sit in the first fully connected
    layer (256·6·6·4096 = 37.7 million weights).

    Parameters
    ----------
    num_classes, in_channels : int
    channels : 5 ints
        Output channels of the five convolutions (torchvision: 64, 192, 384, 256, 256).
    hidden : int
        Width of the two hidden fully connected layers (4096).
    dropout : float
    pool_size : int
        Output size of the adaptive average pooling before the classifier (6).
    stem : {"imagenet", "small"}
        ``"small"``: 3×3 convolutions with stride 1 and 2×2 max poolings, for 8×8 or 28×28 inputs.
    device : torch device, optional
    """

    def __init__(
        self,
        num_classes: int = 1000,
        *,
        in_channels: int = 3,
        channels: Sequence[int] = (64, 192, 384, 256, 256),
        hidden: int = 4096,
        dropout: float = 0.5,
        pool_size: int = 6,
        stem: str = "imagenet",
        device=None,
    ):
        super().__init__()
        num_classes = _check_int(num_classes, "num_classes")
        self.in_channels = _check_int(in_channels, "in_channels")
        c1, c2, c3, c4, c5 = _check_ints(channels, "channels", length=5)
        hidden = _check_int(hidden, "hidden")
        dropout = _check_dropout(dropout)
        pool_size = _check_int(pool_size, "pool_size")
        small = _check_choice(stem, "stem", ("imagenet", "small")) == "small"
        self.input_shape = (in_channels, 8, 8) if small else (in_channels, 224, 224)
        with _on(device):
            if small:
                first = [nn.Conv2d(in_channels, c1, 3, padding=1)]
                second = [nn.Conv2d(c1, c2, 3, padding=1)]

                def pool():
                    return nn.MaxPool2d(2, stride=2)

            else:
                first = [nn.Conv2d(in_channels, c1, 11, stride=4, padding=2)]
                second = [nn.Conv2d(c1, c2, 5, padding=2)]

                def pool():
                    return nn.MaxPool2d(3, stride=2)

            self.features = nn.Sequential(
                *first,
                nn.ReLU(inplace=True),
                pool(),
                *second,
                nn.ReLU(inplace=True),
                pool(),
                nn.Conv2d(c2, c3, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(c3, c4, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(c4, c5, 3, padding=1),
                nn.ReLU(inplace=True),
                pool(),
            )
            self.avgpool = nn.AdaptiveAvgPool2d(pool_size)
            self.flatten = nn.Flatten()
            self.classifier = nn.Sequential(
                nn.Dropout(dropout),
                nn.Linear(c5 * pool_size * pool_size, hidden),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden, hidden),
                nn.ReLU(inplace=True),
                nn.Linear(hidden, num_classes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, C, H, W) tensor → logits (N, num_classes)."""
        _check_input(x, self.in_channels)
        x = self.features(x)
        x = self.flatten(self.avgpool(x))  # (N, C5 * pool_size**2)
        return self.classifier(x)


def alexnet(*, num_classes: int = 1000, device=None) -> AlexNet:
    """torchvision's AlexNet: 61,100,840 parameters with 1000 classes."""
    return AlexNet(num_classes, device=device)


def small_alexnet(input_size: int = 8, *, in_channels: int = 1, num_classes: int = 10, device=None) -> AlexNet:
    """A narrow AlexNet (channels 16, 32, 64, 64, 32; hidden 128) with 3×3 kernels for 8×8 or 28×28 inputs."""
    size = _check_size(input_size, 8)
    model = AlexNet(
        num_classes,
        in_channels=in_channels,
        channels=(16, 32, 64, 64, 32),
        hidden=128,
        pool_size=1,
        stem="small",
        device=device,
    )
    model.input_shape = (in_channels, size, size)
    return model


# ----------------------------------------------------------------------------- VGG

#: VGG configurations by depth: an int is a 3×3 convolution with that many channels, "M" a 2×2 max pooling.
VGG_CONFIGS = {
    11: (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    13: (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    16: (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    19: (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}


class VGG(nn.Module):
    """VGG as in torchvision: blocks of 3×3 convolutions (padding 1) each ended by a 2×2 max pooling.

    ``config`` lists the layers: an int ``c`` is ``Conv2d(·, c, 3, padding=1)``
    (+ ``BatchNorm2d`` with ``batch_norm``) + ReLU, ``"M"`` a 2×2 max pooling
    with stride 2 that halves the height and width. VGG-16 (configuration D) is
    64, 64, M, 128, 128, M, 256×3, M, 512×3, M, 512×3, M: 13 convolutions and
    3 fully connected layers. An adaptive average pooling to
    ``pool_size × pool_size`` (7 for 224×224 inputs) feeds a classifier of
    two hidden layers (4096) with dropout.

    Parameters
    ----------
    config : sequence of int or "M"
    num_classes, in_channels, hidden : int
    dropout : float
    pool_size : int
    batch_norm : bool
    device : torch device, optional
    """

    def __init__(
        self,
        config: Sequence[int | str] = VGG_CONFIGS[16],
        num_classes: int = 1000,
        *,
        in_channels: int = 3,
        hidden: int = 4096,
        dropout: float = 0.5,
        pool_size: int = 7,
        batch_norm: bool = False,
        device=None,
    ):
        super().__init__()
        if isinstance(config, (str, bytes)) or not isinstance(config, Sequence) or not config:
            raise TypeError(f"config must be a non-empty sequence of ints and 'M', got {config!r}")
        for i, v in enumerate(config):
            if v != "M":
                _check_int(v, f"config[{i}]")
        if all(v == "M" for v in config):
            raise ValueError(f"config must contain at least one convolution (an int), got {tuple(config)!r}")
        num_classes = _check_int(num_classes, "num_classes")
        self.in_channels = _check_int(in_channels, "in_channels")
        hidden = _check_int(hidden, "hidden")
        dropout = _check_dropout(dropout)
        pool_size = _check_int(pool_size, "pool_size")
        self.input_shape = (in_channels, 224, 224)
        with _on(device):
            layers: list[nn.Module] = []
            channels = in_channels
            for v in config:
                if v == "M":
                    layers.append(nn.MaxPool2d(2, stride=2))
                    continue
                layers.append(nn.Conv2d(channels, int(v), 3, padding=1))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(int(v)))
                layers.append(nn.ReLU(inplace=True))
                channels = int(v)
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d(pool_size)
            self.flatten = nn.Flatten()
            self.classifier = nn.Sequential(
                nn.Linear(channels * pool_size * pool_size, hidden),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden, hidden),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden, num_classes),
            )
            for m in self.modules():  # torchvision's initialisation
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, 0.01)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, C, H, W) tensor → logits (N, num_classes)."""
        _check_input(x, self.in_channels)
        x = self.flatten(self.avgpool(self.features(x)))  # (N, C_last * pool_size**2)
        return self.classifier(x)


def vgg(depth: int = 16, *, num_classes: int = 1000, batch_norm: bool = False, device=None) -> VGG:
    """torchvision's VGG-11, -13, -16 or -19 (configurations A, B, D, E)."""
    if depth not in VGG_CONFIGS:
        raise ValueError(f"depth must be one of {sorted(VGG_CONFIGS)}, got {depth!r}")
    return VGG(VGG_CONFIGS[depth], num_classes, batch_norm=batch_norm, device=device)


def vgg11(*, num_classes: int = 1000, device=None) -> VGG:
    """torchvision's VGG-11: 132,863,336 parameters with 1000 classes."""
    return vgg(11, num_classes=num_classes, device=device)


def vgg16(*, num_classes: int = 1000, device=None) -> VGG:
    """torchvision's VGG-16: 138,357,544 parameters with 1000 classes."""
    return vgg(16, num_classes=num_classes, device=device)


def small_vgg(input_size: int = 8, *, in_channels: int = 1, num_classes: int = 10, device=None) -> VGG:
    """A narrow VGG: 16, M, 32, M, 64, 64, M (8 → 1 or 28 → 3 pixels), global pooling, one hidden layer of 128."""
    model = VGG(
        (16, "M", 32, "M", 64, 64, "M"),
        num_classes,
        in_channels=in_channels,
        hidden=128,
        pool_size=1,
        device=device,
    )
    size = _check_size(input_size, 8)
    model.input_shape = (in_channels, size, size)
    return model


# ----------------------------------------------------------------------------- NiN


def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> nn.Sequential:
    """A NiN block: a convolution, then two 1×1 convolutions (an MLP applied at every pixel), each + ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 1),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 1),
        nn.ReLU(inplace=True),
    )


class NiN(nn.Module):
    """Network in Network as in d2l (§8.3): NiN blocks, max poolings, no fully connected layer.

    ``nin_block(96, 11×11, stride 4) → maxpool 3/2 → nin_block(256, 5×5) →
    maxpool 3/2 → nin_block(384, 3×3) → maxpool 3/2 → dropout →
    nin_block(num_classes, 3×3) → global average pooling → flatten``.
    The last block has one channel per class; averaging each channel over the
    image gives the class scores, so the head has no dense weights (and, as in
    d2l, the scores come out of a ReLU, hence are >= 0).
    torchvision has no NiN: its parameter count is checked against a formula.

    Parameters
    ----------
    num_classes, in_channels : int
    channels : 3 ints
        Output channels of the first three NiN blocks (96, 256, 384).
    dropout : float
    stem : {"imagenet", "small"}
        ``"small"``: 3×3 kernels with stride 1 and 2×2 max poolings.
    device : torch device, optional
    """

    def __init__(
        self,
        num_classes: int = 1000,
        *,
        in_channels: int = 3,
        channels: Sequence[int] = (96, 256, 384),
        dropout: float = 0.5,
        stem: str = "imagenet",
        device=None,
    ):
        super().__init__()
        num_classes = _check_int(num_classes, "num_classes")
        self.in_channels = _check_int(in_channels, "in_channels")
        c1, c2, c3 = _check_ints(channels, "channels", length=3)
        dropout = _check_dropout(dropout)
        small = _check_choice(stem, "stem", ("imagenet", "small")) == "small"
        self.input_shape = (in_channels, 8, 8) if small else (in_channels, 224, 224)
        with _on(device):
            if small:
                first, second = (3, 1, 1), (3, 1, 1)

                def pool():
                    return nn.MaxPool2d(2, stride=2)

            else:
                first, second = (11, 4, 0), (5, 1, 2)

                def pool():
                    return nn.MaxPool2d(3, stride=2)

            self.features = nn.Sequential(
                nin_block(in_channels, c1, *first),
                pool(),
                nin_block(c1, c2, *second),
                pool(),
                nin_block(c2, c3, 3, 1, 1),
                pool(),
                nn.Dropout(dropout),
                nin_block(c3, num_classes, 3, 1, 1),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, C, H, W) tensor → class scores (N, num_classes)."""
        _check_input(x, self.in_channels)
        return self.features(x)


def nin(*, num_classes: int = 1000, in_channels: int = 3, device=None) -> NiN:
    """d2l's NiN for 224×224 inputs (no torchvision model exists)."""
    return NiN(num_classes, in_channels=in_channels, device=device)


def small_nin(input_size: int = 8, *, in_channels: int = 1, num_classes: int = 10, device=None) -> NiN:
    """A narrow NiN (channels 16, 32, 64) with 3×3 kernels and 2×2 poolings, for 8×8 or 28×28 inputs."""
    model = NiN(num_classes, in_channels=in_channels, channels=(16, 32, 64), stem="small", device=device)
    size = _check_size(input_size, 8)
    model.input_shape = (in_channels, size, size)
    return model


# ----------------------------------------------------------------------------- GoogLeNet


class BasicConv2d(nn.Module):
    """Conv2d (no bias) → BatchNorm2d(eps=0.001) → ReLU: GoogLeNet's building brick (torchvision)."""

    def __init__(self, in_channels: int, out_channels: int, **conv_kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **conv_kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """An Inception block: four parallel branches concatenated along the channels.

    1. 1×1 convolution (``ch1x1`` channels);
    2. 1×1 reduction to ``ch3x3red``, then 3×3 (``ch3x3``);
    3. 1×1 reduction to ``ch5x5red``, then ``large_kernel``×``large_kernel`` (``ch5x5``);
    4. 3×3 max pooling (stride 1), then 1×1 projection (``pool_proj``).

    Every branch keeps the height and width, so the output has
    ``ch1x1 + ch3x3 + ch5x5 + pool_proj`` channels. The 1×1 reductions make the
    large kernels cheap: a 3×3 convolution from 192 to 128 channels costs
    192·128·9 multiply-adds per pixel, the reduction to 96 first and then the
    3×3 costs 192·96 + 96·128·9, about 60 % of it.

    ``large_kernel``: the paper's third branch is 5×5; torchvision's GoogLeNet
    uses 3×3 there (a known bug, pytorch/vision issue #906, kept for its
    pretrained weights), so ``large_kernel=3`` reproduces torchvision's
    parameter count and ``large_kernel=5`` the paper's network.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
        *,
        large_kernel: int = 3,
    ):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            BasicConv2d(ch5x5red, ch5x5, kernel_size=large_kernel, padding=large_kernel // 2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(branches, dim=1)  # (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)


class InceptionAux(nn.Module):
    """GoogLeNet's auxiliary classifier (training only): avgpool to 4×4 → 1×1 conv 128 → fc 1024 → dropout 0.7 → fc."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(2048, 1024)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(0.7)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.flatten(self.conv(self.pool(x)))  # (N, 128 * 4 * 4)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


#: torchvision's GoogLeNet after the stem: Inception arguments (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj),
#: "pool3" a 3×3 and "pool2" a 2×2 max pooling with stride 2 (ceil mode).
GOOGLENET_BLOCKS = (
    (64, 96, 128, 16, 32, 32),  # 3a → 256
    (128, 128, 192, 32, 96, 64),  # 3b → 480
    "pool3",
    (192, 96, 208, 16, 48, 64),  # 4a → 512 (aux1 reads here)
    (160, 112, 224, 24, 64, 64),  # 4b → 512
    (128, 128, 256, 24, 64, 64),  # 4c → 512
    (112, 144, 288, 32, 64, 64),  # 4d → 528 (aux2 reads here)
    (256, 160, 320, 32, 128, 128),  # 4e → 832
    "pool2",
    (256, 160, 320, 32, 128, 128),  # 5a → 832
    (384, 192, 384, 48, 128, 128),  # 5b → 1024
)


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) as in torchvision: a stem, nine Inception blocks, global pooling, one linear layer.

    Stem (``"imagenet"``): 7×7/2 conv 64 → 3×3/2 max pool → 1×1 conv 64 → 3×3
    conv 192 → 3×3/2 max pool (224 → 28). Then the blocks of ``blocks``, an
    adaptive average pooling to 1×1, dropout 0.2 and one linear layer: unlike
    AlexNet and VGG, no large fully connected layers. With ``aux_logits`` the
    two auxiliary classifiers of the paper are added after blocks 4a and 4d
    (torchvision's default; the published 6,624,904 parameters are without
    them); in training mode the forward pass then returns
    ``(logits, aux2, aux1)``.

    Parameters
    ----------
    num_classes, in_channels : int
    blocks : sequence
        6-tuples of Inception arguments, or ``"pool3"``/``"pool2"`` max poolings.
    aux_logits : bool
        Only with the default ``blocks``.
    large_kernel : int
        The kernel of the third branch (see :class:`Inception`).
    dropout : float
    stem : {"imagenet", "small"}
        ``"small"``: one 3×3 ``BasicConv2d`` with ``stem_channels`` channels.
    stem_channels : int
    torchvision_init : bool
        Initialise every weight from a normal distribution with std 0.01 (truncated at ±2), as torchvision
        does; ``False`` keeps PyTorch's default (Kaiming-uniform) initialisation. The small variant uses
        ``False``: with std 0.01 the convolutions' outputs have a variance near 1e-4 while BatchNorm's
        running variance starts at 1 and forgets it by 10 % a step, so a network trained for a few dozen
        steps is accurate in training mode and near chance in eval mode.
    device : torch device, optional
    """

    def __init__(
        self,
        num_classes: int = 1000,
        *,
        in_channels: int = 3,
        blocks: Sequence = GOOGLENET_BLOCKS,
        aux_logits: bool = False,
        large_kernel: int = 3,
        dropout: float = 0.2,
        stem: str = "imagenet",
        stem_channels: int = 32,
        torchvision_init: bool = True,
        device=None,
    ):
        super().__init__()
        num_classes = _check_int(num_classes, "num_classes")
        self.in_channels = _check_int(in_channels, "in_channels")
        large_kernel = _check_int(large_kernel, "large_kernel")
        if large_kernel % 2 == 0:
            raise ValueError(f"large_kernel must be odd (to keep the size with padding k//2), got {large_kernel}")
        dropout = _check_dropout(dropout)
        small = _check_choice(stem, "stem", ("imagenet", "small")) == "small"
        if isinstance(blocks, (str, bytes)) or not isinstance(blocks, Sequence) or not blocks:
            raise TypeError(f"blocks must be a non-empty sequence of 6-tuples and 'pool3'/'pool2', got {blocks!r}")
        for i, b in enumerate(blocks):
            if b not in ("pool3", "pool2"):
                _check_ints(b, f"blocks[{i}]", length=6)
        if aux_logits and tuple(blocks) != GOOGLENET_BLOCKS:
            raise ValueError("aux_logits=True needs the default blocks (the heads read after blocks 4a and 4d)")
        self.aux_logits = bool(aux_logits)
        self.input_shape = (in_channels, 8, 8) if small else (in_channels, 224, 224)
        with _on(device):
            if small:
                stem_channels = _check_int(stem_channels, "stem_channels")
                self.stem = nn.Sequential(BasicConv2d(in_channels, stem_channels, kernel_size=3, padding=1))
                channels = stem_channels
            else:
                self.stem = nn.Sequential(
                    BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                    nn.MaxPool2d(3, stride=2, ceil_mode=True),
                    BasicConv2d(64, 64, kernel_size=1),
                    BasicConv2d(64, 192, kernel_size=3, padding=1),
                    nn.MaxPool2d(3, stride=2, ceil_mode=True),
                )
                channels = 192
            layers: list[nn.Module] = []
            for b in blocks:
                if b == "pool3":
                    layers.append(nn.MaxPool2d(3, stride=2, ceil_mode=True))
                elif b == "pool2":
                    layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
                else:
                    block = Inception(channels, *b, large_kernel=large_kernel)
                    layers.append(block)
                    channels = block.out_channels
            self.blocks = nn.Sequential(*layers)
            # indices into self.blocks after which the auxiliary heads read (4a, 4d)
            self._aux_after = {3: "aux1", 6: "aux2"} if self.aux_logits else {}
            self.aux1 = InceptionAux(512, num_classes) if self.aux_logits else None
            self.aux2 = InceptionAux(528, num_classes) if self.aux_logits else None
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
            self.dropout = nn.Dropout(dropout)
            self.fc = nn.Linear(channels, num_classes)
            for m in self.modules() if torchvision_init else ():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor):
        """x : (N, C, H, W) tensor → logits (N, num_classes); ``(logits, aux2, aux1)`` when training with aux heads."""
        _check_input(x, self.in_channels)
        x = self.stem(x)
        aux = {}
        for i, block in enumerate(self.blocks):
            x = block(x)
            if self.training and i in self._aux_after:
                aux[self._aux_after[i]] = getattr(self, self._aux_after[i])(x)
        x = self.fc(self.dropout(self.flatten(self.avgpool(x))))  # (N, num_classes)
        if self.training and self.aux_logits:
            return x, aux["aux2"], aux["aux1"]
        return x


def googlenet(*, num_classes: int = 1000, aux_logits: bool = False, device=None) -> GoogLeNet:
    """torchvision's GoogLeNet: 6,624,904 parameters without the auxiliary heads, 13,004,888 with them."""
    return GoogLeNet(num_classes, aux_logits=aux_logits, device=device)


def small_googlenet(input_size: int = 8, *, in_channels: int = 1, num_classes: int = 10, device=None) -> GoogLeNet:
    """A small GoogLeNet: a 3×3 stem (32), Inception → 56 channels, 2×2 max pool, Inception → 72, global pooling."""
    model = GoogLeNet(
        num_classes,
        in_channels=in_channels,
        blocks=((16, 16, 24, 4, 8, 8), "pool2", (24, 24, 32, 4, 8, 8)),
        stem="small",
        stem_channels=32,
        torchvision_init=False,
        device=device,
    )
    size = _check_size(input_size, 8)
    model.input_shape = (in_channels, size, size)
    return model


# ----------------------------------------------------------------------------- ResNet


def _conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def _conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """ResNet-18/34's residual block: ``relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))``.

    The block learns the residual ``F(x) = H(x) - x`` of the mapping ``H`` it
    should compute. When the block changes the size (``stride=2``) or the
    channels, the shortcut is a strided 1×1 convolution + BN (``downsample``),
    otherwise the identity.
    """

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = _conv3x3(in_channels, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)  # the residual connection


class Bottleneck(nn.Module):
    """ResNet-50's residual block: 1×1 reduce to ``planes`` → 3×3 → 1×1 expand to ``4·planes``, + shortcut.

    The 1×1 convolutions make the 3×3 one work on 4× fewer channels: a
    bottleneck block on 256 channels has about 70 k weights, two 3×3 layers on
    256 channels would have 1.2 M. The stride sits on the 3×3 convolution
    (torchvision's "ResNet v1.5").
    """

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = _conv1x1(in_channels, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)  # the residual connection


class ResNet(nn.Module):
    """ResNet as in torchvision: a stem, stages of residual blocks, global average pooling, one linear layer.

    Stem (``"imagenet"``): 7×7/2 conv 64 + BN + ReLU, 3×3/2 max pool (224 →
    56). Stage ``i`` has ``layers[i]`` blocks with ``widths[i]`` planes; every
    stage but the first starts with a stride-2 block (the size halves, the
    channels double). ResNet-18 is ``BasicBlock, (2, 2, 2, 2)``, ResNet-34
    ``BasicBlock, (3, 4, 6, 3)``, ResNet-50 ``Bottleneck, (3, 4, 6, 3)``.

    Parameters
    ----------
    block : BasicBlock or Bottleneck (the class)
    layers : sequence of int
        Blocks per stage.
    num_classes, in_channels : int
    widths : sequence of int
        Planes per stage, as many as ``layers`` (64, 128, 256, 512).
    stem : {"imagenet", "small"}
        ``"small"``: a 3×3 conv with stride 1 + BN + ReLU, no max pooling.
    zero_init_residual : bool
        Start the last BN of every residual branch at 0, so each block starts as the identity.
    device : torch device, optional
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck] = BasicBlock,
        layers: Sequence[int] = (2, 2, 2, 2),
        num_classes: int = 1000,
        *,
        in_channels: int = 3,
        widths: Sequence[int] = (64, 128, 256, 512),
        stem: str = "imagenet",
        zero_init_residual: bool = False,
        device=None,
    ):
        super().__init__()
        if block not in (BasicBlock, Bottleneck):
            raise TypeError(f"block must be BasicBlock or Bottleneck, got {block!r}")
        layers = _check_ints(layers, "layers")
        widths = _check_ints(widths, "widths", length=len(layers))
        num_classes = _check_int(num_classes, "num_classes")
        self.in_channels = _check_int(in_channels, "in_channels")
        small = _check_choice(stem, "stem", ("imagenet", "small")) == "small"
        self.input_shape = (in_channels, 8, 8) if small else (in_channels, 224, 224)
        with _on(device):
            channels = widths[0]
            if small:
                self.stem = nn.Sequential(
                    _conv3x3(in_channels, channels), nn.BatchNorm2d(channels), nn.ReLU(inplace=True)
                )
            else:
                self.stem = nn.Sequential(
                    nn.Conv2d(in_channels, channels, 7, stride=2, padding=3, bias=False),
                    nn.BatchNorm2d(channels),
                    nn.ReLU(inplace=True),
                    nn.MaxPool2d(3, stride=2, padding=1),
                )
            stages = []
            for i, (num_blocks, planes) in enumerate(zip(layers, widths, strict=True)):
                stride = 1 if i == 0 else 2
                downsample = None
                if stride != 1 or channels != planes * block.expansion:
                    downsample = nn.Sequential(
                        _conv1x1(channels, planes * block.expansion, stride), nn.BatchNorm2d(planes * block.expansion)
                    )
                stage = [block(channels, planes, stride, downsample)]
                channels = planes * block.expansion
                stage += [block(channels, planes) for _ in range(1, num_blocks)]
                stages.append(nn.Sequential(*stage))
            self.stages = nn.Sequential(*stages)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(channels, num_classes)
            for m in self.modules():  # torchvision's initialisation
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
            if zero_init_residual:
                for m in self.modules():
                    if isinstance(m, Bottleneck):
                        nn.init.zeros_(m.bn3.weight)
                    elif isinstance(m, BasicBlock):
                        nn.init.zeros_(m.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, C, H, W) tensor → logits (N, num_classes)."""
        _check_input(x, self.in_channels)
        x = self.stages(self.stem(x))
        return self.fc(self.flatten(self.avgpool(x)))  # (N, num_classes)


def resnet18(*, num_classes: int = 1000, device=None) -> ResNet:
    """torchvision's ResNet-18: 11,689,512 parameters with 1000 classes."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes, device=device)


def resnet34(*, num_classes: int = 1000, device=None) -> ResNet:
    """torchvision's ResNet-34: 21,797,672 parameters with 1000 classes."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes, device=device)


def resnet50(*, num_classes: int = 1000, device=None) -> ResNet:
    """torchvision's ResNet-50: 25,557,032 parameters with 1000 classes."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, device=device)


def small_resnet(
    input_size: int = 8, *, in_channels: int = 1, num_classes: int = 10, bottleneck: bool = False, device=None
) -> ResNet:
    """A small ResNet: a 3×3 stem and three stages of one block each (16, 32, 64 planes; 8 → 8 → 4 → 2)."""
    block = Bottleneck if bottleneck else BasicBlock
    model = ResNet(
        block, (1, 1, 1), num_classes, in_channels=in_channels, widths=(16, 32, 64), stem="small", device=device
    )
    size = _check_size(input_size, 8)
    model.input_shape = (in_channels, size, size)
    return model


# ----------------------------------------------------------------------------- DenseNet


class DenseLayer(nn.Module):
    """One layer of a dense block (DenseNet-BC): BN → ReLU → 1×1 conv (``bn_size·k``) → BN → ReLU → 3×3 conv (``k``).

    It returns only its ``k = growth_rate`` new channels; :class:`DenseBlock`
    concatenates them to its input.
    """

    def __init__(self, in_channels: int, growth_rate: int, bn_size: int, drop_rate: float):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)
        self.dropout = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(self.relu1(self.norm1(x)))  # (N, bn_size * k, H, W)
        return self.dropout(self.conv2(self.relu2(self.norm2(out))))  # (N, k, H, W)


class DenseBlock(nn.Module):
    """``num_layers`` dense layers; layer ``i`` sees the input and all earlier outputs, concatenated.

    The block maps ``C`` channels to ``C + num_layers·growth_rate``: each layer
    adds ``growth_rate`` channels (the *growth rate*) and can reuse every
    feature map computed before it in the block. ResNet adds the shortcut to
    the output; DenseNet concatenates it.
    """

    def __init__(self, num_layers: int, in_channels: int, growth_rate: int, bn_size: int = 4, drop_rate: float = 0.0):
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size, drop_rate) for i in range(num_layers)
        )
        self.out_channels = in_channels + num_layers * growth_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = torch.cat([x, layer(x)], dim=1)  # (N, C + k, H, W): the dense connection
        return x


class Transition(nn.Sequential):
    """A transition layer: BN → ReLU → 1×1 conv (fewer channels) → 2×2 average pooling (half the size)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.pool = nn.AvgPool2d(2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC as in torchvision: a stem, dense blocks separated by transitions that halve the channels.

    DenseNet-121 is ``growth_rate=32, block_config=(6, 12, 24, 16),
    num_init_features=64``: 58 dense layers of 2 convolutions, 3 transitions,
    the stem convolution and the classifier make 121 layers with weights, and
    only 8.0 M parameters (ResNet-50: 25.6 M).

    Parameters
    ----------
    growth_rate : int
        ``k``: channels added by each dense layer.
    block_config : sequence of int
        Dense layers per block.
    num_init_features : int
        Channels of the stem convolution.
    bn_size : int
        The 1×1 bottleneck of a dense layer has ``bn_size·k`` channels.
    drop_rate : float
        Dropout after each dense layer.
    num_classes, in_channels : int
    stem : {"imagenet", "small"}
        ``"imagenet"``: 7×7/2 conv + BN + ReLU + 3×3/2 max pool; ``"small"``: 3×3 conv + BN + ReLU.
    device : torch device, optional
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: Sequence[int] = (6, 12, 24, 16),
        num_init_features: int = 64,
        *,
        bn_size: int = 4,
        drop_rate: float = 0.0,
        num_classes: int = 1000,
        in_channels: int = 3,
        stem: str = "imagenet",
        device=None,
    ):
        super().__init__()
        growth_rate = _check_int(growth_rate, "growth_rate")
        block_config = _check_ints(block_config, "block_config")
        channels = _check_int(num_init_features, "num_init_features")
        bn_size = _check_int(bn_size, "bn_size")
        drop_rate = _check_dropout(drop_rate, "drop_rate")
        num_classes = _check_int(num_classes, "num_classes")
        self.in_channels = _check_int(in_channels, "in_channels")
        small = _check_choice(stem, "stem", ("imagenet", "small")) == "small"
        self.input_shape = (in_channels, 8, 8) if small else (in_channels, 224, 224)
        with _on(device):
            if small:
                layers = [nn.Conv2d(in_channels, channels, 3, padding=1, bias=False)]
                layers += [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
            else:
                layers = [nn.Conv2d(in_channels, channels, 7, stride=2, padding=3, bias=False)]
                layers += [nn.BatchNorm2d(channels), nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1)]
            for i, num_layers in enumerate(block_config):
                block = DenseBlock(num_layers, channels, growth_rate, bn_size, drop_rate)
                layers.append(block)
                channels = block.out_channels
                if i != len(block_config) - 1:
                    layers.append(Transition(channels, channels // 2))
                    channels //= 2
            layers += [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
            self.classifier = nn.Linear(channels, num_classes)
            for m in self.modules():  # torchvision's initialisation
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, C, H, W) tensor → logits (N, num_classes)."""
        _check_input(x, self.in_channels)
        return self.classifier(self.flatten(self.avgpool(self.features(x))))  # (N, num_classes)


def densenet121(*, num_classes: int = 1000, device=None) -> DenseNet:
    """torchvision's DenseNet-121: 7,978,856 parameters with 1000 classes."""
    return DenseNet(32, (6, 12, 24, 16), 64, num_classes=num_classes, device=device)


def small_densenet(input_size: int = 8, *, in_channels: int = 1, num_classes: int = 10, device=None) -> DenseNet:
    """A small DenseNet: 3×3 stem (16), three dense blocks of 2 layers with growth rate 8 (8 → 4 → 2 pixels)."""
    model = DenseNet(8, (2, 2, 2), 16, num_classes=num_classes, in_channels=in_channels, stem="small", device=device)
    size = _check_size(input_size, 8)
    model.input_shape = (in_channels, size, size)
    return model


# ----------------------------------------------------------------------------- measuring


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """The number of scalar parameters of ``model`` (``trainable_only``: those with ``requires_grad``).

    Buffers (BatchNorm's running mean and variance) are not parameters and are
    not counted, as in torchvision's ``num_params``. Works on the meta device.

    >>> count_parameters(torch.nn.Linear(400, 120))  # 400·120 weights + 120 biases
    48120
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


class LayerRow(NamedTuple):
    """One row of :func:`layer_table`: a leaf module's name, type, output shape, parameters and MACs."""

    name: str
    layer: str
    output_shape: tuple[int, ...]
    num_params: int
    macs: int


def _macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-accumulates of one call of a Conv2d or Linear layer (0 for any other layer)."""
    if isinstance(module, nn.Conv2d):
        kernel = math.prod(module.kernel_size)
        return output.numel() * (module.in_channels // module.groups) * kernel
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def _check_input_shape(input_shape) -> tuple[int, ...]:
    if isinstance(input_shape, torch.Size):
        input_shape = tuple(input_shape)
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (3, 4):
        raise ValueError(f"input_shape must be (C, H, W) or (N, C, H, W), got {input_shape!r}")
    for i, v in enumerate(input_shape):
        _check_int(v, f"input_shape[{i}]")
    shape = tuple(int(v) for v in input_shape)
    return (1, *shape) if len(shape) == 3 else shape


def layer_table(model: nn.Module, input_shape) -> list[LayerRow]:
    """Run ``model`` once on zeros of ``input_shape`` and describe every leaf module it called, in call order.

    Forward hooks on the leaf modules (those without children) record each
    output's shape; ``num_params`` counts the parameters the module owns and
    ``macs`` its multiply-accumulates (see :func:`flops`). The input is
    created on the model's device with its dtype, so a model on the meta
    device is described without computing anything. The model runs in eval
    mode and without gradients (BatchNorm statistics are not touched); its
    mode is restored afterwards. A module called twice gets two rows.

    Parameters
    ----------
    model : torch.nn.Module
    input_shape : (C, H, W) or (N, C, H, W) sequence of int
        A batch of 1 is used for ``(C, H, W)``.

    Returns
    -------
    list of LayerRow
        ``(name, layer, output_shape, num_params, macs)``, output shapes with the batch axis first.

    Examples
    --------
    >>> rows = layer_table(lenet(), (1, 28, 28))
    >>> [(r.layer, r.output_shape) for r in rows[:3]]
    [('Conv2d', (1, 6, 28, 28)), ('Sigmoid', (1, 6, 28, 28)), ('AvgPool2d', (1, 6, 14, 14))]
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    shape = _check_input_shape(input_shape)
    tensors = [*model.parameters(), *model.buffers()]
    reference = next((t for t in tensors if t.is_floating_point()), None)
    device = reference.device if reference is not None else torch.device("cpu")
    dtype = reference.dtype if reference is not None else torch.get_default_dtype()
    rows: list[LayerRow] = []

    def hook(name):
        def record(module, inputs, output):
            out = output[0] if isinstance(output, (tuple, list)) else output
            num_params = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append(LayerRow(name, type(module).__name__, tuple(out.shape), num_params, _macs(module, out)))

        return record

    handles = [
        module.register_forward_hook(hook(name or type(module).__name__))
        for name, module in model.named_modules()
        if next(module.children(), None) is None  # leaves (the model itself if it is a single layer)
    ]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(shape, device=device, dtype=dtype))
    except (RuntimeError, ValueError) as err:
        raise ValueError(f"input_shape {tuple(input_shape)} does not fit {type(model).__name__}: {err}") from err
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return rows


def flops(model: nn.Module, input_shape) -> int:
    """Multiply-accumulates (MACs) of the convolution and linear layers in one forward pass on ``input_shape``.

    Definition: a ``Conv2d`` producing an output of ``N·C_out·H_out·W_out``
    numbers costs ``(C_in / groups)·F_h·F_w`` MACs per output number, a
    ``Linear`` layer ``in_features`` per output number. Biases, BatchNorm,
    activations, pooling and additions are not counted (they are a few
    percent at most). One MAC is a multiply and an add, i.e. 2 floating-point
    operations; "FLOPs" in the ResNet paper and torchvision's "GFLOPS"
    column count MACs, as this function does. ``input_shape`` as in
    :func:`layer_table` (a batch of 1 for ``(C, H, W)``; the count grows
    linearly with ``N``).

    >>> flops(torch.nn.Conv2d(3, 8, 3, padding=1), (3, 10, 10))  # 8·10·10 outputs × 3·3·3
    21600
    """
    return sum(row.macs for row in layer_table(model, input_shape))


def format_layer_table(rows: Sequence[LayerRow]) -> str:
    """The rows of :func:`layer_table` as a plain-text table with a total line."""
    header = ("layer", "type", "output shape", "params", "MACs")
    body = [(r.name, r.layer, "×".join(map(str, r.output_shape)), f"{r.num_params:,}", f"{r.macs:,}") for r in rows]
    total = ("total", "", "", f"{sum(r.num_params for r in rows):,}", f"{sum(r.macs for r in rows):,}")
    table = [header, *body, total]
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in table
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(-1, "-" * len(lines[0]))
    return "\n".join(lines)
