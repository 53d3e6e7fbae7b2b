"""``nirc show``: a readable summary of a graph for a person debugging a model.

Lists nodes in topological order (of the graph with cycle-closing edges removed),
each with its input and output shapes and statistics of its parameters, then the
edges, then the cycles (recurrent loops, self-loops included).
"""

from __future__ import annotations

import networkx as nx
from xdsl.dialects.builtin import ModuleOp

from nirc.dialects.nir import GraphOp
from nirc.dialects.nir_base import NodeOp
from nirc.dialects.nir_graph import node_name_of

from .exporter import root_graph
from .show_stage import array_text


def summarize(module: ModuleOp, source: str, max_cycles: int = 20) -> str:
    """The summary of any stage: a NIR-form one for the ``nir`` stage, otherwise the
    stage's own ops (show_stage.py)."""
    from .stages import stage_of

    stage = stage_of(module)
    if stage != "nir":
        from .show_stage import summarize_stage

        return summarize_stage(module, root_graph(module), source, stage)
    lines: list[str] = []
    _graph(root_graph(module), source, lines, indent="", max_cycles=max_cycles)
    from .producer import guess_producer

    guess = guess_producer(module)
    if guess is not None:
        lines.append(guess.text())
    return "\n".join(lines) + "\n"


def _edges(graph: GraphOp) -> list[tuple[str, str]]:
    from .exporter import export_graph

    return [tuple(e) for e in export_graph(graph).edges]  # type: ignore[misc]


def _graph(graph: GraphOp, title: str, lines: list[str], indent: str, max_cycles: int) -> None:
    nodes = list(graph.nodes())
    edges = _edges(graph)
    digraph = nx.DiGraph()
    digraph.add_nodes_from(node_name_of(op) for op in nodes)
    digraph.add_edges_from((_owner(s, digraph), _owner(d, digraph)) for s, d in edges)
    position = {node_name_of(op): i for i, op in enumerate(nodes)}
    cycles = sorted(_rotate(c, position) for c in _limited(nx.simple_cycles(digraph), 10 * max_cycles))
    cycles = [[n for _, n in c] for c in cycles][: max_cycles + 1]
    kinds = [getattr(op, "NIR_TYPE", "?") for op in nodes]
    lines.append(
        f"{indent}graph {title}: {len(nodes)} nodes, {len(edges)} edges, "
        f"{kinds.count('Input')} inputs, {kinds.count('Output')} outputs, "
        f"{'more than ' + str(max_cycles) if len(cycles) > max_cycles else len(cycles)} cycles"
    )
    if graph.metadata:
        lines.append(f"{indent}  metadata: {', '.join(graph.metadata.data)}")
    lines.append(f"{indent}  nodes (topological order):")
    width = max((len(node_name_of(op) or "") for op in nodes), default=4)
    for op in nodes:
        name = node_name_of(op) or ""
        if isinstance(op, GraphOp):
            _graph(op, f"'{name}'", lines, indent + "    ", max_cycles)
            continue
        shapes = _shape_text(op)
        lines.append(f"{indent}    {name:<{width}}  {op.NIR_TYPE:<9} {shapes}")
        for field in op.FIELDS if op.NIR_TYPE not in ("Input", "Output") else ():
            text = _field_text(op, field)
            if text:
                lines.append(f"{indent}    {'':<{width}}    {field}: {text}")
    lines.append(f"{indent}  edges:")
    for s, d in edges:
        lines.append(f"{indent}    {s} -> {d}")
    if cycles:
        lines.append(f"{indent}  cycles (an edge closing a cycle delivers the previous step's value):")
        for cycle in cycles[:max_cycles]:
            lines.append(f"{indent}    {' -> '.join([*cycle, cycle[0]])}")


def _owner(endpoint: str, digraph: nx.DiGraph) -> str:
    """The node of this graph an edge endpoint belongs to ('sub.in' -> 'sub')."""
    if endpoint in digraph:
        return endpoint
    for i, ch in enumerate(endpoint):
        if ch == "." and endpoint[:i] in digraph:
            return endpoint[:i]
    return endpoint


def _rotate(cycle: list[str], position: dict) -> list[tuple[int, str]]:
    """A cycle started at its node earliest in topological order (deterministic)."""
    start = min(range(len(cycle)), key=lambda i: position.get(cycle[i], -1))
    ordered = cycle[start:] + cycle[:start]
    return [(position.get(n, -1), n) for n in ordered]


def _limited(iterator, n: int):
    for i, item in enumerate(iterator):
        if i >= n:
            return
        yield item


def _shape_text(op: NodeOp) -> str:
    inp = op.input_shape or op.expected_input_shape()
    text = "" if inp is None else str(list(inp))
    if op.HAS_RESULT:
        text += f" -> {list(op.output_shape)}"
    return text.strip()


def _field_text(op: NodeOp, field: str) -> str:
    string = op.string(field)
    if string is not None:
        return repr(string)
    values = op.array(field)
    if values is None:
        return ""
    return array_text(values)
