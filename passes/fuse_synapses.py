"""``fuse-synapses``: fewer synapse ops with the same behaviour.

Five rewrites (the RewritePatterns below), applied by a PatternRewriteWalker until none
applies; x is the sum of an op's operands, as everywhere in the ``nir`` dialect:

* ``MergeDenseChain``       A2(A1(x)) -> A(x), W = W2 @ W1, b = W2 @ b1 + b2;
* ``FoldScaleIntoProducer`` Scale(s)(A(x)) -> A'(x), W' = diag(s) W, b' = s * b;
                            after a Conv: only for s constant over each output channel;
* ``FoldScaleIntoConsumer`` A(Scale(s)(x)) -> A'(x), W' = W diag(s), also through
                            Flattens; before a Conv: only for s constant per input channel;
* ``AvgPoolToSumPool``      AvgPool2d -> SumPool2d, its 1/(kh*kw) folded into the weights
                            of the Affine/Linear/Conv it feeds (through Flattens), else
                            a new Scale after the SumPool2d; exact with any padding, as
                            the interpreter counts padded zeros in the divisor;
* ``DropIdentityFlatten``   a Flatten whose output shape is its input shape is removed
                            (a Flatten into a dense op's 1-d input is a real reshape).

Where: node ops directly in a root ``nir.graph``, before or after ``discretize`` (snn
ops, Threshold, Delay and neurons are opaque: nothing is moved across them).  Ops
inside nested graphs are left alone: run ``flatten-subgraphs`` first.  Dense means an
Affine/Linear with a 2-d weight (batched weights are left alone).

Conditions: an op that disappears has exactly one use, by an op with exactly one
operand (so no sum is crossed; the first op of a chain may sum several operands, which
the fused op then sums).  Removing an op changes no delay: if the removed edge lies on
a cycle, the rewrite is made only if the interpreter's cycle rule (targets/interp/
schedule.py) delays the same edges before and after, checked by computing both.

Names: the fused op replaces the downstream (outer) op's result and takes its node
name, metadata, discardable attributes and SSA name; the removed op's metadata is
dropped.  So every consumer sees the same source names (and sums its fan-in in the
same order).  A SumPool2d that gets a Scale after it is named ``<avgpool>_sum``.

Numbers: products are computed in float64, then cast to the widest dtype of the arrays
they come from (float32 weights stay float32 and are rounded; integer weights stay
integer only where the result is a whole number in range, else float64).  Biases are
materialized to the output shape when they change, kept as they are otherwise.
"""

from __future__ import annotations

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Attribute, Operation, OpResult
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from nirc.dialects import nir
from nirc.dialects.arrays import to_dense
from nirc.dialects.nir_base import NodeOp, ssa_name_hint
from nirc.dialects.nir_graph import GraphOp, node_name_of
from nirc.dialects.nir_shapes import per_dim

DENSE = (nir.AffineOp, nir.LinearOp)
CONV = (nir.Conv1dOp, nir.Conv2dOp)


class FuseSynapses(ModulePass):
    """Merge dense chains, fold scales and average pooling; see the module docstring."""

    name = "fuse-synapses"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        fuse_synapses(op)


def fuse_synapses(module: ModuleOp) -> None:
    """Apply the rewrites to ``module`` in place until none applies."""
    patterns = [MergeDenseChain(), FoldScaleIntoProducer(), FoldScaleIntoConsumer(),
                AvgPoolToSumPool(), DropIdentityFlatten()]
    # no DCE: an unused node of a NIR graph is still a node (nir ops are Pure)
    applier = GreedyRewritePatternApplier(patterns, dce_enabled=False)
    PatternRewriteWalker(applier, apply_recursively=True).rewrite_module(module)


# -------------------------------------------------------------------------------------
# rewrites


