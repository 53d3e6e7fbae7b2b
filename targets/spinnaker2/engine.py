"""The interpreter's engine for a lowered SpiNNaker2 module (Input -> spinnaker2.network
-> Output): the input spikes go through nirc's float32 model of the populations (sim.py)
in one call.  The output is the output population's spikes, or for a voltage readout its
v times ``unit_out``; it lags the float graph by the op's ``latency``."""

from __future__ import annotations

import numpy as np

from nirc.diagnostics import NircError
from nirc.targets.interp.whole import run_whole


def run(plan, inputs, steps, batch, record, progress=None):
    return run_whole(plan, inputs, steps, batch, record, progress, "spinnaker2", "SpiNNaker2",
                     _output)


def _output(chip, raster: np.ndarray) -> np.ndarray:
    from .sim import simulate

    if np.any(raster > 1):
        raise NircError("SpiNNaker2's spike_list sends at most one spike per neuron and step: "
                        "the input must hold 0 or 1", node=chip.name)
    net = chip.params["network"]
    voltage = chip.params["readout"] == "voltage"
    result = simulate(net, raster.reshape(*raster.shape[:2], -1),
                      voltages=[net.output] if voltage else ())
    if not voltage:
        return result[net.output]
    return result[f"{net.output}.v"] * chip.params["unit_out"]
