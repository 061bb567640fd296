"""Speed of dlscratch's convolution and pooling against PyTorch's, and of chapter 12's training run (``make bench``).

Budget (issue "Chapters 10-11"): ``Conv2d`` forward + backward within 4x of
``torch.nn.functional.conv2d`` forward + backward, float32, batch 32, 16 -> 32
channels, 3x3 kernels, padding 1, on 28x28 (stride 1) and 27x27 (stride 2)
images. ``MaxPool2d`` is measured against ``F.max_pool2d`` and reported.

Then chapter 12's training run: ``nets.SimpleConvNet`` trained on the digits
with ``optim.Adam`` as the chapter trains it (20 epochs, batches of 32).
Budget (issue "Chapters 12-13"): test accuracy >= 0.98, training < 20 s.

Both sides run in this process, on the same arrays, with their default
threads (numpy's BLAS and torch's intra-op pool, one per core). Each round
times ours and theirs back to back (the best of 3 runs of 5 calls each), and
the ratio reported is the median over the rounds: a load spike slows both
sides of a round, not one of them. Not a test: timings flake on a busy
machine, so CI never runs this.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import timeit

import numpy as np
import torch
import torch.nn.functional as F

from dlscratch.conv import Conv2d
from dlscratch.pool import MaxPool2d

CONV_BUDGET = 4.0  # ours / torch, forward + backward
TRAIN_BUDGET_S = 20.0  # SimpleConvNet on the digits
ACCURACY_FLOOR = 0.98


def _best(fn, number=5, repeat=3) -> float:
    fn()  # warm up (allocations, BLAS threads)
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def conv_case(size: int, stride: int, rng: np.random.Generator):
    N, C, FN, K, P = 32, 16, 32, 3, 1
    x = rng.normal(size=(N, C, size, size)).astype(np.float32)
    W = (rng.normal(size=(FN, C, K, K)) * 0.1).astype(np.float32)
    b = np.zeros(FN, dtype=np.float32)
    layer = Conv2d(W, b, stride=stride, pad=P)
    dout = rng.normal(size=layer.forward(x).shape).astype(np.float32)

    def ours():
        layer.forward(x)
        layer.backward(dout)

    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    dt = torch.from_numpy(dout)

    def theirs():
        F.conv2d(xt, Wt, bt, stride=stride, padding=P).backward(dt)
        xt.grad = Wt.grad = bt.grad = None

    label = f"Conv2d fwd+bwd {N}x{C}x{size}x{size} -> {FN}, 3x3, stride {stride}, pad {P}"
    return label, ours, theirs, CONV_BUDGET


def pool_case(rng: np.random.Generator):
    x = rng.normal(size=(32, 32, 28, 28)).astype(np.float32)
    layer = MaxPool2d(2)
    dout = np.ones(layer.forward(x).shape, dtype=np.float32)

    def ours():
        layer.forward(x)
        layer.backward(dout)

    xt, dt = torch.tensor(x, requires_grad=True), torch.from_numpy(dout)

    def theirs():
        F.max_pool2d(xt, 2).backward(dt)
        xt.grad = None

    return "MaxPool2d fwd+bwd 32x32x28x28, 2x2", ours, theirs, None


def train_simple_convnet() -> tuple[float, float]:
    """Train chapter 12's network exactly as the chapter does; return (seconds, test accuracy)."""
    from dlscratch.plots.cnn import NUM_EPOCHS, digits_cnn_run

    start = time.perf_counter()
    run = digits_cnn_run(0, NUM_EPOCHS)  # seed 0, 20 epochs of Adam, batches of 32, test accuracy per epoch
    seconds = time.perf_counter() - start
    return seconds, float(run.history.test_accuracy[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    cases = [conv_case(28, 1, rng), conv_case(27, 2, rng), pool_case(rng)]
    failures = []
    print(f"{'kernel':<58}{'ours (ms)':>10}{'torch (ms)':>11}{'ratio':>7}{'budget':>8}")
    for label, ours, theirs, budget in cases:
        pairs = [(_best(ours), _best(theirs)) for _ in range(args.rounds)]
        ratio = statistics.median(a / b for a, b in pairs)
        ms_ours = statistics.median(a for a, _ in pairs) * 1e3
        ms_theirs = statistics.median(b for _, b in pairs) * 1e3
        shown = f"{budget:.0f}x" if budget else "-"
        print(f"{label:<58}{ms_ours:>10.2f}{ms_theirs:>11.2f}{ratio:>7.2f}{shown:>8}")
        if budget and ratio > budget:
            failures.append(f"{label}: {ratio:.2f}x PyTorch > {budget:.0f}x")
    seconds, accuracy = train_simple_convnet()
    print(
        f"SimpleConvNet on the digits, Adam, 20 epochs: {seconds:.1f} s (budget {TRAIN_BUDGET_S:.0f} s), "
        f"test accuracy {accuracy:.3f} (floor {ACCURACY_FLOOR})"
    )
    if seconds > TRAIN_BUDGET_S:
        failures.append(f"SimpleConvNet training took {seconds:.1f} s > {TRAIN_BUDGET_S:.0f} s")
    if accuracy < ACCURACY_FLOOR:
        failures.append(f"SimpleConvNet test accuracy {accuracy:.3f} < {ACCURACY_FLOOR}")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, torch threads "
        f"{torch.get_num_threads()}, numpy {np.__version__}, torch {torch.__version__}, Python {sys.version.split()[0]}"
    )
    if failures:
        print("over budget:\n  " + "\n  ".join(failures))
        return 1
    print("all within budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
