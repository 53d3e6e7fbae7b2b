"""SpiNNaker2's arithmetic: float populations and projections (mapping.py) -> the int8
weights and float32 parameters of a py-spinnaker2 network (network.py), by s2_nir's
rules (../shared/docs/targets.md, SpiNNaker2).

The float neuron (snn dialect, per step) is v = v_decay v + gain x + v_bias (LIF, IF,
LI, I) or i = i_decay i + x', v = v_decay v + gain' i + v_bias (CubaLIF, CubaLI, with
x' = x and gain' = v_gain i_gain after moving i_gain into the gain).  Measured in units
of the weighted input x (v' = v / gain: s2_nir's division of the threshold by r_factor
= (dt/tau) r, or (1 - exp(-dt/tau)) r, and for a current by its w_in factor too) and
multiplied by one weight scale ``w_scale`` per population:

- weights: round(W w_scale) as int8, with w_scale = 127 / max |W| over every projection
  into the population (recurrent ones included; s2_nir's ``scale_weights``), or a fixed
  ``weight-scale`` (s2_nir's ``scale_weights=False`` on a graph scaled by hand, as the
  NIR paper's lif_norse run with x102.02): then a weight beyond +-127 is an error;
- delays: the Delay nodes' steps plus ``conn_delay`` per feed-forward projection; a
  projection that closes a cycle (recurrent) delivers one step later, like the graph's
  cycle edge (delay = Delay steps + 1, also where conn_delay = 0);
- alpha_decay = v_decay; exc_decay = inh_decay = i_decay (one current: s2_nir gives
  both synapse types the synaptic decay); t_refrac = 0;
- threshold = v_threshold / gain w_scale; a readout that never spikes (LI, CubaLI):
  chips.NO_SPIKE_THRESHOLD;
- v_reset = v_reset / gain w_scale (``reset_to_v_reset``; 0 with
  ``reset_by_subtraction``); v_init = v_init / gain w_scale;
- i_offset = (v_bias / gain + b) w_scale, with b the sum of the Affine/Conv2d biases of
  the population's synapses.  A bias into a current (CubaLIF) is folded at its steady
  state, b / (1 - i_decay), since py-spinnaker2's i_offset is added to v (s2_nir adds
  b w_scale; nirc's fold is exact once the current has settled and is warned);
- v_scale = gain / w_scale: the graph's v per unit of the chip's (voltage readout).

All parameters are float32 (the M4F's arithmetic); the rounding of the weights is the
only quantization, reported as the weight SQNR per population.
"""

from __future__ import annotations

import warnings

import numpy as np

from nirc.diagnostics import NircError
from nirc.passes.quantize import sqnr_db

from .chips import CUBA, INPUT_MODEL, LIF, LIF_CONV, NO_SPIKE_THRESHOLD, RESETS, WEIGHT_MAX
from .mapping import FloatNetwork, FloatPopulation
from .network import Network, Population, Projection


def scale_network(net: FloatNetwork, conn_delay: int, weight_scale: float = 0.0
                  ) -> tuple[Network, list[dict]]:
    """The py-spinnaker2 network and one report row per population."""
    pops, projections, rows = [], [], []
    cycles = cycle_edges(net)
    for fp in net.populations:
        if fp.kind == "input":
            pops.append(Population(fp.name, INPUT_MODEL, fp.shape))
            continue
        incoming = [p for p in net.projections if p.post == fp.name]
        top = max((float(np.abs(p.weight).max(initial=0.0)) for p in incoming), default=0.0)
        w_scale = weight_scale if weight_scale > 0 else (WEIGHT_MAX / top if top > 0 else 1.0)
        signal = noise = 0.0
        for p in incoming:
            q = np.rint(p.weight * w_scale)
            if np.abs(q).max(initial=0.0) > WEIGHT_MAX:
                raise NircError(f"weight-scale {weight_scale:g} makes a weight of '{p.name}' "
                                f"{np.abs(q).max():.0f}, beyond int8's +-{WEIGHT_MAX} (largest "
                                f"|w| {top:.6g}; weight-scale=0 scales each population to fit)",
                                node=fp.name, field="weight")
            signal += float(((p.weight * w_scale) ** 2).sum())
            noise += float(((q - p.weight * w_scale) ** 2).sum())
            weight = q.astype(np.int8)
            if p.kind == "conv2d":
                weight = np.ascontiguousarray(weight.swapaxes(0, 1))
            extra = 1 if (p.pre, p.post) in cycles else conn_delay
            delay = (p.delay + extra).astype(np.int64)
            projections.append(Projection(p.name, p.pre, p.post, p.kind, weight, delay,
                                          p.geometry))
        pops.append(_population(fp, w_scale))
        rows.append({"population": fp.name, "model": pops[-1].model, "neurons": fp.size,
                     "w_scale": w_scale, "sqnr_db": sqnr_db(signal, noise)})
    return Network(pops, projections, net.input, net.output), rows


