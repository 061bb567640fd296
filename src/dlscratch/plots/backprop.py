"""Figures of chapter 5, backpropagation (``chapters/05_backprop.md``).

* :func:`plot_backward_pass` draws a computational graph with the value on
  every edge (the forward pass) and, one node per step, the gradient of the
  output with respect to every edge (the backward pass). The numbers are not
  typed in: :func:`run_graph` computes them by running the graph's nodes,
  :class:`dlscratch.layers.Mul` and :class:`dlscratch.layers.Add` (plus two
  one-line nodes, exp and 1/x, for the sigmoid), forward and then backward.
  So the diagram stays true if the layers change.
* :func:`plot_minibatch_training` shows the loss and accuracy curves of
  :class:`dlscratch.nets.TwoLayerNet` trained on the 8×8 digits by mini-batch
  gradient descent, for one batch size. The runs (:func:`minibatch_run`) are
  computed once, the first time a figure asks for them, and cached; a redraw
  only moves artists.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullLocator
from threadpoolctl import threadpool_limits

from ..layers import Add, Mul
from ..nets import TwoLayerNet

__all__ = [
    "BATCH_SIZES",
    "GRAPHS",
    "TRAINING",
    "GraphRun",
    "MinibatchRun",
    "minibatch_run",
    "plot_backward_pass",
    "plot_minibatch_training",
    "run_graph",
]


# ----------------------------------------------------------------------------- computational graphs


@dataclass(frozen=True)
class Leaf:
    """An input of a graph: its name, how the figure labels it, its value and where its edge starts."""

    name: str
    label: str
    value: float
    xy: tuple[float, float]
    constant: bool = False  # a fixed number of the formula (no gradient is drawn for it)


@dataclass(frozen=True)
class Node:
    """An operation: ``kind`` in ``mul, add, exp, reciprocal``, the values it reads, the value it writes."""

    kind: str
    inputs: tuple[str, ...]
    output: str
    xy: tuple[float, float]


@dataclass(frozen=True)
class Graph:
    """A computational graph drawn left to right; ``nodes`` are in the order of the forward pass."""

    leaves: tuple[Leaf, ...]
    nodes: tuple[Node, ...]
    output_label: str
    output_xy: tuple[float, float]


#: the symbol drawn in each kind of node (the notes draw the sigmoid's 1/x as a "/" node)
_SYMBOLS = {"mul": "×", "add": "+", "exp": "exp", "reciprocal": "/"}

GRAPHS = {
    "apples": Graph(
        leaves=(
            Leaf("apple", "apple price", 100.0, (1.8, 3.3)),
            Leaf("n_apple", "apples", 2.0, (1.8, 2.0)),
            Leaf("tax", "tax", 1.1, (1.8, 0.5)),
        ),
        nodes=(
            Node("mul", ("apple", "n_apple"), "apple_cost", (4.5, 2.6)),
            Node("mul", ("apple_cost", "tax"), "total", (7.2, 1.5)),
        ),
        output_label="total",
        output_xy=(9.1, 1.5),
    ),
    "apples and oranges": Graph(
        leaves=(
            Leaf("apple", "apple price", 100.0, (1.8, 3.65)),
            Leaf("n_apple", "apples", 2.0, (1.8, 2.8)),
            Leaf("orange", "orange price", 150.0, (1.8, 1.95)),
            Leaf("n_orange", "oranges", 3.0, (1.8, 1.1)),
            Leaf("tax", "tax", 1.1, (1.8, 0.25)),
        ),
        nodes=(
            Node("mul", ("apple", "n_apple"), "apple_cost", (3.9, 3.2)),
            Node("mul", ("orange", "n_orange"), "orange_cost", (3.9, 1.5)),
            Node("add", ("apple_cost", "orange_cost"), "subtotal", (5.9, 2.35)),
            Node("mul", ("subtotal", "tax"), "total", (7.7, 1.3)),
        ),
        output_label="total",
        output_xy=(9.1, 1.3),
    ),
    "sigmoid": Graph(
        leaves=(
            Leaf("x", "$x$", 1.0, (1.0, 2.6)),
            Leaf("minus_one", "$-1$", -1.0, (1.9, 0.8), constant=True),
            Leaf("one", "$1$", 1.0, (5.9, 0.8), constant=True),
        ),
        nodes=(
            Node("mul", ("x", "minus_one"), "neg_x", (2.9, 2.6)),
            Node("exp", ("neg_x",), "exp_neg_x", (4.9, 2.6)),
            Node("add", ("exp_neg_x", "one"), "denominator", (6.9, 2.6)),
            Node("reciprocal", ("denominator",), "y", (8.5, 2.6)),
        ),
        output_label="$y$",
        output_xy=(9.6, 2.6),
    ),
}


class _Exp:
    """The node ``exp(x)``: its local derivative is its own output."""

    def forward(self, x):
        self.out = math.exp(x)
        return self.out

    def backward(self, dout):
        return (dout * self.out,)


class _Reciprocal:
    """The node ``1/x``: its local derivative is ``-1/x² = -out²``."""

    def forward(self, x):
        self.out = 1.0 / x
        return self.out

    def backward(self, dout):
        return (-dout * self.out**2,)


def _make(kind: str):
    """A fresh node object for ``kind``: the package's layers for × and +."""
    if kind == "mul":
        return Mul()
    if kind == "add":
        return Add()
    return {"exp": _Exp, "reciprocal": _Reciprocal}[kind]()


