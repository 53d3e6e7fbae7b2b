"""The order in which the interpreter evaluates nodes within one time step.

Semantics (../shared/docs/semantics.md, "Cycles"): an edge that closes a cycle
carries its source's output from the PREVIOUS step (zero at step 0); every other
edge delivers in the same step.  Which edge of a cycle "closes" it is fixed here by
a rule that depends only on the graph, never on the order of nodes or edges in the
file:

1. Strongly connected components (SCCs) are evaluated in a topological order of
   the condensation; edges between components always deliver in the same step.
2. Inside a cyclic component, nodes are ranked by their breadth-first distance
   from the component's entries (nodes with an edge from outside the component;
   if there is none, every node is an entry), ties broken by node name.  An edge
   u -> v inside the component closes a cycle (is *delayed*) iff
   rank(v) <= rank(u); self-loops are always delayed.

For the usual recurrent layer (in -> lin -> lif, lif -> rec -> lif) this delays
rec -> lif: the neuron sees its recurrent input from the previous step, which is
what snnTorch, Norse, Rockpool and Lava do.

Edges that are delayed anyway (``synaptic``: the outgoing edges of weight nodes under
synapse-delay=1, as in Lava, where every Dense/Conv delivers one step late) are left
out of the analysis: a cycle through a synapse is already broken by its delay, so
the recurrent loop lif -> rec -> lif still has one step of delay in all, not two.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx


def step_schedule(names: Iterable[str], edges: Iterable[tuple[str, str]],
                  synaptic: set[tuple[str, str]] = frozenset()
                  ) -> tuple[list[str], set[tuple[str, str]]]:
    """(evaluation order, set of delayed edges) for nodes with unique ``names``;
    ``synaptic`` edges are delayed by their synapse (see the module docstring)."""
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from(edges)
    dag = nx.condensation(g)
    members = {c: sorted(dag.nodes[c]["members"]) for c in dag.nodes}
    order: list[str] = []
    delayed: set[tuple[str, str]] = set(synaptic)
    for c in nx.lexicographical_topological_sort(dag, key=lambda c: members[c][0]):
        component = members[c]
        if synaptic and len(component) > 1:
            # components stay in the order of all edges (the chunked engine computes a
            # source's chunk before its readers'); inside one, synapse delays break cycles
            inner = [(u, v) for u, v in g.subgraph(component).edges if (u, v) not in synaptic]
            inner_order, inner_delayed = step_schedule(component, inner)
            order.extend(inner_order)
            delayed |= inner_delayed
            continue
        if len(component) == 1:
            (node,) = component
            order.append(node)
            if g.has_edge(node, node):
                delayed.add((node, node))
            continue
        rank = _component_rank(g, component)
        ranked = sorted(component, key=rank.__getitem__)
        order.extend(ranked)
        inside = set(component)
        for u in component:
            for v in g.successors(u):
                if v in inside and rank[v] <= rank[u]:
                    delayed.add((u, v))
    return order, delayed


def _component_rank(g: nx.DiGraph, component: list[str]) -> dict[str, tuple[int, str]]:
    inside = set(component)
    entries = [n for n in component if any(p not in inside for p in g.predecessors(n))]
    sub = g.subgraph(component)
    distance = nx.multi_source_dijkstra_path_length(sub, entries or component)
    return {n: (distance[n], n) for n in component}
