"""``--target generic``: a neuromorphic chip whose limits are options.

It stands for any many-core chip in tests and studies: ``generic{cores=64
neurons-per-core=256 synapses-per-core=65536}``.  Pipeline: ``flatten-subgraphs``,
``discretize``, ``fuse``, ``partition`` with this resource model.  Output:
``<stem>.mlir`` (the partitioned module: ``snn.layer`` ops carrying their core slices)
and ``<stem>.cores.json`` (per core: the layer slices it holds and its usage).
Float arithmetic (no quantization): every neuron and synapse kind of the
interpreter is legal.
"""

from __future__ import annotations

import json
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from ..base import Option, Target, discretize_spec
from ..resources import ResourceModel

LIMITS = {
    "cores": Option(int, 1024, "cores per chip"),
    "neurons-per-core": Option(int, 256, "neurons a core holds"),
    "synapses-per-core": Option(int, 65536, "synapse-memory entries (weights) a core holds"),
    "fan-in": Option(int, None, "incoming synapses per neuron (unset: no limit)"),
    "destinations-per-core": Option(int, None, "distinct cores a core sends to (unset: no limit)"),
    "multicast": Option(bool, True, "a spike reaches all destination cores at the cost of one"),
}


class GenericTarget(Target):
    name = "generic"
    summary = "a many-core chip whose limits are options (for tests and what-if studies)"
    OPTIONS = LIMITS

    def resources(self) -> ResourceModel:
        o = self.options
        return ResourceModel(
            name="generic", cores=o["cores"], neurons_per_core=o["neurons-per-core"],
            synapses_per_core=o["synapses-per-core"], fan_in=o["fan-in"],
            destinations_per_core=o["destinations-per-core"], multicast=o["multicast"],
            source="options of --target generic")

    def pipeline(self, sim: dict[str, Any]) -> list[str]:
        limits = " ".join(f"{k}={_value(v)}" for k, v in self.options.items() if v is not None)
        return ["flatten-subgraphs", discretize_spec(sim), "fuse",
                f"partition{{target=generic {limits}}}"]

    def emit(self, module: ModuleOp, stem: str) -> dict[str, bytes]:
        from nirc.ir_text import print_module
        from nirc.passes.partition import core_plan

        plan = core_plan(module)
        return {f"{stem}.mlir": print_module(module).encode(),
                f"{stem}.cores.json": (json.dumps(plan, indent=1) + "\n").encode()}

    def report(self, module: ModuleOp) -> dict[str, Any]:
        from nirc.passes.partition import core_plan

        return {"partition": core_plan(module)}


def _value(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)
