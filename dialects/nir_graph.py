"""``nir.graph``: a NIR graph (the file's root graph, or a nested NIRGraph node).

The body is one block of node ops in which values may be used before they are
defined (a graph region, as in MLIR): an edge that closes a cycle is simply a use of a
value defined further down.  Node order carries no meaning.

Root graph (directly in a module)::

    nir.graph attributes {metadata = {...}} { <node ops> }

Nested graph (a node of its parent graph)::

    %s:2 = nir.graph "sub" (%a, %b) -> (tensor<3xf32>, tensor<4xf32>)
             attributes {in_ports = ["", "in2"], out_ports = ["", "out2"]} {
    ^bb0(%x: tensor<3xf32>, %y: tensor<3xf32>):
      %in = nir.input "in" (%x) : tensor<3xf32> -> tensor<3xf32>
      ...
    }

Operand k is one edge into the subgraph; it is bound to block argument k, which is
used by exactly one inner node: the one named ``in_ports[k]``.  Result j is one edge
source leaving the subgraph: the output of the inner node named ``out_ports[j]``.  A
port ``""`` means the subgraph's only Input (resp. Output) node, written in a .nir
file as an edge to (from) the subgraph's own name; a port ``"p"`` is written
``"<sub>.p"``.  This keeps the file's edge spelling exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, StringAttr, TensorType
from xdsl.ir import Block, BlockArgument, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    region_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from .nir_base import NodeOp


class RegionNodeSyntax:
    """The custom syntax of an op holding a graph region: ``"<name>" (<operands>)
    -> (<result types>) attributes {<properties>} { ^bb0(<args>): <ops> }``.  Operand k
    is bound to block argument k."""

    def verify_operand_types(self) -> None:
        for k, (operand, arg) in enumerate(zip(self.inputs, self.regions[0].block.args)):
            if operand.type != arg.type:
                raise self.error(f"operand {k} has type {operand.type}, its block argument {arg.type}")

    def print(self, printer: Printer) -> None:
        if self.node_name is not None:
            printer.print_string(" ")
            printer.print_string_literal(self.node_name.data)
        if self.inputs or self.is_nested:
            printer.print_string(" (")
            printer.print_list(self.inputs, printer.print_operand)
            printer.print_string(")")
        if self.outputs:
            printer.print_string(" -> (")
            printer.print_list([r.type for r in self.outputs], printer.print_attribute)
            printer.print_string(")")
        props = {k: v for k, v in self.properties.items() if k != "node_name"}
        if props:
            printer.print_string(" attributes ")
            printer.print_attr_dict(props)
        printer.print_string(" ")
        printer.print_region(self.regions[0], print_entry_block_args=bool(self.regions[0].block.args),
                             print_empty_block=False)

    @classmethod
    def parse(cls, parser: Parser):
        name = parser.parse_optional_str_literal()
        operands = []
        if parser.parse_optional_punctuation("(") is not None:
            if parser.parse_optional_punctuation(")") is None:
                operands = parser.parse_comma_separated_list(
                    parser.Delimiter.NONE, parser.parse_unresolved_operand
                )
                parser.parse_punctuation(")")
        result_types = []
        if parser.parse_optional_punctuation("->") is not None:
            result_types = parser.parse_comma_separated_list(
                parser.Delimiter.PAREN, parser.parse_type
            )
        props = parser.parse_optional_attr_dict_with_keyword()
        props = dict(props.data) if props else {}
        region = parser.parse_region()
        if not region.blocks:
            region.add_block(Block())
        args = region.block.args
        if len(args) != len(operands):
            parser.raise_error(f"{len(operands)} operands but {len(args)} block arguments")
        values = [parser.resolve_operand(o, a.type) for o, a in zip(operands, args)]
        if name is not None:
            props["node_name"] = StringAttr(name)
        return cls.create(operands=values, result_types=result_types,
                          properties=props, regions=[region])


@irdl_op_definition
class GraphOp(RegionNodeSyntax, IRDLOperation):
    """A NIR graph; see the module docstring for ports and syntax."""

    name = "nir.graph"
    NIR_TYPE: ClassVar = "NIRGraph"

    node_name = opt_prop_def(StringAttr)
    in_ports = opt_prop_def(ArrayAttr[StringAttr])
    out_ports = opt_prop_def(ArrayAttr[StringAttr])
    metadata = opt_prop_def(DictionaryAttr)
    edge_order = opt_prop_def(ArrayAttr)  # [[source, target], ...]: the file's edge order
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    # ---- structure ----------------------------------------------------------------
    @property
    def block(self) -> Block:
        return self.body.block

    @property
    def is_nested(self) -> bool:
        return isinstance(self.parent_op(), GraphOp)

    @property
    def label(self) -> str:
        name = self.node_name.data if self.node_name else "<root>"
        return f"'{name}' (NIRGraph)"

    def nodes(self) -> Iterator[NodeOp | GraphOp]:
        """The graph's nodes (node ops and nested graphs), in block order."""
        for op in self.block.ops:
            yield op  # type: ignore[misc]

    def node_named(self, name: str) -> NodeOp | GraphOp | None:
        for op in self.block.ops:
            if node_name_of(op) == name:
                return op  # type: ignore[return-value]
        return None

    def port_node(self, port: str, kind: type[NodeOp]) -> NodeOp | GraphOp | None:
        """The inner node a port names: ``""`` is the only node of ``kind``."""
        if port:
            return self.node_named(port)
        candidates = [op for op in self.block.ops if isinstance(op, kind)]
        return candidates[0] if len(candidates) == 1 else None

    @property
    def in_port_names(self) -> list[str]:
        return [p.data for p in self.in_ports.data] if self.in_ports else []

    @property
    def out_port_names(self) -> list[str]:
        return [p.data for p in self.out_ports.data] if self.out_ports else []

    def error(self, message: str) -> VerifyException:
        return VerifyException(f"graph {self.label}: {message}")

    # ---- verification -------------------------------------------------------------
    def verify_(self) -> None:
        from .nir import InputOp, OutputOp
        from .snn_layer import LayerOp

        seen: set[str] = set()
        for op in self.block.ops:
            if not isinstance(op, NodeOp | GraphOp | LayerOp):
                raise self.error(f"'{op.name}' is not a NIR node op")
            name = node_name_of(op)
            if name is None:
                raise self.error("a nested nir.graph needs a node name")
            if name in seen:
                raise self.error(f"duplicate node name '{name}'")
            seen.add(name)
            for value in op.operands:
                if _defining_block(value) is not self.block:
                    raise self.error(
                        f"node '{name}' takes an edge from outside its graph; edges "
                        "into a subgraph go through the nested nir.graph's operands"
                    )
        if not self.is_nested:
            if self.inputs or self.outputs or self.block.args:
                raise self.error("a root graph has no operands, results or block arguments")
            for op in self.block.ops:
                if isinstance(op, InputOp) and op.inputs:
                    raise op.error("a root graph's Input node takes no incoming edge")
            return
        self._verify_ports(InputOp, OutputOp)

    def _verify_ports(self, input_kind: type[NodeOp], output_kind: type[NodeOp]) -> None:
        ins, outs = self.in_port_names, self.out_port_names
        if len(ins) != len(self.inputs) or len(self.block.args) != len(self.inputs):
            raise self.error(
                f"{len(self.inputs)} operands, {len(self.block.args)} block arguments "
                f"and {len(ins)} in_ports must agree"
            )
        self.verify_operand_types()
        for k, (arg, port) in enumerate(zip(self.block.args, ins)):
            target = self.port_node(port, input_kind)
            if target is None:
                raise self.error(f"in_port {k} '{port}' names no inner node" if port else
                                 "an edge enters through '' but the subgraph has not exactly one Input node")
            users = [use.operation for use in arg.uses]
            if users != [target]:
                raise self.error(f"block argument {k} must be used once, by node '{node_name_of(target)}'")
        if len(outs) != len(self.outputs):
            raise self.error(f"{len(self.outputs)} results but {len(outs)} out_ports")
        for j, (result, port) in enumerate(zip(self.outputs, outs)):
            source = self.port_node(port, output_kind)
            if source is None:
                raise self.error(f"out_port {j} '{port}' names no inner node" if port else
                                 "an edge leaves through '' but the subgraph has not exactly one Output node")
            shape = port_output_shape(source)
            if shape is not None and tuple(result.type.get_shape()) != shape:
                raise self.error(f"result {j} has shape {list(result.type.get_shape())} but port "
                                 f"'{node_name_of(source)}' produces {list(shape)}")

    @staticmethod
    def build_graph(name: str | None, block: Block, **props) -> GraphOp:
        """Create a graph op around ``block`` (operands/results added by the caller)."""
        properties = {k: v for k, v in props.items() if v is not None}
        if name is not None:
            properties["node_name"] = StringAttr(name)
        return GraphOp.create(properties=properties, regions=[Region(block)])


def node_name_of(op: Operation) -> str | None:
    """The NIR node name of a node op or nested graph (None for a root graph)."""
    attr = op.properties.get("node_name")
    return attr.data if isinstance(attr, StringAttr) else None


def port_output_shape(op: Operation) -> tuple[int, ...] | None:
    """The shape a node sends on its outgoing edges (an Output node: its ``shape``)."""
    if isinstance(op, NodeOp) and not op.HAS_RESULT:
        return op.expected_input_shape()
    if op.results and len(op.results) == 1:
        return tuple(op.results[0].type.get_shape())
    return None


def _defining_block(value: SSAValue) -> Block | None:
    if isinstance(value, BlockArgument):
        return value.block
    return value.owner.parent_block()
