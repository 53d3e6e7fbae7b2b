"""``snn.layer``: one neuron population with the synapses that feed it.

``fuse`` groups each neuron op with the synapse ops whose only use is that neuron
(its input Affine/Linear/Conv, its recurrent Linear) into a layer: the unit that the
partitioner slices over cores and that the emitters turn into a chip's layer.  A
layer changes no behaviour: its region holds the same node ops, with the same names,
that the graph held before, and the interpreter simply inlines it again.

Syntax (the region is a graph region: a recurrent edge uses a value defined below)::

    %lif1 = snn.layer "lif1" (%x) -> (tensor<38xf32>) attributes {...} {
    ^bb0(%a: tensor<12xf32>):
      %fc1 = nir.affine "fc1" (%a) {...} : tensor<12xf32> -> tensor<38xf32>
      %n = snn.cuba_lif "lif1" (%fc1, %rec) {...} : tensor<38xf32> -> tensor<38xf32>
      %rec = nir.linear "w_rec" (%n) {...} : tensor<38xf32> -> tensor<38xf32>
    }

Operand k is bound to block argument k (used by any inner ops).  The layer's one
result is the output of the inner op named like the layer (the neuron).  After
``partition`` a ``cores`` property says where its neurons live.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, DictionaryAttr, StringAttr, TensorType
from xdsl.ir import Block, Region
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from .nir_base import NodeOp
from .nir_graph import RegionNodeSyntax, _defining_block, node_name_of


@irdl_op_definition
class LayerOp(RegionNodeSyntax, IRDLOperation):
    """A neuron op and its synapse ops; see the module docstring."""

    name = "snn.layer"

    node_name = prop_def(StringAttr)
    quant = opt_prop_def(DictionaryAttr)
    """From ``quantize``: the scheme and its measured error (weight SQNR, agreement)."""
    cores = opt_prop_def(DenseIntOrFPElementsAttr)
    """From ``partition``: int64 rows [start, stop, core]; the neurons start..stop-1 of
    the flattened neuron array live on that core; every neuron exactly once."""
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    @property
    def is_nested(self) -> bool:
        return True  # the syntax always prints the operand list

    @property
    def block(self) -> Block:
        return self.body.block

    @property
    def layer_name(self) -> str:
        return self.node_name.data

    @property
    def label(self) -> str:
        return f"'{self.layer_name}' (snn.layer)"

    def ops(self) -> list[NodeOp]:
        return list(self.block.ops)  # type: ignore[arg-type]

    def neuron(self) -> NodeOp:
        """The inner op whose output is the layer's output (named like the layer)."""
        for op in self.block.ops:
            if node_name_of(op) == self.layer_name:
                return op  # type: ignore[return-value]
        raise self.error(f"no inner node is named '{self.layer_name}'")

    def yields(self, op) -> bool:
        """Whether ``op`` is the node whose output is the layer's result (its neuron):
        read by ``NodeEffects`` so that dce keeps it (see nir_base.py)."""
        return node_name_of(op) == self.layer_name

    def synapses(self) -> list[NodeOp]:
        """The inner ops other than the neuron, in block order."""
        neuron = self.neuron()
        return [op for op in self.block.ops if op is not neuron]  # type: ignore[misc]

    def recurrent(self) -> list[NodeOp]:
        """Synapse ops that read the layer's own neuron (recurrent weights)."""
        neuron = self.neuron()
        return [op for op in self.synapses() if any(v.owner is neuron for v in op.operands)]

    def error(self, message: str) -> VerifyException:
        return VerifyException(f"layer {self.label}: {message}")

    def verify_(self) -> None:
        if len(self.outputs) != 1:
            raise self.error(f"has {len(self.outputs)} results, expected 1")
        if len(self.block.args) != len(self.inputs):
            raise self.error(f"{len(self.inputs)} operands but {len(self.block.args)} block arguments")
        self.verify_operand_types()
        names: set[str] = set()
        for op in self.block.ops:
            if not isinstance(op, NodeOp) or not op.HAS_RESULT or op.name in ("nir.input",):
                raise self.error(f"'{op.name}' cannot be part of a layer")
            name = node_name_of(op)
            if name in names:
                raise self.error(f"duplicate node name '{name}'")
            names.add(name)  # type: ignore[arg-type]
            for value in op.operands:
                if _defining_block(value) is not self.block:
                    raise self.error(f"node '{name}' takes an edge from outside the layer; "
                                     "edges enter through the layer's operands")
        neuron = self.neuron()
        if self.cores is not None:
            self._verify_cores(int(np.prod(self.outputs[0].type.get_shape())))
        if neuron.results[0].type != self.outputs[0].type:
            raise self.error(f"result type {self.outputs[0].type} differs from node "
                             f"'{self.layer_name}''s {neuron.results[0].type}")

    def core_slices(self) -> list[tuple[int, int, int]]:
        """``cores`` as (start, stop, core) tuples ([] before ``partition``)."""
        if self.cores is None:
            return []
        from .arrays import to_numpy

        return [tuple(row) for row in to_numpy(self.cores).reshape(-1, 3).tolist()]

    def _verify_cores(self, neurons: int) -> None:
        from .arrays import to_numpy

        rows = to_numpy(self.cores)
        if rows.dtype != np.int64 or rows.ndim != 2 or rows.shape[1] != 3:
            raise self.error(f"'cores' must be int64 rows [start, stop, core], found "
                             f"{rows.dtype}{list(rows.shape)}")
        covered = np.zeros(neurons, np.int64)
        for start, stop, core in rows.tolist():
            if not 0 <= start < stop <= neurons or core < 0:
                raise self.error(f"'cores' row [{start}, {stop}, {core}] is not a slice of "
                                 f"{neurons} neurons on a core >= 0")
            covered[start:stop] += 1
        if np.any(covered != 1):
            n = int(np.flatnonzero(covered != 1)[0])
            raise self.error(f"'cores' places neuron {n} on {covered[n]} cores, expected 1")

    @staticmethod
    def build(name: str, inputs: list, block: Block, result_type) -> LayerOp:
        return LayerOp.create(operands=inputs, result_types=[result_type],
                              properties={"node_name": StringAttr(name)}, regions=[Region(block)])
