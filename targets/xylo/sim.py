"""Bit-exact simulator of a Xylo network (v2 arithmetic: Xylo Audio 2, IMU, Audio 3).

The oracle is SynSense's ``xylosim`` 0.1.3, ``xylosim.v2.XyloLayer`` (C++ in
src/v2/cpp/XyloLayer.cpp and XyloIAFNeuron.cpp/.h).  This module reproduces its numbers
exactly, vectorised over neurons (numba loops over the active sources only) and over a
batch of independent samples.  ``simulate`` starts from the zero state, as xylosim does
after construction or ``reset_all()``.

Bit widths
----------
All states (i_syn, v_mem) are int16 (``BITS_STATE = 16``); weights int8, shifted as
``int16(w << shift)`` (the C++ passes the int ``weight << weight_bitshift`` to
``receiveSpike(int16_t weight, ...)``: the conversion wraps modulo 2**16, so e.g.
``127 << 9`` arrives as -512).  ``sat(x)`` below is ``safe_add``
(XyloIAFNeuron.h): for an in-range x it equals ``clamp(x + y, -2**15, 2**15 - 1)``
(``|max - x| > |y|`` with max = 32767 for y >= 0, -32768 for y < 0, else x = max).
Spike counts: input counts are clipped to 15 (``MAX_NUM_INP_SPIKES``), hidden neurons
emit at most 31 per step (``MAX_NUM_SPIKES``), readout neurons at most 1
(``MAX_NUM_OUT_SPIKES``).

One time step (``XyloLayer::evolve``)
-------------------------------------
1. ``deliver_spikes`` of the input counts c = min(count, 15) through ``weights_in``, then
   of the previous step's hidden spikes through ``weights_rec`` (to hidden neurons) and
   ``weights_out`` (to readout neurons).  Sources are visited in index order and each
   spike is one ``receiveSpike``: ``i_syn = sat(i_syn + W)`` with W = int16(w << shift).
   The c repeated saturating adds of one source equal one ``sat(i_syn + c * W)``: the
   partial sums move monotonically in W's direction, and once clamped they stay at the
   bound.  Across sources the order matters when a bound is hit (+W then -W from the
   bound does not return), so sources are applied one at a time, in xylosim's order.
2. ``evolve_neurons`` on the hidden neurons in index order, each
   ``XyloIAFNeuron::evolve``:

   - ``decay(x, dash) = x >> dash`` (arithmetic), replaced by 1 when it is 0 and x > 0
     (a negative x never shifts to 0);
   - ``i_syn_s -= decay(i_syn_s, dash_syn_s)`` for each synapse s (cannot overflow);
   - ``i_sum = sum_s i_syn_s`` (as C++ long);
   - ``dv = int16(-decay(v, dash_mem))`` (wraps only for v = -32768, dash_mem = 0);
     ``dv = sat(dv + i_sum)``; ``dv = sat(dv + bias)``; ``v = sat(v + dv)``;
   - ``n`` starts at the spikes already given to this neuron by aliases this step;
     ``while v >= threshold and n < max: n += 1; v = int16(v - threshold)`` (the
     subtraction wraps for negative thresholds: a zero threshold fires ``max - n``
     times whenever v >= 0, a negative one until max or until v wraps below it);
   - the neuron's n is stored, and each alias target t of the neuron gets
     ``buffer[t] = min(buffer[t] + n, max)``: a target with a lower index only changes
     the spikes it sends, one with a higher index starts its own loop at that count.

   Then the readout neurons (one synapse, no aliases, max 1 spike).  Recorded per step:
   i_syn (synapse 0), i_syn2 (synapse 1, only with two synapses) and v_mem after the
   spike subtraction, for hidden and readout neurons, and the spike buffers.

Not modelled: xylosim's hibernation-mode flags (they change no value); its
``has_bias`` flag is irrelevant (``safe_add(x, 0) == x``).

Implementation: the decay and integration of all neurons of a population come first
(they do not depend on the spikes of the same step), in branch-free loops that numba
vectorises; only the threshold loop and the aliases run sequentially in index order,
which is what xylosim computes.  Samples run one after the other (state stays in
cache); per step only the sources that spike are visited, and each adds a whole weight
row.  Synaptic currents and v are held as int16, so a single spike's row update
compiles to 16-bit saturating SIMD adds (``vpaddsw``), exactly ``safe_add``.
"""

