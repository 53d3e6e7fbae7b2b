"""``nir.NIRGraph`` -> .nirt text (the NIR text format; reference: docs/nirt.md).

Layout rules (deterministic: the same graph always prints the same text):

- ``nirt 1``, then per graph: its ``metadata {...}`` (if any), one statement per node
  in the graph's node order, then its edges;
- a node is ``name = Type(field=value, ...)`` with the fields of the NIR file format in
  nir's order (``shape`` for Input/Output, ``input_type`` for Flatten) and ``metadata=``
  last when not empty, wrapped at ``WIDTH`` columns between fields (or, for a field too
  long for a line, between array elements), continuation lines indented by 4;
- a nested graph is ``name = NIRGraph { ... }`` with its statements indented by 2;
- edges are printed as chains ``a -> b -> c``: a chain starts at the first edge not yet
  printed (in the graph's edge order) and follows, from its last node, the first unprinted
  edge leaving it; it stops at a node it has already visited (a cycle is closed, then
  the next chain begins) or where no unprinted edge leaves.  Edge strings are printed as
  NIR stores them (``sub.in`` for a subgraph port);
- names that are not dotted words (``[A-Za-z0-9_]`` runs joined by single ``-``) or that
  start with the keyword ``metadata`` are quoted;
- each value keeps its Python type: ``3`` int, ``3.0`` float, ``true``, ``"s"``, ``none``,
  ``(1, 2)`` tuple, ``[1, 2]`` list, ``{k: v}`` dict, ``i64 3`` numpy scalar,
  ``f32[2] [0.5, 1.0]`` array; an array of more than ``FILL_MIN`` elements that are all
  equal (bit for bit) is written ``f32[38] fill 0.0``; another array of more than
  ``inline_max`` elements is written (``large``) as a side-file reference
  ``@"<node path>.<field>"`` (the arrays are returned for the caller to store), inline
  ``base64``, or a ``<sha256:...>`` digest that is for reading only.
"""

from __future__ import annotations

import json
import re
from typing import Any

import nir
import numpy as np

from .diagnostics import NircError
from .nirt_values import (
    digest,
    dtype_name,
    format_float,
    format_literal,
    is_uniform,
    row_segments,
    to_base64,
)

WIDTH = 100
FILL_MIN = 4  # uniform arrays of more elements print as `fill <x>`
LARGE_MODES = ("side", "base64", "digest")
_WORD = r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*"
_BARE_REF = re.compile(rf"{_WORD}(?:\.{_WORD})*")
_BARE_KEY = re.compile(_WORD)


def print_nirt(graph: nir.NIRGraph, *, inline_max: int = 16,
               large: str = "side") -> tuple[str, dict[str, np.ndarray]]:
    """The .nirt text of ``graph`` and the side-file arrays it refers to (by key)."""
    if large not in LARGE_MODES:
        raise ValueError(f"large must be one of {LARGE_MODES}")
    printer = _Printer(inline_max, large)
    lines = ["nirt 1"]
    printer.graph_body(graph, "", "", lines)
    return "\n".join(lines) + "\n", printer.side


def node_fields(node: nir.NIRNode) -> list[tuple[str, Any]]:
    """The fields of a (non-graph) node as the NIR file format names them, in order."""
    from .nir_file import _FIELDS  # the file format's field list: one source of truth

    kind = type(node).__name__
    fields = []
    for name in _FIELDS[kind]:
        if kind == "Input" and name == "shape":
            value = node.input_type["input"]
        elif kind == "Output" and name == "shape":
            value = node.output_type["output"]
        elif kind == "Flatten" and name == "input_type":
            value = node.input_type.get("input")
        else:
            value = getattr(node, name)
        fields.append((name, value))
    if node.metadata:
        fields.append(("metadata", node.metadata))
    return fields


def format_ref(name: str) -> str:
    """A node name or edge endpoint: bare when it reads back unchanged, else quoted."""
    if _BARE_REF.fullmatch(name) and name.split(".")[0] != "metadata":
        return name
    return json.dumps(name, ensure_ascii=False)


