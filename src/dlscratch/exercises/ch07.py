"""Exercises of chapter 7, weight initialization (``chapters/07_initialization.md``).

The chapter derives two initializations from one requirement, that a layer
keep the second moment of its signal: Xavier's for activations that are
about the identity near 0 (tanh), He's for ReLU, which keeps half of it. The
exercises carry the argument to activations the chapter did not treat:

1. any *positively homogeneous* activation (``f(c·z) = c·f(z)`` for
   ``c > 0``: ReLU, leaky ReLU, the identity, ``|z|``, ReLU times a constant),
   for which the argument gives an exact standard deviation, written as an
   initializer that draws from a given ``rng``;
2. a tanh with a slope other than 1 at 0 (LeCun's scaled tanh), for which the
   small-signal argument gives the std.

``dlscratch.init`` (every initializer and gain of the package) and
``dlscratch.mlp.MLP`` (which draws He and Xavier weights) are switched off
while exercise 1 is checked.
"""

from __future__ import annotations

import math

import numpy as np

from .core import Case, FunctionExercise, ValueExercise, register

# ----------------------------------------------------------------------------- exercise 1: he_style_init
# The activations handed to the student's initializer. Public: they are part of the cases, not answers.


def relu(z):
    """max(z, 0)."""
    return np.maximum(z, 0.0)


def leaky_relu_02(z):
    """Leaky ReLU with slope 0.2 for z < 0."""
    return np.where(z > 0, z, 0.2 * z)


def identity(z):
    """z itself: a linear layer."""
    return np.asarray(z, dtype=float) * 1.0


def absolute(z):
    """|z|: both halves of the input pass, one of them flipped."""
    return np.abs(z)


def relu_times_3(z):
    """3·max(z, 0): a ReLU whose positive side has slope 3."""
    return 3.0 * np.maximum(z, 0.0)


def v_shape(z):
    """z for z > 0 and -0.5·z for z < 0: a V with arms of slopes 1 and -0.5."""
    return np.where(z > 0, z, -0.5 * z)


def _second_moment(f) -> float:
    """E[f(z)²] for z ~ N(0, 1) when f is positively homogeneous: (f(1)² + f(-1)²) / 2.

    f(z) = z·f(1) for z > 0 and |z|·f(-1) for z < 0, and each half of a
    standard normal contributes E[z²]/2 = 1/2.
    """
    return (float(f(1.0)) ** 2 + float(f(-1.0)) ** 2) / 2.0


def _he_style_init(f, fan_in, fan_out, *, rng):
    std = 1.0 / math.sqrt(_second_moment(f) * fan_in)
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def _case(f, fan_in, fan_out, seed, note):
    expected = _he_style_init(f, fan_in, fan_out, rng=np.random.default_rng(seed))
    return Case((f, fan_in, fan_out), expected, kwargs={"rng": np.random.default_rng(seed)}, note=note)


register(
    FunctionExercise(
        id="ch07.he_style_init",
        name="he_style_init",
        cases=[
            _case(relu, 100, 50, 0, "ReLU keeps half of the second moment: this is He's initialization"),
            _case(leaky_relu_02, 100, 50, 1, "a leaky ReLU passes some of the negative half too"),
            _case(identity, 64, 10, 2, "a linear layer: the whole second moment passes"),
            _case(absolute, 64, 10, 3, "|z| flips the negative half instead of removing it"),
            _case(relu_times_3, 200, 30, 4, "a slope of 3 multiplies the second moment by 9"),
            _case(v_shape, 50, 80, 5, "arms of different slopes on the two sides of 0"),
            _case(relu, 30, 200, 6, "fan_in is not fan_out: the forward signal sums over the inputs"),
        ],
        switched_off=("dlscratch.init", "dlscratch.mlp.MLP"),
        rtol=1e-6,
        atol=1e-12,
        hint=(
            "for a symmetric z, split the second moment of f(z) into the contributions of z > 0 and z < 0; "
            "homogeneity makes each half a multiple of the second moment of z, as in the derivation of He's "
            "initialization ('Keeping the variance constant'). Draw the weights in a single normal draw of "
            "the requested shape from the given generator, and use it for nothing else"
        ),
    )
)

# ----------------------------------------------------------------------------- exercise 2: scaled_tanh_std

#: LeCun's scaled tanh 1.7159·tanh(2z/3) (Efficient BackProp): its slope at 0
SCALED_TANH_SLOPE = 1.7159 * 2.0 / 3.0
SCALED_TANH_FAN_IN = 256

register(
    ValueExercise(
        id="ch07.scaled_tanh_std",
        expected=1.0 / (SCALED_TANH_SLOPE * math.sqrt(SCALED_TANH_FAN_IN)),
        rtol=1e-4,
        describe="the standard deviation of the weights",
        hint=(
            "Xavier's argument for tanh uses only the behaviour of the activation near 0, where it is a "
            "straight line through the origin; what changes when that line is not the identity?"
        ),
    )
)
