"""``--target speck``: SynSense Speck (DYNAP-CNN) as sinabs 3.1.3 configures it.

Pipeline: ``flatten-subgraphs``, ``discretize{reset=subtract spikes=multi spike-test=ge
v-min=neg-threshold}`` (Speck's IAF, ``CHIP_RULES``), ``fuse``, ``lower-to-speck{chip=...}`` (mapping.py, arith.py, core
assignment).  Outputs: ``<stem>.speck.json`` (per core the fields of sinabs' config dict,
emit.py) and ``<stem>.mlir`` (the lowered module: one ``speck.network`` op; ``nirc run``
simulates it bit for bit, sim.py).  The report gives per layer its core, memory use,
scale and weight SQNR, and the fidelity: the float graph (interpreter, with the
discretization options the module records) vs the Speck simulation
(targets/fidelity.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from ..base import Option, Target, discretize_spec, lowered_op
from ..fidelity import FIDELITY_OPTIONS, summary_lines
from ..resources import ResourceModel
from .chips import CHIPS, speck_resources


OPTIONS = {
    "chip": Option(str, "speck2f", f"the Speck part: {', '.join(CHIPS)}", choices=tuple(CHIPS)),
    **{k: Option(*v) for k, v in FIDELITY_OPTIONS.items()},
}


class SpeckTarget(Target):
    name = "speck"
    summary = "SynSense Speck (DYNAP-CNN): sinabs config JSON, core mapping, bit-exact simulation"
    OPTIONS = OPTIONS
    USES_REFERENCE = True
    OWN_QUANTIZATION = True
    CHIP_RULES = {"reset": "subtract", "spikes": "multi", "spike_test": "ge",
                  "v_min": "neg-threshold", "firing": "immediate", "loop_start": "zero"}
    """Speck's IAF as sinabs 3.1.3 models it (docs/conventions.md, profile sinabs): several
    spikes per bin (MultiSpike, no cap), v >= threshold fires, reset by subtraction
    (MembraneSubtract), v clamped at -v_threshold (from_nir's min_v_mem)."""

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.chip = self.choice("chip", CHIPS)

    def resources(self) -> ResourceModel:
        return speck_resources(self.chip)

    def pipeline(self, sim: dict[str, Any]) -> list[str]:
        return ["flatten-subgraphs", discretize_spec(self.chip_sim(sim)), "fuse",
                f"lower-to-speck{{chip={self.chip.name}}}"]

    def quantize_module(self, module: ModuleOp, per_channel: bool) -> bool:
        from nirc.passes.lower_to_speck import lower_to_speck

        lower_to_speck(module, self.chip.name)
        return True

    def emit(self, module: ModuleOp, stem: str) -> dict[str, bytes]:
        from nirc.ir_text import print_module

        from .emit import config_json

        op = network_op(module)
        return {f"{stem}.speck.json": config_json(op.network(), self.chip, layer_rows(op),
                                                  op.dt.value.data),
                f"{stem}.mlir": print_module(module).encode()}

    def report(self, module: ModuleOp, reference: ModuleOp | None = None,
               inputs: np.ndarray | None = None) -> dict[str, Any]:
        op = network_op(module)
        section = {"chip": self.chip.name, "cores_used": len(op.layers.data),
                   "cores": self.chip.cores, "latency": 0, "layers": layer_rows(op)}
        if reference is not None:
            from ..fidelity import check

            section["fidelity"] = check(reference, module, tuple(op.input_shape), 0, True,
                                        self.options, inputs, section["layers"], "Speck")
        return {"speck": section}

    def report_lines(self, report: dict[str, Any]) -> list[str]:
        x = report["speck"]
        lines = [f"chip       {x['chip']}: {x['cores_used']} of {x['cores']} cores",
                 f"{'layer':>10} {'core':>4} {'kernel mem':>13} {'neuron mem':>13} "
                 f"{'scale':>9} {'set by':>10} {'thr high':>8} {'thr low':>8} {'SQNR dB':>8} "
                 f"{'w at limit':>10}"]
        for row in x["layers"]:
            c = row["core"]
            kernel = f"{row['kernel_memory']}/{self.chip.kernel_memory[c]}"
            neuron = f"{row['neuron_memory']}/{self.chip.neuron_memory[c]}"
            lines.append(f"{row['layer']:>10} {c:>4} {kernel:>13} {neuron:>13} "
                         f"{row['scale']:>9.3f} {row['scale_set_by']:>10} "
                         f"{row['threshold_high']:>8} {row['threshold_low']:>8} {row['sqnr_db']:>8.1f} "
                         f"{row['weights_at_limit']:>10}")
        lines += summary_lines(x.get("fidelity"), "Speck")
        return lines


def layer_rows(op) -> list[dict]:
    from nirc.passes.records import record_values

    return [{"layer": k, **record_values(v)} for k, v in op.attributes["quant"].data.items()]


def network_op(module: ModuleOp):
    from nirc.dialects.speck import NetworkOp

    return lowered_op(module, NetworkOp)