@dataclass(frozen=True)
class GraphRun:
    """The forward values and the backward pass of a graph, step by step.

    Attributes
    ----------
    values : dict of str to float
        The value of every edge (leaves and node outputs) after the forward pass.
    gradients : tuple of dict of str to float
        ``gradients[k]`` holds the gradients of the output with respect to the
        edges known after ``k`` backward steps: none after step 0 (the forward
        pass only), the output's own gradient 1 after step 1, and after step
        ``1 + j`` also the inputs of the ``j``-th node from the end.
    local : tuple of tuple of float
        ``local[j]``: the local derivatives of node ``j`` (forward order), one
        per input, at the forward values.
    """

    values: dict[str, float]
    gradients: tuple[dict[str, float], ...]
    local: tuple[tuple[float, ...], ...]

    @property
    def num_steps(self) -> int:
        """The number of backward steps: one for the output, then one per node."""
        return len(self.gradients) - 1


@functools.cache
def run_graph(name: str) -> GraphRun:
    """Run graph ``name`` of :data:`GRAPHS` forward, then backward one node at a time.

    A value that feeds several nodes would receive the sum of their gradients
    (the graphs drawn here feed every value into exactly one node).

    Raises
    ------
    ValueError
        If ``name`` is not a graph of :data:`GRAPHS`.
    """
    graph = _graph(name)
    values = {leaf.name: leaf.value for leaf in graph.leaves}
    layers = []
    for node in graph.nodes:
        layer = _make(node.kind)
        values[node.output] = float(layer.forward(*(values[i] for i in node.inputs)))
        layers.append(layer)
    local = []
    for layer in layers:
        unit = layer.backward(1.0)  # with dout = 1, backward returns the local derivatives themselves
        local.append(tuple(float(u) for u in (unit if isinstance(unit, tuple) else (unit,))))
    known = {graph.nodes[-1].output: 1.0}
    steps = [{}, dict(known)]
    for node, layer in zip(reversed(graph.nodes), reversed(layers), strict=True):
        grads = layer.backward(known[node.output])
        grads = grads if isinstance(grads, tuple) else (grads,)
        for input_name, grad in zip(node.inputs, grads, strict=True):
            known[input_name] = known.get(input_name, 0.0) + float(grad)
        steps.append(dict(known))
    return GraphRun(values=values, gradients=tuple(steps), local=tuple(local))


def _graph(name) -> Graph:
    if name not in GRAPHS:
        raise ValueError(f"graph must be one of {list(GRAPHS)}, got {name!r}")
    return GRAPHS[name]


def _number(value: float) -> str:
    """A value as the figure prints it: at most four significant digits, a real minus sign."""
    return f"{value:.4g}".replace("-", "−")


_FORWARD_COLOR, _BACKWARD_COLOR, _ACTIVE = "0.1", "#c0392b", "#ffd27f"


