"""The interpreter's engine for a lowered Loihi 2 module (Input -> loihi2.network ->
Output): the input spikes go through the bit-exact fixed-point simulation (sim.py) in
one call.  The output is what Lava produces, step for step (it lags the float graph by
the op's ``latency``): the last block's spikes, or for a voltage readout its v times
``unit_out``."""

from __future__ import annotations

import numpy as np

from nirc.targets.interp.whole import run_whole


def run(plan, inputs, steps, batch, record, progress=None):
    return run_whole(plan, inputs, steps, batch, record, progress, "loihi2", "Loihi 2", _output)


def _output(chip, raster: np.ndarray) -> np.ndarray:
    from .sim import simulate

    voltage = chip.params["readout"] == "voltage"
    result = simulate(chip.params["network"], raster, record=voltage)
    if not voltage:
        return result["spikes"]
    last = max(int(k[1:]) for k in result if k.startswith("v") and k[1:].isdigit())
    v = result[f"v{last}"]
    return v.reshape(*v.shape[:2], -1) * chip.params["unit_out"]
