"""Tests for dlscratch.regularization: penalties (gradient checks, torch parity, properties), k-fold splits
(scikit-learn parity), hyperparameter search, early stopping, bad input, no mutation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.model_selection import KFold

from dlscratch import regularization as reg
from dlscratch.numgrad import numerical_gradient, rel_error

PENALTIES = [
    (reg.l2_penalty, reg.l2_penalty_grad, lambda v: v.pow(2).sum() / 2),
    (reg.l1_penalty, reg.l1_penalty_grad, lambda v: v.abs().sum()),
    (reg.linf_penalty, reg.linf_penalty_grad, lambda v: v.abs().amax()),
]
IDS = ["l2", "l1", "linf"]
SHAPES = [(1,), (5,), (3, 4), (2, 3, 4)]
finite = arrays(
    np.float64,
    st.integers(1, 30),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)


def _w(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# ----------------------------------------------------------------------------- penalties


def test_penalty_values():
    w = np.array([[3.0, -4.0], [0.0, 1.0]])
    assert reg.l2_penalty(w) == 0.5 * (9 + 16 + 0 + 1)
    assert reg.l1_penalty(w) == 8.0
    assert reg.linf_penalty(w) == 4.0
    assert reg.l2_penalty(3.0) == 4.5
    assert isinstance(reg.l2_penalty(w), float)


@pytest.mark.parametrize(("penalty", "grad", "_"), PENALTIES, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_penalty_gradient_check(penalty, grad, _, shape):
    """float64 central differences away from the kinks (|w| > 0.1, one clear maximum)."""
    w = _w(shape)
    w = np.where(np.abs(w) < 0.1, 0.5, w)
    w.flat[0] = 5.0  # the largest |w|, alone
    numeric = numerical_gradient(penalty, w)
    assert rel_error(grad(w), numeric) < 1e-7


@pytest.mark.parametrize(("penalty", "grad", "theirs"), PENALTIES, ids=IDS)
@pytest.mark.parametrize(
    "w",
    [
        _w((4, 5), 1),
        np.array([1.0, -3.0, 3.0, 2.0]),  # a tie for max |w|
        np.array([0.0, 0.0, 0.0]),  # all zero: the kinks
        np.array([0.0, -2.0, 2.0, -2.0]),
    ],
)
def test_penalties_and_gradients_match_torch(penalty, grad, theirs, w):
    v = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    value = theirs(v)
    value.backward()
    assert math.isclose(penalty(w), value.item(), rel_tol=1e-12)
    np.testing.assert_allclose(grad(w), v.grad.numpy(), rtol=1e-12, atol=0)


def test_the_notes_l2_penalty_is_ours():
    w = _w((6, 7), 2)
    notes = torch.sum(torch.from_numpy(w).pow(2)) / 2  # 003: l2_penalty
    assert math.isclose(notes.item(), reg.l2_penalty(w), rel_tol=1e-12)


def test_l2_gradient_step_is_weight_decay():
    w = _w((3, 3), 3)
    lr, lam = 0.1, 0.3
    np.testing.assert_allclose(w - lr * lam * reg.l2_penalty_grad(w), (1 - lr * lam) * w, rtol=1e-15)


@pytest.mark.parametrize(("penalty", "grad", "_"), PENALTIES, ids=IDS)
def test_penalties_do_not_modify_their_argument(penalty, grad, _):
    w = _w((4, 4), 4)
    before = w.copy()
    penalty(w)
    g = grad(w)
    assert np.array_equal(w, before)
    g += 1.0  # the gradient is a new array, never a view of w
    assert np.array_equal(w, before)


@pytest.mark.parametrize(("penalty", "grad", "_"), PENALTIES, ids=IDS)
def test_penalties_reject_non_numbers(penalty, grad, _):
    for fn in (penalty, grad):
        with pytest.raises(TypeError, match="w must be real numbers"):
            fn("weights")
        with pytest.raises(ValueError, match="w"):
            fn([[1.0, 2.0], [3.0]])


def test_linf_rejects_empty_weights():
    for fn in (reg.linf_penalty, reg.linf_penalty_grad):
        with pytest.raises(ValueError, match=r"w must have at least one element, got shape \(0,\)"):
            fn(np.array([]))


def test_empty_weights_have_zero_l1_and_l2():
    assert reg.l2_penalty(np.zeros((0, 3))) == 0.0 == reg.l1_penalty(np.zeros((0, 3)))


def test_float32_keeps_its_dtype_in_the_gradients():
    w = np.array([1.0, -2.0], dtype=np.float32)
    for grad in (reg.l2_penalty_grad, reg.l1_penalty_grad, reg.linf_penalty_grad):
        assert grad(w).dtype == np.float32


@settings(max_examples=60, deadline=None)
@given(w=finite, c=st.floats(-100, 100, allow_nan=False))
def test_norm_properties(w, c):
    """Homogeneity, the ordering of the norms, and Euler's identity w · ∇Ω = degree · Ω."""
    l1, l2, linf = reg.l1_penalty(w), reg.l2_penalty(w), reg.linf_penalty(w)
    assert l2 >= 0
    assert l1 >= 0
    assert linf >= 0
    assert linf <= l1 * (1 + 1e-12) + 1e-300
    assert l1 <= w.size * linf * (1 + 1e-12)
    assert math.sqrt(2 * l2) <= l1 * (1 + 1e-12) + 1e-300  # ‖w‖₂ ≤ ‖w‖₁
    assert math.isclose(reg.l1_penalty(c * w), abs(c) * l1, rel_tol=1e-9, abs_tol=1e-300)
    assert math.isclose(reg.linf_penalty(c * w), abs(c) * linf, rel_tol=1e-12, abs_tol=1e-300)
    assert math.isclose(float(np.sum(w * reg.l2_penalty_grad(w))), 2 * l2, rel_tol=1e-9, abs_tol=1e-300)
    assert math.isclose(float(np.sum(w * reg.l1_penalty_grad(w))), l1, rel_tol=1e-9, abs_tol=1e-300)
    assert math.isclose(float(np.sum(w * reg.linf_penalty_grad(w))), linf, rel_tol=1e-9, abs_tol=1e-300)


