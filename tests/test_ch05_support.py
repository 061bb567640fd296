"""Chapter 5 support code: the figures of dlscratch.plots.backprop, and the exercises in exercises/ch05.py:
the model solutions pass, the typical mistakes fail with a useful message, and every number in the
written model answer is right."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlscratch import layers, nets, numgrad
from dlscratch.data import load_digits_split
from dlscratch.exercises import EXERCISES, ExerciseFailed, FunctionExercise, ValueExercise, ch05, check
from dlscratch.layers import Add, Mul
from dlscratch.nets import TwoLayerNet
from dlscratch.plots import backprop as plots

# ----------------------------------------------------------------------------- the computational graphs


def _bill(v):
    apple, n_apple, orange, n_orange, tax = v
    return (apple * n_apple + orange * n_orange) * tax


def test_the_shopping_graph_runs_the_layers_forward_and_backward():
    run = plots.run_graph("apples and oranges")
    assert run.values["total"] == pytest.approx(715.0)
    assert run.values["subtotal"] == 650.0
    final = run.gradients[-1]
    names = ("apple", "n_apple", "orange", "n_orange", "tax")
    point = np.array([run.values[k] for k in names])
    expected = numgrad.numerical_gradient(_bill, point)
    assert np.allclose([final[k] for k in names], expected, rtol=1e-9)
    assert [final[k] for k in names] == pytest.approx([2.2, 110.0, 3.3, 165.0, 650.0], rel=1e-14)


def test_the_steps_reveal_one_node_at_a_time():
    graph = plots.GRAPHS["apples and oranges"]
    run = plots.run_graph("apples and oranges")
    assert run.num_steps == len(graph.nodes) + 1 == 5
    assert run.gradients[0] == {}
    assert run.gradients[1] == {"total": 1.0}
    for step in range(2, run.num_steps + 1):
        node = graph.nodes[len(graph.nodes) - (step - 1)]  # the node run at this step
        new = set(run.gradients[step]) - set(run.gradients[step - 1])
        assert new == set(node.inputs)
    assert run.local[-1] == pytest.approx((1.1, 650.0))  # the tax node: the swapped inputs


def test_the_sigmoid_graph_gives_y_times_one_minus_y():
    for name, x in (("sigmoid", 1.0),):
        run = plots.run_graph(name)
        y = 1.0 / (1.0 + math.exp(-x))
        assert run.values["y"] == pytest.approx(y, rel=1e-15)
        assert run.gradients[-1]["x"] == pytest.approx(y * (1 - y), rel=1e-14)
        assert run.local[-1] == pytest.approx((-(y**2),), rel=1e-14)  # 1/s: -1/s² = -y²


def test_a_value_used_twice_gets_the_sum_of_its_gradients(monkeypatch):
    """x·x + x through Mul and Add: the gradient of x is 2x + 1, summed over its three uses."""
    graph = plots.Graph(
        leaves=(plots.Leaf("x", "$x$", 3.0, (1.0, 1.0)),),
        nodes=(
            plots.Node("mul", ("x", "x"), "square", (4.0, 1.0)),
            plots.Node("add", ("square", "x"), "out", (7.0, 1.0)),
        ),
        output_label="out",
        output_xy=(9.0, 1.0),
    )
    monkeypatch.setitem(plots.GRAPHS, "shared", graph)
    plots.run_graph.cache_clear()
    try:
        run = plots.run_graph("shared")
        assert run.values["out"] == 12.0
        assert run.gradients[-1]["x"] == 7.0
        fig = Figure()
        with pytest.raises(ValueError, match="exactly one node"):
            plots._draw_graph(fig.subplots(), graph)
    finally:
        plots.run_graph.cache_clear()


@pytest.mark.parametrize(
    ("params", "message"),
    [({"graph": "pears"}, "graph must be one of"), ({"step": -1}, "step must be an int"), ({"step": 1.5}, "step")],
)
def test_backward_pass_figure_rejects_bad_input(params, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_backward_pass(Figure(), **params)


@pytest.mark.parametrize("graph", list(plots.GRAPHS))
def test_backward_pass_figure_draws_every_step(graph):
    fig = Figure(figsize=(8, 3.4), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    update = plots.plot_backward_pass(fig, graph=graph)
    for step in range(7):  # steps past the end show the finished pass
        update(step=step, graph=graph)
        fig.canvas.draw()
    title = fig.axes[0].get_title()
    assert title.endswith("(done)")


def test_the_figure_shows_the_runs_numbers():
    fig = Figure(figsize=(8, 3.4), dpi=80)
    FigureCanvasAgg(fig)
    plots.plot_backward_pass(fig, step=5, graph="apples and oranges")
    shown = {t.get_text() for t in fig.axes[0].texts if t.get_visible()}
    assert {"2.2", "110", "3.3", "165", "650", "715", "1"} <= shown
    assert "step 5: the × node multiplies 1.1 by its local derivatives 2, 100" in fig.axes[0].get_title()


# ----------------------------------------------------------------------------- mini-batch training


def test_minibatch_runs_are_cached_and_learn():
    run = plots.minibatch_run(100)
    assert plots.minibatch_run(100) is run
    epochs = plots.TRAINING["num_epochs"]
    assert run.batch_loss.shape == run.step_epoch.shape == (epochs * 15,)
    assert run.train_loss.shape == run.test_accuracy.shape == (epochs + 1,)
    assert run.train_loss[0] == pytest.approx(math.log(10), abs=1e-3)
    assert run.test_accuracy[-1] >= 0.93
    assert np.all(np.diff(run.step_epoch) > 0)
    assert run.step_epoch[15] == 1.0


def test_minibatch_run_is_the_plain_loop():
    """The first steps of the run, recomputed with net.loss and net.gradient (two forward passes per step)."""
    split = load_digits_split(test_size=0.2, seed=0)
    rng = np.random.default_rng(plots.TRAINING["seed"])
    net = TwoLayerNet(64, 50, 10, weight_init_std=plots.TRAINING["weight_init_std"], rng=rng)
    order = rng.permutation(len(split.X_train))
    losses = []
    for start in range(0, 200, 10):
        batch = order[start : start + 10]
        losses.append(net.loss(split.X_train[batch], split.y_train[batch]))
        grads = net.gradient(split.X_train[batch], split.y_train[batch])
        for key in net.params:
            net.params[key] -= plots.TRAINING["lr"] * grads[key]
    assert np.array_equal(losses, plots.minibatch_run(10).batch_loss[:20])


def test_batch_sizes_order_the_test_accuracy():
    accuracy = {size: plots.minibatch_run(size).test_accuracy[-1] for size in plots.BATCH_SIZES}
    assert accuracy[10] > accuracy[100] > accuracy[1438]
    assert plots.BATCH_SIZES[-1] == len(load_digits_split(test_size=0.2, seed=0).X_train)


@pytest.mark.parametrize(
    ("params", "message"),
    [({"batch_size": 32}, "batch_size must be one of"), ({"num_epochs": 51}, "num_epochs must be in")],
)
def test_training_figure_rejects_what_was_not_trained(params, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_minibatch_training(Figure(), **params)


def test_training_figure_draws():
    fig = Figure(figsize=(8, 3.4), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    update = plots.plot_minibatch_training(fig, batch_size=1438, num_epochs=1)
    update(batch_size=10, num_epochs=50)
    fig.canvas.draw()
    assert fig.axes[0].get_title() == "batches of 10: 7200 steps"


# ----------------------------------------------------------------------------- exercise 1: linear_weight_grad
# Correct answers written independently of the model solution, then the typical mistakes.


def weight_grad_by_loops(x, dout):
    """Sum x[..., d] * dout[..., m] over every position, one position at a time."""
    x = np.asarray(x, dtype=float)
    dout = np.asarray(dout, dtype=float)
    grad = np.zeros((x.shape[-1], dout.shape[-1]))
    for index in np.ndindex(x.shape[:-1]):
        grad += np.outer(x[index], dout[index])
    return grad


def weight_grad_by_autograd(x, dout):
    """PyTorch's nn.Linear (no bias) applied to the last axis, differentiated by autograd."""
    x = torch.as_tensor(np.asarray(x, dtype=float))
    linear = torch.nn.Linear(x.shape[-1], np.shape(dout)[-1], bias=False).double()
    linear(x).backward(torch.as_tensor(np.asarray(dout, dtype=float)))
    return linear.weight.grad.numpy().T.copy()  # nn.Linear stores W as (M, D)


