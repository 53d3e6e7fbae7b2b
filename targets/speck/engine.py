"""The interpreter's engine for a lowered Speck module (Input -> speck.network ->
Output): the input event counts go through the bit-exact integer simulation (sim.py)
in one call.  The output is what sinabs' discretized ``DynapcnnNetwork`` gives: the
spike counts of the layers that feed the Output, per time bin (latency 0).

Recordable (targets/interp/whole.py): per core's layer, under its NIR layer name,
``LAYER`` its spike counts per bin and ``LAYER.v`` its integer v after the bin's
subtraction and lower bound (sim.py's ``s<k>``, ``v<k>``), in the layer's (f, h, w),
at latency 0 (events reach later layers within the bin).  Speck's IAF keeps no
synaptic current.
"""

from __future__ import annotations

import numpy as np

from nirc.targets.interp.whole import ChipSignal, run_whole, split_label


def run(plan, inputs, steps, batch, record, progress=None):
    return run_whole(plan, inputs, steps, batch, record, progress, "speck", "Speck", _output)


def recordable(chip) -> dict[str, ChipSignal]:
    out = {}
    for layer in chip.params["network"].layers:
        out[layer.name] = ChipSignal(tuple(layer.out_shape), 0, "integer spike counts")
        out[layer.name + ".v"] = ChipSignal(tuple(layer.out_shape), 0, "integer v",
                                            float(layer.threshold_high))
    return out


def _output(chip, raster: np.ndarray, labels: list[str]):
    from .sim import simulate

    net = chip.params["network"]
    result = simulate(net, raster, record=bool(labels))
    index = {layer.name: k for k, layer in enumerate(net.layers)}
    states = {}
    for label in labels:
        name, state = split_label(label, index)
        states[label] = result[f"{state or 's'}{index[name]}"]
    return result["output"], states
