"""The interpreter's engine for a lowered Speck module (Input -> speck.network ->
Output): the input event counts go through the bit-exact integer simulation (sim.py)
in one call.  The output is what sinabs' discretized ``DynapcnnNetwork`` gives: the
spike counts of the layers that feed the Output, per time bin (latency 0)."""

from __future__ import annotations

import numpy as np

from nirc.targets.interp.whole import run_whole


def run(plan, inputs, steps, batch, record, progress=None):
    return run_whole(plan, inputs, steps, batch, record, progress, "speck", "Speck", _output)


def _output(chip, raster: np.ndarray) -> np.ndarray:
    from .sim import simulate

    return simulate(chip.params["network"], raster)["output"]