from __future__ import annotations

import numba
import numpy as np

from .config import XyloConfig

I16_MIN, I16_MAX = -(2 ** 15), 2 ** 15 - 1
MAX_IN_SPIKES, MAX_SPIKES, MAX_OUT_SPIKES = 15, 31, 1

jit = numba.njit(cache=False, nogil=True)


def simulate(config: XyloConfig, raster: np.ndarray, record: bool = False) -> dict[str, np.ndarray]:
    """Run ``config`` on input spike counts ``raster`` (T, B, Nin) or (T, Nin).

    Returns ``spikes_out`` (T, B, Nout) and, with ``record``, ``spikes_hidden``,
    ``v_mem``, ``i_syn`` (and ``i_syn2`` with two synapses) (T, B, Nhidden),
    ``v_mem_out`` and ``i_syn_out`` (T, B, Nout), all int16, the batch axis dropped for
    a 2-D raster.
    """
    config.check()
    if config.synapses not in (1, 2):
        raise ValueError(f"synapses: {config.synapses}, Xylo has 1 or 2 per hidden neuron")
    counts, batched = _counts(raster, config.sizes[0])
    hidden, readout, w_in, w_rec, w_out, alias_ptr, alias_idx = _arrays(config)
    n_hid, n_out, s = config.sizes[1], config.sizes[2], config.synapses
    steps, batch = counts.shape[:2]
    out = {"spikes_out": np.zeros((steps, batch, n_out), np.int16)}
    shapes = {"spikes_hidden": n_hid, "v_mem": n_hid, "i_syn": n_hid,
              "i_syn2": n_hid if s == 2 else 0, "v_mem_out": n_out, "i_syn_out": n_out}
    rec = {k: np.zeros((steps, batch, n) if record and n else (0, 0, 0), np.int16)
           for k, n in shapes.items()}
    _run(counts, w_in, w_rec, w_out, *hidden, *readout, alias_ptr, alias_idx, s,
         out["spikes_out"], *rec.values())
    if record:
        out.update((k, v) for k, v in rec.items() if shapes[k] or k != "i_syn2")
    return out if batched else {k: v[:, 0] for k, v in out.items()}


def saturation(config: XyloConfig, raster: np.ndarray) -> dict[str, float]:
    """Per recorded state (hidden v_mem and i_syn, readout v_mem and i_syn), the fraction
    of values at the int16 limits over a run on ``raster`` (T, B, Nin): how often the
    chip's saturating arithmetic clipped it (a diagnosis for the fidelity check)."""
    recorded = simulate(config, np.asarray(raster), record=True)
    names = {"v_mem": "hidden v_mem", "i_syn": "hidden i_syn", "v_mem_out": "readout v_mem",
             "i_syn_out": "readout i_syn"}
    limits = (np.iinfo(np.int16).min, np.iinfo(np.int16).max)
    return {label: float(np.isin(recorded[key], limits).mean()) for key, label in names.items()
            if recorded.get(key) is not None and recorded[key].size}