def _step_title(graph: Graph, run: GraphRun, step: int) -> str:
    if step == 0:
        return "forward pass: each edge carries its value (black)"
    if step == 1:
        return r"backward pass, step 1: the output's gradient $\partial L/\partial L = 1$ (red)"
    index = len(graph.nodes) - (step - 1)  # the node that ran its backward at this step
    node = graph.nodes[index]
    local = ", ".join(_number(d) for d in run.local[index])
    plural = "s" if len(node.inputs) > 1 else ""
    return (
        f"step {step}: the {_SYMBOLS[node.kind]} node multiplies {_number(run.gradients[step - 1][node.output])} "
        f"by its local derivative{plural} {local}"
    )


def plot_backward_pass(fig, step: int = 0, graph: str = "apples and oranges"):
    """A computational graph with its forward values and, up to ``step``, its backward gradients.

    ``step`` is the figure's main control: 0 shows the forward pass only;
    step 1 starts the backward pass with the gradient 1 at the output; each
    further step runs one node's ``backward``, which multiplies the gradient
    arriving at its output by its local derivatives and writes the products on
    its input edges (highlighted). Steps past the last node show the finished
    pass. Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax = fig.subplots()
    ax.set(xlim=(0.0, 10.0), ylim=(-0.2, 4.2))
    ax.set_axis_off()
    artists: dict[str, dict] = {}
    for name, spec in GRAPHS.items():
        artists[name] = _draw_graph(ax, spec)
    ax.text(
        10.0,
        -0.2,
        "black: value, red: gradient of the output",
        ha="right",
        va="bottom",
        fontsize=10,
        color="0.35",
    )

    def update(step=step, graph=graph):
        spec = _graph(graph)
        run = run_graph(graph)
        if not (isinstance(step, (int, np.integer)) and step >= 0):
            raise ValueError(f"step must be an int >= 0, got {step!r}")
        step = min(int(step), run.num_steps)
        for name, parts in artists.items():
            shown = name == graph
            for artist in parts["all"]:
                artist.set_visible(shown)
        parts = artists[graph]
        known = run.gradients[step]
        previous = run.gradients[step - 1] if step >= 1 else {}
        for edge, (value_text, grad_text) in parts["edges"].items():
            value_text.set_text(_number(run.values[edge]))
            is_known = edge in known
            grad_text.set_visible(is_known)
            grad_text.set_text(_number(known[edge]) if is_known else "")
            fresh = is_known and edge not in previous
            grad_text.set_fontweight("bold" if fresh else "normal")
            grad_text.get_bbox_patch().set_facecolor(_ACTIVE if fresh else "none")
        active = len(spec.nodes) - (step - 1) if step >= 2 else None
        for index, node_text in enumerate(parts["nodes"]):
            node_text.get_bbox_patch().set_facecolor(_ACTIVE if index == active else "white")
        done = " (done)" if step == run.num_steps and step > 1 else ""
        ax.set_title(_step_title(spec, run, step) + done, fontsize=11)

    update(step, graph)
    return update


def _draw_graph(ax, spec: Graph) -> dict:
    """Draw one graph's nodes, edges and (empty) labels; return its artists for the updater."""
    where = {leaf.name: leaf.xy for leaf in spec.leaves}
    where.update({node.output: node.xy for node in spec.nodes})
    consumers: dict[str, list[tuple[float, float]]] = {}
    for node in spec.nodes:
        for name in node.inputs:
            consumers.setdefault(name, []).append(node.xy)
    consumers[spec.nodes[-1].output] = [spec.output_xy]
    if any(len(ends) != 1 for ends in consumers.values()):
        raise ValueError("every value of a drawn graph must feed exactly one node (one edge, one label)")
    everything, edges = [], {}
    is_node = {node.output for node in spec.nodes}
    constants = {leaf.name for leaf in spec.leaves if leaf.constant}
    for name, [end] in consumers.items():
        start = where[name]
        arrow = ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "0.45",
                "lw": 1.3,
                "shrinkA": 15 if name in is_node else 2,
                "shrinkB": 2 if end == spec.output_xy else 15,
            },
        )
        everything.append(arrow)
        if name in constants:  # a constant's value is its label, and its gradient is not needed
            continue
        # the labels of an input edge sit near its start, where the edges into one node are still far apart
        t = 0.5 if name in is_node else 0.2
        middle = (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
        value_text = ax.annotate(
            "", middle, xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=10.5
        )
        value_text.set_color(_FORWARD_COLOR)
        grad_text = ax.annotate(
            "",
            middle,
            xytext=(0, -3),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=10.5,
            color=_BACKWARD_COLOR,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "none", "edgecolor": "none"},
        )
        edges[name] = (value_text, grad_text)
        everything += [value_text, grad_text]
    for leaf in spec.leaves:
        everything.append(
            ax.text(leaf.xy[0] - 0.12, leaf.xy[1], leaf.label, ha="right", va="center", fontsize=11, color="0.2")
        )
    everything.append(
        ax.text(spec.output_xy[0] + 0.1, spec.output_xy[1], spec.output_label, ha="left", va="center", fontsize=11)
    )
    nodes = []
    for node in spec.nodes:
        node_text = ax.text(
            *node.xy,
            _SYMBOLS[node.kind],
            ha="center",
            va="center",
            fontsize=12 if node.kind == "exp" else 14,
            bbox={"boxstyle": "circle,pad=0.3", "facecolor": "white", "edgecolor": "0.3", "lw": 1.2},
            zorder=3,
        )
        nodes.append(node_text)
        everything.append(node_text)
    return {"all": everything, "edges": edges, "nodes": nodes}


