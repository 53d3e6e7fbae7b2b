"""The interpreter's engine for a lowered Loihi 2 module (Input -> loihi2.network ->
Output): the input spikes go through the bit-exact fixed-point simulation (sim.py) in
one call.  The output is what Lava produces, step for step (it lags the float graph by
the op's ``latency``): the last block's spikes, or for a voltage readout its v times
``unit_out``."""

from __future__ import annotations

import numpy as np

from nirc.diagnostics import NircError


def run(plan, inputs: dict[str, np.ndarray], steps: int, batch: int,
        record: list[tuple[int, str]], progress=None) -> dict[tuple[int, str], np.ndarray]:
    from .sim import simulate

    kinds = [n.kind for n in plan.nodes]
    if kinds != ["input", "loihi2", "output"]:
        raise NircError("a Loihi 2 module holds exactly Input -> loihi2.network -> Output, found "
                        + " -> ".join(kinds))
    source, chip, sink = plan.nodes
    raster = inputs[source.name]
    if np.any(raster < 0) or np.any(raster != np.rint(raster)):
        raise NircError("Loihi 2 takes spikes: the input must hold non-negative integers",
                        node=source.name)
    for k, what in record:
        if what != "y":
            raise NircError(f"cannot record '{what}' of '{plan.nodes[k].name}' in a Loihi 2 module")
    network = chip.params["network"]
    voltage = chip.params["readout"] == "voltage"
    result = simulate(network, raster.astype(np.int64), record=voltage)
    if voltage:
        last = max(int(k[1:]) for k in result if k.startswith("v") and k[1:].isdigit())
        v = result[f"v{last}"].reshape(steps, batch, -1)
        y = (v * chip.params["unit_out"]).reshape(steps, batch, *sink.out_shape)
    else:
        y = result["spikes"].reshape(steps, batch, *sink.out_shape)
    y = np.asarray(y, plan.dtype)
    if progress is not None:
        progress(steps)
    outputs = {0: np.asarray(raster, plan.dtype), 1: y, 2: y}
    return {(k, what): outputs[k] for k, what in record}
