"""The test double's simulation of a network, written independently of nirc's
(targets/spinnaker2/sim.py) from the documented update: event-driven over connection
rows, one neuron array per population, float32::

    i = exc_decay * i + x            (lif_curr_exp*; then x = i)
    v = alpha_decay * v + x + i_offset
    spike if v > threshold; then v = v_reset (reset_to_v_reset) or v - threshold

A spike of neuron ``pre`` at step s adds the row's weight to ``post``'s input of step
s + delay; populations are updated in an order where every delay-0 projection goes
forward (a delay-0 cycle is refused).  Tick k of a run holds step k - 1 (SpiNNaker2
records one step late; tick 0 holds the initial state), so a run of T + 1 ticks covers
the steps 0..T-1 of the spike lists.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from . import RUNS
from .snn import Conv2DProjection, DoubleError


def conv_rows(proj: Conv2DProjection) -> np.ndarray:
    """Connection rows [pre, post, weight, 0] of a Conv2DProjection: pre (c, y, x) is in
    pooled cell (c, y // pool_y, x // pool_x), which the kernel tap (ky, kx) of output
    channel o at (oy, ox) reads when oy * stride_y + ky - pad_top = y // pool_y (and
    likewise for x)."""
    g, w = proj.params, proj.weights
    c_in, c_out, kh, kw = w.shape
    oh, ow = proj.out_hw
    rows = []
    for c in range(c_in):
        for y in range(g["in_height"]):
            for x in range(g["in_width"]):
                py, px = y // g["pool_y"], x // g["pool_x"]
                pre = (c * g["in_height"] + y) * g["in_width"] + x
                for ky in range(kh):
                    oy, r = divmod(py + g["pad_top"] - ky, g["stride_y"])
                    if r or not 0 <= oy < oh:
                        continue
                    for kx in range(kw):
                        ox, r = divmod(px + g["pad_left"] - kx, g["stride_x"])
                        if r or not 0 <= ox < ow:
                            continue
                        for o in range(c_out):
                            if w[c, o, ky, kx]:
                                rows.append((pre, (o * oh + oy) * ow + ox, int(w[c, o, ky, kx]), 0))
    return np.array(rows, np.int64).reshape(-1, 4)


def _order(net, rows):
    pops = net.populations
    after = defaultdict(set)
    for proj, r in zip(net.projections, rows):
        if np.any(r[:, 3] == 0):
            if proj.pre is proj.post:
                raise DoubleError(f"a delay-0 connection from {proj.pre.name!r} to itself")
            after[id(proj.pre)].add(id(proj.post))
    order, placed = [], set()
    while len(order) < len(pops):
        ready = [p for p in pops if id(p) not in placed and not any(
            id(p) in after[id(q)] for q in pops if id(q) not in placed)]
        if not ready:
            raise DoubleError("delay-0 projections form a cycle")
        order.append(ready[0])
        placed.add(id(ready[0]))
    return order


def run_network(net, timesteps: int) -> None:
    net.validate()
    rows = [conv_rows(p) if isinstance(p, Conv2DProjection) else p.rows for p in net.projections]
    order = _order(net, rows)
    outgoing = defaultdict(list)
    for proj, r in zip(net.projections, rows):
        outgoing[id(proj.pre)].append((proj.post, r))
    arriving = {id(p): defaultdict(lambda p=p: np.zeros(p.size, np.float32)) for p in order}
    state = {}
    for p in order:
        if p.neuron_model != "spike_list":
            state[id(p)] = {"v": p.param("v_init"), "i": np.zeros(p.size, np.float32)}
    for p in order:
        p.spikes = {n: [] for n in range(p.size)}
        p.voltages = {n: np.zeros(timesteps, np.float32) for n in range(p.size)} \
            if "v" in p.record else {}
        for n, v in p.voltages.items():
            v[0] = state[id(p)]["v"][n]
    inputs = defaultdict(list)  # (population, step) -> neurons of a spike list
    for p in order:
        if p.neuron_model == "spike_list":
            for n, times in p.params.items():
                for t in times:
                    inputs[id(p), t].append(n)
    for step in range(timesteps - 1):
        for p in order:
            if p.neuron_model == "spike_list":
                fired = np.array(sorted(inputs[id(p), step]), np.int64)
            else:
                fired = _update(p, state[id(p)], arriving[id(p)].pop(step, None))
            if "spikes" in p.record:
                for n in fired.tolist():
                    p.spikes[n].append(step + 1)
            for n, v in p.voltages.items():
                v[step + 1] = state[id(p)]["v"][n]
            spiking = np.zeros(p.size, bool)
            spiking[fired] = True
            for post, r in outgoing[id(p)]:
                hit = r[spiking[r[:, 0]]]
                for d in np.unique(hit[:, 3]).tolist():
                    sel = hit[hit[:, 3] == d]
                    np.add.at(arriving[id(post)][step + d], sel[:, 1], sel[:, 2].astype(np.float32))
    RUNS.append((net, timesteps))


def _update(p, s, x) -> np.ndarray:
    x = np.zeros(p.size, np.float32) if x is None else x
    if p.neuron_model.startswith("lif_curr_exp"):
        s["i"] = s["i"] * p.param("exc_decay") + x
        x = s["i"]
    v = s["v"] * p.param("alpha_decay")
    v = v + x
    v = v + p.param("i_offset")
    threshold = p.param("threshold")
    fired = v > threshold
    if p.params.get("reset", "reset_by_subtraction") == "reset_to_v_reset":
        v = np.where(fired, p.param("v_reset"), v)
    else:
        v = np.where(fired, v - threshold, v)
    s["v"] = v.astype(np.float32)
    return np.flatnonzero(fired)
