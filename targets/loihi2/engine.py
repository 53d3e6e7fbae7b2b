"""The interpreter's engine for a lowered Loihi 2 module (Input -> loihi2.network ->
Output): the input spikes go through the bit-exact fixed-point simulation (sim.py) in
one call.  The output is what Lava produces, step for step (it lags the float graph by
the op's ``latency``): the last block's spikes, or for a voltage readout its v times
``unit_out``.

Recordable (targets/interp/whole.py): per netx block, under the NIR layer name the
lowering gave it, ``LAYER`` its spikes, ``LAYER.i`` Lava's ``u`` and ``LAYER.v`` its
``v`` (int32, after the step's update and reset: sim.py's ``s<i>``, ``u<i>``, ``v<i>``),
in the block's shape.  The j-th synaptic block lags the graph by j steps (sim.py's time
axis; an ``input`` block with a neuron by 0); none does in a module whose graph already
holds the synaptic delays (op latency 0, discretize ``synapse-delay=1``).
"""

from __future__ import annotations

import numpy as np

from nirc.targets.interp.whole import ChipSignal, run_whole, split_label

_STATES = {"": ("s", "spikes"), "i": ("u", "int32 u"), "v": ("v", "int32 v")}


def run(plan, inputs, steps, batch, record, progress=None):
    return run_whole(plan, inputs, steps, batch, record, progress, "loihi2", "Loihi 2", _output)


def _blocks(chip) -> list[tuple[str, object, int]]:
    """(name, layer, latency) of each block, in sim.py's order."""
    blocks, synaptic = [], 0
    delayed = chip.params["latency"] != 0
    for name, layer in zip(chip.params["names"], chip.params["network"].layers):
        if not layer.is_block:
            continue
        synaptic += layer.type != "input"
        blocks.append((name, layer, synaptic if delayed else 0))
    return blocks


def recordable(chip) -> dict[str, ChipSignal]:
    from .netx import NETX_DEFAULT_NEURON
    from .sim import SHIFT

    out = {}
    blocks = _blocks(chip)
    for k, (name, layer, latency) in enumerate(blocks):
        neuron = layer.neuron
        mant = neuron.v_th_mant if neuron is not None else NETX_DEFAULT_NEURON["vThMant"]
        readout = k == len(blocks) - 1 and chip.params["readout"] == "voltage"  # never spikes
        for state, (_, unit) in _STATES.items():
            # sim.py's spike test is v > vThMant << 6
            line = float(int(mant) << SHIFT) if state == "v" and not readout else None
            out[name + ("." + state if state else "")] = ChipSignal(tuple(layer.shape), latency,
                                                                    unit, line)
    return out


def _output(chip, raster: np.ndarray, labels: list[str]):
    from .sim import simulate

    voltage = chip.params["readout"] == "voltage"
    result = simulate(chip.params["network"], raster, record=voltage or bool(labels))
    if voltage:
        last = max(int(k[1:]) for k in result if k.startswith("v") and k[1:].isdigit())
        v = result[f"v{last}"]
        y = v.reshape(*v.shape[:2], -1) * chip.params["unit_out"]
    else:
        y = result["spikes"]
    index = {name: i for i, (name, _, _) in enumerate(_blocks(chip))}
    states = {}
    for label in labels:
        name, state = split_label(label, index)
        states[label] = result[f"{_STATES[state][0]}{index[name]}"]
    return y, states
