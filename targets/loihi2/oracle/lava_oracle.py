"""Lava as an oracle for targets/loihi2/sim.py, used through files and a subprocess.

Lava (lava-nc 0.10.0, lava-dl 0.6.0) lives in its own venv (build_env.sh) and is never
imported here: ``run_lava`` writes the netx file and the raster to a temporary
directory, runs run_lava.py with the oracle venv's python, and returns the npz contents.
``run_lava_many`` runs many (network, raster) pairs in one or a few such subprocesses
(``run_lava.py --jobs``): importing Lava costs ~3 s per process, a small network then
runs in ~0.5-1 s.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..netx import NetxNetwork, write_netx

HERE = Path(__file__).resolve().parent
RUN_LAVA = HERE / "run_lava.py"
ENV_VAR = "NIRC_LAVA_PYTHON"


def lava_python() -> str | None:
    """The oracle venv's python: ``$NIRC_LAVA_PYTHON`` if set (an empty value disables the
    oracle), else ../lava-venv/bin/python next to the repository root (where .ci/run
    builds it), else /tmp/lava-venv/bin/python (a developer's); None if there is none."""
    from ...oracles import oracle_python

    return oracle_python(ENV_VAR, "lava-venv")


def run_lava(network: NetxNetwork, raster: np.ndarray, steps: int | None = None,
             **options) -> dict[str, np.ndarray]:
    """Lava's result for one network and one raster, as run_lava.py's npz keys (``out``,
    ``s<i>``, ``u<i>``, ``v<i>``, ``input``, ``layer_h5_index``, ``layer_type``).

    ``raster`` is (T, *input_shape) or (T, n_in), or batched (T, B, ...): each sample is
    one Lava run (Lava's netx network has no batch axis), and the per-sample arrays are
    stacked on axis 1 ((T, B, n), like ``sim.simulate``).  ``options``: those of
    ``run_lava_many``."""
    return run_lava_many([(network, raster)], steps=steps, **options)[0]


def run_lava_many(jobs: list[tuple], steps: int | None = None,
                  input_message_bits: int | None = None, states: bool = True,
                  workers: int = 1, timeout: float | None = None,
                  python: str | None = None, check: bool = True) -> list[dict[str, np.ndarray]]:
    """``run_lava`` for every job, in ``workers`` subprocesses (each runs its share of the
    samples one after the other with ``run_lava.py --jobs``).  A job is
    ``(network, raster)`` or ``(network, raster, options)``; ``options`` may override
    ``steps``, ``input_message_bits`` and ``check`` for that job.  ``steps``,
    ``input_message_bits``, ``states`` (False: ``--no-states``) apply to every job;
    ``check=False`` writes networks that ``NetxNetwork.check()`` rejects (to show what
    Lava does with them).  Raises RuntimeError if the oracle is missing or a job fails."""
    python = python or lava_python()
    if python is None:
        raise RuntimeError("no Lava oracle python: build it with targets/loihi2/oracle/"
                           f"build_env.sh or set {ENV_VAR}")
    with tempfile.TemporaryDirectory(prefix="nirc-lava-") as tmp:
        tmp = Path(tmp)
        specs, shapes = [], []
        for j, job in enumerate(jobs):
            network, raster = job[0], job[1]
            opts = dict(steps=steps, input_message_bits=input_message_bits, check=check)
            opts.update(job[2] if len(job) > 2 else {})
            net_path = tmp / f"net{j}.h5"
            write_netx(network, net_path, check=opts["check"])
            samples, batched = _samples(np.asarray(raster), network.input_shape)
            shapes.append((len(samples), batched))
            for b, sample in enumerate(samples):
                inp = tmp / f"in{j}_{b}.npy"
                np.save(inp, sample)
                spec = {"net": str(net_path), "input": str(inp), "out": str(tmp / f"out{j}_{b}.npz")}
                if opts["steps"] is not None:
                    spec["steps"] = int(opts["steps"])
                if opts["input_message_bits"] is not None:
                    spec["input_message_bits"] = int(opts["input_message_bits"])
                if not states:
                    spec["no_states"] = True
                specs.append(spec)
        workers = max(1, min(workers, len(specs)))
        chunks = [specs[w::workers] for w in range(workers)]
        procs = []
        for w, chunk in enumerate(chunks):
            path = tmp / f"jobs{w}.json"
            path.write_text(json.dumps(chunk))
            log = open(tmp / f"log{w}.txt", "w")
            procs.append((subprocess.Popen([python, str(RUN_LAVA), "--jobs", str(path)],
                                           stdout=log, stderr=subprocess.STDOUT), log, w))
        for proc, log, _ in procs:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                for p, _, _ in procs:
                    p.kill()
                raise
            finally:
                log.close()
        results, k = [], 0
        for j, (count, batched) in enumerate(shapes):
            samples = []
            for b in range(count):
                out = Path(specs[k]["out"])
                k += 1
                err = Path(str(out) + ".err")
                if err.exists() or not out.exists():
                    logs = "".join((tmp / f"log{w}.txt").read_text()[-4000:] for w in range(workers))
                    detail = err.read_text() if err.exists() else logs
                    raise RuntimeError(f"Lava failed on job {j} sample {b}:\n{detail}")
                with np.load(out) as data:
                    samples.append({key: data[key] for key in data.files})
            results.append(_stack(samples) if batched else samples[0])
    return results


def _samples(raster: np.ndarray, input_shape) -> tuple[list[np.ndarray], bool]:
    """The raster as a list of (T, n_in) samples, and whether it was batched (the shapes
    ``sim.simulate`` takes)."""
    shape = tuple(int(d) for d in input_shape)
    n, k = int(np.prod(shape)), len(shape)
    if raster.ndim == 1 + k and raster.shape[1:] == shape or (k == 3 and raster.ndim == 2):
        return [raster.reshape(raster.shape[0], n)], False
    if raster.ndim == 2 + k and raster.shape[2:] == shape or (k == 3 and raster.ndim == 3):
        flat = raster.reshape(raster.shape[0], raster.shape[1], n)
        return [np.ascontiguousarray(flat[:, b]) for b in range(flat.shape[1])], True
    raise ValueError(f"raster: shape {raster.shape}, expected (T, B, *{shape}) or (T, *{shape})")


def _stack(samples: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-sample results -> one dict with the (T, n) arrays stacked to (T, B, n)."""
    first = samples[0]
    out = {}
    for key, value in first.items():
        if key in ("layer_h5_index", "layer_type"):
            out[key] = value
        else:
            out[key] = np.stack([s[key] for s in samples], axis=1)
    return out
