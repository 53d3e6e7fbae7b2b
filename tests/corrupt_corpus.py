"""A deterministic corpus of corrupted .nir files, for the "no internal error" tests.

``corpus(directory, seed=0)`` writes >= 500 files into ``directory`` and returns their
paths with the mutation that made each.  The bases are valid graphs: nirc's examples
(nirc/examples.py: a recurrent CubaLIF net, a CNN, a nested subgraph) and small
chains of every NIR node kind drawn with a seeded numpy generator.  Mutations:

- file level: truncation at a random offset; random byte flips; an empty file;
- HDF5 level (h5py on a copy): a field replaced by a string, a 0-d value, a wrong
  shape, a wrong dtype or a huge dimension ([-5], [0], [10**9], [2**63 - 1]); a field
  or a node's ``type`` deleted; an unknown type; a dangling edge; an edge leaving an
  Output; an edge name that is not UTF-8; edges of a wrong shape; a chunked dataset of
  10**9 fill values (a few KB on disk); nesting 300 levels deep; Flatten end_dim
  2**64 - 1; tau = 1e-30.
"""

from __future__ import annotations

import io
from pathlib import Path

import h5py
import nir
import numpy as np

from nirc.examples import cnn, nested, srnn


def _chain(rng: np.random.Generator) -> nir.NIRGraph:
    n = int(rng.integers(2, 6))
    kinds = ["Affine", "Linear", "LIF", "CubaLIF", "LI", "IF", "I", "Scale", "Threshold",
             "Delay", "CubaLI"]
    nodes = {"input": nir.Input(np.array([n]))}
    edges, prev = [], "input"
    for i in range(int(rng.integers(1, 5))):
        kind = kinds[int(rng.integers(len(kinds)))]
        ones = np.ones(n)
        node = {
            "Affine": lambda: nir.Affine(weight=rng.normal(size=(n, n)), bias=np.zeros(n)),
            "Linear": lambda: nir.Linear(weight=rng.normal(size=(n, n))),
            "LIF": lambda: nir.LIF(tau=ones * 1e-2, r=ones, v_leak=0 * ones,
                                   v_threshold=ones, v_reset=0 * ones),
            "CubaLIF": lambda: nir.CubaLIF(tau_syn=ones * 5e-3, tau_mem=ones * 1e-2, r=ones,
                                           v_leak=0 * ones, v_threshold=ones,
                                           v_reset=0 * ones, w_in=ones),
            "LI": lambda: nir.LI(tau=ones * 1e-2, r=ones, v_leak=0 * ones),
            "CubaLI": lambda: nir.CubaLI(tau_syn=ones * 5e-3, tau_mem=ones * 1e-2, r=ones,
                                         v_leak=0 * ones, w_in=ones),
            "IF": lambda: nir.IF(r=ones, v_threshold=ones, v_reset=0 * ones),
            "I": lambda: nir.I(r=ones),
            "Scale": lambda: nir.Scale(scale=ones * 2),
            "Threshold": lambda: nir.Threshold(threshold=ones),
            "Delay": lambda: nir.Delay(delay=ones * 1e-3),
        }[kind]()
        name = f"n{i}"
        nodes[name] = node
        edges.append((prev, name))
        prev = name
    nodes["output"] = nir.Output(np.array([n]))
    edges.append((prev, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def _bytes_of(graph: nir.NIRGraph, path: Path) -> bytes:
    nir.write(path, graph)
    return path.read_bytes()


def _datasets(f: h5py.File) -> list[str]:
    names: list[str] = []
    f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    return names


def _replace(f: h5py.File, name: str, value) -> None:
    del f[name]
    f[name] = value


HUGE = [[-5], [0], [10**9], [2**63 - 1], [3, -1], [2**31, 2**31]]


def _h5_mutation(f: h5py.File, rng: np.random.Generator) -> str:
    """Apply one random HDF5-level mutation to an open copy; return its description."""
    names = _datasets(f)
    fields = [n for n in names if not n.endswith(("/type", "edges")) and n != "version"]
    edges = [n for n in names if n.endswith("edges")]
    outputs = [n.rsplit("/", 1)[0] for n in names if n.endswith("/type")
               and f[n][()] in (b"Output", "Output")]
    choice = int(rng.integers(14))
    field = fields[int(rng.integers(len(fields)))]
    if choice == 0:
        _replace(f, field, "not a number")
        return f"string {field}"
    if choice == 1:
        _replace(f, field, np.float64(1.5))
        return f"0-d {field}"
    if choice == 2:
        _replace(f, field, rng.normal(size=(int(rng.integers(1, 4)), int(rng.integers(1, 4)))))
        return f"wrong shape {field}"
    if choice == 3:
        _replace(f, field, np.array([b"x", b"y"]))
        return f"bytes dtype {field}"
    if choice == 4:
        shape_fields = [n for n in fields if n.endswith("/shape")] or [field]
        target = shape_fields[int(rng.integers(len(shape_fields)))]
        dims = HUGE[int(rng.integers(len(HUGE)))]
        _replace(f, target, np.array(dims, dtype=np.int64))
        return f"dims {dims} at {target}"
    if choice == 5:
        del f[field]
        return f"missing {field}"
    if choice == 6:
        types = [n for n in names if n.endswith("/type")]
        t = types[int(rng.integers(len(types)))]
        if rng.random() < 0.5:
            del f[t]
            return f"missing {t}"
        _replace(f, t, "Bogus")
        return f"unknown type at {t}"
    if choice == 7 and edges:
        e = edges[int(rng.integers(len(edges)))]
        old = [list(r) for r in f[e][()]]
        _replace(f, e, np.array(old + [[b"input", b"ghost"]], dtype=object).astype("S"))
        return f"dangling edge in {e}"
    if choice == 8 and edges and outputs:
        e = edges[0]
        old = [list(r) for r in f[e][()]]
        out = outputs[0].rsplit("/", 1)[1].encode()
        _replace(f, e, np.array(old + [[out, b"input"]], dtype=object).astype("S"))
        return f"edge leaving Output in {e}"
    if choice == 9 and edges:
        e = edges[0]
        old = [list(r) for r in f[e][()]]
        _replace(f, e, np.array(old + [[b"\xff\xfe", b"input"]], dtype=object).astype("S"))
        return f"non-UTF-8 edge name in {e}"
    if choice == 10 and edges:
        _replace(f, edges[0], np.array([b"a", b"b", b"c"]))
        return "edges of shape (3,)"
    if choice == 11:
        del f[field]
        f.create_dataset(field, shape=(10**9,), dtype="f8", chunks=(2**16,), fillvalue=1.0)
        return f"chunked 10^9 fill values at {field}"
    if choice == 12:
        taus = [n for n in fields if n.rsplit("/", 1)[1].startswith("tau")] or [field]
        t = taus[int(rng.integers(len(taus)))]
        _replace(f, t, np.full(f[t].shape or (1,), 1e-30))
        return f"tau 1e-30 at {t}"
    _replace(f, field, np.array([np.nan, np.inf]))
    return f"nan/inf {field}"


def _deep(depth: int) -> nir.NIRGraph:
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1])), "output": nir.Output(np.array([1]))},
                     edges=[("input", "output")], type_check=False)
    for _ in range(depth):
        g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1])), "g": g,
                                "output": nir.Output(np.array([1]))},
                         edges=[("input", "g"), ("g", "output")], type_check=False)
    return g


