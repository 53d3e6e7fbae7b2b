"""``partition{target=... <limit overrides>}``: assign the neurons of every
``snn.layer`` to cores within the target's resource model.

Each layer becomes a ``LayerDemand`` (neurons; per-neuron fan-in and synapse-memory
entries: a dense synapse stores its input width per neuron, a convolution stores its
kernel once per core; the neuron's recurrent weights count as synapses) and each
connection between layers a ``Projection`` (the nonzero mask of a dense weight; a
convolution is treated as all-to-all, an over-estimate of its traffic).  The solver
(``partition_solver``) minimises the spikes that cross cores and balances synaptic
operations.  The result is written into the IR: each layer gets a ``cores`` property,
an int64 array of rows ``[start, stop, core]`` (neurons ``start..stop-1`` of the
flattened neuron array live on ``core``), and the module a ``nirc.partition``
dictionary (target, cores used, lower bound, estimated crossing spikes per step).
Nodes outside layers (Input/Output, delays, thresholds, ...) are not placed: the
target's legality rules decide whether that is allowed.  Simulation is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import BlockArgument
from xdsl.passes import ModulePass

from nirc.diagnostics import NircError
from nirc.dialects.arrays import to_dense
from nirc.dialects.nir import AffineOp, Conv1dOp, Conv2dOp, InputOp, LinearOp, OutputOp
from nirc.dialects.nir_graph import GraphOp, node_name_of
from nirc.dialects.snn_layer import LayerOp

from .partition_solver import LayerDemand, Projection, partition
from .records import record_attr, record_values

LIMIT_FIELDS = ("cores", "neurons_per_core", "synapses_per_core", "fan_in",
                "destinations_per_core", "multicast")


@dataclass(frozen=True)
class Partition(ModulePass):
    """Place layer slices on cores (see the module docstring)."""

    name = "partition"

    target: str = "generic"
    cores: int | None = None
    neurons_per_core: int | None = None
    synapses_per_core: int | None = None
    fan_in: int | None = None
    destinations_per_core: int | None = None
    multicast: bool | None = None
    rate: float = 0.1
    """estimated spikes per neuron per step, for the traffic estimate."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        model = self.resource_model()
        from .group_layers import NEURON_OPS

        layers = layer_ops(op)
        loose = [o for o in op.walk() if isinstance(o, NEURON_OPS)
                 and not isinstance(o.parent_op(), LayerOp)]
        if loose:
            raise NircError("partition places snn.layer ops, and this neuron is not in one: "
                            "run 'fuse' first", node=node_name_of(loose[0]))
        demands, projections = describe(layers, self.rate)
        result = partition(demands, projections, model)
        by_layer: dict[str, list[list[int]]] = {}
        for s in result.slices:
            by_layer.setdefault(s.layer, []).append([s.start, s.stop, s.core])
        for layer in layers:
            rows = np.array(sorted(by_layer[layer.layer_name]), dtype=np.int64).reshape(-1, 3)
            layer.properties["cores"] = to_dense(rows)
        op.attributes["nirc.partition"] = record_attr({
            "target": model.name, "cores_used": len(result.per_core),
            "lower_bound_cores": result.lower_bound_cores, "traffic": float(result.traffic),
            "neurons_per_core": model.neurons_per_core,
            "synapses_per_core": model.synapses_per_core or 0,
        })

    def resource_model(self):
        from nirc.targets import make_target

        model = make_target(self.target).resources()
        if model is None:
            raise NircError(f"target '{self.target}' has no cores to partition over")
        overrides = {f: getattr(self, f) for f in LIMIT_FIELDS if getattr(self, f) is not None}
        return model.with_options(**overrides)


def layer_ops(module: ModuleOp) -> list[LayerOp]:
    return [op for op in module.walk() if isinstance(op, LayerOp)]


def describe(layers: list[LayerOp], rate: float) -> tuple[list[LayerDemand], list[Projection]]:
    """The solver's view of the layers: demands and the projections between them."""
    demands, projections = [], []
    for layer in layers:
        neuron = layer.neuron()
        neurons = int(np.prod(neuron.results[0].type.get_shape()))
        fan_in = per_neuron = shared = 0
        for synapse in layer.synapses():
            f, p, s = _synapse_cost(synapse)
            fan_in, per_neuron, shared = fan_in + f, per_neuron + p, shared + s
            projections.extend(_projections(layer, synapse))
        if any(isinstance(v, BlockArgument) for v in neuron.operands):
            fan_in, per_neuron = fan_in + 1, per_neuron + 1  # a direct one-to-one input
            projections.extend(_identity_projections(layer, neuron, neurons))
        demands.append(LayerDemand(layer.layer_name, neurons, fan_in, per_neuron, shared, rate))
    return demands, projections


