"""``--target xylo``: SynSense Xylo (Audio 2 by default; ``xylo{chip=syns63300}`` for
Xylo IMU, ``syns65302`` for Xylo Audio 3).

Pipeline: ``flatten-subgraphs``, ``discretize`` (reset=subtract unless given: Xylo's
neurons subtract the threshold), ``fuse``, ``lower-to-xylo{chip per-channel}``
(mapping.py + arith.py).  Outputs: ``<stem>.xylo.json`` (rockpool's
``config_from_specification`` fields, emit.py) and ``<stem>.mlir`` (the lowered
module; ``nirc run`` simulates it bit for bit, sim.py).  The report gives the chip's
usage, the latency, per layer the dashes and time-constant errors, per matrix the
weight shift and SQNR, and the fidelity: float graph vs Xylo simulation on generated
input (``fidelity-steps``, ``fidelity-batch``, ``fidelity-rate``, ``seed``) or the
user's (``nirc compile --input X.npy``).  ``--dt auto`` picks the dt in
[``dt-min``, ``dt-max``] that fits the time constants best (dt.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from ..base import Option, Target, discretize_spec, lowered_op, percent
from ..fidelity import FIDELITY_OPTIONS, summary_lines
from ..resources import ResourceModel
from .chips import CHIPS, DEFAULT_CHIP

OPTIONS = {
    "chip": Option(str, DEFAULT_CHIP, f"the Xylo part: {', '.join(CHIPS)}",
                   choices=tuple(CHIPS)),
    "per-channel": Option(bool, True, "one scale per neuron (else one per population group)"),
    "dt-min": Option(float, 1e-5, "smallest dt that --dt auto considers (s)", 1e-9, 10.0),
    "dt-max": Option(float, 1e-2, "largest dt that --dt auto considers (s)", 1e-9, 10.0),
    **{k: Option(*v) for k, v in FIDELITY_OPTIONS.items()},
}


class XyloTarget(Target):
    name = "xylo"
    summary = "SynSense Xylo (Audio 2, IMU, Audio 3): rockpool config JSON, bit-exact simulation"
    OPTIONS = OPTIONS
    USES_REFERENCE = True
    OWN_QUANTIZATION = True
    CHIP_RULES = {"reset": "subtract", "spikes": "multi", "max_spikes": 31, "max_spikes_out": 1,
                  "spike_test": "ge", "firing": "immediate", "v_min": "none", "loop_start": "zero"}
    """Xylo's neurons (targets.md, xylosim 0.1.3): while v >= threshold spike and subtract
    it, up to 31 spikes per step in the hidden layer and 1 in the readout."""

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.chip = self.choice("chip", CHIPS)

    def resources(self) -> ResourceModel:
        return self.chip.resources()

    def choose_dt(self, module: ModuleOp, sim: dict[str, Any]) -> dict:
        from ..fidelity import behaviour_at
        from .dt import choose_dt

        given, behave = behaviour_at(module, sim, self.options)
        return choose_dt(module, self.options["dt-min"], self.options["dt-max"],
                         sim.get("method") or "euler", given=given, behave=behave)

    def pipeline(self, sim: dict[str, Any]) -> list[str]:
        sim = self.chip_sim(sim)
        per_channel = "true" if self.options["per-channel"] else "false"
        return ["flatten-subgraphs", discretize_spec(sim), "fuse",
                f"lower-to-xylo{{chip={self.chip.name} per-channel={per_channel}}}"]

    def quantize_module(self, module: ModuleOp, per_channel: bool) -> bool:
        from nirc.passes.lower_to_xylo import lower_to_xylo

        lower_to_xylo(module, self.chip.name, per_channel)
        return True

    def emit(self, module: ModuleOp, stem: str) -> dict[str, bytes]:
        from nirc.ir_text import print_module

        from .emit import config_json

        op = network_op(module)
        extra = {"latency": op.integer("latency"), "readout": op.readout.data,
                 "unit_out": np.asarray(op.array("unit_out")).tolist(),
                 "layers": {k: list(v) for k, v in op.layer_table().items()}}
        return {f"{stem}.xylo.json": config_json(op.config(), self.chip, extra),
                f"{stem}.mlir": print_module(module).encode()}

    def report(self, module: ModuleOp, reference: ModuleOp | None = None,
               inputs: np.ndarray | None = None) -> dict[str, Any]:
        from nirc.passes.records import record_values

        op = network_op(module)
        config = op.config()
        n_in, n_hid, n_out = config.sizes
        quant = {k: record_values(v) for k, v in op.attributes["quant"].data.items()}
        section = {
            "chip": self.chip.name, "title": self.chip.title,
            "usage": {"inputs": [n_in, self.chip.inputs], "hidden": [n_hid, self.chip.hidden],
                      "outputs": [n_out, self.chip.outputs],
                      "weights": int(np.count_nonzero(config.weights_in)
                                     + np.count_nonzero(config.weights_rec)
                                     + np.count_nonzero(config.weights_out))},
            "latency": op.integer("latency"), "readout": op.readout.data,
            "granularity": op.attributes["granularity"].data,
            "weight_shift": {"in": config.weight_shift_in, "rec": config.weight_shift_rec,
                             "out": config.weight_shift_out},
            "sqnr_db": quant.pop("sqnr_db"),
            "layers": [{"layer": k, **v} for k, v in quant.items()],
        }
        if reference is not None:
            section["fidelity"] = self.fidelity(reference, module, inputs)
        return {"xylo": section}

    def report_lines(self, report: dict[str, Any]) -> list[str]:
        x = report["xylo"]
        use = x["usage"]
        lines = [f"chip       {x['title']} ({x['chip']}): {use['inputs'][0]}/{use['inputs'][1]} "
                 f"inputs, {use['hidden'][0]}/{use['hidden'][1]} hidden, {use['outputs'][0]}/"
                 f"{use['outputs'][1]} readout neurons, {use['weights']} nonzero weights",
                 f"latency    the output lags the graph by {x['latency']} step(s)",
                 "weights    int8, " + x["granularity"] + ", shifts "
                 + ", ".join(f"{k} {v}" for k, v in x["weight_shift"].items()) + "; SQNR "
                 + ", ".join(f"{k.split('_')[1]} {v:.1f} dB" for k, v in x["sqnr_db"].items()),
                 f"{'layer':>12} {'role':>8} {'neurons':>9} {'dash_mem':>8} {'tau_mem err':>11} "
                 f"{'dash_syn':>8} {'tau_syn err':>11}"]
        for row in x["layers"]:
            lines.append(f"{row['layer']:>12} {row['role']:>8} {row['neurons'].replace(',', ':'):>9} "
                         f"{row['dash_mem']:>8} {percent(row.get('tau_mem_error')):>11} "
                         f"{row.get('dash_syn', '-'):>8} {percent(row.get('tau_syn_error')):>11}")
        lines += summary_lines(x.get("fidelity"), "Xylo")
        return lines

    def fidelity(self, reference: ModuleOp, module: ModuleOp, inputs: np.ndarray | None) -> dict:
        """Float graph vs Xylo simulation (targets/fidelity.py) on generated or given input."""
        from ..fidelity import check

        from nirc.passes.records import record_values

        from .sim import saturation

        op = network_op(module)
        config = op.config()
        quant = {k: record_values(v) for k, v in op.attributes["quant"].data.items()}
        rows = [{"layer": k, "sqnr_db": v} for k, v in quant.pop("sqnr_db").items()]
        rows += [{"layer": k, **v} for k, v in quant.items()]
        return check(reference, module, (config.sizes[0],), op.integer("latency"),
                     op.readout.data == "spike", self.options, inputs, rows, "Xylo",
                     lambda raster: saturation(config, raster))


def network_op(module: ModuleOp):
    from nirc.dialects.xylo import NetworkOp

    return lowered_op(module, NetworkOp)
