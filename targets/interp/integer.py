"""The integer neuron of ``qsnn.neuron`` (dialects/qsnn.py), per step, in int64.

Exact integer arithmetic: inputs arrive as float64 arrays holding integers (sums of
integer weights times spike counts, exact below 2**53) and are converted with a check;
state, decays, thresholds and biases are int64.  With D = decay_bits::

    shift(a) = a >> D                       (rounding "floor": arithmetic shift)
             = sign(a) * (|a| >> D)         (rounding "toward-zero")
    X = x << input_shift
    cuba:   I' = clamp(shift(I * i_decay) + X);  c = I' (new) or I (previous)
    leaky:  c = X
    U = clamp(shift(V * v_decay) + c + v_bias)
    spike: U > v_threshold;  V = v_reset or U - v_threshold where spiking, else U
    output: spikes (1.0 / 0.0), or V * unit for a non-spiking neuron

clamp saturates to [-2**(B-1), 2**(B-1) - 1] (B = state_bits) or wraps into it.
"""

from __future__ import annotations

import numpy as np

from nirc.diagnostics import NircError


class IntNeuronState:
    def __init__(self, node, batch: int, dtype=None):
        shape = (batch, *node.out_shape)
        self.v = np.broadcast_to(node.params["v_init"], shape).astype(np.int64, copy=True)
        self.i = np.zeros(shape, np.int64)


def _shift(a: np.ndarray, bits: int, toward_zero: bool) -> np.ndarray:
    if not toward_zero:
        return a >> bits
    return np.sign(a) * (np.abs(a) >> bits)


def _clamp(a: np.ndarray, bits: int, wrap: bool) -> np.ndarray:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if wrap:
        return ((a - low) & ((1 << bits) - 1)) + low
    return np.clip(a, low, high)


def as_integers(node, x: np.ndarray) -> np.ndarray:
    """x as int64; a non-integer value means a float signal reached an integer neuron."""
    r = np.rint(x)
    if not np.array_equal(r, x):
        bad = x.flat[np.flatnonzero(r != x)[0]]
        raise NircError(f"the integer neuron received a non-integer input ({bad!r}): its "
                        "inputs must be spike counts times integer weights", node=node.name)
    return r.astype(np.int64)


def int_step(node, state: IntNeuronState, x: np.ndarray, dtype) -> np.ndarray:
    p = node.params
    xi = as_integers(node, x) << p["input_shift"]
    d, b, tz, wrap = p["decay_bits"], p["state_bits"], p["toward_zero"], p["wrap"]
    if p["current"] == "none":
        c = xi
    else:
        i_new = _clamp(_shift(state.i * p["i_decay"], d, tz) + xi, b, wrap)
        c = i_new if p["current"] == "new" else state.i
        state.i = i_new
    u = _clamp(_shift(state.v * p["v_decay"], d, tz) + c + p["v_bias"], b, wrap)
    if not p["spiking"]:
        state.v = u
        return (u * p["unit"]).astype(dtype)
    s = u > p["v_threshold"]
    state.v = np.where(s, u - p["v_threshold"] if p["subtract"] else p["v_reset"], u)
    return s.astype(dtype)
