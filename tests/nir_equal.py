"""An independent structural comparison of two ``nir.NIRGraph`` objects.

This deliberately uses no nirc code: it is the yardstick the round-trip tests hold
nirc to.  Two graphs are equal when they have

- the same node names, and for each name the same node type
  (``type(node).__name__``), recursively for nested ``NIRGraph`` nodes;
- for each node, every dataclass field equal (see ``_node_fields``): the same dtype
  (``np.asarray(x).dtype``), the same shape and the same values
  (``np.array_equal``; NaN equals NaN), strings equal, ``None`` equal only to ``None``;
- the same edge *set* (order and duplicates aside);
- the same metadata, recursively: the same keys, strings equal, numbers and arrays
  with the same dtype, shape and values, nested dicts compared the same way.

``input_type``/``output_type`` are derived by NIR from the other fields and are
skipped, except where they *are* the node's data: ``Input`` (its ``shape`` is
``input_type["input"]``), ``Output`` (``output_type["output"]``) and ``Flatten``
(``input_type["input"]``, which may be ``None``).

By default a Python ``int``/``float``/``bool``, a numpy scalar and a 0-d array of the
same dtype compare equal (they are one value; an HDF5 file cannot tell them apart:
``np.asarray(1).dtype`` is int64, which is what HDF5 gives back for a Python 1).  With
``strict_types=True`` the Python kind must match as well (``ndarray`` vs numpy scalar
vs ``str`` vs ``dict`` vs ``None`` vs Python scalar), which is the right test for two
graphs that both come from reading a file.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import nir
import numpy as np

_DERIVED = ("input_type", "output_type")


def graph_differences(a: nir.NIRGraph, b: nir.NIRGraph, *, strict_types: bool = False) -> list[str]:
    """Human-readable differences between graphs ``a`` and ``b`` (empty: equal)."""
    out: list[str] = []
    _compare_graph(a, b, "<root>", out, strict_types)
    return out


# -------------------------------------------------------------------------------------


def _compare_graph(a: nir.NIRGraph, b: nir.NIRGraph, where: str, out: list[str], strict: bool) -> None:
    names_a, names_b = set(a.nodes), set(b.nodes)
    for name in sorted(names_a - names_b):
        out.append(f"{where}: node '{name}' only in the first graph")
    for name in sorted(names_b - names_a):
        out.append(f"{where}: node '{name}' only in the second graph")
    for name in sorted(names_a & names_b):
        _compare_node(a.nodes[name], b.nodes[name], _join(where, name), out, strict)

    edges_a, edges_b = _edge_set(a.edges, where, out), _edge_set(b.edges, where, out)
    for edge in sorted(edges_a - edges_b):
        out.append(f"{where}: edge {edge} only in the first graph")
    for edge in sorted(edges_b - edges_a):
        out.append(f"{where}: edge {edge} only in the second graph")

    _compare_value(a.metadata, b.metadata, f"{where}.metadata", out, strict, metadata=True)


def _join(where: str, name: str) -> str:
    return name if where == "<root>" else f"{where}.{name}"


def _edge_set(edges: Any, where: str, out: list[str]) -> set[tuple[str, str]]:
    result = set()
    for edge in edges:
        src, dst = edge
        if not isinstance(src, str) or not isinstance(dst, str):
            out.append(f"{where}: edge {edge!r} has a non-str endpoint")
        result.add((str(src), str(dst)))
    return result


def _node_fields(node: Any) -> dict[str, Any]:
    """The data of a (non-graph) node: its dataclass fields, derived types aside."""
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(node):
        if f.name in _DERIVED:
            continue
        fields[f.name] = getattr(node, f.name)
    if isinstance(node, nir.Input):
        fields["shape"] = _type_entry(node.input_type, "input")
    elif isinstance(node, nir.Output):
        fields["shape"] = _type_entry(node.output_type, "output")
    elif isinstance(node, nir.Flatten):
        fields["input_type"] = _type_entry(node.input_type, "input")
    return fields


def _type_entry(types: Any, key: str) -> Any:
    if types is None:
        return None
    return types.get(key)


def _compare_node(a: Any, b: Any, where: str, out: list[str], strict: bool) -> None:
    kind_a, kind_b = type(a).__name__, type(b).__name__
    if kind_a != kind_b:
        out.append(f"{where}: node type {kind_a} != {kind_b}")
        return
    if isinstance(a, nir.NIRGraph):
        _compare_graph(a, b, where, out, strict)
        return
    fields_a, fields_b = _node_fields(a), _node_fields(b)
    for name in sorted(set(fields_a) | set(fields_b)):
        if name not in fields_a or name not in fields_b:
            out.append(f"{where}: field '{name}' present in only one graph")
            continue
        _compare_value(fields_a[name], fields_b[name], f"{where}.{name}", out, strict,
                       metadata=(name == "metadata"))


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        return type(value).__name__
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, np.ndarray):
        return "ndarray"
    if isinstance(value, np.generic):
        return "numpy scalar"
    if isinstance(value, (bool, int, float, complex)):
        return "Python scalar"
    return type(value).__name__  # tuples, lists, ...


def _compare_value(a: Any, b: Any, where: str, out: list[str], strict: bool,
                   metadata: bool = False) -> None:
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a == "None" or kind_b == "None":
        if kind_a != kind_b:
            out.append(f"{where}: {_show(a)} != {_show(b)}")
        return
    if kind_a == "dict" or kind_b == "dict":
        if kind_a != kind_b:
            out.append(f"{where}: a dict vs a {kind_b if kind_a == 'dict' else kind_a}")
            return
        if metadata is False:
            out.append(f"{where}: unexpected dict value")
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                out.append(f"{where}: key '{key}' only in the second graph")
            elif key not in b:
                out.append(f"{where}: key '{key}' only in the first graph")
            else:
                _compare_value(a[key], b[key], f"{where}.{key}", out, strict, metadata=True)
        return
    if kind_a in ("str", "bytes") or kind_b in ("str", "bytes"):
        if kind_a != kind_b or a != b:
            out.append(f"{where}: {_show(a)} != {_show(b)}")
        return
    if strict and kind_a != kind_b:
        out.append(f"{where}: a {kind_a} vs a {kind_b} ({_show(a)} vs {_show(b)})")
        return
    try:
        arr_a, arr_b = np.asarray(a), np.asarray(b)
    except Exception as e:  # pragma: no cover - exotic values
        out.append(f"{where}: cannot compare ({e})")
        return
    if arr_a.dtype != arr_b.dtype:
        out.append(f"{where}: dtype {arr_a.dtype} != {arr_b.dtype}")
        return
    if arr_a.shape != arr_b.shape:
        out.append(f"{where}: shape {arr_a.shape} != {arr_b.shape}")
        return
    if arr_a.dtype.kind not in "biufc":
        out.append(f"{where}: non-numeric dtype {arr_a.dtype}")
        return
    equal_nan = arr_a.dtype.kind in "fc"
    if not np.array_equal(arr_a, arr_b, equal_nan=equal_nan):
        out.append(f"{where}: values differ: {_show(a)} != {_show(b)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