class MergeDenseChain(RewritePattern):
    """A2(A1(x)) -> A(x) with W = W2 @ W1 and b = W2 @ b1 + b2 (a Linear iff both are),
    named like A2 and keeping A2's metadata (A1's is dropped)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, outer: nir.AffineOp | nir.LinearOp, rewriter: PatternRewriter):
        inner = _sole_producer(outer)
        if not (_is_dense(outer) and _is_dense(inner) and _may_contract(inner, outer, outer)):
            return
        w1, w2 = inner.array("weight"), outer.array("weight")
        weight = _cast(_f64(w2) @ _f64(w1), w1, w2)
        if weight is None:
            return
        fields: dict[str, Attribute] = {}
        if isinstance(inner, nir.AffineOp):
            b1 = inner.array("bias")
            parts = [w2, b1]
            bias = _f64(w2) @ np.broadcast_to(_f64(b1), w1.shape[:1])
            if isinstance(outer, nir.AffineOp):
                parts.append(outer.array("bias"))
                bias = bias + _f64(outer.array("bias"))
            bias = _cast(bias, *parts)
            if bias is None:
                return
            fields["bias"] = to_dense(bias)
        elif isinstance(outer, nir.AffineOp):
            fields["bias"] = outer.bias
        kind = nir.AffineOp if fields else nir.LinearOp
        new = _node(kind, outer, inner.operands, {"weight": to_dense(weight), **fields})
        rewriter.replace(outer, new)
        rewriter.erase(inner)


class FoldScaleIntoProducer(RewritePattern):
    """Scale(s) after Affine/Linear -> W' = diag(s) W, b' = s*b; after Conv with s_o
    constant over output channel o -> W'[o] = s_o W[o], b'_o = s_o b_o."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, scale: nir.ScaleOp, rewriter: PatternRewriter):
        inner = _sole_producer(scale)
        if not (_is_dense(inner) or isinstance(inner, CONV)):
            return
        s = scale.array("scale")
        w = inner.array("weight")
        if s.shape != inner.output_shape:
            return
        if isinstance(inner, CONV):
            per_out = _per_channel(s)
            if per_out is None:
                return
            factor = per_out.reshape(-1, *([1] * (w.ndim - 1)))
        else:
            per_out = _f64(s).reshape(-1)
            factor = per_out[:, None]
        if not _may_contract(inner, scale, scale):
            return
        fields = {k: v for k, v in inner.properties.items() if k not in ("node_name", "metadata")}
        weight = _cast(_f64(w) * factor, w, s)
        if weight is None:
            return
        fields["weight"] = to_dense(weight)
        if not isinstance(inner, nir.LinearOp):
            b = inner.array("bias")
            bias = _cast(np.broadcast_to(_f64(b), per_out.shape) * per_out, b, s)
            if bias is None:
                return
            fields["bias"] = to_dense(bias)
        rewriter.replace(scale, _node(type(inner), scale, inner.operands, fields))
        rewriter.erase(inner)


class FoldScaleIntoConsumer(RewritePattern):
    """Scale(s) before Affine/Linear (through Flattens) -> W' = W diag(s); before Conv
    with s_c constant over input channel c -> W'[:, c] = s_c W[:, c] (per group)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, scale: nir.ScaleOp, rewriter: PatternRewriter):
        chain = _consumer_chain(scale)
        if chain is None or not _may_contract(scale, chain[0], chain[0]):
            return
        consumer = chain[-1]
        s = scale.array("scale")
        w = consumer.array("weight")
        if s.size != int(np.prod(consumer.input_shape)):
            return
        s_in = s.reshape(consumer.input_shape)
        if isinstance(consumer, CONV):
            per_in = _per_channel(s_in)
            if per_in is None:
                return
            factor = per_in[_conv_input_channel(consumer)]
            factor = factor.reshape(*w.shape[:2], *([1] * (w.ndim - 2)))
        else:
            factor = _f64(s_in).reshape(1, -1)
        weight = _cast(_f64(w) * factor, w, s)
        if weight is None:
            return
        first = chain[0]
        first.operands = list(scale.operands)
        rewriter.notify_op_modified(first)
        consumer.properties["weight"] = to_dense(weight)
        rewriter.notify_op_modified(consumer)
        rewriter.erase(scale)


class AvgPoolToSumPool(RewritePattern):
    """AvgPool2d(x) = SumPool2d(x) / (kh*kw), the 1/(kh*kw) folded into the weights of
    the Affine/Linear/Conv it alone feeds (through Flattens), else a Scale after it."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, pool: nir.AvgPool2dOp, rewriter: PatternRewriter):
        # Exact for any padding: the interpreter (kernels.pool) divides every window
        # by kh*kw, padded zeros included (count_include_pad=True, PyTorch's default).
        if not _in_root_graph(pool):
            return
        kh, kw = per_dim(pool.array("kernel_size"), 2, 0)
        c = 1.0 / (kh * kw)
        chain = _consumer_chain(pool)
        w = None if chain is None else chain[-1].array("weight")
        weight = None if w is None else _cast(_f64(w) * c, w)
        props, attributes = dict(pool.properties), dict(pool.attributes)
        if weight is None:  # a SumPool2d "<name>_sum", then a Scale that replaces the pool
            sum_name = _unique_name(pool.parent_block(), f"{pool.node_name.data}_sum")
            if _on_cycle(pool, pool) and not _split_exact(pool, sum_name):
                return
            props["node_name"] = StringAttr(sum_name)
            props.pop("metadata", None)
            attributes = {}
        sum_pool = nir.SumPool2dOp.create(operands=list(pool.operands), properties=props,
                                          result_types=[pool.results[0].type],
                                          attributes=attributes)
        if weight is not None:
            chain[-1].properties["weight"] = to_dense(weight)
            rewriter.notify_op_modified(chain[-1])
            rewriter.replace(pool, sum_pool)
            return
        sum_pool.results[0].name_hint = ssa_name_hint(sum_name)
        s = np.full(pool.output_shape, c, dtype=np.float64)
        scale = _node(nir.ScaleOp, pool, [sum_pool.results[0]], {"scale": to_dense(s)})
        rewriter.replace(pool, [sum_pool, scale])


