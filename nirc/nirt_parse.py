""".nirt text -> ``nir.NIRGraph`` (the NIR text format; reference: docs/nirt.md).

The grammar (``nirt.lark``) is parsed by lark's LALR parser with positions; values are
turned into Python objects by a lark ``Transformer`` (``_Values``), and the statements
of each graph are read top-down (``_Reader``), so every problem names its place:

- syntax errors: ``file:line:col: expected <readable terminals>, found '<text>'``
  (``nirt_syntax``);
- value errors (an integer out of its dtype's range, rows that do not match the shape,
  a missing side-file array, ...) and node errors (unknown type, unknown, repeated or
  missing parameter, parameters nir's constructor rejects): ``file:line:col: node
  '<path>', field '<f>': <rule>``.

Semantics: a node is built exactly as ``nir_file.read_nir`` builds one from a .nir file
(``nir_file.node_from_dict``: nir's own constructor, same checks, same defaults for an
omitted ``v_reset``/``w_in``/``input_shape``/``input_type``); a graph is built without
nir's type check.  Edges (``a -> b``; ``a, b -> c`` for all pairs) must name a node of
their graph, or ``sub.port`` for a node ``port`` of a nested graph ``sub``, as the
importer resolves them.  Shapes along edges are checked later by importing the graph
(``nirc.loading.load_module``, ``nirc convert``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import nir
import numpy as np
from lark import Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput, VisitError

from .diagnostics import NircError
from .nir_file import _FIELDS, _OPTIONAL, NODE_TYPES, node_from_dict
from .nirt_syntax import get_parser, syntax_error
from .nirt_values import (
    DTYPES,
    ValueProblem,
    array_from_base64,
    array_from_rows,
    check_side_array,
    numpy_scalar,
    python_scalar,
)

VERSION = 1


class SideArrays:
    """The side file's arrays (``<stem>.npz`` beside the .nirt), loaded on first use."""

    def __init__(self, path: str | None):
        self.path = path
        self._data: Any = None

    def get(self, key: str, token) -> np.ndarray:
        if self.path is None:
            raise ValueProblem(f"@\"{key}\" refers to a side file, and this input has none "
                               "(write large arrays inline with --base64)", token)
        if self._data is None:
            try:
                self._data = np.load(self.path, allow_pickle=False)
            except FileNotFoundError:
                raise ValueProblem(f"side file {self.path} not found (arrays written @\"...\" "
                                   "live there)", token) from None
            except Exception as e:
                raise ValueProblem(f"side file {self.path} is not a readable .npz "
                                   f"({e.__class__.__name__})", token) from None
        if key not in self._data.files:
            raise ValueProblem(f"side file {self.path} has no array '{key}'", token)
        try:
            return self._data[key]
        except Exception as e:
            raise ValueProblem(f"side file {self.path}: array '{key}' is unreadable "
                               f"({e.__class__.__name__})", token) from None

    def close(self) -> None:
        if self._data is not None:
            self._data.close()


def parse_nirt(text: str, source: str = "<input>", side: SideArrays | None = None) -> nir.NIRGraph:
    """The graph a .nirt text states; ``source`` names it in errors, ``side`` holds the
    side file's arrays (None: the text may not use ``@`` references)."""
    try:
        tree = get_parser().parse(text)
    except UnexpectedInput as e:
        raise syntax_error(e, text, source) from None
    version, body = tree.children
    reader = _Reader(source, _Values(side or SideArrays(None)))
    if int(version) != VERSION:
        raise reader.error(f"unsupported .nirt version {version} (this nirc reads version "
                           f"{VERSION})", version)
    return reader.graph(body, "")


# ---- values ---------------------------------------------------------------------------


@dataclass
class _Pos:
    line: int
    column: int


class _Rows(list):
    """Array rows as parsed, with the position of their opening bracket."""

    token: _Pos | None = None


class _Values(Transformer):
    """Value subtrees -> Python objects, each of the Python type the text states."""

    def __init__(self, side: SideArrays):
        super().__init__()
        self.side = side

    def py_scalar(self, items):
        return python_scalar(items[0])

    def string(self, items):
        return _string(items[0])

    def none(self, _):
        return None

    def tuple(self, items):
        return tuple(items)

    def list(self, items):
        return list(items)

    def pair(self, items):
        key, value = items
        return (_string(key) if key.type == "STRING" else str(key), key), value

    def dict(self, items):
        result: dict[str, Any] = {}
        for (key, token), value in items:
            if key in result:
                raise ValueProblem(f"key '{key}' appears twice", token)
            result[key] = value
        return result

    def np_scalar(self, items):
        dtype_token, literal = items
        return numpy_scalar(literal, DTYPES[str(dtype_token)])

    def shape(self, items):
        for token in items:
            if int(token) < 0:
                raise ValueProblem(f"a shape has sizes >= 0, found {token}", token)
        return tuple(int(t) for t in items)

    @v_args(meta=True)
    def rows(self, meta, items):
        rows = _Rows(items)
        rows.token = None if meta.empty else _Pos(meta.line, meta.column)
        return rows

    def side_ref(self, items):
        return ("side", items[0])

    def b64(self, items):
        return ("base64", items[0])

    def fill(self, items):
        return ("fill", items[0])

    def digest(self, items):
        raise ValueProblem("a --digest-large summary is for reading only and cannot be read "
                           "back (convert without --digest-large)", items[0])

    def array(self, items):
        dtype_token, shape, data = items
        dtype = DTYPES[str(dtype_token)]
        if isinstance(data, tuple):
            form, token = data
            if form == "fill":
                return np.full(shape, numpy_scalar(token, dtype), dtype=dtype)
            if form == "base64":
                return array_from_base64(_string(token), dtype, shape, token)
            key = _string(token)
            return check_side_array(self.side.get(key, token), dtype, shape, key, token)
        return array_from_rows(data, dtype, shape, dtype_token)


