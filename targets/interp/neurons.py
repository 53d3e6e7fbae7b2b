"""Per-step numpy update of the stateful node kinds (the reference arithmetic).

The equations are those of the ``snn`` dialect (dialects/snn.py), evaluated in this
exact order of floating-point operations (the compiled engine uses the same order,
so both give identical bits):

leaky:  u = (v_decay*v + v_gain*x) + v_bias
cuba:   i' = i_decay*i + i_gain*x;  c = i' (current "new") or i (current "previous");
        u = (v_decay*v + v_gain*c) + v_bias
spiking neurons:  the spike rule ``fire`` of dialects/snn.py:
        delayed firing first resets from the previous count z: v = v_reset where z > 0
        (reset "value") before the equation above, or u = u - z*v_threshold after it
        (reset "subtract");  u = max(u, v_min);
        n = spike_count(u) (1.0 / 0.0, or a count for multi-spike neurons);
        immediate: v = v_reset (value) or u - n*v_threshold (subtract) where n > 0, else
        u; output n.  delayed-reset: v = u, output n;  late: v = u, output z;  then z = n
non-spiking:  v = u;  output v
"""

from __future__ import annotations

import numpy as np

MAX_HISTORY = 2**27
"""Most values a Delay's history may hold (batch x elements x (delay steps + 1)), the
limit nirc puts on any one array it allocates (dialects/nir_base.py MAX_ELEMENTS)."""


def delay_steps(node, batch: int) -> np.ndarray:
    """The per-element delays in steps, flat; refuses (one line naming the node) a delay
    whose history of the last ``max(steps) + 1`` inputs per element and sample would
    exceed ``MAX_HISTORY`` values, before anything is allocated."""
    steps = np.broadcast_to(node.params["steps"], node.out_shape).reshape(-1)
    longest = int(steps.max(initial=0))
    values = (longest + 1) * batch * steps.size
    if values > MAX_HISTORY:
        from nirc.diagnostics import NircError

        raise NircError(f"a delay of {longest} steps needs a history of {longest + 1} x {batch} "
                        f"x {steps.size} = {values:.3g} values, beyond nirc's limit of 2**27 "
                        "(MAX_HISTORY); a larger dt or a shorter delay fits",
                        node=node.name, field="delay")
    return steps


class NeuronState:
    """v (and i) of one node for a batch, plus the last step's output."""

    def __init__(self, node, batch: int, dtype):
        shape = (batch, *node.out_shape)
        # C order: the compiled kernels read sample rows as contiguous views (astype of a
        # broadcast keeps its strides' order, F for a per-neuron v_init)
        self.v = np.broadcast_to(node.params["v_init"], shape).astype(dtype, order="C", copy=True)
        self.i = np.zeros(shape, dtype) if node.kind == "cuba" else None
        delayed = node.params.get("spiking") and node.params["firing"]
        self.z = np.zeros(shape, dtype) if delayed else None


def step(node, state: NeuronState, x: np.ndarray) -> np.ndarray:
    p = node.params
    spiking, firing = p["spiking"], p.get("firing", 0)
    v = state.v
    if spiking and firing and not p["subtract"]:
        v = np.where(state.z > 0, p["v_reset"], v).astype(v.dtype, copy=False)
    if node.kind == "cuba":
        i_new = p["i_decay"] * state.i + p["i_gain"] * x
        c = i_new if p["current_new"] else state.i
        state.i = i_new
        u = p["v_decay"] * v + p["v_gain"] * c + p["v_bias"]
    else:
        u = p["v_decay"] * v + p["v_gain"] * x + p["v_bias"]
    if not spiking:
        state.v = u
        return u.copy()
    thr = p["v_threshold"]
    if firing and p["subtract"]:
        u = u - state.z * thr
    u = np.maximum(u, p["v_min"])
    n = spike_count(u, thr, p["cap"], p["ge"])
    if firing:
        out = state.z if firing == 2 else n
        state.v, state.z = u, n
        return out
    if p["subtract"]:
        state.v = np.where(n > 0, u - n * thr, u)
    else:
        state.v = np.where(n > 0, p["v_reset"], u).astype(u.dtype, copy=False)
    return n


def spike_count(u: np.ndarray, thr: np.ndarray, cap: int, ge: bool) -> np.ndarray:
    """Spikes of candidate potentials u (dialects/snn.py, ``fire``): 1.0 / 0.0 where
    cap == 1, else the thresholds u holds, floor(u/thr) (ge) or ceil(u/thr) - 1 (gt),
    at least 1 where the test passes and at most cap (0: no cap)."""
    hit = u >= thr if ge else u > thr
    if cap == 1:
        return hit.astype(u.dtype)
    q = u / thr
    n = np.maximum(np.floor(q) if ge else np.ceil(q) - 1, 1)
    if cap > 0:
        n = np.minimum(n, cap)
    return np.where(hit, n, 0).astype(u.dtype)


class DelayLine:
    """y[t] = x[t - steps] elementwise, zero before; a ring of max(steps)+1 slots."""

    def __init__(self, node, batch: int, dtype):
        steps = delay_steps(node, batch)
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
