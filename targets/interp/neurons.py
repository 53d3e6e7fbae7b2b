"""Per-step numpy update of the stateful node kinds (the reference arithmetic).

The equations are those of the ``snn`` dialect (dialects/snn.py), evaluated in this
exact order of floating-point operations (the compiled engine uses the same order,
so both give identical bits):

leaky:  u = (v_decay*v + v_gain*x) + v_bias
cuba:   i' = i_decay*i + i_gain*x;  c = i' (current "new") or i (current "previous");
        u = (v_decay*v + v_gain*c) + v_bias
spiking neurons:  s = u > v_threshold;  v = v_reset (reset "value") or
        u - v_threshold (reset "subtract") where s, else u;  output s (1.0 / 0.0)
non-spiking:  v = u;  output v
"""

from __future__ import annotations

import numpy as np


class NeuronState:
    """v (and i) of one node for a batch, plus the last step's output."""

    def __init__(self, node, batch: int, dtype):
        shape = (batch, *node.out_shape)
        self.v = np.broadcast_to(node.params["v_init"], shape).astype(dtype, copy=True)
        self.i = np.zeros(shape, dtype) if node.kind == "cuba" else None


def step(node, state: NeuronState, x: np.ndarray) -> np.ndarray:
    p = node.params
    if node.kind == "cuba":
        i_new = p["i_decay"] * state.i + p["i_gain"] * x
        c = i_new if p["current_new"] else state.i
        state.i = i_new
        u = p["v_decay"] * state.v + p["v_gain"] * c + p["v_bias"]
    else:
        u = p["v_decay"] * state.v + p["v_gain"] * x + p["v_bias"]
    if not p["spiking"]:
        state.v = u
        return u.copy()
    s = u > p["v_threshold"]
    if p["subtract"]:
        state.v = np.where(s, u - p["v_threshold"], u)
    else:
        state.v = np.where(s, p["v_reset"], u).astype(u.dtype, copy=False)
    return s.astype(u.dtype)


class DelayLine:
    """y[t] = x[t - steps] elementwise, zero before; a ring of max(steps)+1 slots."""

    def __init__(self, node, batch: int, dtype):
        steps = np.broadcast_to(node.params["steps"], node.out_shape).reshape(-1)
        self.length = int(steps.max(initial=0)) + 1
        self.ring = np.zeros((self.length, batch, steps.size), dtype)
        self.steps = steps
        self.cols = np.arange(steps.size)
        self.shape = (batch, *node.out_shape)
        self.t = 0

    def step(self, x: np.ndarray) -> np.ndarray:
        t = self.t
        self.ring[t % self.length] = x.reshape(x.shape[0], -1)
        slots = (t - self.steps) % self.length
        y = self.ring[slots, :, self.cols].T.reshape(self.shape)
        self.t += 1
        return np.where((t >= self.steps).reshape(self.shape[1:]), y, 0).astype(x.dtype)
