"""``nir.NIRGraph`` -> ``nir`` dialect module, keeping every name, field and edge.

Edges become SSA uses: each node op's operands are its incoming edges (file order).
Shapes are inferred to a fixed point: a node's input shape comes from its own
parameters (weights, neuron arrays, Input shape, conv input_shape) or from any
predecessor whose output shape is known, so cycles are no obstacle.  Edges into or
out of a nested graph become operands/results of its ``nir.graph`` op, each with the
port spelling used in the file (see ``dialects/nir_graph.py``).  An Input/Output whose
shape is only a reshape of its signal's, and an edge naming a node of one subgraph or
a renamed node, are read as meant, with a warning (nirc/plain_intent.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import nir
import numpy as np
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp, StringAttr, ArrayAttr
from xdsl.ir import Attribute, Block, SSAValue
from xdsl.utils.exceptions import VerifyException

from nirc.dialects.arrays import UnsupportedDtype, to_dense
from nirc.dialects.nir import OP_FOR_NIR_TYPE, GraphOp, InputOp, OutputOp, io_shape
from nirc.dialects.nir_base import NodeOp, Shape, signal_type, ssa_name_hint
from nirc.dialects.nir_graph import port_output_shape

from .diagnostics import NircError
from .plain_intent import renamed_endpoint, reshaped, subgraph_endpoint


def import_graph(graph: nir.NIRGraph) -> ModuleOp:
    """The module holding ``graph`` as one root ``nir.graph``."""
    return ModuleOp([_GraphBuilder(graph, path="").build(None, [], [])])


@dataclass
class Endpoint:
    """One end of an edge: a node of this graph, plus a port if it is a subgraph."""

    node: str
    port: str | None = None  # None: not a subgraph; "" its only Input/Output


@dataclass
class _GraphBuilder:
    graph: nir.NIRGraph
    path: str
    edges: list[tuple[Endpoint, Endpoint]] = field(default_factory=list)

    def qualified(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, message: str, node: str | None = None, fld: str | None = None) -> NircError:
        return NircError(message, node=self.qualified(node) if node else (self.path or None), field=fld)

    # ---- edges --------------------------------------------------------------------
    def resolve(self, name: str, edge: tuple[str, str]) -> Endpoint:
        nodes = self.graph.nodes
        if name in nodes:
            return Endpoint(name, "" if isinstance(nodes[name], nir.NIRGraph) else None)
        for i, ch in enumerate(name):
            prefix, port = name[:i], name[i + 1 :]
            if ch == "." and isinstance(nodes.get(prefix), nir.NIRGraph) and port in nodes[prefix].nodes:
                return Endpoint(prefix, port)
        inside = subgraph_endpoint(nodes, name, edge, self.path)
        if inside is None:
            inside = renamed_endpoint(nodes, self.graph.edges, name, edge, self.path)
        if inside is not None:
            return self.resolve(inside, edge)
        raise self.error(f"edge {edge} refers to node '{name}', which does not exist (dangling edge)")

    def resolve_edges(self) -> None:
        seen = set()
        for raw in self.graph.edges:
            edge = (str(raw[0]), str(raw[1]))
            if edge in seen:
                raise self.error(f"duplicate edge {edge}")
            seen.add(edge)
            source, dest = self.resolve(edge[0], edge), self.resolve(edge[1], edge)
            if source.port is None and isinstance(self.graph.nodes[source.node], nir.Output):
                raise self.error(f"edge {edge} leaves an Output node; an Output has no "
                                 "outgoing edges", node=source.node)
            self.edges.append((source, dest))

    # ---- build --------------------------------------------------------------------
    def build(self, name: str | None, in_ports: list[str], out_ports: list[str]) -> GraphOp:
        self.resolve_edges()
        ops: dict[str, NodeOp | GraphOp] = {}
        for key, node in self.graph.nodes.items():
            if isinstance(node, nir.NIRGraph):
                ins = [d.port for s, d in self.edges if d.node == key]
                outs = list(dict.fromkeys(s.port for s, d in self.edges if s.node == key))
                sub = _GraphBuilder(node, self.qualified(key))
                ops[key] = sub.build(key, ins, outs)  # type: ignore[arg-type]
            else:
                ops[key] = self.node_op(key, node)
        self.reshape_inputs(ops)
        shapes = self.infer_shapes(ops)
        self.reshape_outputs(ops, shapes)
        final: dict[str, NodeOp | GraphOp] = {}
        for key, op in ops.items():
            if isinstance(op, NodeOp) and op.HAS_RESULT:
                op = type(op).create(properties=dict(op.properties),
                                     result_types=[signal_type(shapes[key])])
            final[key] = op
        block = Block(arg_types=[self.port_arg_type(final, p) for p in in_ports])
        for key in self.schedule():
            op = final[key]
            if op.results and len(op.results) == 1:
                op.results[0].name_hint = ssa_name_hint(key)
            incoming = [self.value(final, s) for s, d in self.edges if d.node == key]
            if isinstance(op, GraphOp):
                op.operands = incoming
            else:
                extra = [a for a, p in zip(block.args, in_ports) if self.port_target(final, p) is op]
                op.operands = incoming + extra
            block.add_op(op)
        graph_op = GraphOp.build_graph(
            name, block,
            metadata=metadata_attr(self.graph.metadata, self.path),
            in_ports=ArrayAttr([StringAttr(p) for p in in_ports]) if name is not None else None,
            out_ports=ArrayAttr([StringAttr(p) for p in out_ports]) if name is not None else None,
        )
        self.record_edge_order(graph_op)
        result_types = []
        for port in out_ports:
            source = self.port_source(final, port)
            result_types.append(signal_type(port_output_shape(source)))
        return _with_results(graph_op, result_types)

    def record_edge_order(self, graph_op: GraphOp) -> None:
        """Keep the file's edge order where the IR's (node order, then operand order)
        differs: the graph's ``edge_order``, which export follows, so import -> export
        writes the edges as the file had them (and text diffs of re-exported files show
        no reordering)."""
        from .exporter import graph_edges

        def spelled(end: Endpoint) -> str:
            return f"{end.node}.{end.port}" if end.port else end.node

        in_file = [(spelled(s), spelled(d)) for s, d in self.edges]
        if graph_edges(graph_op) != in_file:
            graph_op.properties["edge_order"] = ArrayAttr(
                [ArrayAttr([StringAttr(a), StringAttr(b)]) for a, b in in_file])

    def schedule(self) -> list[str]:
        """Node keys in topological order of the acyclic condensation (file order
        breaks ties and orders nodes within a cycle), so the IR reads from inputs to
        outputs.  Order carries no meaning; it only makes the text readable."""
        order = {key: i for i, key in enumerate(self.graph.nodes)}
        g = nx.DiGraph()
        g.add_nodes_from(order)
        g.add_edges_from((s.node, d.node) for s, d in self.edges)
        dag = nx.condensation(g)
        first = {c: min(order[k] for k in dag.nodes[c]["members"]) for c in dag.nodes}
        keys = []
        for c in nx.lexicographical_topological_sort(dag, key=first.__getitem__):
            keys.extend(sorted(dag.nodes[c]["members"], key=order.__getitem__))
        return keys

    def port_target(self, ops, port: str):
        if port:
            return ops[port]
        targets = [op for op in ops.values() if isinstance(op, InputOp)]
        if len(targets) != 1:
            raise self.error(f"an edge enters subgraph '{self.path}' by its name, but it has "
                             f"{len(targets)} Input nodes (write '<graph>.<input>')")
        return targets[0]

    def port_source(self, ops, port: str):
        if port:
            return ops[port]
        sources = [op for op in ops.values() if isinstance(op, OutputOp)]
        if len(sources) != 1:
            raise self.error(f"an edge leaves subgraph '{self.path}' by its name, but it has "
                             f"{len(sources)} Output nodes (write '<graph>.<output>')")
        return sources[0]

    def port_arg_type(self, ops, port: str) -> Attribute:
        target = self.port_target(ops, port)
        shape = target.input_shape if isinstance(target, NodeOp) and target.inputs else None
        if shape is None and isinstance(target, NodeOp):
            shape = target.expected_input_shape()
        if shape is None:
            raise self.error("cannot infer the input shape of this subgraph port",
                             node=port or None)
        return signal_type(shape)

    @staticmethod
    def value(ops, source: Endpoint) -> SSAValue:
        op = ops[source.node]
        if isinstance(op, GraphOp):
            return op.outputs[op.out_port_names.index(source.port)]
        return op.results[0]

    # ---- nodes --------------------------------------------------------------------
    def node_op(self, key: str, node: nir.NIRNode) -> NodeOp:
        kind = type(node).__name__
        op_class = OP_FOR_NIR_TYPE.get(kind)
        if op_class is None:
            raise self.error(f"unknown node type '{kind}'", node=key)
        props: dict[str, Attribute] = {"node_name": StringAttr(key)}
        for name in op_class.FIELDS:
            value = _field_value(node, name)
            if value is None:
                if name in op_class.OPTIONAL_FIELDS:
                    continue
                raise self.error("required field is missing", node=key, fld=name)
            try:
                props[name] = StringAttr(value) if isinstance(value, str) else to_dense(value)
            except UnsupportedDtype as e:
                raise self.error(str(e), node=key, fld=name) from None
        if node.metadata:
            props["metadata"] = metadata_attr(node.metadata, self.qualified(key))
        # the result type is fixed after shape inference
        return op_class.create(properties=props,
                               result_types=[signal_type(())] if op_class.HAS_RESULT else [])

    # ---- Input/Output shapes that are reshapes (nirc/plain_intent.py) -------------
    def reshape_inputs(self, ops) -> None:
        """An Input whose shape differs from the one all its successors' parameters
        fix, with the same size, takes that shape (with a warning).  Top level only: a
        subgraph's Input is fed through a port, whose shape the parent checks."""
        for key, op in list(ops.items()):
            if self.path or not isinstance(op, InputOp):
                continue
            succ = list(dict.fromkeys(d.node for s, d in self.edges if s.node == key))
            targets = [ops[d] for d in succ]
            if not targets or not all(isinstance(t, NodeOp) for t in targets):
                continue
            wants = {_quiet(t.expected_input_shape) for t in targets}
            if len(wants) != 1 or None in wants:
                continue
            other = (f"its successor '{succ[0]}' expects" if len(succ) == 1
                     else "its successors expect")
            ops[key] = self.with_shape(op, key, wants.pop(), other)

    def reshape_outputs(self, ops, shapes: dict[str, Shape]) -> None:
        """An Output whose shape differs from the one its input delivers, with the
        same size, takes the delivered shape (with a warning)."""
        for key, op in list(ops.items()):
            if not isinstance(op, OutputOp):
                continue
            known = {self.source_shape(ops, shapes, s) for s, d in self.edges if d.node == key}
            if len(known) == 1:
                ops[key] = self.with_shape(op, key, known.pop(), "its input delivers")

    def with_shape(self, op: NodeOp, key: str, shape: Shape | None, other: str) -> NodeOp:
        if _quiet(lambda: io_shape(op)) is None:
            return op  # a malformed shape field: the verifier reports it
        new = reshaped(op.array("shape"), shape, self.qualified(key), op.NIR_TYPE, other)
        if new is None:
            return op
        props = dict(op.properties)
        props["shape"] = to_dense(new)
        return type(op).create(properties=props, result_types=[r.type for r in op.results])

    @staticmethod
    def source_shape(ops, shapes: dict[str, Shape], s: Endpoint) -> Shape | None:
        op = ops[s.node]
        if isinstance(op, GraphOp):
            return tuple(op.outputs[op.out_port_names.index(s.port)].type.get_shape())
        if not op.HAS_RESULT:
            return None
        return shapes.get(s.node)

    def infer_shapes(self, ops) -> dict[str, Shape]:
        """Output shape of every node, by propagation along edges to a fixed point."""
        shapes: dict[str, Shape] = {}
        preds: dict[str, list[Endpoint]] = {k: [] for k in ops}
        for s, d in self.edges:
            preds[d.node].append(s)

        def source_shape(s: Endpoint) -> Shape | None:
            return self.source_shape(ops, shapes, s)

        changed = True
        while changed:
            changed = False
            for key, op in ops.items():
                if key in shapes or isinstance(op, GraphOp) or not op.HAS_RESULT:
                    continue
                in_shape = _safe(op.expected_input_shape, self, key)
                if in_shape is None:
                    known = [source_shape(s) for s in preds[key]]
                    in_shape = next((k for k in known if k is not None), None)
                out = _safe(lambda: op.infer_output_shape(in_shape), self, key)
                if out is not None:
                    shapes[key] = tuple(int(d) for d in out)
                    changed = True
        missing = [k for k, op in ops.items() if isinstance(op, NodeOp) and op.HAS_RESULT and k not in shapes]
        if missing:
            raise self.error(
                "cannot infer the output shape: no incoming edge has a known shape "
                "and its parameters do not fix one", node=missing[0])
        return shapes