def _string(token: Token) -> str:
    try:
        return json.loads(token, strict=False)
    except json.JSONDecodeError as e:
        raise ValueProblem(f"invalid string ({e.msg})", token) from None


# ---- graphs ---------------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str, values: _Values):
        self.source = source
        self.values = values

    def error(self, message: str, where, node: str | None = None,
              field: str | None = None) -> NircError:
        line, column = _position(where)
        return NircError(message, file=f"{self.source}:{line}:{column}", node=node, field=field)

    def value(self, tree: Tree, node: str | None, field: str):
        try:
            return self.values.transform(tree)
        except VisitError as e:
            problem = e.orig_exc
            if isinstance(problem, ValueProblem):
                raise self.error(problem.message, problem.token or tree, node, field) from None
            if isinstance(problem, NircError):
                raise problem from None
            raise

    def ref(self, tree: Tree) -> str:
        if tree.data == "quoted_ref":
            try:
                return _string(tree.children[0])
            except ValueProblem as e:
                raise self.error(e.message, tree) from None
        return ".".join(str(t) for t in tree.children)

    def graph(self, body: Tree, path: str) -> nir.NIRGraph:
        nodes: dict[str, nir.NIRNode] = {}
        edges: list[tuple[str, str]] = []
        endpoints: list[tuple[str, Tree]] = []
        metadata: dict | None = None
        where = path or None
        for stmt in body.children:
            if stmt.data == "metadata_stmt":
                if metadata is not None:
                    raise self.error("graph metadata is given twice", stmt, where, "metadata")
                metadata = self.value(stmt.children[0], where, "metadata")
            elif stmt.data in ("node_def", "graph_def"):
                name = self.ref(stmt.children[0])
                node_path = f"{path}.{name}" if path else name
                if name in nodes:
                    raise self.error("node defined twice", stmt, node_path)
                nodes[name] = (self.subgraph(stmt, node_path) if stmt.data == "graph_def"
                               else self.node(stmt, node_path))
            else:
                groups = [[(self.ref(r), r) for r in ep.children] for ep in stmt.children]
                for sources, targets in zip(groups, groups[1:]):
                    for a, a_tree in sources:
                        for b, b_tree in targets:
                            edges.append((a, b))
                            endpoints += [(a, a_tree), (b, b_tree)]
        for name, tree in endpoints:
            if not _resolves(name, nodes):
                raise self.error(f"edge endpoint '{name}' names no node of this graph "
                                 "(nor '<subgraph>.<node>')", tree, where)
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata or {}, type_check=False)

    def subgraph(self, stmt: Tree, path: str) -> nir.NIRGraph:
        kind = stmt.children[1]
        if str(kind) != "NIRGraph":
            raise self.error(f"only a NIRGraph is written as a block {{...}}; write "
                             f"{kind}(field=value, ...)", kind, path)
        return self.graph(stmt.children[2], path)

    def node(self, stmt: Tree, path: str) -> nir.NIRNode:
        kind_token, *args = stmt.children[1:]
        kind = str(kind_token)
        if kind not in NODE_TYPES:
            raise self.error(f"unknown node type '{kind}' (NIR 1.0.8 defines "
                             f"{', '.join(NODE_TYPES)})", kind_token, path)
        if kind == "NIRGraph":
            raise self.error("a NIRGraph is written as a block: name = NIRGraph { ... }",
                             kind_token, path)
        allowed = (*_FIELDS[kind], "metadata")
        data: dict[str, Any] = {"type": kind}
        places: dict[str, Tree] = {}
        for arg in args:
            key_token, value_tree = arg.children
            key = str(key_token)
            if key not in allowed:
                raise self.error(f"unknown parameter of a {kind} node (it takes "
                                 f"{', '.join(allowed)})", key_token, path, key)
            if key in data:
                raise self.error("parameter given twice", key_token, path, key)
            data[key] = self.value(value_tree, path, key)
            places[key] = arg
        if "metadata" in data and not isinstance(data["metadata"], dict):
            raise self.error("metadata must be a dict {key: value, ...}", places["metadata"],
                             path, "metadata")
        for field in _FIELDS[kind]:
            if field not in data and field not in _OPTIONAL:
                raise self.error(f"required parameter of a {kind} node is missing",
                                 kind_token, path, field)
        try:
            return node_from_dict(data, path)
        except NircError as e:
            raise self.error(e.message, places.get(e.field or "", kind_token), path,
                             e.field) from None


def _resolves(name: str, nodes: dict) -> bool:
    """``name`` is a node, or ``<sub>.<node>`` of a nested graph (as the importer reads it)."""
    if name in nodes:
        return True
    for i, ch in enumerate(name):
        sub = nodes.get(name[:i]) if ch == "." else None
        if isinstance(sub, nir.NIRGraph) and name[i + 1:] in sub.nodes:
            return True
    return False


def _position(where) -> tuple[int, int]:
    if isinstance(where, Tree):
        meta = where.meta
        return (meta.line, meta.column) if not meta.empty else (1, 1)
    line, column = getattr(where, "line", None), getattr(where, "column", None)
    return (line or 1, column or 1)
