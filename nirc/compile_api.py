"""``nirc.compile``: the Python form of ``nirc compile``.

    result = nirc.compile("g.nir", target="xylo", dt=1e-3, profile="snntorch")
    result.files            # {"g.xylo.json": b"...", "g.mlir": b"..."}
    result.report           # the dict ``nirc compile --report R.json`` writes
    result.write("out/")    # all files or none
    result.simulate(x)      # the target's simulation, as ``nirc run --target``

It runs the same function as the command line (``nirc.compiler.compile_module``) and
writes with the same all-or-none writer (``nirc.compiler.write_outputs``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .diagnostics import NircError

SIM_KEYS = ("dt", "method", "reset", "v_init", "current", "profile", "spikes", "max_spikes",
            "max_spikes_out", "spike_test", "firing", "v_min", "synapse_delay", "loop_start")
"""The discretization options ``compile`` takes as keywords (the CLI's --dt, --method...)."""


def compile(graph, target: str = "interp", *, inputs=None, min_agreement: float | None = None,
            fidelity: bool = True, name: str | None = None, **sim: Any):
    """Compile ``graph`` for ``target`` (a spec string such as ``"xylo{chip=syns63300}"``
    or a Target) and return the ``CompileResult``; nothing is written.

    ``graph``: a path (.nir, .nirt, textual IR), a ``nir.NIRGraph``, an xDSL module, or the
    bytes of a .nir (HDF5) or .nirt file.  ``sim``: the discretization options by their
    Python names (``dt`` in seconds or ``"auto"``, ``method``, ``reset``, ``profile``, ...,
    as ``SIM_KEYS``), None meaning unset.  ``inputs`` (T, [B,] n) feed the fidelity check;
    below ``min_agreement`` a ``NircError`` is raised.  ``name`` is the files' stem
    (default: the path's stem, else ``graph``)."""
    from nirc.targets import make_target

    from .compiler import compile_module

    unknown = sorted(set(sim) - set(SIM_KEYS))
    if unknown:
        raise TypeError(f"compile() got unknown option(s) {', '.join(unknown)}; "
                        f"expected {', '.join(SIM_KEYS)}")
    sim = {k: v for k, v in sim.items() if v is not None}
    module, source = _load(graph, name)
    chosen = make_target(target) if isinstance(target, str) else target
    return compile_module(module, source, chosen, sim, inputs=inputs, fidelity=fidelity,
                          min_agreement=min_agreement)


def _load(graph, name: str | None):
    """(a verified module, the source name the report and file stems use)."""
    from nirc.targets.interp.api import load

    if isinstance(graph, (bytes, bytearray, memoryview)):
        data = bytes(graph)
        suffix = ".nir" if data.startswith(b"\x89HDF") else ".nirt"
        stem = name or "graph"
        with tempfile.TemporaryDirectory(prefix="nirc-") as tmp:
            path = Path(tmp) / (stem + suffix)
            path.write_bytes(data)
            try:
                return load(str(path)), stem + suffix
            except NircError as e:
                e.file = f"<bytes as {suffix}>"
                raise
    if isinstance(graph, (str, os.PathLike)):
        source = str(graph)
        module = load(source)
        return module, source if name is None else name + Path(source).suffix
    return load(graph), (name or "graph")