def test_chapter_5_exercises_are_registered():
    assert isinstance(EXERCISES["ch05.linear_weight_grad"], FunctionExercise)
    assert isinstance(EXERCISES["ch05.shop_gradient"], ValueExercise)
    assert {eid for eid in EXERCISES if eid.startswith("ch05.")} == {"ch05.linear_weight_grad", "ch05.shop_gradient"}
    assert EXERCISES["ch05.linear_weight_grad"].switched_off == ("dlscratch.layers", "dlscratch.numgrad")


def test_correct_answers_pass(capsys):
    check("ch05.linear_weight_grad", weight_grad_by_loops)
    check("ch05.shop_gradient", numgrad.numerical_gradient(lambda v: ch05.shop_total(*v), list(ch05.SHOP.values())))
    out = capsys.readouterr().out
    assert out.count("✓") == 2
    assert "✓ ch05.linear_weight_grad: all 6 checks passed" in out


def test_autograd_would_answer_it_hence_pytorch_is_switched_off():
    with pytest.raises(ExerciseFailed, match=r"used PyTorch .* which is switched off"):
        check("ch05.linear_weight_grad", weight_grad_by_autograd)


def test_the_expected_weight_gradients_are_right():
    for case in EXERCISES["ch05.linear_weight_grad"].cases:
        np.testing.assert_allclose(weight_grad_by_loops(*case.args), case.expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(weight_grad_by_autograd(*case.args), case.expected, rtol=1e-12, atol=1e-12)


def test_the_package_would_answer_it_hence_it_is_switched_off():
    """Affine on the flattened positions gives dW: that is why dlscratch.layers is switched off."""
    case = EXERCISES["ch05.linear_weight_grad"].cases[2]
    x, dout = case.args
    layer = layers.Affine(np.zeros((x.shape[-1], dout.shape[-1])), np.zeros(dout.shape[-1]))
    layer.forward(x.reshape(-1, x.shape[-1]))
    layer.backward(dout.reshape(-1, dout.shape[-1]))
    np.testing.assert_allclose(layer.grads["W"], case.expected)


def _last_position_only(x, dout):
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    if x.ndim == 1:
        return np.outer(x, dout)
    return x.reshape(-1, x.shape[-1])[-1:].T @ dout.reshape(-1, dout.shape[-1])[-1:]


def _mean_over_positions(x, dout):
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    rows = x.reshape(-1, x.shape[-1])
    return rows.T @ dout.reshape(-1, dout.shape[-1]) / len(rows)


def _transposed(x, dout):
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    return dout.reshape(-1, dout.shape[-1]).T @ x.reshape(-1, x.shape[-1])  # (M, D)


def _plain_transpose(x, dout):
    """Affine's formula taken literally: fine for (N, D), a scalar for one sample, wrong axes for 3-D."""
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    return x.T @ dout


def _in_place(x, dout):
    x = np.asarray(x)
    x *= 1.0  # harmless, but then scale it "for stability" and forget to undo it
    if x.dtype.kind == "f":
        x /= 2.0
        return 2.0 * weight_grad_by_loops(x, dout)
    return weight_grad_by_loops(x, dout)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (_last_position_only, r"(?s)linear_weight_grad\(.*a batch of rows"),
        (_mean_over_positions, r"(?s)linear_weight_grad\(.*a batch of rows"),
        (_transposed, r"(?s)one sample without a batch axis\): the result has shape \(2, 3\)"),
        (_plain_transpose, r"(?s)linear_weight_grad\(\[ 1\. , -2\. , 0\.5\], \[ 3\., -1\.\]\) raised ValueError"),
        (_in_place, "modified its input array"),
    ],
)
def test_weight_gradient_mistakes(wrong, message):
    with pytest.raises(ExerciseFailed, match=message) as info:
        check("ch05.linear_weight_grad", wrong)
    assert "switched off" not in str(info.value)


