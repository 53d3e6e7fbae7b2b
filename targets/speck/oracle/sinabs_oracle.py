"""sinabs as an oracle for the Speck target, used through files and a subprocess.

sinabs 3.1.3 (with torch) lives in its own venv (build_env.sh) and is never imported
here: ``run_sinabs_many`` writes each NIR graph and input raster to a temporary
directory, runs run_sinabs.py with the oracle venv's python once for all of them
(importing torch + sinabs costs seconds; a small network then runs in milliseconds),
and returns the npz contents (run_sinabs.py's docstring lists the keys).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RUN_SINABS = HERE / "run_sinabs.py"
ENV_VAR = "NIRC_SINABS_PYTHON"


def sinabs_python() -> str | None:
    """The oracle venv's python: ``$NIRC_SINABS_PYTHON`` if set (an empty value disables
    the oracle), else ../sinabs-venv/bin/python next to the repository root (where .ci/run
    builds it), else /tmp/sinabs-venv/bin/python; None if there is none."""
    from ...oracles import oracle_python

    return oracle_python(ENV_VAR, "sinabs-venv")


def run_sinabs_many(jobs: list[tuple], timeout: float | None = None, python: str | None = None,
                    threads: int = 1) -> list[dict[str, np.ndarray] | str]:
    """sinabs' result for every job ``(graph, raster)``, ``(graph, raster, options)`` with
    options of run_sinabs.py's jobs (``repeat``, ``discretize``, ``sequential``):
    ``graph`` a nir.NIRGraph or a path to a .nir file, ``raster`` (T, B, C, H, W) event
    counts.  One subprocess runs them all; a job sinabs fails on gives its traceback (a
    str) instead of a dict.  Raises RuntimeError if the oracle is missing or the
    subprocess fails as a whole."""
    return SinabsRun(jobs, python, threads).results(timeout)


class SinabsRun:
    """``run_sinabs_many`` in the background: the subprocess starts at construction, so
    the caller can compute its own side meanwhile; ``results()`` waits for it."""

    def __init__(self, jobs: list[tuple], python: str | None = None, threads: int = 1):
        import nir

        python = python or sinabs_python()
        if python is None:
            raise RuntimeError("no sinabs oracle python: build it with targets/speck/oracle/"
                               f"build_env.sh or set {ENV_VAR}")
        self._dir = tempfile.TemporaryDirectory(prefix="nirc-sinabs-")
        tmp = Path(self._dir.name)
        self.specs = []
        for j, job in enumerate(jobs):
            graph, raster = job[0], job[1]
            if isinstance(graph, nir.NIRGraph):
                path = tmp / f"g{j}.nir"
                nir.write(str(path), graph)
                graph = path
            np.save(tmp / f"x{j}.npy", np.asarray(raster, np.float32))
            spec = {"nir": str(graph), "input": str(tmp / f"x{j}.npy"), "out": str(tmp / f"o{j}.npz")}
            if len(job) > 2:
                spec.update(job[2])
            self.specs.append(spec)
        (tmp / "jobs.json").write_text(json.dumps(self.specs))
        env = {**os.environ, "NIRC_SINABS_THREADS": str(threads)}
        self.proc = subprocess.Popen([python, str(RUN_SINABS), "--jobs", str(tmp / "jobs.json")],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env)

    def close(self) -> None:
        """Stop the subprocess and remove its files (results not wanted)."""
        self.proc.kill()
        self.proc.communicate()
        self._dir.cleanup()

    def results(self, timeout: float | None = None) -> list[dict[str, np.ndarray] | str]:
        try:
            _, stderr = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise
        try:
            if self.proc.returncode != 0:
                raise RuntimeError(f"run_sinabs.py failed ({self.proc.returncode}):\n{stderr[-4000:]}")
            results: list = []
            for spec in self.specs:
                err = Path(spec["out"] + ".err")
                if err.exists():
                    results.append(err.read_text())
                    continue
                with np.load(spec["out"]) as data:
                    results.append({k: data[k] for k in data.files})
            return results
        finally:
            self._dir.cleanup()
