"""``flatten-subgraphs``: inline every nested ``nir.graph`` into its parent.

Graphs are flattened innermost first, so the result holds one root graph with no
nested graph.  Inlining the nested graphs ("children") of a graph P (all at once,
so that edges between sibling subgraphs are handled too) is this rewrite:

* Every inner node other than Input/Output moves into P's block, just before its
  subgraph, with its fields, metadata and attributes, renamed ``<sub>.<inner>``
  (the NIR convention, e.g. snnTorch's ``lif1.lif``).  If P already has that name
  (or an earlier inlined node took it), the first free ``<sub>.<inner>_<n>``,
  n = 1, 2, ..., is used, in block order, so names stay unique and deterministic.
* Inner Input and Output nodes are identity nodes and disappear.  Each operand ``v``
  of a node of P (moved or not) is replaced by the list ``E(v)`` of the values it
  sums (operands are summed, so a list of any length, 0 included, is exact):

  - block argument k of a child G:      ``E(G.inputs[k])``;
  - result of an inner Input node:      the concatenated ``E(o)`` of its operands
    (block arguments and internal edges alike; no operand: ``[]``);
  - result j of a child G, port p:      if p names an Output node, the concatenated
    ``E(o)`` of its operands (``[]`` if it has none); otherwise ``E`` of the named
    node's result (an Input node's result is expanded as above);
  - any other value (a result of a real node):  ``[v]``.

  ``E`` follows edges through the subgraph boundary in both directions, so cycles
  through the boundary (``%0 = nir.graph "sub" (%0)``) end at real nodes.  A cycle
  made only of Input/Output nodes (an algebraic loop with no node in it) has no
  meaning and fails the pass.
* The children are erased.  Their graph-level ``metadata`` (and any discardable
  attributes of the ``nir.graph`` op) is dropped: NIR has no place for it on a flat
  graph.  Node metadata moves with the nodes.

Limitation: an out port naming a nested graph (not an Input/Output or plain node)
is rejected, as the importer does not produce it.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Block, BlockArgument, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from nirc.dialects.nir import GraphOp, InputOp, OutputOp
from nirc.dialects.nir_base import NodeOp, ssa_name_hint
from nirc.dialects.nir_graph import node_name_of


class FlattenSubgraphs(ModulePass):
    """Inline all nested NIR graphs; see the module docstring for the rewrite."""

    name = "flatten-subgraphs"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for graph in [g for g in op.walk() if isinstance(g, GraphOp) and not g.is_nested]:
            flatten(graph)


def flatten(graph: GraphOp) -> None:
    """Make ``graph`` flat: flatten each child, then inline all children."""
    children = [op for op in graph.block.ops if isinstance(op, GraphOp)]
    if not children:
        return
    for child in children:
        flatten(child)
    _Inliner(graph.block, children).run()


class _Inliner:
    def __init__(self, block: Block, children: list[GraphOp]):
        self.block, self.children = block, children
        self.child_blocks = {child.block: child for child in children}
        self.memo: dict[SSAValue, list[SSAValue]] = {}
        self.visiting: set[SSAValue] = set()
        # Resolve out ports by name now, before inner nodes are renamed and moved.
        self.ports = {c: [c.port_node(p, OutputOp) for p in c.out_port_names] for c in children}

    def run(self) -> None:
        taken = {node_name_of(op) for op in self.block.ops if not isinstance(op, GraphOp)}
        for child in self.children:
            sub = node_name_of(child)
            for inner in list(child.block.ops):
                if isinstance(inner, InputOp | OutputOp):
                    continue
                name = _unique(f"{sub}.{node_name_of(inner)}", taken)
                inner.properties["node_name"] = StringAttr(name)
                if len(inner.results) == 1:
                    inner.results[0].name_hint = ssa_name_hint(name)
                inner.detach()
                Rewriter.insert_op(inner, InsertPoint.before(child))
        for op in self.block.ops:
            if isinstance(op, GraphOp):
                continue
            new = [v for o in op.operands for v in self.expand(o)]
            if new != list(op.operands):
                op.operands = new
        # Remaining uses of the children's results are by the children themselves.
        for child in self.children:
            Rewriter.erase_op(child, safe_erase=False)

    def expand(self, value: SSAValue) -> list[SSAValue]:
        """The values whose sum ``value`` is, once the children are gone (``E``)."""
        if value in self.memo:
            return self.memo[value]
        if value in self.visiting:
            raise PassFailedException(
                "flatten-subgraphs: a cycle of subgraph Input/Output nodes with no "
                "other node in it (algebraic loop)")
        self.visiting.add(value)
        if isinstance(value, BlockArgument) and value.block in self.child_blocks:
            result = self.expand(self.child_blocks[value.block].inputs[value.index])
        elif isinstance(value, OpResult) and value.op in self.children:
            result = self.expand_port(value.op, value.index)
        elif isinstance(value, OpResult) and isinstance(value.op, InputOp) \
                and value.op.parent_block() in self.child_blocks:
            result = [v for o in value.op.operands for v in self.expand(o)]
        else:
            result = [value]
        self.visiting.discard(value)
        self.memo[value] = result
        return result

    def expand_port(self, child: GraphOp, index: int) -> list[SSAValue]:
        source = self.ports[child][index]
        if isinstance(source, OutputOp):
            return [v for o in source.operands for v in self.expand(o)]
        if not isinstance(source, NodeOp):
            raise PassFailedException(
                f"flatten-subgraphs: out port '{child.out_port_names[index]}' of subgraph "
                f"'{node_name_of(child)}' names no Output or plain node")
        return self.expand(source.results[0])


def _unique(name: str, taken: set[str | None]) -> str:
    candidate, n = name, 0
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate
