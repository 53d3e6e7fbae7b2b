"""``nirc show`` for the stages after ``nir`` (snn, snn.layer, qsnn, a chip's network).

These stages have no NIR form, so the summary is read from the IR itself: the stage
and the options recorded on the module (``nirc.*``: discretization, quantization,
partition), then every node in block order with its op kind, shapes and each
property (arrays as statistics, dictionaries and lists of a chip's layers one entry
a line), layers with their inner nodes and the cores they occupy, and the edges
(SSA uses; inside a layer, block argument k stands for the layer's operand k).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
)
from xdsl.ir import Attribute, BlockArgument, Operation, OpResult, SSAValue

from nirc.dialects.arrays import to_numpy
from nirc.dialects.nir_graph import node_name_of

from .stages import MADE_BY

SKIP = ("node_name", "metadata")


def summarize_stage(module: ModuleOp, graph: Operation, source: str, stage: str) -> str:
    lines = [f"graph {source}: stage '{stage}' (after {MADE_BY[stage]}; no NIR form)"]
    options = {k: v for k, v in module.attributes.items() if k.startswith("nirc.")}
    if options:
        lines.append("  options:")
        for key, value in options.items():
            _attr_lines(key, value, "    ", lines)
    nodes = list(graph.regions[0].block.ops)
    lines.append(f"  nodes ({len(nodes)}, block order):")
    edges: list[tuple[str, str]] = []
    for op in nodes:
        _node(op, "    ", lines, edges)
    lines.append("  edges:")
    lines.extend(f"    {s} -> {d}" for s, d in edges)
    return "\n".join(lines) + "\n"


def _node(op: Operation, indent: str, lines: list[str], edges: list) -> None:
    name = node_name_of(op) or "?"
    ins = [tuple(v.type.get_shape()) for v in op.operands[:1]]
    outs = [tuple(r.type.get_shape()) for r in op.results]
    shapes = " ".join([*(str(list(s)) for s in ins), *("-> " + str(list(s)) for s in outs)])
    lines.append(f"{indent}{name}  {op.name}  {shapes}".rstrip())
    for value in op.operands:
        edges.append((_source(value), name))
    for key, value in op.properties.items():
        if key not in SKIP:
            _attr_lines(key, value, indent + "    ", lines)
    if op.name == "snn.layer":
        cores = op.core_slices()  # type: ignore[attr-defined]
        if cores:
            lines.append(f"{indent}    on cores: " + ", ".join(
                f"neurons {a}..{b - 1} -> core {c}" for a, b, c in cores))
        inner: list[tuple[str, str]] = []
        for inner_op in op.regions[0].block.ops:
            _node(inner_op, indent + "    ", lines, inner)
        lines.extend(f"{indent}      {s} -> {d}" for s, d in inner)


def _source(value: SSAValue) -> str:
    if isinstance(value, OpResult):
        return node_name_of(value.op) or value.op.name
    if isinstance(value, BlockArgument):
        holder = value.block.parent_op()
        if holder is not None and holder.name == "snn.layer":
            return f"{_source(holder.operands[value.index])} (operand {value.index})"
    return "?"


def _attr_lines(key: str, attr: Attribute, indent: str, lines: list[str]) -> None:
    if isinstance(attr, DictionaryAttr):
        lines.append(f"{indent}{key}:")
        for k, v in attr.data.items():
            _attr_lines(k, v, indent + "  ", lines)
    elif isinstance(attr, ArrayAttr) and any(isinstance(a, DictionaryAttr) for a in attr.data):
        lines.append(f"{indent}{key}: {len(attr.data)} entries")
        for i, item in enumerate(attr.data):
            _attr_lines(f"[{i}]", item, indent + "  ", lines)
    else:
        lines.append(f"{indent}{key}: {value_text(attr)}")


def value_text(attr: Attribute) -> str:
    """One line for a scalar, string or array attribute (arrays: dtype, shape, stats)."""
    if isinstance(attr, StringAttr):
        return repr(attr.data)
    if isinstance(attr, FloatAttr):
        return f"{attr.value.data:.6g}"
    if isinstance(attr, IntegerAttr):
        return str(attr.value.data)
    if isinstance(attr, DenseIntOrFPElementsAttr):
        return array_text(to_numpy(attr))
    if isinstance(attr, ArrayAttr):
        return "[" + ", ".join(value_text(a) for a in attr.data) + "]"
    text = str(attr)
    return text if len(text) <= 80 else text[:77] + "..."


def array_text(values: np.ndarray) -> str:
    """A parameter in one line: its values if at most 4, else dtype, shape and statistics
    (or the one value all elements share); shared by every stage of `nirc show`."""
    if values.size <= 4:
        return f"{values.dtype} {values.tolist()}"
    flat = values.astype(np.float64).reshape(-1)
    head = f"{values.dtype}{list(values.shape)}"
    if np.all(flat == flat[0]):
        return f"{head} all {flat[0]:.6g}"
    return (f"{head} min {flat.min():.4g}, mean {flat.mean():.4g}, max {flat.max():.4g}, "
            f"std {flat.std():.4g}, nonzero {np.count_nonzero(flat)}/{flat.size}")