class DropIdentityFlatten(RewritePattern):
    """Flatten(x) -> x where the output shape equals the input shape (a 1-d input, or
    start_dim == end_dim): a C-order reshape to the same shape is the identity."""

    # A Flatten before a dense op with a multi-dimensional input cannot be dropped: the
    # verifier and the interpreter's dense kernel (x @ W.T on the last axis) need the
    # 1-d input of N_in elements that the Flatten produces.

    @op_type_rewrite_pattern
    def match_and_rewrite(self, flat: nir.FlattenOp, rewriter: PatternRewriter):
        if not _in_root_graph(flat) or len(flat.operands) != 1:
            return
        source = flat.operands[0]
        if flat.input_shape != flat.output_shape or not isinstance(source, OpResult):
            return
        if any(source in use.operation.operands for use in flat.results[0].uses):
            return  # a user would take the same edge twice, which NIR cannot write
        if not _may_contract(source.op, flat, source.op):
            return
        rewriter.replace_all_uses_with(flat.results[0], source)
        rewriter.erase(flat)


# -------------------------------------------------------------------------------------
# matching helpers


def _in_root_graph(op: Operation) -> bool:
    parent = op.parent_op()
    return isinstance(parent, GraphOp) and not parent.is_nested


def _is_dense(op: Operation | None) -> bool:
    return isinstance(op, DENSE) and op.array("weight").ndim == 2


def _sole_producer(outer: NodeOp) -> NodeOp | None:
    """The node op whose result is ``outer``'s only operand and has no other use."""
    if not _in_root_graph(outer) or len(outer.operands) != 1:
        return None
    value = outer.operands[0]
    if not (isinstance(value, OpResult) and value.has_one_use()):
        return None
    inner = value.op
    return inner if isinstance(inner, NodeOp) and inner is not outer else None


def _consumer_chain(op: NodeOp) -> list[NodeOp] | None:
    """[Flatten, ..., consumer]: the ops that ``op``'s result alone feeds, each their
    only operand, through Flattens to a dense or conv consumer; else None."""
    chain: list[NodeOp] = []
    current: Operation = op
    while True:
        if not _in_root_graph(current) or len(current.results) != 1:
            return None
        user = current.results[0].get_user_of_unique_use()
        if user is None or user is op or user in chain or len(user.operands) != 1:
            return None
        chain.append(user)
        if _is_dense(user) or isinstance(user, CONV):
            return chain
        if not isinstance(user, nir.FlattenOp):
            return None
        current = user


def _per_channel(s: np.ndarray) -> np.ndarray | None:
    """s[c] if ``s`` (C, *spatial) is constant over each channel, else None."""
    flat = _f64(s).reshape(s.shape[0], -1) if s.ndim else None
    if flat is None or not np.all(flat == flat[:, :1]):
        return None
    return flat[:, 0]


def _conv_input_channel(conv: NodeOp) -> np.ndarray:
    """(C_out, C_in/groups) index of the input channel that each weight slice reads."""
    w = conv.array("weight")
    groups = int(conv.array("groups").reshape(-1)[0])
    per_group_out, per_group_in = w.shape[0] // groups, w.shape[1]
    group = np.arange(w.shape[0]) // per_group_out
    return group[:, None] * per_group_in + np.arange(per_group_in)[None, :]


