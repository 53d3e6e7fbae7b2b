"""The interpreter's engine for a lowered Xylo module (Input -> xylo.network -> Output):
the input spike counts go through the bit-exact step function (sim.py) in one call.

The output is what the chip produces, step for step: readout spike counts, or for a
voltage readout v_mem_out * unit_out; it lags the float graph by the op's ``latency``.
"""

from __future__ import annotations

import numpy as np

from nirc.diagnostics import NircError


def run(plan, inputs: dict[str, np.ndarray], steps: int, batch: int,
        record: list[tuple[int, str]], progress=None) -> dict[tuple[int, str], np.ndarray]:
    from .sim import simulate

    kinds = [n.kind for n in plan.nodes]
    if kinds != ["input", "xylo", "output"]:
        raise NircError("a Xylo module holds exactly Input -> xylo.network -> Output, found "
                        + " -> ".join(kinds))
    source, chip, sink = plan.nodes
    raster = inputs[source.name]
    if np.any(raster < 0) or np.any(raster != np.rint(raster)):
        raise NircError("Xylo takes spike counts: the input must hold non-negative integers",
                        node=source.name)
    for k, what in record:
        if what != "y":
            raise NircError(f"cannot record '{what}' of '{plan.nodes[k].name}' in a Xylo module")
    voltage = chip.params["readout"] == "voltage"
    result = simulate(chip.params["config"], raster.astype(np.int64), record=voltage)
    if voltage:
        y = result["v_mem_out"] * chip.params["unit_out"]
    else:
        y = result["spikes_out"]
    y = np.asarray(y, plan.dtype)
    if progress is not None:
        progress(steps)
    outputs = {0: np.asarray(raster, plan.dtype), 1: y, 2: y}
    return {(k, what): outputs[k] for k, what in record}