def edge_chains(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Edges as chains of names (see the module docstring); every edge once, in order."""
    remaining = [(str(a), str(b)) for a, b in edges]
    used = [False] * len(remaining)
    chains = []
    for start, (a, b) in enumerate(remaining):
        if used[start]:
            continue
        used[start] = True
        chain = [a, b]
        while chain[-1] not in chain[:-1]:
            nxt = next((i for i in range(start + 1, len(remaining))
                        if not used[i] and remaining[i][0] == chain[-1]), None)
            if nxt is None:
                break
            used[nxt] = True
            chain.append(remaining[nxt][1])
        chains.append(chain)
    return chains


def pack(first: str, groups: list[list[str]], indent: str, last: str = "") -> list[str]:
    """``first`` then the groups of segments, joined by spaces, wrapped at ``WIDTH``
    columns: a group (one field, one edge) moves whole to a new line when it fits there,
    else it breaks between segments (array elements); continuation lines get 4 more
    spaces of indent."""
    groups = [list(g) for g in groups if g]
    if not groups:
        return [first + last]
    groups[-1][-1] += last
    lines, current, fresh = [], first, True
    cont = indent + "    "
    for group in groups:
        text = " ".join(group)
        sep = "" if fresh else " "
        if len(current) + len(sep) + len(text) <= WIDTH:
            current, fresh = current + sep + text, False
            continue
        if not fresh and len(cont) + len(text) <= WIDTH:
            lines.append(current)
            current = cont + text
            continue
        for seg in group:
            if fresh or len(current) + 1 + len(seg) <= WIDTH:
                current += ("" if fresh else " ") + seg
            else:
                lines.append(current)
                current = cont + seg
            fresh = False
    lines.append(current)
    return lines


class _Printer:
    def __init__(self, inline_max: int, large: str):
        self.inline_max = inline_max
        self.large = large
        self.side: dict[str, np.ndarray] = {}

    # ---- structure ----------------------------------------------------------------
    def graph_body(self, graph: nir.NIRGraph, path: str, indent: str, lines: list[str]) -> None:
        if graph.metadata:
            where = (path or None, "metadata")
            groups = self.pairs(graph.metadata, _join(path, "metadata"), where)
            lines += pack(indent + "metadata {", groups, indent, "}")
        for name, node in graph.nodes.items():
            name = str(name)
            node_path = _join(path, name)
            if isinstance(node, nir.NIRGraph):
                body: list[str] = []
                self.graph_body(node, node_path, indent + "  ", body)
                if body:
                    lines += [f"{indent}{format_ref(name)} = NIRGraph {{", *body, indent + "}"]
                else:
                    lines.append(f"{indent}{format_ref(name)} = NIRGraph {{}}")
                continue
            groups: list[list[str]] = []
            fields = node_fields(node)
            for i, (field, value) in enumerate(fields):
                if field == "metadata":
                    value_segs = self.dict_segments(value, _join(node_path, "metadata"),
                                                    (node_path, "metadata"))
                else:
                    value_segs = self.value(value, _join(node_path, field), (node_path, field))
                value_segs = [f"{field}={value_segs[0]}", *value_segs[1:]]
                if i < len(fields) - 1:
                    value_segs[-1] += ","
                groups.append(value_segs)
            header = f"{indent}{format_ref(name)} = {type(node).__name__}("
            lines += pack(header, groups, indent, ")")
        for chain in edge_chains(list(graph.edges)):
            refs = [format_ref(n) for n in chain]
            lines += pack(indent, [[r + " ->"] for r in refs[:-1]] + [[refs[-1]]], indent)

    # ---- values -------------------------------------------------------------------
    def value(self, value: Any, key: str, where: tuple[str | None, str]) -> list[str]:
        """Segments of one value (joined with spaces they are its text)."""
        if value is None:
            return ["none"]
        if isinstance(value, np.ndarray):
            return self.array(value, key, where)
        if isinstance(value, np.generic):
            name = self.dtype(value.dtype, where)
            return [f"{name} {format_literal(value, value.dtype)}"]
        if isinstance(value, bool):
            return ["true" if value else "false"]
        if isinstance(value, int):
            return [str(int(value))]
        if isinstance(value, float):
            return [format_float(value, np.dtype(np.float64))]
        if isinstance(value, str):
            return [json.dumps(value, ensure_ascii=False)]
        if isinstance(value, dict):
            return self.dict_segments(value, key, where)
        if isinstance(value, (tuple, list)):
            items = [self.value(v, f"{key}.{i}", where) for i, v in enumerate(value)]
            if isinstance(value, tuple) and len(items) == 1:
                return _bracket("(", items, ",)")
            return _bracket("(" if isinstance(value, tuple) else "[", items,
                            ")" if isinstance(value, tuple) else "]")
        raise NircError(f"cannot write a value of type {type(value).__name__} in .nirt",
                        node=where[0], field=where[1])

    def dict_segments(self, value: dict, key: str, where) -> list[str]:
        if not value:
            return ["{}"]
        segs = [seg for group in self.pairs(value, key, where) for seg in group]
        segs[0] = "{" + segs[0]
        segs[-1] += "}"
        return segs

    def pairs(self, value: dict, key: str, where) -> list[list[str]]:
        """One group of segments per ``key: value`` pair (commas included)."""
        groups: list[list[str]] = []
        for i, (k, v) in enumerate(value.items()):
            if not isinstance(k, str):
                raise NircError(f"metadata key {k!r} is not a string", node=where[0],
                                field=where[1])
            text = k if _BARE_KEY.fullmatch(k) else json.dumps(k, ensure_ascii=False)
            item = self.value(v, f"{key}.{k}", where)
            item = [f"{text}: {item[0]}", *item[1:]]
            if i < len(value) - 1:
                item[-1] += ","
            groups.append(item)
        return groups

    def dtype(self, dtype: np.dtype, where) -> str:
        name = dtype_name(dtype)
        if name is None:
            raise NircError(f"dtype {dtype} has no .nirt form (numbers and bools only)",
                            node=where[0], field=where[1])
        return name

    def array(self, array: np.ndarray, key: str, where) -> list[str]:
        name = self.dtype(array.dtype, where)
        header = f"{name}[{','.join(str(d) for d in array.shape)}]"
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("="))
        if array.size > FILL_MIN and is_uniform(array):
            return [header, "fill " + format_literal(array.reshape(-1)[0], array.dtype)]
        if array.ndim == 0 or array.size <= self.inline_max:
            return [header, *row_segments(array)]
        if self.large == "base64":
            return [header, f'base64 "{to_base64(array)}"']
        if self.large == "digest":
            return [header, digest(array)]
        unique, n = key, 1
        while unique in self.side:
            n += 1
            unique = f"{key}~{n}"
        self.side[unique] = array
        return [header, "@" + json.dumps(unique, ensure_ascii=False)]


def _bracket(open_: str, items: list[list[str]], close: str) -> list[str]:
    if not items:
        return [open_ + close.lstrip(",")]
    segs: list[str] = []
    for i, item in enumerate(items):
        item = list(item)
        if i < len(items) - 1:
            item[-1] += ","
        segs += item
    segs[0] = open_ + segs[0]
    segs[-1] += close
    return segs


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