# ----------------------------------------------------------------------------- mini-batch training on the digits

#: the two-layer net and its training, shared by every run (the chapter's own loop uses the same numbers)
TRAINING = {"hidden_size": 50, "weight_init_std": 0.01, "lr": 0.3, "num_epochs": 50, "seed": 0}
#: the batch sizes the figure offers; 1438 is the whole training split (one step per epoch)
BATCH_SIZES = (10, 100, 1438)


@dataclass(frozen=True)
class MinibatchRun:
    """One training run of :func:`minibatch_run`.

    Attributes
    ----------
    batch_size : int
    batch_loss : (S,) ndarray
        The loss of each mini-batch, computed in the forward pass of its step
        (before the update); ``S`` steps in all.
    step_epoch : (S,) ndarray
        The epoch (a fraction) at which each step starts: step ``s`` of an
        epoch of ``B`` steps starts at ``epoch + s / B``.
    train_loss, test_loss, train_accuracy, test_accuracy : (E + 1,) ndarray
        Measured on the whole split before training (index 0) and after each of the ``E`` epochs.
    """

    batch_size: int
    batch_loss: np.ndarray
    step_epoch: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray


@functools.cache
def _digits():
    from ..data import load_digits_split  # imported late: the plots package must not need the data to import

    return load_digits_split(test_size=0.2, seed=0)


