"""Experiments and figures of chapter 13, CNN architectures (``chapters/13_cnn_architectures.md``).

Small torch experiments on the 8×8 digits (``load_digits_split(seed=0,
flatten=False)``, pixels in [0, 1]), all seeded and run with one torch
thread (faster than two for networks this small):

* :func:`train_classifier`: the training loop every experiment shares (Adam,
  shuffled mini-batches drawn from a seeded ``torch.Generator``, the loss of
  every mini-batch recorded).
* :class:`DeepConvNet`: a stem and ``num_blocks`` blocks of two 3×3
  convolutions with batch normalization, *plain* or *residual* (the same
  weights plus the identity path ``relu(F(x) + x)``); no down-sampling, so the
  two differ only in the addition. :func:`degradation_runs` trains both at
  each depth of :data:`DEPTHS` (computed once, 3-4 s);
  :func:`plot_degradation` draws the curves.
* :func:`nms_scene` and :func:`plot_nms`: a fixed scene of proposals around
  three objects of two classes, and what non-maximum suppression keeps at a
  given IoU threshold (:func:`dlscratch.detection.nms`, per class).

References
----------
He et al., "Deep residual learning for image recognition" (2016), figure 1
and section 4.1 (plain vs residual nets of the same depth); Bodla et al.,
"Soft-NMS" (2017).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
import torch
from matplotlib.patches import Rectangle
from torch import nn

from ..detection import nms

__all__ = [
    "BATCH_SIZE",
    "CHANNELS",
    "DEGRADATION_LR",
    "DEPTHS",
    "LR",
    "NUM_EPOCHS",
    "DeepConvNet",
    "ResidualBlock",
    "degradation_run",
    "degradation_runs",
    "digits_tensors",
    "nms_scene",
    "plot_degradation",
    "plot_nms",
    "smooth",
    "train_classifier",
]

#: blocks of the plain and residual nets (each block: two conv layers; + stem conv + linear = 2·n + 2 layers)
DEPTHS = (1, 4, 12)
CHANNELS = 8
NUM_EPOCHS = 3
BATCH_SIZE = 64
LR = 0.003
#: Adam's learning rate in :func:`degradation_runs`
DEGRADATION_LR = 0.01


@functools.cache
def digits_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(X_train, y_train, X_test, y_test)`` of the digits as tensors, images ``(N, 1, 8, 8)`` float32."""
    from ..data import load_digits_split  # imported late: the plots package must not need the data to import

    split = load_digits_split(seed=0, flatten=False)
    X_train = torch.tensor(split.X_train, dtype=torch.float32)[:, None]  # (N, 1, 8, 8)
    X_test = torch.tensor(split.X_test, dtype=torch.float32)[:, None]  # (N_test, 1, 8, 8)
    return X_train, torch.tensor(split.y_train), X_test, torch.tensor(split.y_test)