def _safe(fn, builder: _GraphBuilder, key: str):
    try:
        return fn()
    except NircError:
        raise
    except VerifyException as e:  # a node's own rule (NodeError): names node and field
        raise NircError(str(e).splitlines()[0]) from None
    except Exception as e:
        raise builder.error(f"invalid parameters ({e})", node=key) from None


def _quiet(fn):
    """``fn()``, or None if it raises: the rule it broke is reported later, in order."""
    try:
        return fn()
    except Exception:
        return None


def _field_value(node: nir.NIRNode, name: str):
    if isinstance(node, nir.Input) and name == "shape":
        return node.input_type["input"]
    if isinstance(node, nir.Output) and name == "shape":
        return node.output_type["output"]
    if isinstance(node, nir.Flatten) and name == "input_type":
        return node.input_type.get("input")
    return getattr(node, name, None)


def _with_results(op: GraphOp, result_types: list[Attribute]) -> GraphOp:
    if not result_types:
        return op
    region = op.detach_region(op.body)
    return GraphOp.create(properties=dict(op.properties), result_types=result_types,
                          regions=[region])


def metadata_attr(metadata: dict | None, where: str) -> DictionaryAttr | None:
    """NIR metadata (str, numbers, bools, arrays, nested dicts) as a dictionary attr."""
    if not metadata:
        return None
    entries: dict[str, Attribute] = {}
    for key, value in metadata.items():
        if isinstance(value, bytes):
            value = value.decode("utf8")
        if isinstance(value, str):
            entries[str(key)] = StringAttr(value)
        elif isinstance(value, dict):
            entries[str(key)] = metadata_attr(value, where) or DictionaryAttr({})
        else:
            try:
                entries[str(key)] = to_dense(np.asarray(value))
            except UnsupportedDtype as e:
                raise NircError(f"metadata '{key}': {e}", node=where or None, field="metadata") from None
    return DictionaryAttr(entries)
