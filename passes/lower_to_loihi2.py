"""``lower-to-loihi2``: a fused, discretized (and partitioned) network -> one
``loihi2.network`` op (dialects/loihi2.py) in Loihi 2's fixed-point formats.

This is ``quantize`` with Loihi's arithmetic (``quantize{target=loihi2}`` runs it too):
netx holds one decay and threshold per layer, so each layer's scale is fitted as a
whole (targets/loihi2/arith.py) after the chain is mapped (targets/loihi2/mapping.py).
If ``partition`` ran before, each block keeps its ``cores`` and the op its
``core_plan`` (JSON: per core, the neurons and synapse entries used and the layer
slices), which the target writes beside the HDF5.  The root graph becomes Input ->
loihi2.network -> Output; ``quant`` records each block's codes and errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64, i64
from xdsl.passes import ModulePass

from nirc.diagnostics import NircError

from .records import record_row, replace_graph_body


@dataclass(frozen=True)
class LowerToLoihi2(ModulePass):
    name = "lower-to-loihi2"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lower_to_loihi2(op)


def lower_to_loihi2(module: ModuleOp) -> None:
    from nirc.dialects.arrays import to_dense
    from nirc.dialects.loihi2 import NetworkOp
    from nirc.dialects.nir_base import signal_type
    from nirc.dialects.snn_layer import LayerOp
    from nirc.exporter import root_graph
    from nirc.passes.discretize import recorded_options
    from nirc.passes.partition import core_plan
    from nirc.targets.loihi2.arith import quantize_chain
    from nirc.targets.loihi2.ir import network_attr
    from nirc.targets.loihi2.mapping import map_chain

    options = recorded_options(module)
    if options is None:
        raise NircError("the network is not discretized: run 'discretize' first")
    graph = root_graph(module)
    input_shape, chain = map_chain(graph)
    network, rows, units = quantize_chain(input_shape, chain)
    try:
        network.check()
    except ValueError as e:
        names = ", ".join(f"{k} '{n}'" for k, n in enumerate(
            ["input"] + [layer.name for layer in chain]))
        raise NircError(f"netx would not hold this network exactly: {e} (layers: {names})") from None
    layer_ops = {o.layer_name: o for o in graph.block.ops if isinstance(o, LayerOp)}
    partitioned = "nirc.partition" in module.attributes
    plan = core_plan(module) if partitioned else None
    source = next(o for o in graph.nodes() if o.name == "nir.input")
    names = [source.node_name.data] + [layer.name for layer in chain]
    cores = [None] + [np.asarray(layer_ops[layer.name].core_slices(), np.int64)
                      if partitioned and layer.name in layer_ops else None for layer in chain]
    last = chain[-1]
    spiking = last.spiking
    unit_out = (np.ascontiguousarray(units[-1].reshape(-1), np.float64) if not spiking
                else np.ones(int(np.prod(last.out_shape))))
    # each block delivers one step late; a graph discretized with synapse-delay=1 (Lava's
    # own semantics) already holds those delays, so the chip follows it step for step
    blocks = 0 if options.get("synapse_delay") else sum(1 for layer in chain if layer.kind != "flatten")
    props = {"node_name": StringAttr("loihi2"),
             "layers": network_attr(network, names, cores),
             "unit_out": to_dense(unit_out),
             "latency": IntegerAttr(blocks, i64),
             "dt": FloatAttr(float(options["dt"]), f64),
             "readout": StringAttr("spike" if spiking else "voltage")}
    attributes = {"quant": DictionaryAttr({row["layer"]: record_row(row) for row in rows})}
    if plan is not None:
        attributes["core_plan"] = StringAttr(json.dumps(plan))
    new = NetworkOp.create(operands=[source.results[0]],
                           result_types=[signal_type(last.out_shape)], properties=props,
                           attributes=attributes)
    new.results[0].name_hint = "loihi2"
    replace_graph_body(graph, new)