@functools.cache
def minibatch_run(batch_size: int) -> MinibatchRun:
    """Train a :class:`~dlscratch.nets.TwoLayerNet` on the digits with mini-batches of ``batch_size``.

    The settings are :data:`TRAINING`: ``np.random.default_rng(seed)`` draws
    the initial weights (``weight_init_std``) and then, at the start of every
    epoch, a new order of the training images; consecutive slices of
    ``batch_size`` images of that order are the mini-batches (the last one of
    an epoch may be smaller). Each step is ``params[k] -= lr * grads[k]``.
    Cached: each batch size is trained once per process.

    Raises
    ------
    ValueError
        If ``batch_size`` is not one of :data:`BATCH_SIZES`.
    """
    if batch_size not in BATCH_SIZES:
        raise ValueError(f"batch_size must be one of {list(BATCH_SIZES)}, got {batch_size!r}")
    split = _digits()
    X, y, X_test, y_test = split.X_train, split.y_train, split.X_test, split.y_test
    if BATCH_SIZES[-1] != len(X):
        raise RuntimeError(f"the full batch should be the {len(X)} training images, not {BATCH_SIZES[-1]}")
    rng = np.random.default_rng(TRAINING["seed"])
    net = TwoLayerNet(X.shape[1], TRAINING["hidden_size"], 10, weight_init_std=TRAINING["weight_init_std"], rng=rng)
    lr = TRAINING["lr"]
    batch_loss, step_epoch = [], []
    curves = {key: [] for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")}

    def measure():
        curves["train_loss"].append(net.loss(X, y))
        curves["test_loss"].append(net.loss(X_test, y_test))
        curves["train_accuracy"].append(net.accuracy(X, y))
        curves["test_accuracy"].append(net.accuracy(X_test, y_test))

    with threadpool_limits(1, user_api="blas"):  # small matrices: one BLAS thread is fastest
        measure()
        num_batches = math.ceil(len(X) / batch_size)
        for epoch in range(TRAINING["num_epochs"]):
            order = rng.permutation(len(X))  # (N_train,) a new order every epoch
            for b, start in enumerate(range(0, len(X), batch_size)):
                batch = order[start : start + batch_size]
                batch_loss.append(net.loss(X[batch], y[batch]))  # the forward pass fills the caches ...
                step_epoch.append(epoch + b / num_batches)
                grads = _backward(net)  # ... so the backward pass can follow (what net.gradient does)
                for key in net.params:
                    net.params[key] -= lr * grads[key]
            measure()
    return MinibatchRun(
        batch_size=batch_size,
        batch_loss=np.array(batch_loss),
        step_epoch=np.array(step_epoch),
        **{key: np.array(values) for key, values in curves.items()},
    )


def _backward(net: TwoLayerNet) -> dict[str, np.ndarray]:
    """The backward pass of ``net`` after its forward pass ``net.loss(x, t)``: :meth:`TwoLayerNet.gradient` without
    its own forward pass (which would compute the same numbers again)."""
    dout = net.last_layer.backward(1.0)  # (N, C)
    for layer in reversed(net.layers.values()):
        dout = layer.backward(dout)
    first, second = net.layers["Affine1"].grads, net.layers["Affine2"].grads
    return {"W1": first["W"], "b1": first["b"], "W2": second["W"], "b2": second["b"]}


def plot_minibatch_training(fig, batch_size: int = 100, num_epochs: int = 50):
    """Loss (left, log scale) and accuracy (right) of the digits network over ``num_epochs`` epochs.

    ``batch_size`` is the main control: with the same learning rate and the
    same number of passes over the data, small batches take many noisy steps
    per epoch, the full batch one exact step. Returns the updater for :func:`~dlscratch.widgets.explore`.
    """
    ax_loss, ax_acc = fig.subplots(1, 2)
    lines = {}
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        (lines["train", key],) = ax.plot([], [], color="C0", lw=1.8, label="train")
        (lines["test", key],) = ax.plot([], [], "--", color="C1", lw=1.8, label="test")
        ax.set_xlabel("epoch")
    ax_loss.set_yscale("log")
    ax_loss.set_yticks([0.001, 0.01, 0.1, 1, 10], ["0.001", "0.01", "0.1", "1", "10"])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_loss.set(ylabel="mean cross-entropy", ylim=(3e-4, 8.0))
    ax_acc.set(ylabel="accuracy", ylim=(0.0, 1.02))
    ax_acc.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))

    def update(batch_size=batch_size, num_epochs=num_epochs):
        run = minibatch_run(batch_size)
        if not 1 <= num_epochs <= TRAINING["num_epochs"]:
            raise ValueError(f"num_epochs must be in [1, {TRAINING['num_epochs']}], got {num_epochs!r}")
        epochs = np.arange(int(num_epochs) + 1)
        for split in ("train", "test"):
            lines[split, "loss"].set_data(epochs, getattr(run, f"{split}_loss")[epochs])
            lines[split, "accuracy"].set_data(epochs, getattr(run, f"{split}_accuracy")[epochs])
        for ax in (ax_loss, ax_acc):
            ax.set_xlim(-0.02 * num_epochs, 1.02 * num_epochs)
        e = int(num_epochs)
        steps = int(np.count_nonzero(run.step_epoch < num_epochs))
        ax_loss.set_title(f"batches of {batch_size}: {steps} steps")
        ax_acc.set_title(f"test accuracy {run.test_accuracy[e]:.3f}")

    update(batch_size, num_epochs)
    return update
