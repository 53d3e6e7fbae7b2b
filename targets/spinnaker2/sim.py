"""nirc's model of a py-spinnaker2 network: ``lif_no_delay``, ``lif_conv2d`` and
``lif_curr_exp_no_delay`` in float32 (the Cortex-M4F's single precision), with the int8
weights, the float32 parameters and the connection delays the emitted script carries.

py-spinnaker2's neuron code is not available here (../shared/docs/targets.md); the
update below is nirc's choice where its sources are silent, fixed so that it reproduces
the published SpiNNaker2 run of the NIR paper (neuromorphs/NIR
paper/01_lif/lif_spinnaker2.py and lif_spinnaker2.csv: lif_norse.nir scaled by 102.02,
weight 102, alpha_decay 0.96, threshold 255.05, reset to 0; its voltage trace is
v[60] = 102 after the first input spike, then 0.96 v per step, and it spikes at 460,
510, 710 and 760, which this model gives to within float32 rounding).  Per step t, per
neuron, every operation rounded to float32 (no fused multiply-add)::

    x    = sum over projections of the int8 weights of the spikes that arrive at t
    i    = exc_decay * i + x                       (lif_curr_exp_no_delay only; x -> i)
    v    = alpha_decay * v + x + i_offset          (decay first, then the new input)
    s    = v > threshold                           (strict, like nirc's float neurons)
    v    = v_reset where s   (reset_to_v_reset);   v - threshold where s (reset_by_subtraction)

Choices and why: the input is added after the decay (the trace rises by exactly the
weight, 102, at the input spike); the current is decayed before this step's input is
added and the membrane uses the new current (snnTorch's order, which nirc's float
CubaLIF uses: NIR discretize ``current=new``); i_offset is added every step with the
input, before the spike test; the spike test is strict (the published trace cannot tell
> from >=; nirc's float neurons use >).  v starts at v_init and i at 0; there is no
refractory period (t_refrac = 0, as s2_nir sets it).  exc_decay and inh_decay are equal
in every network nirc emits (s2_nir gives both the synaptic decay), so one current
stands for the excitatory and the inhibitory one.

Delays: a connection row [pre, post, w, d] delivers a spike of pre at step t to post at
step t + d.  With d = 0 the populations are updated in the topological order of the
projections (within a step, a population sees the spikes its sources emit in that step);
a projection that closes a cycle (a recurrent one) delivers at least one step later,
max(d, 1) (nirc's cycle rule, targets/interp/schedule.py; the rows nirc emits for it
already carry d >= 1, arith.py).  A ``Conv2DProjection``
delivers its one delay like a connection row.  So with s2_nir's ``conn_delay = 0`` the
chip follows the float graph step for step, and with ``conn_delay = 1`` each
feed-forward projection adds one step of latency (the NIR paper's scripts drop the first
recorded step to align its SpiNNaker2 recordings with the graph; the emitted script
does the same, so this model's step t is the script's aligned step t).

Convolution: the pre population's spikes (C_in, H, W) are sum-pooled by pool_y x pool_x
(windows tiling the map), then cross-correlated with the kernel (weight axes 0, 1
swapped back to PyTorch's (C_out, C_in, kH, kW)), zero padding pad_top/bottom/left/right,
stride_y/x: computed as the equivalent connection rows of each pre neuron (conv_rows).
Every projection adds the rows of the pre neurons that spiked (a numba loop over the
spikes; numpy for the neurons, vectorized over the batch).  The sums of 0/1 spikes times
int8 weights are integers, exact in float32 below 2**24, so their order does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable

import numba
import numpy as np

from nirc.targets.interp.schedule import step_schedule

from .chips import CUBA, INPUT_MODEL
from .network import Network, Projection


def delivery_delays(net: Network) -> list[np.ndarray]:
    """Per projection, the step delay of each pre neuron's spikes (cycles: at least 1)."""
    _, delayed = step_schedule([p.name for p in net.populations],
                               [(p.pre, p.post) for p in net.projections])
    out = []
    for p in net.projections:
        d = np.asarray(p.delay, np.int64)
        out.append(np.maximum(d, 1) if (p.pre, p.post) in delayed else d)
    return out


class _Synapse:
    """One projection as connection rows grouped by pre neuron (CSR: indptr, post,
    weight), one group per delivery delay, added for the pre neurons that spiked
    ``d`` steps ago (event-driven: spikes are sparse)."""

    def __init__(self, p: Projection, delays: np.ndarray):
        self.pre = p.pre
        if p.kind == "conv2d":
            self.parts = [(int(delays), *conv_rows(p))]
            return
        rows = p.connections()
        n_pre = p.weight.shape[1]
        self.parts = []
        for d in np.unique(delays).tolist():
            sel = rows[delays[rows[:, 0]] == d]
            indptr = np.concatenate([[0], np.cumsum(np.bincount(sel[:, 0], minlength=n_pre))])
            self.parts.append((int(d), indptr.astype(np.int64), sel[:, 1].astype(np.int64),
                               sel[:, 2].astype(np.float32)))

    def apply(self, x: np.ndarray, spikes: np.ndarray, part) -> None:
        _scatter(x, spikes, *part)


@numba.njit(cache=True, nogil=True)
def _scatter(x, spikes, indptr, post, weight):
    """x[b, post] += weight for every row of every pre neuron that spiked in sample b."""
    for b in range(spikes.shape[0]):
        for i in range(spikes.shape[1]):
            if spikes[b, i] != 0:
                for k in range(indptr[i], indptr[i + 1]):
                    x[b, post[k]] += weight[k]