def test_a_numerical_gradient_would_pass_hence_numgrad_is_switched_off():
    """A linear function's central difference is exact to about 1e-11, within the check's tolerance."""

    def numerical(x, dout):
        x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
        start = np.zeros((x.shape[-1], dout.shape[-1]))
        return numgrad.numerical_gradient(lambda W: float(np.sum((x @ W) * dout)), start)

    for case in EXERCISES["ch05.linear_weight_grad"].cases:
        np.testing.assert_allclose(numerical(*case.args), case.expected, rtol=1e-9, atol=1e-10)
    with pytest.raises(ExerciseFailed, match="switched off"):
        check("ch05.linear_weight_grad", numerical)


# ----------------------------------------------------------------------------- exercise 2: shop_gradient


def test_the_shop_gradient_is_the_numerical_gradient():
    expected = EXERCISES["ch05.shop_gradient"].expected
    point = np.array(list(ch05.SHOP.values()))
    np.testing.assert_allclose(numgrad.numerical_gradient(lambda v: ch05.shop_total(*v), point), expected, rtol=1e-9)
    np.testing.assert_allclose(expected, [4.32, 132.6, 5.4, 100.2, 9.0, 930.0], rtol=1e-12)


def test_the_shop_gradient_by_the_package_nodes():
    """The model solution's way: Mul and Add nodes, with the two shared inputs' gradients added."""
    a, n, o, m, f, tax = ch05.SHOP.values()
    pens, notebooks, goods, taxed, items, delivery, bill = Mul(), Mul(), Add(), Mul(), Add(), Mul(), Add()
    goods_cost = goods.forward(pens.forward(a, n), notebooks.forward(o, m))
    total = bill.forward(taxed.forward(goods_cost, tax), delivery.forward(items.forward(n, m), f))
    assert total == pytest.approx(ch05.shop_total(a, n, o, m, f, tax))
    d_taxed, d_delivery = bill.backward(1.0)
    d_goods, d_tax = taxed.backward(d_taxed)
    d_pens, d_notebooks = goods.backward(d_goods)
    d_a, d_n1 = pens.backward(d_pens)
    d_o, d_m1 = notebooks.backward(d_notebooks)
    d_items, d_f = delivery.backward(d_delivery)
    d_n2, d_m2 = items.backward(d_items)
    check("ch05.shop_gradient", [d_a, d_n1 + d_n2, d_o, d_m1 + d_m2, d_f, d_tax])
    with pytest.raises(ExerciseFailed, match="differs from the answer"):  # the shared inputs' second paths lost
        check("ch05.shop_gradient", [d_a, d_n1, d_o, d_m1, d_f, d_tax])


