"""``nir`` dialect module -> ``nir.NIRGraph``: the inverse of ``importer``.

Nodes are rebuilt through the ``nir`` package's own constructors (``dict2NIRNode``),
exactly as ``nir.read`` builds them, so an exported graph equals the graph read from
the original file (names, types, fields with dtypes, edges, metadata).
"""

from __future__ import annotations

import nir
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, DictionaryAttr, ModuleOp, StringAttr
from xdsl.ir import Attribute, BlockArgument, OpResult, SSAValue

from nirc.dialects.arrays import to_python_value
from nirc.dialects.nir import GraphOp
from nirc.dialects.nir_base import NodeOp
from nirc.dialects.nir_graph import node_name_of

from .diagnostics import NircError


def root_graph(module: ModuleOp) -> GraphOp:
    """The module's only top-level ``nir.graph`` (a NIR file holds one root graph)."""
    roots = [op for op in module.ops if isinstance(op, GraphOp)]
    if len(roots) != 1:
        raise NircError(f"expected one top-level nir.graph, found {len(roots)}")
    return roots[0]


def export_module(module: ModuleOp) -> nir.NIRGraph:
    """The module's NIR graph; a module past the ``nir`` stage has none (stages.py)."""
    from .stages import no_nir_form, stage_of

    stage = stage_of(module)
    if stage != "nir":
        raise NircError(no_nir_form(stage))
    return export_graph(root_graph(module))


def export_graph(graph: GraphOp) -> nir.NIRGraph:
    nodes: dict[str, nir.NIRNode] = {}
    for op in graph.nodes():
        name = node_name_of(op)
        assert name is not None
        nodes[name] = export_graph(op) if isinstance(op, GraphOp) else export_node(op)
    edges = ordered_edges(graph)
    _reject_duplicate_edges(edges, graph)
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata_dict(graph.metadata),
                        type_check=False)


def graph_edges(graph: GraphOp) -> list[tuple[str, str]]:
    """The graph's edges as NIR names, in IR order: for each node in block order, its
    operands in order (a nested graph's edges from outside are listed by its parent)."""
    edges: list[tuple[str, str]] = []
    for op in graph.nodes():
        name = node_name_of(op)
        if isinstance(op, GraphOp):
            for operand, port in zip(op.inputs, op.in_port_names):
                edges.append((_source_name(operand), _port_name(name, port)))
            continue
        for operand in op.inputs:
            if not isinstance(operand, BlockArgument):  # from outside: the parent lists it
                edges.append((_source_name(operand), name))
    return edges


def ordered_edges(graph: GraphOp) -> list[tuple[str, str]]:
    """``graph_edges`` in the order of the imported file (the graph's ``edge_order``,
    which the importer records when the file's order differs from the IR's); edges that
    are not in it (added by a pass) follow in IR order."""
    edges = graph_edges(graph)
    if graph.edge_order is None:
        return edges
    rank = {(a.data, b.data): i for i, (a, b) in
            enumerate(pair.data for pair in graph.edge_order.data)}
    return sorted(edges, key=lambda e: rank.get(e, len(rank)))


def _reject_duplicate_edges(edges: list[tuple[str, str]], graph: GraphOp) -> None:
    """A node may use one value twice in the IR (its input counts twice), but NIR's
    edges are a set: such a graph has no .nir form, so say so instead of writing a
    file that nir.read (and nirc) reject."""
    seen = set()
    for edge in edges:
        if edge in seen:
            raise NircError(
                f"receives the edge from '{edge[0]}' twice; NIR edges are a set, so this "
                "sum cannot be written to a .nir file (fold it into a Scale or weight)",
                node=edge[1],
            )
        seen.add(edge)


def export_node(op: NodeOp) -> nir.NIRNode:
    data: dict = {"type": op.NIR_TYPE}
    for field in op.FIELDS:
        attr = op.field_attr(field)
        data[field] = None if attr is None else _value(attr)
    if op.NIR_TYPE == "Flatten" and data["input_type"] is None:
        del data["input_type"]
    meta = metadata_dict(op.metadata)
    if meta:
        data["metadata"] = meta
    try:
        return nir.dict2NIRNode(data)
    except Exception as e:
        raise NircError(f"cannot build a NIR {op.NIR_TYPE} ({e})", node=op.node_name.data) from None


def _value(attr: Attribute):
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, DenseIntOrFPElementsAttr):
        return to_python_value(attr)
    if isinstance(attr, DictionaryAttr):
        return metadata_dict(attr)
    raise NircError(f"attribute {attr} has no NIR value")


def metadata_dict(attr: DictionaryAttr | None) -> dict:
    if attr is None:
        return {}
    return {key: _value(value) for key, value in attr.data.items()}


def _port_name(graph_name: str, port: str) -> str:
    return f"{graph_name}.{port}" if port else graph_name


def _source_name(value: SSAValue) -> str:
    if not isinstance(value, OpResult):
        raise NircError("an edge starts at a block argument that is not a subgraph port")
    op = value.op
    name = node_name_of(op)
    assert name is not None
    if isinstance(op, GraphOp):
        return _port_name(name, op.out_port_names[value.index])
    return name