def _unique_name(block, name: str) -> str:
    taken = {node_name_of(op) for op in block.ops}
    candidate, n = name, 0
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


# -------------------------------------------------------------------------------------
# building


def _f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _cast(value: np.ndarray, *sources: np.ndarray) -> np.ndarray | None:
    """``value`` (float64) in the widest dtype of ``sources`` (see the module docstring);
    None if it is not finite, which leaves the ops as they were."""
    if not np.all(np.isfinite(value)):
        return None
    dtype = np.result_type(*sources)
    if dtype.kind == "f":
        cast = value.astype(dtype)
        return cast if np.all(np.isfinite(cast)) else value
    lo, hi = (0, 1) if dtype.kind == "b" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
    if np.all((value == np.rint(value)) & (value >= lo) & (value <= hi)):
        return value.astype(dtype)
    return value


def _node(kind: type[NodeOp], identity: NodeOp, operands, fields: dict[str, Attribute]) -> NodeOp:
    """A ``kind`` op with ``fields`` that replaces ``identity``: its name, metadata,
    discardable attributes, result type and SSA name."""
    props = dict(fields)
    props["node_name"] = identity.node_name
    if identity.metadata is not None:
        props["metadata"] = identity.metadata
    new = kind.create(operands=list(operands), result_types=[identity.results[0].type],
                      properties=props, attributes=dict(identity.attributes))
    new.results[0].name_hint = identity.results[0].name_hint
    return new


# -------------------------------------------------------------------------------------
# cycles: removing a node must not change which edges the cycle rule delays


def _on_cycle(first: Operation, last: Operation) -> bool:
    """Whether an edge path leads from ``last``'s result back to ``first`` (a nested
    graph or any region op counts as connecting each input to all its results)."""
    seen: set[Operation] = set()
    stack = [last]
    while stack:
        for result in stack.pop().results:
            for use in result.uses:
                user = use.operation
                if user is first:
                    return True
                if user not in seen:
                    seen.add(user)
                    stack.append(user)
    return False


def _may_contract(a: Operation, b: Operation, keep: Operation) -> bool:
    """Whether the edge a -> b can become one node (named like ``keep``) without
    changing which edges are delayed (always, if a -> b lies on no cycle)."""
    if not _on_cycle(a, b):
        return True
    edges = _graph_edges(b.parent_op())
    if edges is None:
        return False
    names, pairs = edges
    return _contraction_exact(names, pairs, node_name_of(a), node_name_of(b), node_name_of(keep))


def _split_exact(pool: NodeOp, sum_name: str) -> bool:
    """Whether splitting the cyclic ``pool`` into ``sum_name`` -> pool keeps the delays."""
    edges = _graph_edges(pool.parent_op())
    if edges is None:
        return False
    name = node_name_of(pool)
    names, pairs = edges
    pairs = [(u, sum_name if v == name else v) for u, v in pairs] + [(sum_name, name)]
    return _contraction_exact([*names, sum_name], pairs, sum_name, name, name)


def _graph_edges(graph) -> tuple[list[str], list[tuple[str, str]]] | None:
    """Node names and edges of a graph of plain node ops (None if it has other ops)."""
    names, edges = [], []
    for op in graph.block.ops:
        if not isinstance(op, NodeOp):
            return None
        names.append(op.node_name.data)
        for value in op.operands:
            if not (isinstance(value, OpResult) and isinstance(value.op, NodeOp)):
                return None
            edges.append((value.op.node_name.data, op.node_name.data))
    return names, edges


def _contraction_exact(names: list[str], edges: list[tuple[str, str]], a: str, b: str,
                       keep: str) -> bool:
    """Whether contracting edge a -> b into one node ``keep`` leaves a -> b undelayed and
    every other edge delayed exactly as before (targets/interp/schedule.py's rule)."""
    from nirc.targets.interp.schedule import step_schedule

    gone = b if keep == a else a

    def rename(n: str) -> str:
        return keep if n == gone else n

    _, before = step_schedule(names, edges)
    if (a, b) in before:
        return False
    kept = [(u, v) for u, v in edges if (u, v) != (a, b)]
    _, after = step_schedule([n for n in names if n != gone],
                             [(rename(u), rename(v)) for u, v in kept])
    return all(((rename(u), rename(v)) in after) == ((u, v) in before) for u, v in kept)