# ----------------------------------------------------------------------------- exercise 3: the written answer


class _Counting:
    """Records the multiplications of every matrix product an Affine layer computes."""

    def __init__(self):
        self.forward = 0
        self.backward = 0
        self.dx = 0


def test_the_written_answers_numbers(monkeypatch):
    counts = _Counting()
    original_forward, original_backward = layers.Affine.forward, layers.Affine.backward

    def forward(self, x):
        out = original_forward(self, x)
        D, M = self.params["W"].shape
        counts.forward += len(out) * D * M  # (N, D) @ (D, M)
        return out

    def backward(self, dout):
        dx = original_backward(self, dout)
        D, M = self.params["W"].shape
        N = len(dout)
        counts.backward += D * N * M + N * M * D  # dW = x^T dout (D, N)(N, M); dx = dout W^T (N, M)(M, D)
        counts.dx = N * M * D  # the last one is the first layer's dx
        return dx

    monkeypatch.setattr(layers.Affine, "forward", forward)
    monkeypatch.setattr(layers.Affine, "backward", backward)
    split = load_digits_split(test_size=0.2, seed=0)
    net = TwoLayerNet(64, 50, 10, rng=np.random.default_rng(0))
    x, t = split.X_train[:100], split.y_train[:100]
    net.loss(x, t)
    assert counts.forward == 100 * 64 * 50 + 100 * 50 * 10 == 370_000
    counts.forward = 0
    net.gradient(x, t)  # one forward, one backward
    assert counts.forward == 370_000
    assert counts.backward == 740_000 == 2 * counts.forward
    assert counts.backward - counts.dx == 420_000  # without the first layer's dx
    assert counts.dx == 320_000

    num_params = sum(v.size for v in net.params.values())
    assert num_params == 64 * 50 + 50 + 50 * 10 + 10 == 3760

    calls = []

    class CountingLoss(layers.SoftmaxWithLoss):
        def forward(self, x, t):
            calls.append(1)
            return super().forward(x, t)

    monkeypatch.setattr(nets, "SoftmaxWithLoss", CountingLoss)
    monkeypatch.setattr(layers.Affine, "forward", original_forward)  # speed: no counting needed here
    monkeypatch.setattr(layers.Affine, "backward", original_backward)
    net.numerical_gradient(x[:2], t[:2])  # the number of forward passes does not depend on the batch
    assert len(calls) == 2 * num_params == 7520
    total = 7520 * 370_000
    assert total == pytest.approx(2.78e9, rel=1e-3)
    assert total / (370_000 + 740_000) == pytest.approx(2500, rel=0.01)


