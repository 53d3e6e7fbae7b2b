"""``--target generic``: a neuromorphic chip whose limits are options.

It stands for any many-core chip in tests and studies: ``generic{cores=64
neurons-per-core=256 synapses-per-core=65536 weight-bits=8}``.  Pipeline:
``flatten-subgraphs``, ``discretize``, ``fuse``, ``quantize`` (unless ``quantize=false``)
and ``partition`` with this resource model.  Output:
``<stem>.mlir`` (the partitioned module: ``snn.layer`` ops carrying their core slices)
and ``<stem>.cores.json`` (per core: the layer slices it holds and its usage).
Arithmetic: ``qsnn.neuron`` with floor rounding and saturation (dialects/qsnn.py);
``nirc run`` of the written .mlir simulates it bit for bit.
"""

from __future__ import annotations

import json
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from ..base import Option, Target, discretize_spec, spec_options
from ..fidelity import FIDELITY_OPTIONS, summary_lines
from ..resources import ResourceModel

LIMITS = {
    "cores": Option(int, 1024, "cores per chip", 1),
    "neurons-per-core": Option(int, 256, "neurons a core holds", 1),
    "synapses-per-core": Option(int, 65536, "synapse-memory entries (weights) a core holds", 1),
    "fan-in": Option(int, None, "incoming synapses per neuron (unset: no limit)", 1),
    "destinations-per-core": Option(int, None, "distinct cores a core sends to (unset: no limit)", 1),
    "multicast": Option(bool, True, "a spike reaches all destination cores at the cost of one"),
    "weight-bits": Option(int, 8, "bits of a weight (signed; quantize takes 2..16)", 2, 16),
    "state-bits": Option(int, 16, "bits of v and i (saturating)", 2, 32),
    "threshold-bits": Option(int, 16, "bits of a threshold", 2, 32),
    "bias-bits": Option(int, 16, "bits of a bias", 2, 32),
    "decay-bits": Option(int, 12, "fraction bits of a decay factor (state x decay products stay within int64)", 1, 24),
    "per-channel": Option(bool, True, "one weight scale per output neuron/channel (else per layer)"),
    "symmetric": Option(bool, True, "symmetric weights (else with a zero point)"),
    "bias-correction": Option(bool, False, "undo the mean input error of weight rounding with "
                              "neuron biases (calibrated on generated input; see quantize)"),
    "calibration-input": Option(str, None, "bias-correction calibrates on this .npy/.npz input "
                                "(T, [B,] n) instead of generated spikes"),
    "quantize": Option(bool, True, "integer arithmetic (false: keep float weights and neurons)"),
    **{k: Option(*v) for k, v in FIDELITY_OPTIONS.items()},
}
LIMIT_OPTIONS = ("cores", "neurons-per-core", "synapses-per-core", "fan-in",
                 "destinations-per-core", "multicast")
QUANT_OPTIONS = ("weight-bits", "state-bits", "threshold-bits", "bias-bits", "decay-bits",
                 "per-channel", "symmetric", "bias-correction", "calibration-input")


class GenericTarget(Target):
    name = "generic"
    summary = "a many-core chip whose limits are options (for tests and what-if studies)"
    OPTIONS = LIMITS
    USES_REFERENCE = True

    def resources(self) -> ResourceModel:
        o = self.options
        return ResourceModel(
            name="generic", cores=o["cores"], neurons_per_core=o["neurons-per-core"],
            synapses_per_core=o["synapses-per-core"], fan_in=o["fan-in"],
            destinations_per_core=o["destinations-per-core"], multicast=o["multicast"],
            weight_bits=o["weight-bits"], state_bits=o["state-bits"],
            threshold_bits=o["threshold-bits"], bias_bits=o["bias-bits"],
            decay_bits=o["decay-bits"], source="options of --target generic")

    def pipeline(self, sim: dict[str, Any]) -> list[str]:
        o = self.options
        limits = spec_options({k: o[k] for k in LIMIT_OPTIONS})
        quant = spec_options({k: o[k] for k in QUANT_OPTIONS})
        passes = ["flatten-subgraphs", discretize_spec(sim), "fuse"]
        if o["quantize"]:
            passes.append(f"quantize{{target=generic {quant}}}")
        return passes + [f"partition{{target=generic {limits}}}"]

    def emit(self, module: ModuleOp, stem: str) -> dict[str, bytes]:
        from nirc.ir_text import print_module
        from nirc.passes.partition import core_plan

        plan = core_plan(module)
        return {f"{stem}.mlir": print_module(module).encode(),
                f"{stem}.cores.json": (json.dumps(plan, indent=1) + "\n").encode()}

    def report(self, module: ModuleOp, reference: ModuleOp | None = None,
               inputs=None) -> dict[str, Any]:
        from nirc.passes.partition import core_plan
        from nirc.passes.quantize import quant_report

        sections = {"partition": core_plan(module), "quantization": quant_report(module)}
        if reference is not None and self.options["quantize"]:
            from ..fidelity import check, module_io

            shape, spiking = module_io(module)
            rows = [{"layer": q["layer"], "sqnr_db": q["sqnr_db"]} for q in sections["quantization"]]
            sections["generic"] = {"fidelity": check(reference, module, shape, 0, spiking,
                                                     self.options, inputs, rows, "the integer chip")}
        return sections

    def report_lines(self, report: dict[str, Any]) -> list[str]:
        return summary_lines(report.get("generic", {}).get("fidelity"), "the integer chip")