def _flatten_end_dim() -> nir.NIRGraph:
    return nir.NIRGraph(
        nodes={"input": nir.Input(np.array([2, 3])),
               "flat": nir.Flatten(start_dim=0, end_dim=-1, input_type={"input": np.array([2, 3])}),
               "output": nir.Output(np.array([6]))},
        edges=[("input", "flat"), ("flat", "output")], type_check=False)


def corpus(directory: Path, seed: int = 0, count: int = 520) -> list[tuple[Path, str]]:
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    scratch = directory / "_base.nir"
    bases = [srnn(), cnn(), nested()] + [_chain(rng) for _ in range(12)]
    base_bytes = [_bytes_of(g, scratch) for g in bases]
    out: list[tuple[Path, str]] = []

    def add(data: bytes, what: str) -> None:
        path = directory / f"c{len(out):04d}.nir"
        path.write_bytes(data)
        out.append((path, what))

    add(b"", "empty file")
    add(_bytes_of(_deep(300), scratch), "nesting 300 deep")
    flat = _bytes_of(_flatten_end_dim(), scratch)
    buf = io.BytesIO(flat)
    with h5py.File(buf, "r+") as f:
        _replace(f, "node/nodes/flat/end_dim", np.uint64(2**64 - 1))
    add(buf.getvalue(), "Flatten end_dim 2^64-1")
    while len(out) < count:
        k = int(rng.integers(len(base_bytes)))
        data = base_bytes[k]
        kind = rng.random()
        if kind < 0.15:
            cut = int(rng.integers(1, len(data)))
            add(data[:cut], f"base {k} truncated at {cut}")
        elif kind < 0.3:
            flipped = bytearray(data)
            for pos in rng.integers(0, len(data), int(rng.integers(1, 9))):
                flipped[pos] ^= 1 << int(rng.integers(8))
            add(bytes(flipped), f"base {k} byte flips")
        else:
            buf = io.BytesIO(data)
            with h5py.File(buf, "r+") as f:
                what = _h5_mutation(f, rng)
            add(buf.getvalue(), f"base {k}: {what}")
    scratch.unlink()
    return out
