"""Reading and writing .nir (HDF5) files as ``nir.NIRGraph`` objects.

Reading goes through the ``nir`` package's own HDF5 decoding (``hdf2dict``) and node
constructors (``dict2NIRNode``), so each node is exactly what ``nir.read`` builds, but
it also loads sound files that ``nir.read`` (1.0.8) rejects because of known bugs:

- nested graphs: ``nir.read`` type-checks every nested NIRGraph even with
  ``type_check=False``, and its checker cannot follow edges into subgraphs;
- Conv2d/Conv1d with ``groups > 1``: the checker takes C_in = weight.shape[1], which
  is C_in/groups;
- legacy v0.x files without ``v_reset`` (filled with zeros, as ``nir.read`` does).

Defects whose intent is plain (an Input/Output shape that is only a reshape, an edge
naming a node of one subgraph or a renamed node) are read as meant, with a warning, by the importer
(nirc/plain_intent.py).

Graphs are built with ``type_check=False``: nirc checks shapes itself (the ``nir``
dialect verifier) and reports problems as one-line diagnostics.
"""

from __future__ import annotations

import os
import warnings

import h5py
import nir
import numpy as np

from .atomic import write_with
from .diagnostics import NircError
from .hdf5_read import read_tree

NODE_TYPES = (
    "Input", "Output", "Affine", "Linear", "Conv1d", "Conv2d", "Scale", "Threshold",
    "Flatten", "SumPool2d", "AvgPool2d", "Delay", "LI", "LIF", "CubaLI", "CubaLIF",
    "I", "IF", "NIRGraph",
)  # fmt: skip

# fields a node may carry in a file, beyond `type` and `metadata`
_OPTIONAL = {"v_reset", "w_in", "input_shape", "input_type"}
_FIELDS = {
    "Input": ("shape",), "Output": ("shape",), "Affine": ("weight", "bias"),
    "Linear": ("weight",),
    "Conv1d": ("input_shape", "weight", "stride", "padding", "dilation", "groups", "bias"),
    "Conv2d": ("input_shape", "weight", "stride", "padding", "dilation", "groups", "bias"),
    "Scale": ("scale",), "Threshold": ("threshold",),
    "Flatten": ("input_type", "start_dim", "end_dim"),
    "SumPool2d": ("kernel_size", "stride", "padding"),
    "AvgPool2d": ("kernel_size", "stride", "padding"),
    "Delay": ("delay",), "LI": ("tau", "r", "v_leak"),
    "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
    "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
    "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
    "I": ("r",), "IF": ("r", "v_threshold", "v_reset"),
}  # fmt: skip


def read_nir(path: str | os.PathLike) -> nir.NIRGraph:
    """Load a .nir file; raise ``NircError`` naming the file and node on any problem."""
    name = str(path)
    try:
        handle = h5py.File(name, "r")
    except FileNotFoundError:
        raise NircError("no such file", file=name) from None
    except OSError as e:
        reason = str(e).split("(")[0].strip().rstrip(":") or "unreadable"
        raise NircError(f"not a readable HDF5 file ({reason})", file=name) from None
    try:
        with handle:
            if "node" not in handle:
                raise NircError("not a NIR file: it has no 'node' group", file=name)
            data = read_tree(handle["node"])
    except NircError:
        raise
    except Exception as e:  # h5py raises OSError/KeyError/RuntimeError on corrupt data
        raise NircError(f"truncated or corrupt HDF5 data ({e})", file=name) from None
    try:
        return graph_from_dict(data, path="")
    except NircError as e:
        raise e.with_file(name) from None


def graph_from_dict(data: dict, path: str) -> nir.NIRGraph:
    """Build a NIRGraph (recursively, without nir's type check) from decoded HDF5."""
    kind = _type_of(data, path or "<root>")
    if kind != "NIRGraph":
        raise NircError(f"the root node must be a NIRGraph, found '{kind}'")
    nodes_data = data.get("nodes")
    if not isinstance(nodes_data, dict):
        raise NircError("graph has no 'nodes' group", node=path or None)
    nodes = {}
    for key, node_data in nodes_data.items():
        node_path = f"{path}.{key}" if path else key
        if not isinstance(node_data, dict):
            raise NircError("is not an HDF5 group", node=node_path)
        if _type_of(node_data, node_path) == "NIRGraph":
            nodes[key] = graph_from_dict(node_data, node_path)
        else:
            nodes[key] = node_from_dict(node_data, node_path)
    edges = _edges(data.get("edges"), path)
    metadata = data.get("metadata", {})
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)