def _counts(raster, n_in: int) -> tuple[np.ndarray, bool]:
    """The raster as C-contiguous uint8 (T, B, Nin), clipped to 15, and whether it had a
    batch axis."""
    raster = np.asarray(raster)
    if raster.dtype != bool and not np.issubdtype(raster.dtype, np.integer):
        raise TypeError(f"raster: integer spike counts expected, got {raster.dtype}")
    batched = raster.ndim == 3
    if raster.ndim == 2:
        raster = raster[:, None, :]
    if raster.ndim != 3 or raster.shape[2] != n_in:
        raise ValueError(f"raster: shape {raster.shape}, expected (T, B, {n_in}) or (T, {n_in})")
    if raster.size and raster.min() < 0:
        raise ValueError("raster: negative spike counts")
    return np.ascontiguousarray(np.minimum(raster, MAX_IN_SPIKES), np.uint8), batched


def _shifted(weights: np.ndarray, shift: int) -> np.ndarray:
    """``int16(w << shift)`` (the wrap of ``receiveSpike``'s argument)."""
    return (weights.astype(np.int64) << shift).astype(np.int16)


def _arrays(config: XyloConfig):
    """Kernel arguments: per-population parameters, weight rows per source (targets
    flattened as neuron * S + synapse) and the aliases as CSR."""
    n_in, n_hid, n_out = config.sizes
    s = config.synapses
    i32 = lambda a: np.ascontiguousarray(a, np.int32)  # noqa: E731
    dash_syn = np.stack([config.dash_syn, config.dash_syn_2][:s], axis=1).reshape(-1)
    hidden = (i32(dash_syn), i32(config.dash_mem), i32(config.threshold), i32(config.bias_hidden))
    readout = (i32(config.dash_syn_out), i32(config.dash_mem_out), i32(config.threshold_out),
               i32(config.bias_out))
    w_in = _shifted(config.weights_in, config.weight_shift_in).reshape(n_in, n_hid * s)
    w_rec = _shifted(config.weights_rec, config.weight_shift_rec).reshape(n_hid, n_hid * s)
    w_out = _shifted(config.weights_out, config.weight_shift_out)
    aliases = config.aliases or [[] for _ in range(n_hid)]
    alias_ptr = np.zeros(n_hid + 1, np.int64)
    alias_ptr[1:] = np.cumsum([len(a) for a in aliases])
    alias_idx = np.array([t for a in aliases for t in a], np.int64)
    return hidden, readout, w_in, w_rec, w_out, alias_ptr, alias_idx


# ------------------------------------------------------------------------------------
# kernels


@jit
def _sat(x):
    """Clamp to int16 (``safe_add`` on an in-range first operand)."""
    return min(max(x, I16_MIN), I16_MAX)


@jit
def _wrap(x):
    """Two's complement int16 of an int (C++ conversion to ``int16_t``)."""
    return ((x - I16_MIN) & 0xFFFF) + I16_MIN


@jit
def _decay(x, dash):
    """``decay`` (XyloIAFNeuron.cpp): x >> dash, at least 1 in magnitude for x != 0
    (branch-free, so that the loops over neurons vectorise)."""
    d = x >> dash
    return d + ((d == 0) & (x > 0))


@jit
def _deliver(state, row, count):
    """``count`` spikes of one source: ``count`` saturating adds of each weight."""
    if count == 1:
        for j in range(state.shape[0]):
            state[j] = _sat(state[j] + row[j])
    else:
        for j in range(state.shape[0]):
            state[j] = _sat(state[j] + count * row[j])


@jit
def _decay_all(x, dash):
    """``x -= decay(x, dash)`` elementwise (cannot overflow)."""
    for j in range(x.shape[0]):
        x[j] -= _decay(x[j], dash[j])


@jit
def _integrate_one(v, dash_mem, bias, n, i_sum):
    """v of neuron n after ``XyloIAFNeuron::evolve``'s integration of ``i_sum``."""
    dv = -_decay(v[n], dash_mem[n])
    dv -= (dv > I16_MAX) * 2 ** 16  # int16(-(-32768)) = -32768
    v[n] = _sat(v[n] + _sat(_sat(dv + i_sum) + bias[n]))


