"""The optimizers: ``update(params, grads)`` in place, as ``torch.optim`` computes it (chapter 6).

Every optimizer has one method, ``update(params, grads)``: ``params`` and
``grads`` are dicts with the same keys (the ``params``/``grads`` of a layer or
network), and each array of ``params`` is changed **in place**, so the network
that owns the arrays sees the new values. ``grads`` is never modified. The
optimizer keeps its state (velocities, squared-gradient sums, ...) per
parameter key in ``optimizer.state[key]``, a dict whose entries carry PyTorch's
names (``momentum_buffer``, ``sum``, ``square_avg``, ``exp_avg``, ...).

The classes implement PyTorch's formulation. Where *Deep Learning from
Scratch* (DLFS, whose code the notes copy) writes an update differently, the
class docstring says how, and a pure function ``dlfs_*_step`` (at the end of
this module) computes the DLFS version, so that a chapter can compare them.
The table of equivalences is in :mod:`dlscratch.optim`.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from .._validation import check_positive

__all__ = [
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "RMSprop",
    "dlfs_adagrad_step",
    "dlfs_adam_step",
    "dlfs_momentum_step",
    "dlfs_nesterov_step",
    "dlfs_rmsprop_step",
]


# ----------------------------------------------------------------------------- checks


def _check_fraction(value, name: str) -> float:
    """A decay or momentum coefficient: a real number in [0, 1)."""
    value = check_positive(value, name, allow_zero=True)
    if value >= 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


def _check_int(value, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_params_and_grads(params, grads, state: Mapping) -> list[tuple[Hashable, np.ndarray, np.ndarray]]:
    """Check everything before any array changes, so a bad call leaves ``params`` untouched."""
    for name, value in (("params", params), ("grads", grads)):
        if not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a dict of arrays (name -> ndarray), got {type(value).__name__}")
    missing = [key for key in params if key not in grads]
    if missing:
        raise ValueError(
            f"grads has no entry for the parameter(s) {missing}: params has keys {list(params)}, "
            f"grads has keys {list(grads)}"
        )
    pairs = []
    for key, param in params.items():
        if not isinstance(param, np.ndarray) or not np.issubdtype(param.dtype, np.floating):
            what = f"ndarray of dtype {param.dtype}" if isinstance(param, np.ndarray) else type(param).__name__
            raise TypeError(f"params[{key!r}] must be a float ndarray (it is updated in place), got {what}")
        if not param.flags.writeable:
            raise ValueError(f"params[{key!r}] is read-only; the optimizer updates it in place")
        grad = np.asarray(grads[key])
        if grad.dtype.kind not in "iuf":  # signed, unsigned int or float (not bool, complex, str, object)
            raise TypeError(f"grads[{key!r}] must be an array of real numbers, got dtype {grad.dtype}")
        if grad.shape != param.shape:
            raise ValueError(f"grads[{key!r}] has shape {grad.shape}, but params[{key!r}] has shape {param.shape}")
        for name, value in state.get(key, {}).items():
            if isinstance(value, np.ndarray) and value.shape != param.shape:
                raise ValueError(
                    f"params[{key!r}] has shape {param.shape}, but the optimizer's state {name!r} for it has "
                    f"shape {value.shape}; use a new optimizer when a parameter changes shape"
                )
        pairs.append((key, param, grad))
    return pairs


# ----------------------------------------------------------------------------- optimizers


class Optimizer:
    """Base class: ``update(params, grads)`` moves every array of ``params`` one step, in place.

    Attributes
    ----------
    lr : float
        The learning rate; a schedule (:class:`LRScheduler`) may change it
        between steps (to any finite value >= 0).
    state : dict
        ``state[key]`` holds what the method remembers about ``params[key]``,
        created at the first ``update`` that sees ``key``.
    initial_lr : float or None
        The learning rate that schedules start from (set by the first
        schedule attached to the optimizer, as PyTorch's ``initial_lr``).
    """

    _hyperparameters: tuple[str, ...] = ("lr",)

    def __init__(self, lr) -> None:
        self._lr = check_positive(lr, "lr")
        self.initial_lr: float | None = None
        self.state: dict[Hashable, dict[str, Any]] = {}

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = check_positive(value, "lr", allow_zero=True)

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyperparameters)
        return f"{type(self).__name__}({args})"

    def update(self, params: Mapping[Hashable, np.ndarray], grads: Mapping[Hashable, Any]) -> None:
        """Apply one step to every array of ``params``, in place.

        Parameters
        ----------
        params : dict of (...) float ndarray
            The parameters; each array is modified in place.
        grads : dict of (...) array_like
            The gradient of the loss for each key of ``params``, of the same
            shape; never modified. Extra keys are ignored, so an optimizer can
            update a subset of a network's parameters.

        Raises
        ------
        TypeError
            If ``params`` or ``grads`` is not a dict, or a parameter is not a
            float ndarray.
        ValueError
            If ``grads`` lacks a key of ``params`` or a shape differs. Nothing
            is updated then.
        """
        for key, param, grad in _check_params_and_grads(params, grads, self.state):
            if key not in self.state:
                self.state[key] = self._init_state(param)
            self._step(param, grad, self.state[key])

    def _init_state(self, param: np.ndarray) -> dict[str, Any]:
        return {}

    def _step(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def _with_weight_decay(self, grad: np.ndarray, param: np.ndarray) -> np.ndarray:
        """``g + λθ`` (the gradient of an added L2 penalty ``λ/2 ‖θ‖²``), as a new array."""
        weight_decay = getattr(self, "weight_decay", 0.0)
        return grad + weight_decay * param if weight_decay else grad


class SGD(Optimizer):
    """Stochastic gradient descent: ``θ ← θ − η (g + λθ)``.

    Identical in DLFS, the notes and ``torch.optim.SGD(params, lr, weight_decay=λ)``.

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate η > 0.
    weight_decay : float, default 0
        L2 penalty λ >= 0, added to the gradient.

    Examples
    --------
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> SGD(lr=0.1).update(params, {"w": np.array([0.5, 0.5])})
    >>> params["w"]
    array([ 0.95, -2.05])
    """

    _hyperparameters = ("lr", "weight_decay")

    def __init__(self, lr=0.01, *, weight_decay=0.0) -> None:
        super().__init__(lr)
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)

    def _step(self, param, grad, state):
        param -= self.lr * self._with_weight_decay(grad, param)


class Momentum(Optimizer):
    """SGD with momentum, as PyTorch writes it: ``b ← μ b + g``, ``θ ← θ − η b``.

    ``state[key]["momentum_buffer"]`` is ``b``, a running sum of gradients
    (``g`` includes ``λθ`` when ``weight_decay`` is set). This is
    ``torch.optim.SGD(params, lr, momentum=μ, weight_decay=λ)``.

    **DLFS and the notes** keep a velocity instead: ``v ← α v − η g``,
    ``θ ← θ + v`` (:func:`dlfs_momentum_step`). With a constant η the two are
    the same method: by induction ``v = −η b`` after every step, so the
    trajectories agree to rounding. They differ once η changes (a schedule):
    PyTorch applies the new η to the whole buffer at once, DLFS only to the
    gradients that arrive after the change.

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate η > 0.
    momentum : float, default 0.9
        μ in [0, 1) (DLFS's α): the fraction of the buffer kept each step.
    weight_decay : float, default 0
        L2 penalty λ >= 0, added to the gradient.

    Examples
    --------
    With a constant gradient the steps grow towards ``η g / (1 − μ)``:

    >>> params, opt = {"w": np.array([0.0])}, Momentum(lr=0.1, momentum=0.9)
    >>> for _ in range(3):
    ...     opt.update(params, {"w": np.array([1.0])})
    >>> opt.state["w"]["momentum_buffer"]  # 1 + 0.9 + 0.81
    array([2.71])
    """

    _hyperparameters = ("lr", "momentum", "weight_decay")

    def __init__(self, lr=0.01, *, momentum=0.9, weight_decay=0.0) -> None:
        super().__init__(lr)
        self.momentum = _check_fraction(momentum, "momentum")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)

    def _init_state(self, param):
        return {"momentum_buffer": np.zeros_like(param)}

    def _step(self, param, grad, state):
        grad = self._with_weight_decay(grad, param)
        buf = state["momentum_buffer"]
        buf *= self.momentum
        buf += grad
        param -= self.lr * buf


class Nesterov(Momentum):
    """Nesterov momentum, as PyTorch writes it: ``b ← μ b + g``, ``θ ← θ − η (g + μ b)``.

    The step looks ahead: it uses the buffer *after* this gradient was added.
    This is ``torch.optim.SGD(params, lr, momentum=μ, nesterov=True,
    weight_decay=λ)``. With a constant η and ``v = −η b`` it is the formula of
    Bengio, Boulanger-Lewandowski & Pascanu (2012), which DLFS cites:
    ``θ ← θ + μ² v − (1 + μ) η g``, then ``v ← μ v − η g`` (``v`` the *old*
    velocity in the first line).

    **DLFS's code** (:func:`dlfs_nesterov_step`) updates ``v`` first and then
    applies ``μ²`` to the *new* velocity: ``θ ← θ + μ² (μ v − η g) − (1 + μ) η g``.
    So its first step is ``−(1 + μ + μ²) η g`` instead of ``−(1 + μ) η g``, and
    the two trajectories differ. They agree for ``μ = 0`` (both are SGD), and
    under a constant gradient both step lengths tend to the same ``η g / (1 − μ)``.

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate η > 0.
    momentum : float, default 0.9
        μ in [0, 1).
    weight_decay : float, default 0
        L2 penalty λ >= 0, added to the gradient.

    Examples
    --------
    >>> params = {"w": np.array([0.0])}
    >>> Nesterov(lr=0.1, momentum=0.9).update(params, {"w": np.array([1.0])})
    >>> params["w"]  # -(1 + μ) η g on the first step
    array([-0.19])
    """

    def _step(self, param, grad, state):
        grad = self._with_weight_decay(grad, param)
        buf = state["momentum_buffer"]
        buf *= self.momentum
        buf += grad
        param -= self.lr * (grad + self.momentum * buf)


class AdaGrad(Optimizer):
    """AdaGrad: a learning rate per coordinate, shrinking with the sum of squared gradients.

    ``h ← h + g ⊙ g``, ``θ ← θ − η_t g / (√h + ε)`` with
    ``η_t = η / (1 + (t − 1) · lr_decay)``; ``h`` is ``state[key]["sum"]``,
    starting at ``initial_accumulator_value``. This is ``torch.optim.Adagrad``
    with the same arguments.

    **DLFS and the notes** put ε in the same place (outside the square root,
    ``√h + 1e-7``); only the default differs: PyTorch's ε is 1e-10, DLFS's
    1e-7. ``AdaGrad(lr, eps=1e-7)`` is DLFS's ``AdaGrad(lr)`` exactly
    (:func:`dlfs_adagrad_step`). Because ``h`` only grows, the steps only
    shrink, which can stop learning early (the notes' caveat).

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate η > 0.
    lr_decay : float, default 0
        >= 0; divides η by ``1 + (t − 1) · lr_decay`` at step t.
    weight_decay : float, default 0
        L2 penalty λ >= 0, added to the gradient.
    initial_accumulator_value : float, default 0
        >= 0, the starting value of every entry of ``h``.
    eps : float, default 1e-10
        ε >= 0, added to ``√h`` (with 0, a coordinate whose gradients were all 0 gets 0/0 = NaN).

    Examples
    --------
    The first step moves every coordinate by about η, whatever the gradient's size:

    >>> params = {"w": np.array([0.0, 0.0])}
    >>> AdaGrad(lr=0.1).update(params, {"w": np.array([100.0, 0.01])})
    >>> params["w"]
    array([-0.1, -0.1])
    """

    _hyperparameters = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, lr=0.01, *, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10) -> None:
        super().__init__(lr)
        self.lr_decay = check_positive(lr_decay, "lr_decay", allow_zero=True)
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.initial_accumulator_value = check_positive(
            initial_accumulator_value, "initial_accumulator_value", allow_zero=True
        )
        self.eps = check_positive(eps, "eps", allow_zero=True)

    def _init_state(self, param):
        return {"step": 0, "sum": np.full_like(param, self.initial_accumulator_value)}

    def _step(self, param, grad, state):
        state["step"] += 1
        grad = self._with_weight_decay(grad, param)
        lr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        state["sum"] += grad * grad
        param -= lr * grad / (np.sqrt(state["sum"]) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: AdaGrad with a moving average of squared gradients instead of a sum.

    ``s ← α s + (1 − α) g ⊙ g``, ``θ ← θ − η g / (√s + ε)``, with ``s`` in
    ``state[key]["square_avg"]``. Old gradients fade by α per step, so the
    step size no longer only shrinks. Options as ``torch.optim.RMSprop``:
    ``momentum`` μ > 0 keeps ``b ← μ b + g / (√s + ε)`` and steps ``θ ← θ − η b``;
    ``centered=True`` divides by an estimate of the standard deviation,
    ``√(s − ḡ²) + ε`` with ``ḡ ← α ḡ + (1 − α) g``.

    **Where ε sits.** PyTorch and DLFS's code add ε outside the square root,
    ``√s + ε`` (DLFS: ε = 1e-7, its ``decay_rate`` is α). The notes' formula
    (and TensorFlow's RMSProp) put it inside, ``√(s + ε)``
    (:func:`dlfs_rmsprop_step` with ``eps_inside_sqrt=True``). With ε = 0 the
    two agree; with ε > 0 they differ where ``s`` is tiny: inside, the
    denominator never falls below √ε (1e-4 for ε = 1e-8), outside, below ε.

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate η > 0.
    alpha : float, default 0.99
        α in [0, 1), the decay of the moving average.
    eps : float, default 1e-8
        ε >= 0, added to ``√s`` (with 0, a coordinate whose gradients were all 0 gets 0/0 = NaN).
    weight_decay : float, default 0
        L2 penalty λ >= 0, added to the gradient.
    momentum : float, default 0
        μ in [0, 1).
    centered : bool, default False
        Subtract the squared mean gradient from ``s``.

    Examples
    --------
    >>> params = {"w": np.array([0.0])}
    >>> RMSprop(lr=0.01, alpha=0.99, eps=0.0).update(params, {"w": np.array([3.0])})
    >>> params["w"]  # s = 0.01·9, so the step is η·3/√0.09 = 10 η
    array([-0.1])
    """

    _hyperparameters = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(self, lr=0.01, *, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False) -> None:
        super().__init__(lr)
        self.alpha = _check_fraction(alpha, "alpha")
        self.eps = check_positive(eps, "eps", allow_zero=True)
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.momentum = _check_fraction(momentum, "momentum")
        if not isinstance(centered, bool):
            raise TypeError(f"centered must be True or False, got {type(centered).__name__} {centered!r}")
        self.centered = centered

    def _init_state(self, param):
        state = {"step": 0, "square_avg": np.zeros_like(param)}
        if self.momentum > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if self.centered:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _step(self, param, grad, state):
        state["step"] += 1
        grad = self._with_weight_decay(grad, param)
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * grad * grad
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg *= self.alpha
            grad_avg += (1 - self.alpha) * grad
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            denom = np.sqrt(square_avg) + self.eps
        if self.momentum > 0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += grad / denom
            param -= self.lr * buf
        else:
            param -= self.lr * grad / denom


class Adam(Optimizer):
    """Adam: momentum (a moving average of g) over RMSprop (a moving average of g ⊙ g).

    At step t (``state[key]["step"]``)::

        m ← β₁ m + (1 − β₁) g           state[key]["exp_avg"]
        v ← β₂ v + (1 − β₂) g ⊙ g       state[key]["exp_avg_sq"]
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)     (bias correction: m, v start at 0)
        θ ← θ − η m̂ / (√v̂ + ε)

    ``weight_decay`` λ adds ``λθ`` to ``g`` (an L2 penalty, which the division
    by √v̂ then weakens for coordinates with large gradients; :class:`AdamW`
    decays instead). ``amsgrad=True`` divides by the running maximum of ``v``.
    This is ``torch.optim.Adam(params, lr, betas=(β₁, β₂), eps, weight_decay, amsgrad)``.

    **Where ε sits.** DLFS folds the bias correction into the learning rate,
    ``η_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)``, ``θ ← θ − η_t m / (√v + ε)`` with
    ε = 1e-7 (:func:`dlfs_adam_step`; the "efficient version" at the end of
    Kingma & Ba's section 2). That equals the update above with ε replaced by
    ``ε / √(1 − β₂ᵗ)``: the same method when ε = 0; with ε > 0, DLFS's ε is
    larger in the first steps (√(1 − 0.999) ≈ 0.0316: about 32× at t = 1) and
    tends to PyTorch's as t grows.

    Parameters
    ----------
    lr : float, default 0.001
        Learning rate η > 0.
    beta1, beta2 : float, default 0.9, 0.999
        β₁, β₂ in [0, 1): decay of the first and second moment averages.
    eps : float, default 1e-8
        ε >= 0, added to √v̂ (with 0, a coordinate whose gradients were all 0 gets 0/0 = NaN).
    weight_decay : float, default 0
        L2 penalty λ >= 0, added to the gradient.
    amsgrad : bool, default False
        Use ``max(v)`` over all steps so far instead of ``v``.

    Examples
    --------
    The first step moves every coordinate by η (up to ε), whatever the gradient's size:

    >>> params = {"w": np.array([0.0, 0.0])}
    >>> Adam(lr=0.01).update(params, {"w": np.array([100.0, -0.01])})
    >>> params["w"].round(6)
    array([-0.01,  0.01])
    """

    _hyperparameters = ("lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad")
    _decoupled_weight_decay = False

    def __init__(self, lr=0.001, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False) -> None:
        super().__init__(lr)
        self.beta1 = _check_fraction(beta1, "beta1")
        self.beta2 = _check_fraction(beta2, "beta2")
        self.eps = check_positive(eps, "eps", allow_zero=True)
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        if not isinstance(amsgrad, bool):
            raise TypeError(f"amsgrad must be True or False, got {type(amsgrad).__name__} {amsgrad!r}")
        self.amsgrad = amsgrad

    def _init_state(self, param):
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _step(self, param, grad, state):
        state["step"] += 1
        t = state["step"]
        if self._decoupled_weight_decay:
            param *= 1 - self.lr * self.weight_decay
        else:
            grad = self._with_weight_decay(grad, param)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= self.beta1
        m += (1 - self.beta1) * grad
        v *= self.beta2
        v += (1 - self.beta2) * grad * grad
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``θ ← (1 − ηλ) θ``, then the Adam step without λ.

    Adam's ``weight_decay`` adds λθ to the gradient, and the division by √v̂
    rescales it per coordinate; AdamW shrinks every weight by the same factor
    ``1 − ηλ`` instead (Loshchilov & Hutter, 2019). This is
    ``torch.optim.AdamW`` (default λ = 0.01); DLFS has no AdamW.

    Parameters
    ----------
    lr : float, default 0.001
        Learning rate η > 0.
    beta1, beta2 : float, default 0.9, 0.999
        β₁, β₂ in [0, 1).
    eps : float, default 1e-8
        ε >= 0, added to √v̂ (with 0, a coordinate whose gradients were all 0 gets 0/0 = NaN).
    weight_decay : float, default 0.01
        λ >= 0, the decay rate per unit of learning rate.
    amsgrad : bool, default False
        Use ``max(v)`` over all steps so far instead of ``v``.

    Examples
    --------
    With a zero gradient only the decay acts:

    >>> params = {"w": np.array([2.0])}
    >>> AdamW(lr=0.1, weight_decay=0.5).update(params, {"w": np.array([0.0])})
    >>> params["w"]  # (1 - 0.1·0.5) · 2
    array([1.9])
    """

    _decoupled_weight_decay = True

    def __init__(self, lr=0.001, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, amsgrad=False) -> None:
        super().__init__(lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


# ----------------------------------------------------------------------------- the DLFS (notes') versions


def _dlfs_arrays(**arrays) -> list[np.ndarray]:
    """Float64 copies of the arrays, all of one shape (the DLFS steps never touch their inputs)."""
    out = []
    for name, value in arrays.items():
        arr = np.array(value, dtype=np.float64)
        if out and arr.shape != out[0].shape:
            first = next(iter(arrays))
            raise ValueError(f"{name} has shape {arr.shape}, but {first} has shape {out[0].shape}")
        out.append(arr)
    return out


def dlfs_momentum_step(param, velocity, grad, *, lr=0.01, momentum=0.9) -> tuple[np.ndarray, np.ndarray]:
    """One step of DLFS's momentum (the notes' ``Momentum``): ``v ← α v − η g``, ``θ ← θ + v``.

    The same method as :class:`Momentum` while η is constant (``v = −η b``);
    see its docstring for when they differ.

    Parameters
    ----------
    param, velocity, grad : (...) array_like
        θ, the velocity ``v`` (zeros before the first step) and the gradient,
        all of one shape; none is modified.
    lr : float, default 0.01
        η > 0.
    momentum : float, default 0.9
        α in [0, 1).

    Returns
    -------
    param, velocity : (...) ndarray
        The new θ and ``v``.

    Examples
    --------
    >>> theta, v = dlfs_momentum_step([0.0], [0.0], [1.0], lr=0.1)
    >>> theta, v = dlfs_momentum_step(theta, v, [1.0], lr=0.1)
    >>> theta, v  # v = -(1 + 0.9)·0.1
    (array([-0.29]), array([-0.19]))
    """
    param, velocity, grad = _dlfs_arrays(param=param, velocity=velocity, grad=grad)
    lr, momentum = check_positive(lr, "lr"), _check_fraction(momentum, "momentum")
    velocity = momentum * velocity - lr * grad
    return param + velocity, velocity


def dlfs_nesterov_step(param, velocity, grad, *, lr=0.01, momentum=0.9) -> tuple[np.ndarray, np.ndarray]:
    """One step of DLFS's ``Nesterov``: ``v ← μ v − η g``, then ``θ ← θ + μ² v − (1 + μ) η g``.

    The ``μ² v`` uses the velocity *after* this step's update, where the paper
    DLFS cites (and :class:`Nesterov`) uses the one before; the trajectories
    differ (see :class:`Nesterov`).

    Parameters
    ----------
    param, velocity, grad : (...) array_like
        θ, ``v`` (zeros before the first step) and the gradient, of one shape.
    lr : float, default 0.01
        η > 0.
    momentum : float, default 0.9
        μ in [0, 1).

    Returns
    -------
    param, velocity : (...) ndarray

    Examples
    --------
    >>> dlfs_nesterov_step([0.0], [0.0], [1.0], lr=0.1)  # θ moves by -(1 + μ + μ²) η g
    (array([-0.271]), array([-0.1]))
    """
    param, velocity, grad = _dlfs_arrays(param=param, velocity=velocity, grad=grad)
    lr, momentum = check_positive(lr, "lr"), _check_fraction(momentum, "momentum")
    velocity = momentum * velocity - lr * grad
    return param + momentum * momentum * velocity - (1 + momentum) * lr * grad, velocity


def dlfs_adagrad_step(param, h, grad, *, lr=0.01, eps=1e-7) -> tuple[np.ndarray, np.ndarray]:
    """One step of DLFS's (the notes') ``AdaGrad``: ``h ← h + g ⊙ g``, ``θ ← θ − η g / (√h + ε)``.

    Identical to ``AdaGrad(lr, eps=1e-7)``; PyTorch's default ε is 1e-10.

    Parameters
    ----------
    param, h, grad : (...) array_like
        θ, the sum of squared gradients (zeros before the first step) and the gradient.
    lr : float, default 0.01
        η > 0.
    eps : float, default 1e-7
        ε >= 0.

    Returns
    -------
    param, h : (...) ndarray

    Examples
    --------
    >>> dlfs_adagrad_step([0.0], [0.0], [2.0], lr=0.1, eps=0.0)
    (array([-0.1]), array([4.]))
    """
    param, h, grad = _dlfs_arrays(param=param, h=h, grad=grad)
    lr, eps = check_positive(lr, "lr"), check_positive(eps, "eps", allow_zero=True)
    h = h + grad * grad
    return param - lr * grad / (np.sqrt(h) + eps), h


def dlfs_rmsprop_step(
    param, h, grad, *, lr=0.01, decay_rate=0.99, eps=1e-7, eps_inside_sqrt=False
) -> tuple[np.ndarray, np.ndarray]:
    """One step of DLFS's ``RMSprop``: ``h ← ρ h + (1 − ρ) g ⊙ g``, ``θ ← θ − η g / (√h + ε)``.

    With ``eps_inside_sqrt=True``, the notes' formula ``θ ← θ − η g / √(h + ε)``
    instead. The first form is ``RMSprop(lr, alpha=ρ, eps=ε)``; the second
    agrees with it only for ε = 0 (see :class:`RMSprop`).

    Parameters
    ----------
    param, h, grad : (...) array_like
        θ, the moving average of squared gradients (zeros before the first
        step) and the gradient.
    lr : float, default 0.01
        η > 0.
    decay_rate : float, default 0.99
        ρ in [0, 1) (PyTorch's ``alpha``).
    eps : float, default 1e-7
        ε >= 0.
    eps_inside_sqrt : bool, default False
        Put ε inside the square root (the notes) rather than outside (DLFS's code).

    Returns
    -------
    param, h : (...) ndarray

    Examples
    --------
    A tiny gradient: ε inside the root dominates the denominator.

    >>> outside, _ = dlfs_rmsprop_step([0.0], [0.0], [1e-6], lr=0.1, eps=1e-8)
    >>> inside, _ = dlfs_rmsprop_step([0.0], [0.0], [1e-6], lr=0.1, eps=1e-8, eps_inside_sqrt=True)
    >>> outside.round(4), inside.round(4)
    (array([-0.9091]), array([-0.001]))
    """
    param, h, grad = _dlfs_arrays(param=param, h=h, grad=grad)
    lr, eps = check_positive(lr, "lr"), check_positive(eps, "eps", allow_zero=True)
    decay_rate = _check_fraction(decay_rate, "decay_rate")
    h = decay_rate * h + (1 - decay_rate) * grad * grad
    denom = np.sqrt(h + eps) if eps_inside_sqrt else np.sqrt(h) + eps
    return param - lr * grad / denom, h


def dlfs_adam_step(
    param, m, v, grad, *, step, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of DLFS's ``Adam``, with the bias correction folded into the learning rate.

    ``m ← m + (1 − β₁)(g − m)``, ``v ← v + (1 − β₂)(g ⊙ g − v)``,
    ``η_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)``, ``θ ← θ − η_t m / (√v + ε)``.
    This is :class:`Adam` with ε replaced by ``ε / √(1 − β₂ᵗ)``.

    Parameters
    ----------
    param, m, v, grad : (...) array_like
        θ, the first and second moment averages (zeros before the first
        step) and the gradient.
    step : int
        t >= 1, the number of this step (1 for the first).
    lr : float, default 0.001
        η > 0.
    beta1, beta2 : float, default 0.9, 0.999
        β₁, β₂ in [0, 1).
    eps : float, default 1e-7
        ε >= 0.

    Returns
    -------
    param, m, v : (...) ndarray

    Examples
    --------
    >>> theta, m, v = dlfs_adam_step([0.0], [0.0], [0.0], [2.0], step=1, lr=0.01, eps=0.0)
    >>> theta.round(12), m.round(12), v.round(12)
    (array([-0.01]), array([0.2]), array([0.004]))
    """
    param, m, v, grad = _dlfs_arrays(param=param, m=m, v=v, grad=grad)
    step = _check_int(step, "step")
    lr, eps = check_positive(lr, "lr"), check_positive(eps, "eps", allow_zero=True)
    beta1, beta2 = _check_fraction(beta1, "beta1"), _check_fraction(beta2, "beta2")
    lr_t = lr * np.sqrt(1.0 - beta2**step) / (1.0 - beta1**step)
    m = m + (1 - beta1) * (grad - m)
    v = v + (1 - beta2) * (grad * grad - v)
    return param - lr_t * m / (np.sqrt(v) + eps), m, v