def _synapse_cost(op) -> tuple[int, int, int]:
    """(fan-in per neuron, synapse entries per neuron, entries shared per core)."""
    weight = op.array("weight")
    if isinstance(op, AffineOp | LinearOp):
        rows = weight.reshape(weight.shape[0], -1) if weight.ndim > 1 else weight.reshape(1, -1)
        return int(np.count_nonzero(rows, axis=1).max(initial=0)), rows.shape[1], 0
    if isinstance(op, Conv1dOp | Conv2dOp):
        per_neuron = int(np.prod(weight.shape[1:]))  # c_in / groups * kernel
        return per_neuron, 0, int(weight.size)
    raise NircError(f"'{op.name}' is not a synapse the partitioner can place",
                    node=node_name_of(op))


def _source_layer(layer: LayerOp, value) -> str | None:
    """The layer that produces ``value`` (a block argument or the layer's own neuron)."""
    if isinstance(value, BlockArgument):
        outer = layer.inputs[value.index].owner
        return outer.layer_name if isinstance(outer, LayerOp) else None
    if value.owner is layer.neuron():
        return layer.layer_name
    return None


def _projections(layer: LayerOp, synapse) -> list[Projection]:
    mask = None
    if isinstance(synapse, AffineOp | LinearOp):
        weight = synapse.array("weight")
        mask = (weight.reshape(weight.shape[0], -1) != 0) if weight.ndim > 1 else None
    targets = int(np.prod(layer.outputs[0].type.get_shape()))
    out = []
    for value in synapse.operands:
        source = _source_layer(layer, value)
        if source is not None:
            sources = int(np.prod(value.type.get_shape()))
            exact = mask is not None and mask.shape == (targets, sources)
            out.append(Projection(source, layer.layer_name, mask if exact else None))
    return out


def _identity_projections(layer: LayerOp, neuron, neurons: int) -> list[Projection]:
    return [Projection(source, layer.layer_name, np.eye(neurons, dtype=bool))
            for v in neuron.operands if isinstance(v, BlockArgument)
            if (source := _source_layer(layer, v)) is not None]


def core_plan(module: ModuleOp) -> dict:
    """The placement written by ``partition``, per core, for reports and emitters."""
    info = module.attributes.get("nirc.partition")
    if not isinstance(info, DictionaryAttr):
        raise NircError("the module is not partitioned (run 'partition')")
    layers = layer_ops(module)
    demands, _ = describe(layers, 0.0)
    cores: dict[int, dict] = {}
    for layer, demand in zip(layers, demands):
        for start, stop, core in layer.core_slices():
            entry = cores.setdefault(core, {"core": core, "neurons": 0, "synapses": 0,
                                            "slices": [], "_shared": set()})
            entry["neurons"] += stop - start
            entry["synapses"] += (stop - start) * demand.synapse_entries_per_neuron
            if demand.shared_synapse_entries and layer.layer_name not in entry["_shared"]:
                entry["_shared"].add(layer.layer_name)
                entry["synapses"] += demand.shared_synapse_entries
            entry["slices"].append({"layer": layer.layer_name, "start": start, "stop": stop})
    rows = [{k: v for k, v in c.items() if k != "_shared"} for _, c in sorted(cores.items())]
    data = record_values(info)
    unplaced = [f"{node_name_of(op)} ({op.name})" for graph in _graphs(module)
                for op in graph.block.ops
                if not isinstance(op, LayerOp | InputOp | OutputOp | GraphOp)]
    return {**data, "cores": rows, "unplaced": unplaced, "table": _table(rows, data)}


def _graphs(module: ModuleOp) -> list[GraphOp]:
    return [op for op in module.walk() if isinstance(op, GraphOp)]


def _table(rows: list[dict], limits: dict) -> str:
    """One line per core: neurons and synapse entries used, with % of the limit."""
    def use(n: int, limit: int) -> str:
        return f"{n} ({100 * n / limit:.0f}%)" if limit else str(n)

    lines = [f"{'core':>5} {'neurons':>14} {'synapses':>16}  slices"]
    for r in rows:
        slices = ", ".join(f"{s['layer']}[{s['start']}:{s['stop']}]" for s in r["slices"])
        lines.append(f"{r['core']:>5} {use(r['neurons'], limits['neurons_per_core']):>14} "
                     f"{use(r['synapses'], limits['synapses_per_core']):>16}  {slices}")
    return "\n".join(lines) + "\n"
