"""``lower-to-spinnaker2{conn-delay=0 weight-scale=0.0 chips=1}``: a fused, discretized
(and partitioned) network -> one ``spinnaker2.network`` op (dialects/spinnaker2.py).

This is ``quantize`` with SpiNNaker2's arithmetic (``quantize{target=spinnaker2}`` runs
it too): the graph is mapped onto py-spinnaker2 populations and projections by s2_nir's
rules (targets/spinnaker2/mapping.py), scaled to int8 weights and float32 parameters per
population (arith.py) and placed on PEs (placement.py: from ``partition``'s slices where
it ran, else the fewest PEs each population fits).  ``conn-delay`` is s2_nir's
``conn_delay`` (0 or 1 step per projection), ``weight-scale`` a fixed weight scale
(0: 127 / max |w| per population), ``chips`` the SpiNNaker2 chips (152 PEs each).  The
root graph becomes Input -> spinnaker2.network -> Output; ``quant`` records each
population's model, scale and weight SQNR, ``pe_plan`` the PE plan (JSON).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64, i64
from xdsl.passes import ModulePass

from nirc.diagnostics import NircError

from .records import record_row, replace_graph_body


@dataclass(frozen=True)
class LowerToSpinnaker2(ModulePass):
    name = "lower-to-spinnaker2"

    conn_delay: int = 0
    weight_scale: float = 0.0
    chips: int = 1

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lower_to_spinnaker2(op, self.conn_delay, float(self.weight_scale), self.chips)


def lower_to_spinnaker2(module: ModuleOp, conn_delay: int = 0, weight_scale: float = 0.0,
                        chips: int = 1) -> None:
    from nirc.dialects.arrays import to_dense
    from nirc.dialects.nir_base import signal_type
    from nirc.dialects.spinnaker2 import NetworkOp
    from nirc.exporter import root_graph
    from nirc.passes.discretize import recorded_options
    from nirc.passes.partition import layer_ops
    from nirc.passes.records import record_values
    from nirc.targets.spinnaker2.arith import latency, scale_network
    from nirc.targets.spinnaker2.chips import CONN_DELAYS, spinnaker2_resources
    from nirc.targets.spinnaker2.ir import populations_attr, projections_attr
    from nirc.targets.spinnaker2.mapping import map_network
    from nirc.targets.spinnaker2.placement import plan_pes

    if conn_delay not in CONN_DELAYS or not weight_scale >= 0 or chips < 1:
        raise NircError(f"lower-to-spinnaker2: conn-delay must be 0 or 1, weight-scale >= 0 and "
                        f"chips >= 1, found {conn_delay}, {weight_scale}, {chips}")
    options = recorded_options(module)
    if options is None:
        raise NircError("the network is not discretized: run 'discretize' first")
    graph = root_graph(module)
    float_net = map_network(graph)
    net, rows = scale_network(float_net, conn_delay, weight_scale)
    depth, uneven = latency(float_net)
    if conn_delay and uneven:
        warnings.warn(f"paths of different lengths reach {', '.join(repr(n) for n in uneven)}: "
                      "with conn-delay=1 the chip's output is not a shifted copy of the graph's")
    model = spinnaker2_resources(chips)
    info = module.attributes.get("nirc.partition")
    if isinstance(info, DictionaryAttr):
        limits = record_values(info)
        model = model.with_options(neurons_per_core=limits["neurons_per_core"],
                                   synapses_per_core=limits["synapses_per_core"] or None)
    plan = plan_pes(net, layer_ops(module), model, chips)
    if isinstance(info, DictionaryAttr):
        plan["solver_cores"] = record_values(info)["cores_used"]
    try:
        net.check()
    except ValueError as e:
        raise NircError(f"py-spinnaker2 would not hold this network: {e}") from None
    source = next(o for o in graph.nodes() if o.name == "nir.input")
    sink = net.population(net.output)
    unit = sink.v_scale if not sink.spiking else np.ones(sink.size)
    props = {"node_name": StringAttr("spinnaker2"),
             "populations": populations_attr(net), "projections": projections_attr(net),
             "input_name": StringAttr(net.input), "output_name": StringAttr(net.output),
             "unit_out": to_dense(np.ascontiguousarray(unit, np.float64).reshape(-1)),
             "conn_delay": IntegerAttr(conn_delay, i64),
             "latency": IntegerAttr(conn_delay * depth, i64),
             "dt": FloatAttr(float(options["dt"]), f64),
             "readout": StringAttr("spike" if sink.spiking else "voltage")}
    attributes = {"quant": DictionaryAttr({row["population"]: record_row(row, ("population",))
                                           for row in rows}),
                  "pe_plan": StringAttr(json.dumps(plan))}
    new = NetworkOp.create(operands=[source.results[0]], result_types=[signal_type(sink.shape)],
                           properties=props, attributes=attributes)
    new.results[0].name_hint = "spinnaker2"
    replace_graph_body(graph, new)
