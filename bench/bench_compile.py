"""``nirc compile`` wall time.

    python bench/bench_compile.py [--workload mlp|xylo] [--target T] [--repeat N]

- ``mlp`` (issue 5, goal < 2 s): bench_foundation's ``mlp-1.0M`` (Input(800) ->
  Affine(1000x800) -> LIF -> Affine(200x1000) -> LIF -> Output, float32, random normal
  weights) for ``--target generic``.
- ``xylo`` (issue 6, goal < 1 s beyond Python start-up): a 16-1000-8 network, Input(16)
  -> Linear -> recurrent CubaLIF(1000) -> Linear -> CubaLIF(8) -> Output (1.03 M
  weights), for ``--target xylo``; measured with the fidelity check off
  (``fidelity-steps=0``) and, separately, on (its 300 x 16 simulations, including numba
  compilation, are reported on their own line).  Start-up is the wall time of ``nirc
  --version`` (Python, click, nirc's CLI module).

Each run is a real subprocess (start-up, imports, read, the target's whole pipeline,
emit, atomic writes); one unmeasured warm-up run precedes N measured ones.  Prints best
and median wall seconds; always exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_foundation import MODELS, mlp  # noqa: E402


def xylo_network():
    """16 -> Linear -> recurrent CubaLIF(1000) -> Linear -> CubaLIF(8)."""
    import nir
    import numpy as np

    rng = np.random.default_rng(0)
    dt = 1e-4

    def cuba(n):
        return nir.CubaLIF(tau_syn=np.full(n, 4 * dt), tau_mem=np.full(n, 16 * dt),
                           r=np.full(n, 16.0), v_leak=np.zeros(n), v_threshold=np.ones(n),
                           v_reset=np.zeros(n), w_in=np.full(n, 4.0))

    def linear(n_out, n_in):
        return nir.Linear(weight=rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32))

    nodes = {"input": nir.Input(np.array([16])), "w_in": linear(1000, 16), "hidden": cuba(1000),
             "w_rec": linear(1000, 1000), "w_out": linear(8, 1000), "readout": cuba(8),
             "output": nir.Output(np.array([8]))}
    edges = [("input", "w_in"), ("w_in", "hidden"), ("hidden", "w_rec"), ("w_rec", "hidden"),
             ("hidden", "w_out"), ("w_out", "readout"), ("readout", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def wall(run: list[str], repeat: int) -> list[float]:
    subprocess.run(run, check=True, capture_output=True)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(run, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workload", choices=("mlp", "xylo"), default="mlp")
    ap.add_argument("--target", default=None)
    args = ap.parse_args()
    import nir

    nirc = Path(sys.executable).with_name("nirc")
    command = [str(nirc)] if nirc.exists() else [sys.executable, "-m", "nirc.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out")
        if args.workload == "mlp":
            target = args.target or "generic"
            graph = Path(tmp) / "mlp-1.0M.nir"
            nir.write(graph, mlp(MODELS["mlp-1.0M"]))
            times = wall([*command, "compile", str(graph), "--target", target, "-o", out], args.repeat)
            median = statistics.median(times)
            print(f"nirc compile mlp-1.0M --target {target}: best {min(times):.2f} s, "
                  f"median {median:.2f} s (goal < 2 s: {'met' if median < 2 else 'MISSED'})")
            return
        graph = Path(tmp) / "xylo-16-1000-8.nir"
        nir.write(graph, xylo_network())
        startup = statistics.median(wall([*command, "--version"], args.repeat))
        quick = wall([*command, "compile", str(graph), "--target", "xylo{fidelity-steps=0}",
                      "-o", out], args.repeat)
        full = wall([*command, "compile", str(graph), "--target", "xylo", "-o", out], args.repeat)
        beyond = statistics.median(quick) - startup
        print(f"start-up (nirc --version): median {startup:.2f} s")
        print(f"nirc compile 16-1000-8 --target xylo{{fidelity-steps=0}}: best {min(quick):.2f} s, "
              f"median {statistics.median(quick):.2f} s; beyond start-up {beyond:.2f} s "
              f"(goal < 1 s: {'met' if beyond < 1 else 'MISSED'})")
        print(f"nirc compile 16-1000-8 --target xylo (with the fidelity check): best "
              f"{min(full):.2f} s, median {statistics.median(full):.2f} s")


if __name__ == "__main__":
    main()
