"""``group-layers``: wrap each neuron op and the synapse ops that only feed it into an
``snn.layer`` (see dialects/snn_layer.py); ``ungroup_layers`` undoes it.

A synapse op (nir.affine, nir.linear, nir.conv1d, nir.conv2d) joins the layer of the
neuron that reads it when that neuron is its only user: the layer's input weights
(whatever feeds them) and its recurrent weights (which read the neuron itself).  A
synapse read by several ops, or by an Output, stays outside; so do delays,
thresholds, pooling and Input/Output nodes.  Node names, operands and the order of
operands are kept, so the grouped module computes exactly what the ungrouped one did
(the interpreter ungroups before planning).
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass

from nirc.dialects import nir as nir_ops
from nirc.dialects import snn
from nirc.dialects.nir_graph import GraphOp
from nirc.dialects.snn_layer import LayerOp

NEURON_OPS = (nir_ops.LIOp, nir_ops.LIFOp, nir_ops.CubaLIOp, nir_ops.CubaLIFOp, nir_ops.IOp,
              nir_ops.IFOp, snn.LIOp, snn.LIFOp, snn.CubaLIOp, snn.CubaLIFOp, snn.IOp, snn.IFOp)
SYNAPSE_OPS = (nir_ops.AffineOp, nir_ops.LinearOp, nir_ops.Conv1dOp, nir_ops.Conv2dOp)


def group_layers(module: ModuleOp) -> int:
    """Group every graph of ``module``; returns the number of layers made."""
    made = 0
    for graph in [op for op in module.walk() if isinstance(op, GraphOp)]:
        for neuron in [op for op in graph.block.ops if isinstance(op, NEURON_OPS)]:
            _group(graph.block, neuron)
            made += 1
    return made


def _group(block: Block, neuron: Operation) -> LayerOp:
    members = {neuron}
    for value in neuron.operands:
        owner = value.owner
        if (isinstance(owner, SYNAPSE_OPS) and owner.parent_block() is block
                and all(use.operation is neuron for use in owner.results[0].uses)):
            members.add(owner)
    ordered = [op for op in block.ops if op in members]
    externals: list[SSAValue] = []
    for op in ordered:
        for value in op.operands:
            if value.owner not in members and value not in externals:
                externals.append(value)
    anchor = next((op for op in _after(neuron) if op not in members), None)
    inner = Block(arg_types=[v.type for v in externals])
    for arg, value in zip(inner.args, externals):
        arg.name_hint = value.name_hint
    for op in ordered:
        op.detach()
        inner.add_op(op)
    for op in ordered:
        for index, value in enumerate(op.operands):
            if value in externals:
                op.operands[index] = inner.args[externals.index(value)]
    name = neuron.properties["node_name"].data
    layer = LayerOp.build(name, externals, inner, neuron.results[0].type)
    if anchor is None:
        block.add_op(layer)
    else:
        block.insert_op_before(layer, anchor)
    neuron.results[0].replace_uses_with_if(
        layer.results[0], lambda use: use.operation.parent_block() is not inner)
    layer.results[0].name_hint = neuron.results[0].name_hint
    return layer


def _after(op: Operation):
    op = op.next_op
    while op is not None:
        yield op
        op = op.next_op


def ungroup_layers(module: ModuleOp) -> int:
    """Inline every ``snn.layer`` into its graph (the inverse of ``group_layers``)."""
    layers = [op for op in module.walk() if isinstance(op, LayerOp)]
    for layer in layers:
        block = layer.parent_block()
        neuron = layer.neuron()
        for arg, value in zip(layer.block.args, layer.inputs):
            arg.replace_all_uses_with(value)
        for op in list(layer.block.ops):
            op.detach()
            block.insert_op_before(op, layer)
        layer.results[0].replace_all_uses_with(neuron.results[0])
        layer.detach()
        layer.erase()
    return len(layers)


class GroupLayers(ModulePass):
    """Wrap each neuron and the synapses that only feed it into an ``snn.layer``."""

    name = "group-layers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if any(isinstance(o, LayerOp) for o in op.walk()):
            return  # already grouped: the pass is idempotent
        group_layers(op)
