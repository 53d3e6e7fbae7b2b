"""``lower-to-xylo{chip=syns61201 per-channel=true}``: a fused, discretized network
-> one ``xylo.network`` op (dialects/xylo.py) in Xylo's integer arithmetic.

This is ``quantize`` with Xylo's arithmetic (``quantize{target=xylo}`` runs it too):
Xylo's per-matrix weight shifts are shared by every layer stacked in a matrix, so
the whole network is mapped (targets/xylo/mapping.py: topology rules, latencies,
limits of the chip) and quantized (targets/xylo/arith.py: dashes, int8 weights with
shifts, 16-bit thresholds and biases) at once.  The root graph becomes Input ->
xylo.network -> Output; the op's ``quant`` attribute records, per layer, its role,
latency, dashes and time-constant errors, and per matrix the weight SQNR.
Run ``discretize{reset=subtract}`` and ``fuse`` first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64, i64
from xdsl.passes import ModulePass

from .records import lowering_start, record_attr, record_row, replace_graph_body


@dataclass(frozen=True)
class LowerToXylo(ModulePass):
    name = "lower-to-xylo"

    chip: str = "syns61201"
    per_channel: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lower_to_xylo(op, self.chip, self.per_channel)


def lower_to_xylo(module: ModuleOp, chip_name: str, per_channel: bool) -> None:
    from nirc.dialects.arrays import to_dense
    from nirc.dialects.nir_base import signal_type
    from nirc.dialects.xylo import NEURON_FIELDS, WEIGHT_FIELDS, NetworkOp
    from nirc.targets.xylo.arith import quantize_network
    from nirc.targets.xylo.chips import CHIPS
    from nirc.targets.xylo.mapping import map_network

    chip, options, graph = lowering_start(module, CHIPS, chip_name, "Xylo")
    net = map_network(graph, chip)
    config, extra = quantize_network(net, chip, float(options["dt"]), per_channel)
    report = extra["report"]
    source = next(o for o in graph.nodes() if o.name == "nir.input")
    readout = next(p for p in net.populations if p.role == "readout")
    props = {f: to_dense(np.ascontiguousarray(getattr(config, f), np.int8 if f in WEIGHT_FIELDS
                                              else np.int64))
             for f in (*WEIGHT_FIELDS, *NEURON_FIELDS)}
    props.update(
        node_name=StringAttr("xylo"), chip=StringAttr(chip.name),
        unit_out=to_dense(np.ascontiguousarray(extra["unit_out"], np.float64)),
        weight_shift_in=IntegerAttr(config.weight_shift_in, i64),
        weight_shift_rec=IntegerAttr(config.weight_shift_rec, i64),
        weight_shift_out=IntegerAttr(config.weight_shift_out, i64),
        latency=IntegerAttr(net.latency, i64), dt=FloatAttr(config.dt, f64),
        readout=StringAttr("spike" if readout.spiking else "voltage"),
        layers=DictionaryAttr({p.name: to_dense(np.array(
            [p.start, p.stop, p.latency, int(p.role == "readout")], np.int64))
            for p in net.populations}))
    quant = {row["layer"]: record_row(row) for row in report["populations"]}
    quant["sqnr_db"] = record_attr(report["sqnr_db"])
    new = NetworkOp.create(operands=[source.results[0]], result_types=[signal_type((net.n_out,))],
                           properties=props,
                           attributes={"quant": DictionaryAttr(quant),
                                       "granularity": StringAttr(report["granularity"])})
    new.results[0].name_hint = "xylo"
    replace_graph_body(graph, new)