def cycle_edges(net) -> set[tuple[str, str]]:
    """The (pre, post) projections that close a cycle (nirc's rule, schedule.py)."""
    from nirc.targets.interp.schedule import step_schedule

    return step_schedule([p.name for p in net.populations],
                         [(p.pre, p.post) for p in net.projections])[1]


def latency(net) -> tuple[int, list[str]]:
    """Feed-forward projections from the input to the output population (the steps a
    conn_delay of 1 adds), and the populations reached by paths of different lengths."""
    depth, uneven = depths(net)
    return depth.get(net.output, 0), uneven


def depths(net) -> tuple[dict[str, int], list[str]]:
    """Per population reached from the input, the most feed-forward projections on a
    path to it (cycles' edges excluded), and the populations reached by paths of
    different lengths."""
    from nirc.targets.interp.schedule import step_schedule

    order, cycles = step_schedule([p.name for p in net.populations],
                                  [(p.pre, p.post) for p in net.projections])
    depth: dict[str, set[int]] = {net.input: {0}}
    for name in order:
        for p in net.projections:
            if p.post == name and (p.pre, p.post) not in cycles and p.pre in depth:
                depth.setdefault(name, set()).add(max(depth[p.pre]) + 1)
    uneven = [n for n in order if len(depth.get(n, ())) > 1]
    return {n: max(d) for n, d in depth.items()}, uneven


def _population(fp: FloatPopulation, w_scale: float) -> Population:
    c = fp.coefficients
    g = c["gain"]
    unit = w_scale / g  # chip units per graph volt
    bias = fp.bias
    if fp.kind == "cuba" and np.any(bias != 0):
        settle = 1.0 - c["i_decay"]
        if np.any(settle <= 0):
            raise NircError("a synapse bias into a current that never decays has no i_offset "
                            "form", node=fp.name, field="bias")
        bias = bias / settle
        warnings.warn(f"'{fp.name}': the synapse bias feeds the current; py-spinnaker2's "
                      "i_offset adds to v, so nirc folds the bias at its steady state "
                      "b / (1 - exc_decay) (differs for the first ~tau_syn)")
    params = {"alpha_decay": c["v_decay"],
              "i_offset": (c["v_bias"] / g + bias) * w_scale,
              "v_init": c["v_init"] * unit}
    if fp.spiking:
        params["threshold"] = c["v_threshold"] * unit
        params["v_reset"] = c["v_reset"] * unit if fp.reset == "value" else np.zeros(fp.size)
    else:
        params["threshold"] = np.full(fp.size, NO_SPIKE_THRESHOLD)
        params["v_reset"] = np.zeros(fp.size)
    model = LIF_CONV if fp.conv else LIF
    if fp.kind == "cuba":
        model = CUBA
        params["exc_decay"] = params["inh_decay"] = c["i_decay"]
    params = {k: np.ascontiguousarray(v, np.float32) for k, v in params.items()}
    if fp.kind == "cuba":
        params["t_refrac"] = np.zeros(fp.size, np.int64)
    for key, value in params.items():
        if not np.all(np.isfinite(value)):
            raise NircError(f"{key} is not finite in float32 after scaling by {w_scale:g}",
                            node=fp.name, field=key)
    return Population(fp.name, model, fp.shape, params, RESETS[fp.reset],
                      v_scale=np.ascontiguousarray(1.0 / unit, np.float64), spiking=fp.spiking)
