"""The interpreter's engine for a lowered Xylo module (Input -> xylo.network -> Output):
the input spike counts go through the bit-exact step function (sim.py) in one call.

The output is what the chip produces, step for step: readout spike counts, or for a
voltage readout v_mem_out * unit_out; it lags the float graph by the op's ``latency``.

Recordable (targets/interp/whole.py): per NIR layer of the op's layer table (its
neurons ``start:stop`` of the hidden or readout population, at the layer's latency),
``LAYER`` its spike counts, ``LAYER.v`` v_mem, ``LAYER.i`` i_syn (synapse 0) and, on a
hidden layer of a two-synapse network, ``LAYER.i2`` (synapse 1): xylosim's int16
states after the step's spike subtraction.
"""

from __future__ import annotations

import numpy as np

from nirc.targets.interp.whole import ChipSignal, one_value, run_whole, split_label

_STATES = {"": ("spikes_hidden", "spikes_out", "int16 spike counts"),
           "v": ("v_mem", "v_mem_out", "int16 v_mem"),
           "i": ("i_syn", "i_syn_out", "int16 i_syn"),
           "i2": ("i_syn2", None, "int16 i_syn2")}


def run(plan, inputs, steps, batch, record, progress=None):
    return run_whole(plan, inputs, steps, batch, record, progress, "xylo", "Xylo", _output)


def recordable(chip) -> dict[str, ChipSignal]:
    out = {}
    config = chip.params["config"]
    two = config.synapses == 2
    for name, (start, stop, latency, role) in chip.params["layers"].items():
        thresholds = (config.threshold_out if role == "readout" else config.threshold)[start:stop]
        for state, (hidden, readout, unit) in _STATES.items():
            if (readout if role == "readout" else hidden) is None or (state == "i2" and not two):
                continue
            voltage = role == "readout" and chip.params["readout"] == "voltage"
            line = one_value(thresholds) if state == "v" and not voltage else None
            out[name + ("." + state if state else "")] = ChipSignal((stop - start,), latency,
                                                                    unit, line)
    return out


def _output(chip, raster: np.ndarray, labels: list[str]):
    from .sim import simulate

    voltage = chip.params["readout"] == "voltage"
    result = simulate(chip.params["config"], raster, record=voltage or bool(labels))
    y = result["v_mem_out"] * chip.params["unit_out"] if voltage else result["spikes_out"]
    states = {}
    for label in labels:
        name, state = split_label(label, chip.params["layers"])
        start, stop, _, role = chip.params["layers"][name]
        hidden, readout, _ = _STATES[state]
        states[label] = result[readout if role == "readout" else hidden][..., start:stop]
    return y, states