def train_classifier(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    num_epochs: int,
    lr: float = LR,
    batch_size: int = BATCH_SIZE,
    seed: int = 0,
    params: Iterable[torch.nn.Parameter] | None = None,
    frozen_batch_norm: bool = False,
) -> np.ndarray:
    """Train ``model`` in place with Adam on cross-entropy; return the loss of every mini-batch.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(N, C, H, W)`` images to ``(N, K)`` logits.
    X : (N, C, H, W) tensor
    y : (N,) int64 tensor
    num_epochs, batch_size : int
    lr : float
    seed : int
        Seeds the order of the mini-batches (one permutation per epoch).
    params : iterable of parameters, optional
        What the optimizer updates (default: every parameter of ``model``),
        e.g. only a new head while the rest is frozen.
    frozen_batch_norm : bool
        Keep every BatchNorm layer in eval mode: it normalizes with the running
        statistics it learned before, and does not update them (a frozen
        feature extractor must not drift through its statistics either).

    Returns
    -------
    (num_epochs · ceil(N / batch_size),) ndarray
        The mini-batch losses in training order. The model is left in eval mode.
    """
    if not isinstance(X, torch.Tensor) or X.ndim != 4:
        raise ValueError(f"X must be a (N, C, H, W) tensor, got {getattr(X, 'shape', type(X).__name__)}")
    if not isinstance(y, torch.Tensor) or y.shape != X.shape[:1]:
        raise ValueError(f"y must be a ({X.shape[0]},) tensor of labels, got {getattr(y, 'shape', type(y))}")
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be an int >= 1, got {num_epochs!r}")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters() if params is None else params, lr=lr)
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convolutions: one thread is faster than two
    try:
        for _ in range(num_epochs):
            model.train()
            if frozen_batch_norm:
                for module in model.modules():
                    if isinstance(module, nn.modules.batchnorm._BatchNorm):
                        module.eval()
            order = torch.randperm(len(X), generator=generator)
            for start in range(0, len(X), batch_size):
                batch = order[start : start + batch_size]
                loss = nn.functional.cross_entropy(model(X[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
    finally:
        torch.set_num_threads(threads)
        model.eval()
    return np.array(losses)


def smooth(losses: np.ndarray, per_epoch: int) -> np.ndarray:
    """The mean loss of each epoch of ``per_epoch`` mini-batches: ``(len(losses) // per_epoch,)``."""
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1 or per_epoch < 1 or len(losses) % per_epoch:
        raise ValueError(f"losses must be 1-D with a multiple of per_epoch={per_epoch} entries, got {losses.shape}")
    return losses.reshape(-1, per_epoch).mean(axis=1)  # (num_epochs,)


class ResidualBlock(nn.Module):
    """Two 3×3 convolutions with batch normalization, with or without the identity shortcut.

    ``F(x) = bn2(conv2(relu(bn1(conv1(x)))))``; the block returns
    ``relu(F(x) + x)`` when ``residual`` and ``relu(F(x))`` otherwise (a plain
    block with the very same layers).
    """

    def __init__(self, channels: int, *, residual: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.residual = bool(residual)

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        """F(x): x (N, C, H, W) → (N, C, H, W)."""
        return self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.branch(x)
        return torch.relu(out + x if self.residual else out)  # the identity path, or none


class DeepConvNet(nn.Module):
    """Stem conv(1 → C) + BN + ReLU, ``num_blocks`` :class:`ResidualBlock`, global average pooling, linear.

    All layers keep the 8×8 size and ``channels`` channels, so a plain and a
    residual net of the same depth have exactly the same parameters; the only
    difference is the addition of ``x``. The net has ``2·num_blocks + 2``
    layers with weights.
    """

    def __init__(self, num_blocks: int, *, residual: bool, channels: int = CHANNELS, num_classes: int = 10):
        super().__init__()
        for name, value in (("num_blocks", num_blocks), ("channels", channels), ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU())
        self.blocks = nn.Sequential(*(ResidualBlock(channels, residual=residual) for _ in range(num_blocks)))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, 1, H, W) → logits (N, num_classes)."""
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 1:
            raise ValueError(f"x must have shape (N, 1, H, W), got {tuple(getattr(x, 'shape', ()))}")
        return self.head(self.blocks(self.stem(x)))


def degradation_run(num_blocks: int, residual: bool, seed: int = 0) -> tuple[DeepConvNet, np.ndarray]:
    """A :class:`DeepConvNet` trained on the digits, and its mini-batch losses (computed once, then cached).

    The net starts from ``torch.manual_seed(seed)``; plain and residual nets of
    the same depth start from the same weights and see the same mini-batches
    (:data:`NUM_EPOCHS` epochs of :data:`BATCH_SIZE`, Adam with ``lr``
    :data:`DEGRADATION_LR`). The returned model is shared by every caller: read it, do not train it further.
    """
    return _degradation_run(int(num_blocks), bool(residual), int(seed))


@functools.cache
def _degradation_run(num_blocks: int, residual: bool, seed: int) -> tuple[DeepConvNet, np.ndarray]:
    X, y, _, _ = digits_tensors()
    torch.manual_seed(seed)
    model = DeepConvNet(num_blocks, residual=residual)
    losses = train_classifier(model, X, y, num_epochs=NUM_EPOCHS, lr=DEGRADATION_LR, seed=seed)
    return model, losses


def degradation_runs(seed: int = 0) -> dict[tuple[int, bool], np.ndarray]:
    """``{(num_blocks, residual): losses}`` of :func:`degradation_run` for each depth of :data:`DEPTHS`."""
    return {
        (num_blocks, residual): degradation_run(num_blocks, residual, seed)[1]
        for num_blocks in DEPTHS
        for residual in (False, True)
    }


_COLORS = {False: "tab:red", True: "tab:blue"}
_LABELS = {False: "plain", True: "residual"}


def plot_degradation(fig, num_blocks: int = DEPTHS[-1]):
    """Left: mini-batch training loss (mean of 8) of the plain and residual net with ``num_blocks`` blocks.

    Right: the last epoch's mean loss against the number of layers for both
    kinds, the chosen depth ringed. Runs: :func:`degradation_runs` (computed once).
    """
    if num_blocks not in DEPTHS:
        raise ValueError(f"num_blocks must be one of {DEPTHS}, got {num_blocks!r}")
    runs = degradation_runs()
    ax_curve, ax_depth = fig.subplots(1, 2, width_ratios=(1.6, 1))
    per_epoch = len(runs[DEPTHS[0], False]) // NUM_EPOCHS
    window = 8
    steps = np.arange(window - 1, NUM_EPOCHS * per_epoch) / per_epoch  # epochs at the end of each window
    curves = {}
    for residual in (False, True):
        (curves[residual],) = ax_curve.plot(steps, steps * np.nan, color=_COLORS[residual], label=_LABELS[residual])
    ax_curve.axhline(np.log(10), color="k", lw=0.8, ls="--")
    ax_curve.text(NUM_EPOCHS, np.log(10) + 0.05, r"$\ln 10$: chance", ha="right", va="bottom", fontsize=9)
    ax_curve.set(xlabel="epoch", ylabel="training loss (mean of 8 batches)", xlim=(0, NUM_EPOCHS), ylim=(0, 2.9))
    ax_curve.legend(loc="lower left")
    layers = np.array([2 * n + 2 for n in DEPTHS])
    for residual in (False, True):
        final = [smooth(runs[n, residual], per_epoch)[-1] for n in DEPTHS]
        ax_depth.plot(layers, final, "o-", color=_COLORS[residual], label=_LABELS[residual])
    (ring,) = ax_depth.plot([], [], "o", ms=14, mfc="none", mec="k", mew=1.5)
    ax_depth.set(xlabel="layers with weights", ylabel="loss in the last epoch", xticks=layers, ylim=(0, 2.0))
    ax_depth.set_title(f"after {NUM_EPOCHS} epochs")
    kernel = np.ones(window) / window

    def update(num_blocks=num_blocks):
        for residual in (False, True):
            curves[residual].set_ydata(np.convolve(runs[num_blocks, residual], kernel, mode="valid"))
        ends = [smooth(runs[num_blocks, r], per_epoch)[-1] for r in (False, True)]
        ring.set_data([2 * num_blocks + 2] * 2, ends)
        ax_curve.set_title(f"{num_blocks} blocks: {2 * num_blocks + 2} layers with weights")

    update(num_blocks)
    return update


def nms_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(boxes (N, 4), scores (N,), classes (N,))``: jittered proposals around three objects of two classes.

    Two objects of class 0 (a large one and a small one beside it) and one of
    class 1 overlapping the large one; 7 proposals each, drawn with
    ``np.random.default_rng(3)``.
    """
    rng = np.random.default_rng(3)
    objects = [((10.0, 12.0, 50.0, 52.0), 0), ((54.0, 30.0, 76.0, 52.0), 0), ((34.0, 26.0, 70.0, 62.0), 1)]
    boxes, scores, classes = [], [], []
    for (x1, y1, x2, y2), label in objects:
        size = np.array([x2 - x1, y2 - y1, x2 - x1, y2 - y1])
        jitter = rng.normal(0.0, 0.07, size=(7, 4)) * size  # (7, 4)
        proposal = np.array([x1, y1, x2, y2]) + jitter
        proposal[:, 2:] = np.maximum(proposal[:, 2:], proposal[:, :2] + 2.0)  # keep x1 < x2, y1 < y2
        boxes.append(proposal)
        scores.append(np.clip(0.95 - 5.0 * np.abs(jitter / size).mean(axis=1) + rng.normal(0, 0.03, 7), 0.05, 1))
        classes.append(np.full(7, label))
    return np.concatenate(boxes), np.concatenate(scores), np.concatenate(classes)


def plot_nms(fig, iou_threshold: float = 0.5):
    """Every proposal of :func:`nms_scene` (thin, dashed) and those NMS keeps at ``iou_threshold`` (thick, scored)."""
    boxes, scores, classes = nms_scene()
    ax = fig.subplots()
    colors = np.where(classes == 0, "tab:blue", "tab:orange")
    patches, labels = [], []
    for (x1, y1, x2, y2), color, score in zip(boxes, colors, scores, strict=True):
        patch = Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color=color, lw=0.8, ls="--", alpha=0.5)
        ax.add_patch(patch)
        patches.append(patch)
        labels.append(ax.text(x1 + 0.5, y1 + 0.5, f"{score:.2f}", color=color, fontsize=8, va="top", visible=False))
    ax.set(xlim=(0, 90), ylim=(75, 0), aspect="equal", xticks=[], yticks=[])
    ax.plot([], [], color="tab:blue", lw=2, label="cat (class 0)")
    ax.plot([], [], color="tab:orange", lw=2, label="dog (class 1)")
    ax.plot([], [], color="gray", lw=0.8, ls="--", label="suppressed")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))

    def update(iou_threshold=iou_threshold):
        keep = set(nms(boxes, scores, iou_threshold, classes=classes).tolist())
        for i, (patch, label) in enumerate(zip(patches, labels, strict=True)):
            kept = i in keep
            patch.set(lw=2.2 if kept else 0.8, ls="-" if kept else "--", alpha=1.0 if kept else 0.45)
            label.set_visible(kept)
        ax.set_title(f"IoU threshold {iou_threshold:.2f}: {len(keep)} of {len(boxes)} boxes kept")

    update(iou_threshold)
    return update
