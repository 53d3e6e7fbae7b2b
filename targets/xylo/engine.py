"""The interpreter's engine for a lowered Xylo module (Input -> xylo.network -> Output):
the input spike counts go through the bit-exact step function (sim.py) in one call.

The output is what the chip produces, step for step: readout spike counts, or for a
voltage readout v_mem_out * unit_out; it lags the float graph by the op's ``latency``.
"""

from __future__ import annotations

import numpy as np

from nirc.targets.interp.whole import run_whole


def run(plan, inputs, steps, batch, record, progress=None):
    return run_whole(plan, inputs, steps, batch, record, progress, "xylo", "Xylo", _output)


def _output(chip, raster: np.ndarray) -> np.ndarray:
    from .sim import simulate

    voltage = chip.params["readout"] == "voltage"
    result = simulate(chip.params["config"], raster, record=voltage)
    return result["v_mem_out"] * chip.params["unit_out"] if voltage else result["spikes_out"]
