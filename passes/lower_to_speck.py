"""``lower-to-speck{chip=speck2f}``: a fused, discretized network -> one
``speck.network`` op (dialects/speck.py) in Speck's integer arithmetic.

This is ``quantize`` with Speck's arithmetic (``quantize{target=speck}`` runs it too):
the graph is mapped onto cores (targets/speck/mapping.py: conv + IF per core, pooling
on the edges, Linear heads as convolutions, legality against the chip's limits in
targets/speck/chips.py), each layer discretized as sinabs does (targets/speck/arith.py)
and the layers assigned to cores by bipartite matching.  The root graph becomes Input
-> speck.network -> Output; the op's ``quant`` attribute records, per layer, its core,
scale, thresholds, weight SQNR and memory use.  Run ``discretize{reset=subtract
spikes=multi spike-test=ge v-min=neg-threshold}`` (Speck's IAF) and ``fuse`` first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64, i64
from xdsl.passes import ModulePass

from .records import lowering_start, record_row, replace_graph_body


@dataclass(frozen=True)
class LowerToSpeck(ModulePass):
    name = "lower-to-speck"

    chip: str = "speck2f"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lower_to_speck(op, self.chip)


def lower_to_speck(module: ModuleOp, chip_name: str = "speck2f") -> None:
    from nirc.dialects.arrays import to_dense
    from nirc.dialects.nir_base import signal_type
    from nirc.dialects.speck import NetworkOp
    from nirc.targets.speck.arith import quantize_network
    from nirc.targets.speck.chips import CHIPS
    from nirc.targets.speck.mapping import assign_cores, map_network, memory_of
    from nirc.targets.speck.network import network_attr

    chip, options, graph = lowering_start(module, CHIPS, chip_name, "Speck")
    net = map_network(graph, chip)
    cores = assign_cores(net, chip)
    net, rows = quantize_network(net, chip)
    for layer, core, row in zip(net.layers, cores, rows):
        layer.core = core
        row["core"] = core
        row.update({f"{kind}_memory": used for kind, used in memory_of(layer).items()})
    source = next(o for o in graph.nodes() if o.name == "nir.input")
    sink = next(o for o in graph.nodes() if o.name == "nir.output")
    props = {"node_name": StringAttr("speck"), "layers": network_attr(net),
             "input_destinations": to_dense(np.asarray(net.input_destinations, np.int64).reshape(-1, 2)),
             "chip": StringAttr(chip.name), "latency": IntegerAttr(0, i64),
             "dt": FloatAttr(float(options["dt"]), f64)}
    new = NetworkOp.create(operands=[source.results[0]],
                           result_types=[signal_type(tuple(sink.input_shape))], properties=props,
                           attributes={"quant": DictionaryAttr({r["layer"]: record_row(r) for r in rows})})
    new.results[0].name_hint = "speck"
    replace_graph_body(graph, new)