def node_from_dict(data: dict, path: str) -> nir.NIRNode:
    """One non-graph node, built by nir's own constructor (as nir.read does)."""
    kind = _type_of(data, path)
    fields = _FIELDS[kind]
    for key in data:
        if key not in fields and key not in ("type", "metadata"):
            raise NircError(f"unknown field for a {kind} node", node=path, field=key)
    for field in fields:
        if field not in data and field not in _OPTIONAL:
            raise NircError(f"required field of a {kind} node is missing", node=path, field=field)
    for field in fields:
        value = data.get(field)
        if isinstance(value, str) and field != "padding":
            raise NircError(f"has dtype str ({value!r}), expected numbers", node=path, field=field)
        if isinstance(value, np.ndarray) and value.dtype.kind not in "iufb":
            raise NircError(f"has dtype {value.dtype}, expected numbers", node=path, field=field)
    data = dict(data)
    if kind in ("Conv1d", "Conv2d"):
        data.setdefault("input_shape", None)  # optional in files; nir's constructor needs it
    if kind == "Flatten":
        _check_flatten_dims(data, path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy overflow in nir's shape code: an error
            return nir.dict2NIRNode(data)
    except Exception as e:
        raise NircError(f"invalid {kind} node ({e})", node=path) from None


def _check_flatten_dims(data: dict, path: str) -> None:
    """start_dim/end_dim index the input's dims: -ndim <= d < ndim (numpy's rule), which
    nir's constructor assumes (an index like 2**64-1 overflows its shape arithmetic)."""
    shape = data.get("input_type")
    if isinstance(shape, dict):
        shape = shape.get("input")
    ndim = int(np.size(shape)) if shape is not None else None
    for field in ("start_dim", "end_dim"):
        value = np.asarray(data[field])
        if value.size != 1 or value.dtype.kind not in "iu":
            raise NircError(f"must be one integer, found {value.tolist()}", node=path, field=field)
        d = int(value.reshape(-1)[0])
        bound = ndim if ndim is not None else 2**31
        if not -bound <= d < bound:
            where = f"an input of {ndim} dims" if ndim is not None else "an input"
            raise NircError(f"must index a dim of {where} ({-bound} <= d < {bound}), found {d}",
                            node=path, field=field)


def _type_of(data: dict, path: str) -> str:
    kind = data.get("type")
    if not isinstance(kind, str):
        raise NircError("has no 'type' string", node=path)
    if kind not in NODE_TYPES:
        raise NircError(
            f"unknown node type '{kind}' (NIR 1.0.8 defines {', '.join(NODE_TYPES)})",
            node=path,
        )
    return kind


def _edges(raw, path: str) -> list[tuple[str, str]]:
    if raw is None:
        raise NircError("graph has no 'edges' dataset", node=path or None)
    array = np.asarray(raw)
    if array.size == 0:
        return []
    if array.ndim != 2 or array.shape[1] != 2:
        raise NircError(f"'edges' must be an (N, 2) array, found shape {list(array.shape)}",
                        node=path or None)
    return [(_text(a, path), _text(b, path)) for a, b in array]


def _text(value, path: str) -> str:
    if not isinstance(value, bytes):
        return str(value)
    try:
        return value.decode("utf8")
    except UnicodeDecodeError:
        raise NircError(f"edge endpoint {value[:40]!r} is not valid UTF-8",
                        node=path or None, field="edges") from None


def write_nir(graph: nir.NIRGraph, path: str | os.PathLike) -> None:
    """Write ``graph`` with ``nir.write`` (gzip), atomically.

    Optional fields that are ``None`` (a Conv without ``input_shape``, a Flatten
    without ``input_type``: what ``read_nir`` gives for files that lack them) are left
    out of the file, as in the files they came from; ``nir.write`` itself would fail
    on them (h5py cannot store None).
    """
    storable = _WithoutNoneFields(_drop_none_fields(graph.to_dict()))
    write_with(path, lambda tmp: nir.write(tmp, storable))


class _WithoutNoneFields:
    """What ``nir.write`` needs of a graph (1.0.8 calls only ``to_dict``)."""

    def __init__(self, data: dict):
        self._data = data

    def to_dict(self) -> dict:
        return self._data


def _drop_none_fields(node: dict) -> dict:
    out = {}
    for key, value in node.items():
        if key in _OPTIONAL and value is None:
            continue
        if key == "nodes" and isinstance(value, dict):
            value = {name: _drop_none_fields(child) for name, child in value.items()}
        out[key] = value
    return out
