"""Engines for lowered chip modules (Input -> one network op -> Output), whose step
function simulates the whole network in one call (targets/xylo/engine.py,
targets/loihi2/engine.py): the checks and the plumbing they share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nirc.diagnostics import NircError

WHOLE_KINDS = {"xylo": "Xylo", "loihi2": "Loihi 2", "speck": "Speck", "spinnaker2": "SpiNNaker2"}
"""Plan node kinds of the lowered chip networks that run as one op, with their titles."""


def unsupported_record(kind: str, label: str) -> NircError:
    """The one error for recording an internal node or state of a lowered chip network:
    its engine simulates the network as one op, so only its Input and Output are
    recordable (replace here when a chip engine records its neurons)."""
    title = WHOLE_KINDS.get(kind, kind)
    return NircError(f"cannot record '{label}': recording internal nodes and states is not "
                     f"supported on the {title} target (its compiled network runs as one "
                     f"{kind}.network op); record it without --target, or on --target generic")


def run_whole(plan, inputs: dict[str, np.ndarray], steps: int, batch: int,
              record: list[tuple[int, str]], progress, kind: str, title: str,
              compute: Callable) -> dict[tuple[int, str], np.ndarray]:
    """Check the plan is Input -> ``kind`` -> Output and the input holds spike counts,
    then ``compute(chip_node, raster)`` gives the output (T, B, ...)."""
    kinds = [n.kind for n in plan.nodes]
    if kinds != ["input", kind, "output"]:
        raise NircError(f"a {title} module holds exactly Input -> {kind}.network -> Output, "
                        "found " + " -> ".join(kinds))
    source, chip, sink = plan.nodes
    raster = inputs[source.name]
    if np.any(raster < 0) or np.any(raster != np.rint(raster)):
        raise NircError(f"{title} takes spike counts: the input must hold non-negative integers",
                        node=source.name)
    for k, what in record:
        if what != "y":
            raise unsupported_record(kind, f"{plan.nodes[k].name}.{what}")
    y = np.asarray(compute(chip, raster.astype(np.int64)), plan.dtype)
    y = y.reshape(steps, batch, *sink.out_shape)
    if progress is not None:
        progress(steps)
    outputs = {0: np.asarray(raster, plan.dtype), 1: y, 2: y}
    return {(k, what): outputs[k] for k, what in record}
