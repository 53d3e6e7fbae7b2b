"""Decoding a .nir file's HDF5 tree into nested dicts, with limits checked first.

The same result as ``nir.serialization.hdf2dict`` (nir 1.0.8: groups -> dicts,
datasets -> ``item[()]`` with bytes decoded), but each dataset's shape and dtype are
read from the HDF5 metadata before its data, so a tiny file that declares a huge
(chunked, fill-value) dataset is refused without allocating it, and nested graphs are
followed only to a fixed depth (a recursive decoder would otherwise hit Python's
recursion limit and report corruption).

Limits (nirc's, not NIR's; NIR sets none):

- ``MAX_ELEMENTS`` = 2**27 elements per field (1 GiB as float64);
- ``MAX_NESTING`` = 64 levels of nested graphs.
"""

from __future__ import annotations

import h5py
import numpy as np

from .diagnostics import NircError

MAX_ELEMENTS = 2**27
MAX_NESTING = 64


def read_tree(group: h5py.Group) -> dict:
    """The decoded tree of ``group`` (a .nir file's ``node`` group)."""
    return _group(group, node="", level=0)


def _group(group: h5py.Group, node: str, level: int) -> dict:
    out: dict = {}
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            if key == "nodes":
                if level >= MAX_NESTING:
                    raise NircError(f"graphs are nested more than {MAX_NESTING} levels deep "
                                    f"(nirc's limit MAX_NESTING)", node=node or None)
                out[key] = {name: _group(child, _join(node, name), level + 1)
                            if isinstance(child, h5py.Group) else _dataset(child, node, name)
                            for name, child in item.items()}
            else:
                out[key] = _group(item, node, level)
        elif isinstance(item, h5py.Dataset):
            out[key] = _dataset(item, node, key)
    return out


def _join(node: str, name: str) -> str:
    return f"{node}.{name}" if node else name


def _dataset(item: h5py.Dataset, node: str, field: str):
    size = int(np.prod(item.shape, dtype=object)) if item.shape else 1
    if size > MAX_ELEMENTS:
        raise NircError(f"array of shape {list(item.shape)} ({size} elements) exceeds nirc's "
                        f"limit of 2**27 = {MAX_ELEMENTS} elements per field",
                        node=node or None, field=field)
    value = item[()]
    if isinstance(value, bytes):
        return _decode(value, node, field)
    return value


def _decode(value: bytes, node: str, field: str) -> str:
    try:
        return value.decode("utf8")
    except UnicodeDecodeError:
        raise NircError(f"text {value[:40]!r} is not valid UTF-8", node=node or None,
                        field=field) from None
