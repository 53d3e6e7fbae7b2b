"""``nirc compile`` wall time: the 1,000,000-weight MLP for the generic target.

Goal (issue 5): under 2 s.  The graph is bench_foundation's ``mlp-1.0M``
(Input(800) -> Affine(1000x800) -> LIF -> Affine(200x1000) -> LIF -> Output, float32,
random normal weights).  Each run is a real subprocess (Python start-up, imports,
read, flatten, discretize, fuse, quantize with its float-vs-integer check, partition,
emit, atomic writes); one unmeasured warm-up run precedes N measured ones.  Prints
best and median wall seconds; always exits 0.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--target", default="generic")
    args = ap.parse_args()
    import nir

    nirc = Path(sys.executable).with_name("nirc")
    command = [str(nirc)] if nirc.exists() else [sys.executable, "-m", "nirc.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "mlp-1.0M.nir"
        nir.write(graph, mlp(MODELS["mlp-1.0M"]))
        run = [*command, "compile", str(graph), "--target", args.target, "-o", str(Path(tmp) / "out")]
        subprocess.run(run, check=True, capture_output=True)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            subprocess.run(run, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
    median = statistics.median(times)
    print(f"nirc compile mlp-1.0M --target {args.target}: best {min(times):.2f} s, "
          f"median {median:.2f} s (goal < 2 s: {'met' if median < 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
