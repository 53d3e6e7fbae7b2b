"""``--target spinnaker2``: SpiNNaker2 (TU Dresden / SpiNNcloud) through a py-spinnaker2
network script.

Pipeline: ``flatten-subgraphs``, ``discretize``, ``fuse``, ``partition{target=spinnaker2}``
(the PE plan: neurons and synapse words per PE), then ``lower-to-spinnaker2`` (mapping.py,
arith.py, placement.py: s2_nir's rules, int8 weights per population, one population per
PE).  Outputs: ``<stem>.s2.py`` (the program a SpiNNaker2 user runs, script.py),
``<stem>.s2.npz`` (its weights), ``<stem>.s2.json`` (the network as data) and
``<stem>.mlir`` (the lowered module; ``nirc run`` simulates it with nirc's float32 model
of the neurons, sim.py).  The report gives the PEs and chips used, per population the
model, atoms per PE, weight scale and SQNR, the latency, and the fidelity: the float graph
vs the SpiNNaker2 simulation (targets/fidelity.py).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from ..base import Option, Target, discretize_spec, lowered_op, spec_options
from ..fidelity import FIDELITY_OPTIONS, summary_lines
from ..resources import ResourceModel
from .chips import NEURONS_PER_PE, PES_PER_CHIP, SYNAPSE_KB, spinnaker2_resources

OPTIONS = {
    "chips": Option(int, 1, f"SpiNNaker2 chips ({PES_PER_CHIP} PEs each)", 1),
    "neurons-per-pe": Option(int, NEURONS_PER_PE, "most neurons a PE holds (max_atoms_per_core)", 1),
    "synapse-kb": Option(int, SYNAPSE_KB, "KB of a PE's 128 KB SRAM for synapse words (4 B each)", 1, 128),
    "conn-delay": Option(int, 0, "s2_nir's conn_delay: steps added per projection (0 or 1)", 0, 1),
    "weight-scale": Option(float, 0.0, "fixed weight scale (0: 127 / max |w| per population)", 0.0),
    "eth-ip": Option(str, "192.168.1.25", "the board's IP address the script uses by default"),
    **{k: Option(*v) for k, v in FIDELITY_OPTIONS.items()},
}


class Spinnaker2Target(Target):
    name = "spinnaker2"
    summary = "SpiNNaker2: py-spinnaker2 network script, PE plan, float32 simulation"
    OPTIONS = OPTIONS
    USES_REFERENCE = True
    OWN_QUANTIZATION = True
    CHIP_RULES = {"spikes": "single", "spike_test": "gt", "firing": "immediate", "v_min": "none",
                  "loop_start": "zero"}
    """py-spinnaker2's lif_no_delay / lif_curr_exp_no_delay as sim.py models them: one
    spike when v > threshold, reset by subtraction or to v_reset (both: the model's)."""

    def resources(self) -> ResourceModel:
        return spinnaker2_resources(self.options["chips"], self.options["neurons-per-pe"],
                                    self.options["synapse-kb"])

    def _lowering(self) -> str:
        return "lower-to-spinnaker2{" + spec_options({
            "conn-delay": self.options["conn-delay"],
            "weight-scale": float(self.options["weight-scale"]),
            "chips": self.options["chips"]}) + "}"

    def pipeline(self, sim: dict[str, Any]) -> list[str]:
        model = self.resources()
        limits = spec_options({"cores": model.total_cores,
                               "neurons-per-core": model.neurons_per_core,
                               "synapses-per-core": model.synapses_per_core})
        return ["flatten-subgraphs", discretize_spec(self.chip_sim(sim)), "fuse",
                f"partition{{target=spinnaker2 {limits}}}", self._lowering()]

    def quantize_module(self, module: ModuleOp, per_channel: bool) -> bool:
        from nirc.passes.lower_to_spinnaker2 import lower_to_spinnaker2

        lower_to_spinnaker2(module, self.options["conn-delay"],
                            float(self.options["weight-scale"]), self.options["chips"])
        return True

    def emit(self, module: ModuleOp, stem: str) -> dict[str, bytes]:
        from nirc import __version__
        from nirc.ir_text import print_module
        from nirc.passes.discretize import recorded_options

        from .script import emit_files

        op = network_op(module)
        sink = next(o for o in op.parent_block().ops if o.name == "nir.output")
        options = recorded_options(module) or {}
        info = {"source": stem, "version": __version__, "dt": op.dt.value.data,
                "method": options.get("method"), "reset": options.get("reset"),
                "conn_delay": op.integer("conn_delay"), "latency": op.integer("latency"),
                "readout": op.readout.data, "output_node": sink.node_name.data,
                "eth_ip": self.options["eth-ip"]}
        files = emit_files(op.network(), stem, info)
        files[f"{stem}.mlir"] = print_module(module).encode()
        return files

    def report(self, module: ModuleOp, reference: ModuleOp | None = None,
               inputs: np.ndarray | None = None) -> dict[str, Any]:
        from nirc.passes.records import record_values

        op = network_op(module)
        from .placement import table

        plan = json.loads(op.attributes["pe_plan"].data)
        plan["table"] = table(plan)
        net = op.network()
        rows = []
        for pop in net.populations:
            row = {"population": pop.name, "model": pop.model, "neurons": pop.size,
                   "max_atoms": pop.max_atoms, "pes": len(pop.pes)}
            if pop.name in op.attributes["quant"].data:
                row.update(record_values(op.attributes["quant"].data[pop.name]))
            rows.append(row)
        section = {"latency": op.integer("latency"), "conn_delay": op.integer("conn_delay"),
                   "readout": op.readout.data, "pes_used": plan["cores_used"],
                   "chips_used": plan["chips_used"], "populations": rows}
        if reference is not None:
            from ..fidelity import check

            section["fidelity"] = check(reference, module, tuple(op.input_shape),
                                        op.integer("latency"), op.readout.data == "spike",
                                        self.options, inputs,
                                        [{"layer": r["population"], **r} for r in rows],
                                        "SpiNNaker2")
        return {"spinnaker2": section, "partition": plan}

    def report_lines(self, report: dict[str, Any]) -> list[str]:
        x, plan = report["spinnaker2"], report["partition"]
        solver = plan.get("solver_cores")
        lines = [f"chips      {x['chips_used']} SpiNNaker2 chip(s) of {PES_PER_CHIP} PEs: "
                 f"{x['pes_used']} PEs, one population slice each"
                 + (f" (the partition solver packed them in {solver} cores)" if solver else ""),
                 f"latency    the output lags the graph by {x['latency']} step(s) "
                 f"(conn_delay {x['conn_delay']})",
                 f"{'population':>12} {'model':>22} {'neurons':>7} {'atoms/PE':>8} {'PEs':>4} "
                 f"{'w_scale':>9} {'SQNR dB':>8}"]
        for row in x["populations"]:
            scale = f"{row['w_scale']:.4g}" if "w_scale" in row else "-"
            sqnr = f"{row['sqnr_db']:.1f}" if "sqnr_db" in row else "-"
            lines.append(f"{row['population']:>12} {row['model']:>22} {row['neurons']:>7} "
                         f"{row['max_atoms']:>8} {row['pes']:>4} {scale:>9} {sqnr:>8}")
        lines += summary_lines(x.get("fidelity"), "SpiNNaker2")
        return lines


def network_op(module: ModuleOp):
    from nirc.dialects.spinnaker2 import NetworkOp

    return lowered_op(module, NetworkOp)