@settings(max_examples=60, deadline=None)
@given(w=finite)
def test_linf_subgradient_is_in_the_dual_ball(w):
    """A subgradient of ‖·‖∞ has L1 norm 1 (or 0 at w = 0)."""
    g = reg.linf_penalty_grad(w)
    expected = 0.0 if not np.any(w) else 1.0
    assert math.isclose(float(np.abs(g).sum()), expected, rel_tol=1e-12)


# ----------------------------------------------------------------------------- k-fold


@pytest.mark.parametrize(("n", "k"), [(2, 2), (10, 3), (10, 5), (11, 4), (100, 10), (7, 7)])
def test_kfold_matches_sklearn(n, k):
    ours = reg.kfold_indices(n, k)
    theirs = list(KFold(n_splits=k).split(np.zeros(n)))
    assert len(ours) == len(theirs) == k
    for (our_train, our_val), (sk_train, sk_val) in zip(ours, theirs, strict=True):
        assert np.array_equal(our_train, sk_train)
        assert np.array_equal(our_val, sk_val)


@pytest.mark.parametrize(("n", "k", "seed"), [(10, 3, 0), (53, 5, 1), (200, 10, 2)])
def test_shuffled_kfold_is_kfold_on_the_permutation(n, k, seed):
    ours = reg.kfold_indices(n, k, shuffle=True, rng=np.random.default_rng(seed))
    order = np.random.default_rng(seed).permutation(n)
    for (our_train, our_val), (positions_train, positions_val) in zip(
        ours, KFold(n_splits=k).split(order), strict=True
    ):
        assert np.array_equal(our_val, np.sort(order[positions_val]))
        assert np.array_equal(our_train, np.sort(order[positions_train]))


