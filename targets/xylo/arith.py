"""Xylo's arithmetic: a ``FloatNetwork`` (mapping.py) -> an integer ``XyloConfig``.

The integer neuron (xylosim 0.1.3, src/v2/cpp/XyloIAFNeuron.cpp ``evolve``; bit widths
in chips.py): with i, v 16-bit saturating and decay(x, dash) = max(|x >> dash|, 1)
toward 0::

    i += sum of (w << shift) over the spikes that arrived      (this step's input)
    i -= decay(i, dash_syn)                                    so i[t] ~ a (i[t-1] + X), a = 1 - 2**-dash_syn
    v += -decay(v, dash_mem) + i + bias                        so v[t] ~ b v[t-1] + i[t] + bias
    while v >= threshold (and the spike cap allows): spike, v -= threshold

The float neuron after ``discretize`` (reset=subtract, current=new) is I[t] =
i_decay I[t-1] + i_gain x[t], v[t] = v_decay v[t-1] + v_gain I[t] + v_bias, spike when
v > v_threshold.  With one integer state LSB worth ``unit`` float volts (per neuron,
or one per population group with ``per-channel=false``), the two agree when

- dash = round(log2(1 / (1 - d))) for each per-step decay d (the Xylo decay 1 - 2**-dash
  that is nearest in time constant: tau = dt 2**dash for an Euler decay 1 - dt/tau);
  d = 1 (IF, I) takes the slowest dash, 15;
- X = W x * gain / (unit * a): the weight of source j into neuron n is
  round(W[n, j] * gain_n / (a_n * unit_n * 2**shift)) as int8 with the matrix's shift;
  a LIF (no synaptic current) uses dash_syn = 1 and no 1/a: Xylo spreads its input
  over ~2 steps but delivers the same total charge;
- threshold = floor(v_threshold / unit) + 1 (v > th in integers; ceil(v_threshold / unit)
  for spike-test=ge), bias = round(v_bias /
  unit), both saturated to 16 bits (a saturated value is warned about).

``unit`` and the shifts: for each neuron n and matrix m with largest |effective weight|
A[n, m], the 8-bit weights need unit_n * 2**shift_m >= A[n, m] / 127; its threshold
and bias need unit_n >= |threshold_n| / 2**13 (a quarter of the 16-bit range: headroom
for a step's input above threshold) and >= |bias_n| / (2**15 - 1); and its strongest
synapse may take at most 2**12 LSBs (an eighth of the range: the 16-bit i_syn sums the
spikes of a step and saturates).  nirc takes the
smallest such unit_n for each choice of shifts (0..8 each) and keeps the shifts with
the least relative weight-rounding noise, preferring larger shifts (a finer state)
among equals.  ``per-channel=false`` (rockpool's ``global_quantize``) gives all hidden
neurons one unit and all readout neurons another; ``per-channel=true`` (rockpool's
``channel_quantize``) one per neuron.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from nirc.passes.quantize import sqnr_db

from .chips import DASH_MAX, WEIGHT_SHIFT_MAX, XyloChip
from .config import XyloConfig
from .mapping import FloatNetwork

WEIGHT_MAX = 127
THRESHOLD_ROOM = 2 ** 13
INPUT_ROOM = 2 ** 12
STATE_MAX = 2 ** 15 - 1


def dash_of(decay: np.ndarray) -> np.ndarray:
    """The 4-bit dash whose decay 1 - 2**-dash is nearest in time constant to ``decay``."""
    d = np.asarray(decay, np.float64)
    with np.errstate(divide="ignore"):
        ideal = np.where(d >= 1.0, np.inf, -np.log2(np.clip(1.0 - d, 1e-300, None)))
    return np.clip(np.rint(np.minimum(ideal, DASH_MAX)), 0, DASH_MAX).astype(np.int64)


def dash_decay(dash: np.ndarray) -> np.ndarray:
    """Xylo's per-step decay factor for a dash (ignoring the minimum step of 1 LSB)."""
    return 1.0 - 2.0 ** -np.asarray(dash, np.float64)