def test_the_written_answer_says_these_numbers():
    from chapter_cells import ROOT

    text = (ROOT / "chapters" / "05_backprop.md").read_text(encoding="utf-8")
    answer = text[text.index('"ex05-written-answer"') :]
    answer = answer[: answer.index("\n:::\n")]
    for number in (
        "320\\,000",
        "50\\,000",
        "370 000",
        "740 000",
        "3760",
        "7520",
        "2.78\\times10^9",
        "2500",
        "1.11\\times10^6",
        "420 000",
    ):
        assert number in answer, number


# ----------------------------------------------------------------------------- the chapter's text

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "05_backprop.md"


def _body_and_summary():
    text = CHAPTER.read_text(encoding="utf-8")
    start, end = text.index("\n## Exercises"), text.index("\n## Summary")
    return text[:start], text[end:]


def test_code_cells_fit_the_page():
    from chapter_cells import long_code_lines

    too_long = long_code_lines(CHAPTER.read_text(encoding="utf-8"))
    assert not too_long, too_long


def test_the_notes_appear_only_in_pitfalls_and_in_the_notes_lines():
    """Teach first: a prose paragraph that names the notes opens with "In the notes", or sits in a pitfall box."""
    from chapter_cells import notes_narrated

    body, _ = _body_and_summary()
    assert notes_narrated(body) == []


def test_the_body_and_summary_do_not_give_the_exercises_away():
    """Exercise 2's partial derivatives and exercise 3's counts appear only in the exercises."""
    body, summary = _body_and_summary()
    for text in (body, summary):
        for answer in ("132.6", "100.2", "4.32", "930", "370 000", "370\\,000", "740", "7520", "2.78", "3760"):
            assert answer not in text, answer


# The notes' own words for the terms of chapter 5 (notes 000, 002, 003, verbatim).
NOTES_WORDING = (
    "根据**链式求导法则**",  # 000
    "当张量的 `requires_grad`参数为`true`时",  # 000
    "Variable：会被放入计算图中，然后进行前向传播、反向传播、自动求导。",  # 002
    "# backward：归零梯度、做反向传播和更新参数",  # 002
    "# 每次做反向传播之前都要归零梯度，不然梯度会累加在一起，造成结果不收敛",  # 002
    "## 误差反向传播\n\n> 理论依据：链式法则",  # 003
    "#### 加法节点",
    "#### 乘法节点",
    "> 将上游的值乘以**正向传播时的输入信号的翻转值**后传递给下游",
    "反向传播时将上游的值原封不动传递下去",
    "射变换”。因此，这里将进行仿射变换的处理实现为“Affine层”。",
    "self.t = None # 监督数据",
    "### 梯度确认",
)


def _table_terms(chinese: str) -> list[str]:
    """The notes' spellings in one 中文 cell, split at 、 or commas; a cell marked "(not in the notes)" has none."""
    if "(not in the notes)" in chinese:
        return []
    return [t.strip() for t in re.split(r"、|,|，|；|/", re.sub(r"\(.*?\)", "", chinese)) if t.strip()]


def test_summary_terms_are_the_notes_own():
    """Every 中文 entry of the summary's "from the notes" table occurs in the notes' wording (spaces ignored)."""
    _, summary = _body_and_summary()
    rows = [row for row in re.findall(r"^\| (.+?) \| (.+?) \|$", summary, re.M) if row[0] != "English"]
    assert len(rows) >= 12
    notes = "".join(NOTES_WORDING).replace(" ", "").lower()
    for english, chinese in rows:
        for term in _table_terms(chinese):
            assert term.replace(" ", "").lower() in notes, f"{english}: {term!r} is not in the notes"
    assert any("(not in the notes)" in chinese for _, chinese in rows)  # 局部导数 is the usual term, not theirs