def test_shuffled_kfold_is_reproducible_and_changes_with_the_seed():
    a = reg.kfold_indices(30, 3, shuffle=True, rng=np.random.default_rng(0))
    b = reg.kfold_indices(30, 3, shuffle=True, rng=np.random.default_rng(0))
    c = reg.kfold_indices(30, 3, shuffle=True, rng=np.random.default_rng(1))
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c, strict=True))


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 300), data=st.data())
def test_kfold_partitions_the_samples(n, data):
    k = data.draw(st.integers(2, n))
    shuffle = data.draw(st.booleans())
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))) if shuffle else None
    folds = reg.kfold_indices(n, k, shuffle=shuffle, rng=rng)
    vals = np.concatenate([val for _, val in folds])
    assert np.array_equal(np.sort(vals), np.arange(n))  # every sample validated exactly once
    sizes = [len(val) for _, val in folds]
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)
    for train_idx, val_idx in folds:
        assert np.array_equal(np.sort(np.concatenate([train_idx, val_idx])), np.arange(n))
        assert np.all(np.diff(train_idx) > 0)
        assert np.all(np.diff(val_idx) > 0)
        assert train_idx.dtype.kind == "i"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 10, "k": 1}, ValueError, "k must be >= 2, got 1"),
        ({"n": 3, "k": 5}, ValueError, "n must be at least k = 5"),
        ({"n": 10.0, "k": 2}, TypeError, "n must be an int, got float"),
        ({"n": 10, "k": "3"}, TypeError, "k must be an int"),
        ({"n": 10, "k": 2, "shuffle": True}, ValueError, "rng must be a numpy.random.Generator when shuffle=True"),
        ({"n": 10, "k": 2, "rng": np.random.default_rng(0)}, ValueError, "rng is only used with shuffle=True"),
        ({"n": 10, "k": 2, "shuffle": 1}, TypeError, "shuffle must be True or False"),
        ({"n": 10, "k": 2, "shuffle": True, "rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_kfold_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        reg.kfold_indices(**kwargs)


def test_cross_val_scores_calls_score_on_each_fold():
    seen = []

    def score(train_idx, val_idx):
        seen.append((train_idx.copy(), val_idx.copy()))
        return float(val_idx.sum())

    scores = reg.cross_val_scores(score, 9, 3, shuffle=False)
    assert np.array_equal(scores, [0 + 1 + 2, 3 + 4 + 5, 6 + 7 + 8])
    assert [v.tolist() for _, v in seen] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    with pytest.raises(TypeError, match="score must be a callable"):
        reg.cross_val_scores(0.5, 9, 3, shuffle=False)


# ----------------------------------------------------------------------------- search


def test_grid_search_tries_every_combination_in_product_order():
    calls = []

    def score(lr, weight_decay):
        calls.append((lr, weight_decay))
        return lr - weight_decay

    trials = reg.grid_search(score, {"lr": [0.1, 1.0, 10.0], "weight_decay": (0.0, 0.5)})
    assert calls == [(0.1, 0.0), (0.1, 0.5), (1.0, 0.0), (1.0, 0.5), (10.0, 0.0), (10.0, 0.5)]
    assert [t.score for t in trials] == [a - b for a, b in calls]
    assert reg.best_trial(trials).params == {"lr": 10.0, "weight_decay": 0.0}


@pytest.mark.parametrize(
    ("grid", "error", "match"),
    [
        ({}, ValueError, "grid must be a non-empty dict"),
        ({"lr": []}, ValueError, r"grid\['lr'\] must have at least one value"),
        ({"lr": "0.1"}, TypeError, r"grid\['lr'\] must be a sequence of values"),
        ({"lr": 0.1}, TypeError, r"grid\['lr'\] must be a sequence of values"),
        ([("lr", [0.1])], ValueError, "grid must be a non-empty dict"),
    ],
)
def test_grid_search_rejects_bad_grids(grid, error, match):
    with pytest.raises(error, match=match):
        reg.grid_search(lambda lr: lr, grid)


def test_search_rejects_scores_that_are_not_numbers():
    with pytest.raises(TypeError, match="score must return a real number, got str"):
        reg.grid_search(lambda lr: "good", {"lr": [0.1]})
    with pytest.raises(TypeError, match="score must be a callable"):
        reg.grid_search(None, {"lr": [0.1]})


def test_random_search_draws_within_the_ranges_and_is_reproducible():
    space = {"lr": (1e-3, 1.0), "weight_decay": (1e-6, 1e-2)}
    a = reg.random_search(lambda lr, weight_decay: lr, space, num_trials=200, rng=np.random.default_rng(0))
    b = reg.random_search(lambda lr, weight_decay: lr, space, num_trials=200, rng=np.random.default_rng(0))
    assert [t.params for t in a] == [t.params for t in b]
    for t in a:
        assert 1e-3 <= t.params["lr"] <= 1.0
        assert 1e-6 <= t.params["weight_decay"] <= 1e-2
    assert len({t.params["lr"] for t in a}) == 200  # a new value in every trial


def test_random_search_draws_like_log_uniform_in_the_order_of_the_space():
    space = {"lr": (1e-3, 1.0), "weight_decay": (1e-6, 1e-2)}
    trials = reg.random_search(lambda **p: 0.0, space, num_trials=3, rng=np.random.default_rng(5))
    rng = np.random.default_rng(5)
    for t in trials:
        assert t.params["lr"] == reg.log_uniform(1e-3, 1.0, rng=rng)
        assert t.params["weight_decay"] == reg.log_uniform(1e-6, 1e-2, rng=rng)


@pytest.mark.parametrize(
    ("space", "kwargs", "error", "match"),
    [
        ({}, {}, ValueError, "space must be a non-empty dict"),
        ({"lr": (1.0,)}, {}, ValueError, r"space\['lr'\] must be a pair"),
        ({"lr": (1.0, 0.1)}, {}, ValueError, r"space\['lr'\] must have low <= high"),
        ({"lr": (0.0, 0.1)}, {}, ValueError, r"space\['lr'\] bound must be a finite number > 0"),
        ({"lr": (0.1, 1.0)}, {"num_trials": 0}, ValueError, "num_trials must be >= 1"),
        ({"lr": (0.1, 1.0)}, {"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_random_search_rejects_bad_input(space, kwargs, error, match):
    arguments = {"num_trials": 2, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error, match=match):
        reg.random_search(lambda lr: lr, space, **arguments)


def test_log_uniform_gives_each_decade_the_same_share():
    x = reg.log_uniform(1e-5, 1e-1, size=200_000, rng=np.random.default_rng(0))
    assert x.shape == (200_000,)
    assert x.min() >= 1e-5
    assert x.max() <= 1e-1
    shares = np.histogram(np.log10(x), bins=[-5, -4, -3, -2, -1])[0] / x.size
    np.testing.assert_allclose(shares, 0.25, atol=0.005)
    assert isinstance(reg.log_uniform(0.1, 1.0, rng=np.random.default_rng(0)), float)
    assert reg.log_uniform(0.5, 0.5, rng=np.random.default_rng(0)) == pytest.approx(0.5, rel=1e-12)


@pytest.mark.parametrize(
    ("low", "high", "match"),
    [(0.0, 1.0, "low must be a finite number > 0"), (1.0, 0.5, "low must be <= high"), (1.0, math.inf, "high")],
)
def test_log_uniform_rejects_bad_ranges(low, high, match):
    with pytest.raises(ValueError, match=match):
        reg.log_uniform(low, high, rng=np.random.default_rng(0))


def test_best_trial_skips_nan_and_keeps_the_first_of_equals():
    trials = [reg.Trial({"a": 1}, math.nan), reg.Trial({"a": 2}, 0.5), reg.Trial({"a": 3}, 0.5)]
    assert reg.best_trial(trials).params == {"a": 2}
    with pytest.raises(ValueError, match="at least one trial with a score that is not NaN"):
        reg.best_trial([reg.Trial({"a": 1}, math.nan)])
    with pytest.raises(ValueError, match="got 0"):
        reg.best_trial([])


# ----------------------------------------------------------------------------- early stopping


def _reference_stop(scores, patience, min_delta=0.0, mode="max"):
    """The first epoch (1-based) at which `patience` epochs in a row brought no improvement (or None), and the
    epoch of the best score over all of `scores` (0 if every score is NaN)."""
    best, best_epoch, stop = None, 0, None
    for epoch, s in enumerate(scores, start=1):
        better = not math.isnan(s) and (
            best is None or (s > best + min_delta if mode == "max" else s < best - min_delta)
        )
        if better:
            best, best_epoch = s, epoch
        if stop is None and epoch - best_epoch >= patience:
            stop = epoch
    return stop, best_epoch


@settings(max_examples=100, deadline=None)
@given(
    scores=st.lists(st.one_of(st.floats(0, 1), st.just(math.nan)), min_size=1, max_size=40),
    patience=st.integers(1, 6),
    min_delta=st.sampled_from([0.0, 0.01, 0.1]),
    mode=st.sampled_from(["max", "min"]),
)
def test_early_stopping_matches_a_reference(scores, patience, min_delta, mode):
    stopper = reg.EarlyStopping(patience, min_delta=min_delta, mode=mode)
    stop_epoch, best_epoch = _reference_stop(scores, patience, min_delta, mode)
    answers = [stopper.update(s) for s in scores]
    first_true = answers.index(True) + 1 if True in answers else None
    assert first_true == stop_epoch
    assert answers == sorted(answers)  # once True, always True
    assert stopper.best_epoch == best_epoch
    assert stopper.epoch == len(scores)


def test_early_stopping_keeps_copies_of_the_best_parameters_and_restores_them_in_place():
    params = {"W": np.array([1.0, 2.0]), "b": np.array([0.0])}
    shared = params["W"]  # a layer holding the array sees the restore
    stopper = reg.EarlyStopping(patience=2, mode="min")
    assert not stopper.update(1.0, params)
    params["W"] += 10.0  # training goes on, in place
    assert not stopper.update(0.5, params)
    params["W"] += 10.0
    assert not stopper.update(0.7, params)
    assert stopper.update(0.6, params)
    assert np.array_equal(stopper.best_params["W"], [11.0, 12.0])
    stopper.restore(params)
    assert np.array_equal(shared, [11.0, 12.0])
    assert params["W"] is shared
    assert (stopper.best_epoch, stopper.best_score, stopper.stopped) == (2, 0.5, True)


def test_early_stopping_bad_input():
    with pytest.raises(ValueError, match="patience must be >= 1, got 0"):
        reg.EarlyStopping(0)
    with pytest.raises(ValueError, match="mode must be 'max' or 'min'"):
        reg.EarlyStopping(2, mode="best")
    with pytest.raises(ValueError, match="min_delta must be a finite number >= 0"):
        reg.EarlyStopping(2, min_delta=-0.1)
    stopper = reg.EarlyStopping(2)
    with pytest.raises(TypeError, match="score must be a real number, got str"):
        stopper.update("0.9")
    with pytest.raises(RuntimeError, match="no parameters recorded"):
        stopper.restore({})
    stopper.update(0.9, {"W": np.zeros(2)})
    with pytest.raises(ValueError, match="params has no key 'W'"):
        stopper.restore({"V": np.zeros(2)})
    with pytest.raises(ValueError, match=r"params\['W'\] must have shape \(2,\)"):
        stopper.restore({"W": np.zeros(3)})
    assert "patience=2" in repr(stopper)