def tau_error(decay: np.ndarray, dash: np.ndarray) -> np.ndarray:
    """Relative error of the time constant, tau = -dt / ln(decay), that ``dash`` gives
    (inf where the graph's decay is 1, no leak, which Xylo cannot hold exactly, or 0,
    an instant decay, unless dash is 0)."""
    d = np.asarray(decay, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        wanted = -1.0 / np.log(d)
        got = -1.0 / np.log(dash_decay(dash))
        instant = np.where(np.asarray(dash) == 0, 0.0, np.inf)
        return np.where(d >= 1.0, np.inf, np.where(d <= 0.0, instant, got / wanted - 1.0))


def quantize_network(net: FloatNetwork, chip: XyloChip, dt: float, per_channel: bool = True
                     ) -> tuple[XyloConfig, dict]:
    """The integer configuration and a report (per population: dashes, time-constant
    errors; per matrix: shift and SQNR)."""
    dash_mem = dash_of(net.per_neuron("hidden", "v_decay"))
    dash_mem_out = dash_of(net.per_neuron("readout", "v_decay"))
    dash_syn, a_hid = _synapse_dashes(net, "hidden")
    dash_syn_out, a_out = _synapse_dashes(net, "readout")
    # effective float weights: the change of i (in v units) per input spike
    r_in = net.w_in * (net.per_neuron("hidden", "gain") / a_hid)[None, :]
    r_rec = net.w_rec * (net.per_neuron("hidden", "gain") / a_hid)[None, :]
    r_out = net.w_out * (net.per_neuron("readout", "gain") / a_out)[None, :]
    thr, bias = net.per_neuron("hidden", "threshold"), net.per_neuron("hidden", "bias")
    thr_out, bias_out = net.per_neuron("readout", "threshold"), net.per_neuron("readout", "bias")
    (s_in, s_rec), unit = _fit([r_in, r_rec], thr, bias, per_channel)
    (s_out,), unit_out = _fit([r_out], thr_out, bias_out, per_channel)
    matrices = {"weights_in": (r_in, unit, s_in), "weights_rec": (r_rec, unit, s_rec),
                "weights_out": (r_out, unit_out, s_out)}
    ints, sqnr = {}, {}
    for name, (r, u, s) in matrices.items():
        ints[name], sqnr[name] = _weights(r, u, s)
    readout_spikes = bool(np.all(np.isfinite(thr_out)))
    config = XyloConfig(
        weights_in=ints["weights_in"][:, :, None], weights_rec=ints["weights_rec"][:, :, None],
        weights_out=ints["weights_out"],
        dash_mem=dash_mem, dash_syn=dash_syn, dash_syn_2=dash_syn.copy(),
        dash_mem_out=dash_mem_out, dash_syn_out=dash_syn_out,
        threshold=_threshold(thr, unit, net.per_neuron("hidden", "inclusive"), "threshold"),
        threshold_out=(_threshold(thr_out, unit_out, net.per_neuron("readout", "inclusive"),
                                  "threshold_out") if readout_spikes
                       else np.full(net.n_out, STATE_MAX, np.int64)),
        bias_hidden=_saturated(np.rint(bias / unit), "bias_hidden"),
        bias_out=_saturated(np.rint(bias_out / unit_out), "bias_out"),
        weight_shift_in=s_in, weight_shift_rec=s_rec, weight_shift_out=s_out, dt=dt)
    if not chip.bias and (np.any(config.bias_hidden) or np.any(config.bias_out)):
        from nirc.diagnostics import NircError

        raise NircError(f"{chip.title} has no neuron bias, and the network needs one")
    report = {
        "granularity": "per-channel" if per_channel else "per-tensor",
        "weight_shift": {"in": s_in, "rec": s_rec, "out": s_out},
        "sqnr_db": sqnr,
        "populations": [_population_report(net, p, dash_mem, dash_syn, dash_mem_out,
                                           dash_syn_out, unit, unit_out) for p in net.populations],
    }
    return config, {"report": report, "unit_out": unit_out}


def _synapse_dashes(net: FloatNetwork, role: str) -> tuple[np.ndarray, np.ndarray]:
    """dash_syn per neuron and the factor a by which Xylo scales this step's input."""
    dashes, factors = [], []
    for p in (p for p in net.populations if p.role == role):
        if p.cuba:
            dash = dash_of(p.i_decay)
            if np.any(dash == 0):
                warnings.warn(f"'{p.name}': its synaptic current decays within one step; Xylo "
                              "needs dash_syn >= 1 (tau_syn >= dt), so it is set to 1")
                dash = np.maximum(dash, 1)
            dashes.append(dash)
            factors.append(dash_decay(dash))
        else:
            warnings.warn(f"'{p.name}' has no synaptic current; Xylo's neurons always have one, "
                          "mapped with dash_syn = 1 (tau_syn = dt: the input charge arrives over "
                          "~2 steps instead of 1)")
            dashes.append(np.ones(p.size, np.int64))
            factors.append(np.ones(p.size))
    if not dashes:
        return np.zeros(0, np.int64), np.ones(0)
    return np.concatenate(dashes), np.concatenate(factors)


def _fit(matrices: list[np.ndarray], thr: np.ndarray, bias: np.ndarray, per_channel: bool
         ) -> tuple[tuple[int, ...], np.ndarray]:
    """(shift per matrix, unit per neuron): see the module docstring."""
    top = [np.abs(r).max(axis=0, initial=0.0) / WEIGHT_MAX for r in matrices]  # per neuron
    finite_thr = np.where(np.isfinite(thr), np.abs(thr), 0.0)
    floor = np.maximum(finite_thr / THRESHOLD_ROOM, np.abs(bias) / STATE_MAX)
    for a in top:
        floor = np.maximum(floor, a * WEIGHT_MAX / INPUT_ROOM)
    counts = [np.count_nonzero(r, axis=0) for r in matrices]
    signal = sum(np.sum(r * r, axis=0) for r in matrices)
    best = None
    for shifts in itertools.product(range(WEIGHT_SHIFT_MAX + 1), repeat=len(matrices)):
        unit = floor.copy()
        for a, s in zip(top, shifts):
            unit = np.maximum(unit, a / 2 ** s)
        if not per_channel:
            unit = np.full(unit.shape, unit.max(initial=0.0))
        unit = np.where(unit > 0, unit, 1.0)
        noise = sum(c * (unit * 2 ** s) ** 2 / 12 for c, s in zip(counts, shifts))
        cost = float(np.sum(np.where(signal > 0, noise / np.where(signal > 0, signal, 1), 0)))
        key = (round(cost, 12), -sum(shifts))
        if best is None or key < best[0]:
            best = (key, shifts, unit)
    return best[1], best[2]


def _weights(r: np.ndarray, unit: np.ndarray, shift: int) -> tuple[np.ndarray, float]:
    lsb = (unit * 2 ** shift)[None, :]
    w = np.clip(np.rint(r / lsb), -WEIGHT_MAX - 1, WEIGHT_MAX).astype(np.int8)
    noise = float(np.sum((r - w * lsb) ** 2))
    signal = float(np.sum(r * r))
    sqnr = sqnr_db(signal, noise)
    return w, sqnr


def _threshold(thr: np.ndarray, unit: np.ndarray, inclusive: np.ndarray, name: str) -> np.ndarray:
    """Xylo fires at v >= threshold: the graph's v > thr is floor(thr/unit) + 1 in
    integers, its v >= thr (spike-test=ge) ceil(thr/unit)."""
    return _saturated(np.where(inclusive, np.ceil(thr / unit), np.floor(thr / unit) + 1), name)


def _saturated(values: np.ndarray, name: str) -> np.ndarray:
    low, high = -(2 ** 15), STATE_MAX
    if values.size and (values.min() < low or values.max() > high):
        warnings.warn(f"{name} saturates to 16 bits (needs {values.min():.0f}..{values.max():.0f})")
    return np.clip(values, low, high).astype(np.int64)


def _population_report(net, p, dash_mem, dash_syn, dash_mem_out, dash_syn_out, unit, unit_out):
    sl = slice(p.start, p.stop)
    dm, ds = (dash_mem, dash_syn) if p.role == "hidden" else (dash_mem_out, dash_syn_out)
    row = {"layer": p.name, "role": p.role, "neurons": [p.start, p.stop], "latency": p.latency,
           "dash_mem": _values(dm[sl]), "tau_mem_error": _worst(tau_error(p.v_decay, dm[sl]))}
    if p.cuba:
        row.update(dash_syn=_values(ds[sl]), tau_syn_error=_worst(tau_error(p.i_decay, ds[sl])))
    return row


def _values(a: np.ndarray) -> list[int]:
    return sorted({int(x) for x in a})


def _worst(errors: np.ndarray) -> float:
    """The largest |relative error| (inf: no leak), as a JSON-friendly float."""
    return float(np.max(np.abs(errors), initial=0.0))