@jit
def _integrate(i_syn, dash_syn, v, dash_mem, bias, s):
    """Decay the synaptic currents, integrate their sum and the bias into v."""
    _decay_all(i_syn, dash_syn)
    if s == 1:
        for n in range(v.shape[0]):
            _integrate_one(v, dash_mem, bias, n, np.int64(i_syn[n]))
    else:
        for n in range(v.shape[0]):
            _integrate_one(v, dash_mem, bias, n, np.int64(i_syn[2 * n]) + i_syn[2 * n + 1])


@jit
def _fire(v, threshold, buffer, max_spikes, alias_ptr, alias_idx):
    """Threshold loop in index order, starting from the alias spikes in ``buffer``, and
    the aliases of each neuron."""
    for n in range(v.shape[0]):
        count, x, th = buffer[n], v[n], threshold[n]
        while x >= th and count < max_spikes:
            count += 1
            x = _wrap(x - th)
        v[n] = x
        buffer[n] = count
        for a in range(alias_ptr[n], alias_ptr[n + 1]):
            t = alias_idx[a]
            buffer[t] = min(buffer[t] + count, max_spikes)


@jit
def _record(dst, t, b, src, stride, offset):
    """``dst[t, b, :] = src[offset::stride]`` unless ``dst`` is empty (not recorded)."""
    if dst.shape[0]:
        for n in range(dst.shape[2]):
            dst[t, b, n] = src[n * stride + offset]


@jit
def _deliver_all(counts, spikes, w_in, w_rec, w_out, i_syn, i_out):
    """``deliver_spikes``: the input counts of this step, then the hidden spikes of the
    previous step, each source in index order."""
    for i in range(counts.shape[0]):
        if counts[i]:
            _deliver(i_syn, w_in[i], np.int32(counts[i]))
    for j in range(spikes.shape[0]):
        if spikes[j]:
            count = min(spikes[j], MAX_SPIKES)
            _deliver(i_syn, w_rec[j], count)
            _deliver(i_out, w_out[j], count)


@jit
def _run(counts, w_in, w_rec, w_out, dash_syn, dash_mem, threshold, bias,
         dash_syn_o, dash_mem_o, threshold_o, bias_o, alias_ptr, alias_idx, s,
         spikes_out, spikes_hid, v_mem, i_syn1, i_syn2, v_mem_o, i_syn_o):
    """All samples, one after the other, each from the zero state."""
    steps, batch = counts.shape[:2]
    n_hid, n_out = threshold.shape[0], threshold_o.shape[0]
    no_alias = np.zeros(n_out + 1, np.int64)
    for b in range(batch):
        i_syn, v = np.zeros(n_hid * s, np.int16), np.zeros(n_hid, np.int16)
        i_out, v_out = np.zeros(n_out, np.int16), np.zeros(n_out, np.int16)
        spikes, spikes_o = np.zeros(n_hid, np.int32), np.zeros(n_out, np.int32)
        for t in range(steps):
            _deliver_all(counts[t, b], spikes, w_in, w_rec, w_out, i_syn, i_out)
            spikes[:] = 0
            spikes_o[:] = 0
            _integrate(i_syn, dash_syn, v, dash_mem, bias, s)
            _fire(v, threshold, spikes, MAX_SPIKES, alias_ptr, alias_idx)
            _integrate(i_out, dash_syn_o, v_out, dash_mem_o, bias_o, 1)
            _fire(v_out, threshold_o, spikes_o, MAX_OUT_SPIKES, no_alias, alias_idx[:0])
            _record(spikes_out, t, b, spikes_o, 1, 0)
            _record(spikes_hid, t, b, spikes, 1, 0)
            _record(v_mem, t, b, v, 1, 0)
            _record(i_syn1, t, b, i_syn, s, 0)
            _record(i_syn2, t, b, i_syn, s, 1)
            _record(v_mem_o, t, b, v_out, 1, 0)
            _record(i_syn_o, t, b, i_out, 1, 0)
