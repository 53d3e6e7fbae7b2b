"""``--target loihi2``: Intel Loihi 2 through lava-dl's netx HDF5 format.

Pipeline: ``flatten-subgraphs``, ``discretize`` (reset=value: Loihi sets v to 0 after a
spike), ``fuse``, ``partition{target=loihi2}`` (the core plan: Lava's own mapper is
closed source, so this is the estimate a user needs before hardware), then
``lower-to-loihi2`` (mapping.py + arith.py).  Outputs: ``<stem>.net.h5`` (netx, which
``lava.lib.dl.netx.hdf5.Network`` loads), ``<stem>.cores.json`` (the core plan) and
``<stem>.mlir`` (the lowered module; ``nirc run`` simulates it bit for bit, sim.py).
The report gives the cores and memory used, per layer the netx codes (iDecay, vDecay,
vThMant), time-constant errors and weight SQNR, and the fidelity: the float graph vs
the Loihi simulation (targets/fidelity.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from ..base import Option, Target, discretize_spec, lowered_op, percent, spec_options
from ..fidelity import FIDELITY_OPTIONS, summary_lines
from ..resources import ResourceModel
from .chips import CORES_PER_CHIP, loihi2_resources

OPTIONS = {
    "chips": Option(int, 1, "Loihi 2 chips (128 neuro-cores each)", 1),
    "neurons-per-core": Option(int, None, "override: neurons a core holds (default 8192)", 1),
    "synapses-per-core": Option(int, None, "override: synapse entries a core holds (default 131072)", 1),
    **{k: Option(*v) for k, v in FIDELITY_OPTIONS.items()},
}


class Loihi2Target(Target):
    name = "loihi2"
    summary = "Intel Loihi 2: lava-dl netx HDF5, core plan, bit-exact fixed-point simulation"
    OPTIONS = OPTIONS
    USES_REFERENCE = True
    OWN_QUANTIZATION = True
    CHIP_RULES = {"reset": "value", "spikes": "single", "spike_test": "gt", "firing": "immediate",
                  "v_min": "none", "loop_start": "zero"}
    """Loihi's CUBA neurons (lava-nc 0.10.0 proc/lif/models.py): one spike when v > vth,
    then v = 0.  Its one-step synaptic delays are the target's latency, or the model's
    own with synapse-delay=1 (Lava's semantics)."""

    def resources(self) -> ResourceModel:
        model = loihi2_resources(self.options["chips"])
        overrides = {k: self.options[k] for k in ("neurons-per-core", "synapses-per-core")
                     if self.options[k] is not None}
        return model.with_options(**overrides) if overrides else model

    def pipeline(self, sim: dict[str, Any]) -> list[str]:
        model = self.resources()
        limits = spec_options({"cores": model.cores * model.chips,
                               "neurons-per-core": model.neurons_per_core,
                               "synapses-per-core": model.synapses_per_core})
        return ["flatten-subgraphs", discretize_spec(self.chip_sim(sim)), "fuse",
                f"partition{{target=loihi2 {limits}}}", "lower-to-loihi2"]

    def quantize_module(self, module: ModuleOp, per_channel: bool) -> bool:
        from nirc.passes.lower_to_loihi2 import lower_to_loihi2

        lower_to_loihi2(module)
        return True

    def emit(self, module: ModuleOp, stem: str) -> dict[str, bytes]:
        from nirc.ir_text import print_module

        from .netx import write_netx

        op = network_op(module)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "net.h5")
            write_netx(op.network(), path)
            with open(path, "rb") as f:
                h5 = f.read()
        files = {f"{stem}.net.h5": h5, f"{stem}.mlir": print_module(module).encode()}
        plan = op.attributes.get("core_plan")
        if plan is not None:
            files[f"{stem}.cores.json"] = (json.dumps(json.loads(plan.data), indent=1) + "\n").encode()
        return files

    def report(self, module: ModuleOp, reference: ModuleOp | None = None,
               inputs: np.ndarray | None = None) -> dict[str, Any]:
        from nirc.passes.records import record_values

        op = network_op(module)
        section = {"latency": op.integer("latency"), "readout": op.readout.data,
                   "layers": [{"layer": k, **record_values(v)}
                              for k, v in op.attributes["quant"].data.items()]}
        plan = op.attributes.get("core_plan")
        out = {"loihi2": section}
        if plan is not None:
            out["partition"] = json.loads(plan.data)
        if reference is not None:
            from ..fidelity import check

            section["fidelity"] = check(reference, module, tuple(op.input_shape),
                                        op.integer("latency"), op.readout.data == "spike",
                                        self.options, inputs, section["layers"], "Loihi 2")
        return out

    def report_lines(self, report: dict[str, Any]) -> list[str]:
        x = report["loihi2"]
        lines = []
        plan = report.get("partition")
        if plan:
            chips = -(-plan["cores_used"] // CORES_PER_CHIP)
            lines.append(f"chips      {chips} Loihi 2 chip(s) of {CORES_PER_CHIP} neuro-cores")
        lines += [f"latency    the output lags the graph by {x['latency']} step(s)",
                 f"{'layer':>12} {'type':>9} {'iDecay':>6} {'vDecay':>6} {'vThMant':>7} "
                 f"{'tau_syn err':>11} {'tau_mem err':>11} {'SQNR dB':>8}"]
        for row in x["layers"]:
            lines.append(f"{row['layer']:>12} {row['type']:>9} {row['iDecay']:>6} {row['vDecay']:>6} "
                         f"{row['vThMant']:>7} {percent(row.get('tau_syn_error')):>11} "
                         f"{percent(row.get('tau_mem_error')):>11} {row['sqnr_db']:>8.1f}")
        lines += summary_lines(x.get("fidelity"), "Loihi 2")
        return lines


def network_op(module: ModuleOp):
    from nirc.dialects.loihi2 import NetworkOp

    return lowered_op(module, NetworkOp)