def conv_rows(p: Projection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A Conv2DProjection as connection rows grouped by pre neuron (indptr, post,
    weight): pre (c, y, x) lies in pooled cell (y // pool_y, x // pool_x), which kernel tap
    (ky, kx) of output (o, oy, ox) reads where oy * stride_y + ky - pad_top is that cell's
    row (and likewise for columns)."""
    g, w = p.geometry, p.weight  # (C_in, C_out, kH, kW)
    c_in, c_out, kh, kw = w.shape
    _, oh, ow = p.conv_output_shape()
    c, y, x = (a.reshape(-1) for a in np.indices((c_in, g["in_height"], g["in_width"])))
    ky, kx = (a.reshape(-1) for a in np.indices((kh, kw)))
    oy = y[:, None] // g["pool_y"] + g["pad_top"] - ky[None, :]
    ox = x[:, None] // g["pool_x"] + g["pad_left"] - kx[None, :]
    ok = ((oy % g["stride_y"] == 0) & (ox % g["stride_x"] == 0) & (oy >= 0) & (ox >= 0)
          & (oy < oh * g["stride_y"]) & (ox < ow * g["stride_x"]))
    pre, tap = np.nonzero(ok)  # row-major: grouped by pre neuron
    cell = (oy[pre, tap] // g["stride_y"]) * ow + ox[pre, tap] // g["stride_x"]
    weights = w[c[pre], :, ky[tap], kx[tap]].astype(np.float64)  # (rows, C_out)
    post = cell[:, None] + (np.arange(c_out) * (oh * ow))[None, :]
    keep = weights != 0
    counts = np.bincount(np.repeat(pre, c_out)[keep.reshape(-1)], minlength=len(c))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return indptr, post[keep].astype(np.int64), weights[keep].astype(np.float32)


def simulate(net: Network, raster: np.ndarray, record: Iterable[str] = (),
             voltages: Iterable[str] = (), currents: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Run ``net`` on the input spikes ``raster`` (T, B, n_in) of 0/1.

    Returns ``{name: spikes (T, B, n)}`` for the output population and every name in
    ``record``, ``{name + ".v": v (T, B, n)}`` (after the reset) for ``voltages`` and
    ``{name + ".i": the synaptic current (T, B, n)}`` for ``currents`` (populations of
    ``lif_curr_exp_no_delay``).
    """
    raster = np.asarray(raster)
    steps, batch = raster.shape[:2]
    delays = delivery_delays(net)
    order, _ = step_schedule([p.name for p in net.populations],
                             [(p.pre, p.post) for p in net.projections])
    pops = {p.name: p for p in net.populations}
    depth = {name: 1 for name in pops}
    incoming: dict[str, list[_Synapse]] = {name: [] for name in pops}
    for p, d in zip(net.projections, delays):
        depth[p.pre] = max(depth[p.pre], int(np.max(d, initial=0)) + 1)
        incoming[p.post].append(_Synapse(p, d))
    history = {n: np.zeros((depth[n], batch, pops[n].size), np.float32) for n in pops}
    state = {n: _State(p, batch) for n, p in pops.items() if p.model != INPUT_MODEL}
    wanted = {net.output, *record}
    want_v, want_i = set(voltages), set(currents)
    out = {n: np.zeros((steps, batch, pops[n].size), np.float32) for n in wanted}
    out.update({f"{n}.v": np.zeros((steps, batch, pops[n].size), np.float32) for n in want_v})
    out.update({f"{n}.i": np.zeros((steps, batch, pops[n].size), np.float32) for n in want_i})
    for t in range(steps):
        for name in order:
            if name == net.input:
                s = raster[t].reshape(batch, -1).astype(np.float32)
            else:
                x = np.zeros((batch, pops[name].size), np.float32)
                for syn in incoming[name]:
                    for d, *part in syn.parts:
                        if t >= d:
                            syn.apply(x, history[syn.pre][(t - d) % depth[syn.pre]], part)
                s = state[name].step(x)
            history[name][t % depth[name]] = s
            if name in wanted:
                out[name][t] = s
            if name in want_v:
                out[f"{name}.v"][t] = state[name].v
            if name in want_i:
                out[f"{name}.i"][t] = state[name].i
    return out


class _State:
    """One population's v (and current), float32, with its parameters."""

    def __init__(self, p, batch: int):
        q = p.params
        self.alpha, self.i_offset = q["alpha_decay"], q["i_offset"]
        self.threshold, self.v_reset = q["threshold"], q["v_reset"]
        self.subtract = p.reset == "reset_by_subtraction"
        self.v = np.broadcast_to(q["v_init"], (batch, p.size)).astype(np.float32)
        self.exc = q["exc_decay"] if p.model == CUBA else None
        self.i = np.zeros((batch, p.size), np.float32) if p.model == CUBA else None

    def step(self, x: np.ndarray) -> np.ndarray:
        if self.exc is not None:
            self.i *= self.exc
            self.i += x
            x = self.i
        v = self.v
        v *= self.alpha
        v += x
        v += self.i_offset
        s = v > self.threshold
        if self.subtract:
            v -= np.where(s, self.threshold, np.float32(0))
        else:
            v[...] = np.where(s, self.v_reset, v)
        return s.astype(np.float32)
