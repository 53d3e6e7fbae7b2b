"""The interpreter's engine for a lowered SpiNNaker2 module (Input -> spinnaker2.network
-> Output): the input spikes go through nirc's float32 model of the populations (sim.py)
in one call.  The output is the output population's spikes, or for a voltage readout its
v times ``unit_out``; it lags the float graph by the op's ``latency``.

Recordable (targets/interp/whole.py): per population but the input (named after its NIR
layer), ``LAYER`` its spikes, ``LAYER.v`` its v after the reset and, for
``lif_curr_exp_no_delay``, ``LAYER.i`` its synaptic current: float32 in the scaled units
the script carries (weights in int8 steps).  A population lags the graph by conn_delay
times the feed-forward projections on its longest path from the input (arith.depths).
"""

from __future__ import annotations

import numpy as np

from nirc.diagnostics import NircError
from nirc.targets.interp.whole import ChipSignal, one_value, run_whole, split_label


def run(plan, inputs, steps, batch, record, progress=None):
    return run_whole(plan, inputs, steps, batch, record, progress, "spinnaker2", "SpiNNaker2",
                     _output)


def recordable(chip) -> dict[str, ChipSignal]:
    from .arith import depths
    from .chips import CUBA, INPUT_MODEL

    net = chip.params["network"]
    depth, _ = depths(net)
    out = {}
    for p in net.populations:
        if p.model == INPUT_MODEL:
            continue
        latency = chip.params["conn_delay"] * depth.get(p.name, 0)
        out[p.name] = ChipSignal((p.size,), latency, "spikes")
        line = one_value(p.params["threshold"]) if p.spiking else None
        out[p.name + ".v"] = ChipSignal((p.size,), latency, "float32 v (weight units)", line)
        if p.model == CUBA:
            out[p.name + ".i"] = ChipSignal((p.size,), latency, "float32 current (weight units)")
    return out


def _output(chip, raster: np.ndarray, labels: list[str]):
    from .sim import simulate

    if np.any(raster > 1):
        raise NircError("SpiNNaker2's spike_list sends at most one spike per neuron and step: "
                        "the input must hold 0 or 1", node=chip.name)
    net = chip.params["network"]
    voltage = chip.params["readout"] == "voltage"
    names = {p.name for p in net.populations}
    split = [split_label(label, names) for label in labels]
    voltages = {n for n, s in split if s == "v"} | ({net.output} if voltage else set())
    result = simulate(net, raster.reshape(*raster.shape[:2], -1),
                      record=[n for n, s in split if not s], voltages=voltages,
                      currents={n for n, s in split if s == "i"})
    y = result[f"{net.output}.v"] * chip.params["unit_out"] if voltage else result[net.output]
    return y, {label: result[label] for label in labels}
