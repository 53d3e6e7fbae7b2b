"""SpiNNaker2 target: compile time, fidelity and simulation speed, with their peers.

    python bench/bench_spinnaker2.py [--repeat N] [--seeds S] [--skip-compile]

- compile (issue 15, goal < 2 s): ``nirc compile`` of bench_foundation's ``mlp-1.0M``
  (Input(800) -> Affine(1000x800) -> LIF -> Affine(200x1000) -> LIF, 1,000,000 weights)
  for ``--target 'spinnaker2{fidelity-steps=0}'`` as real subprocesses (one warm-up, then
  median of N), beside ``--target generic`` (the peer: the same pipeline shape with
  ``quantize`` and ``partition``) and ``nirc --version`` (start-up); then once with the
  default fidelity check (300 steps x 16 samples, the float interpreter included).
- fidelity (goal >= 0.95 on braille at dt = 1e-4): the NIR paper's braille network
  (../shared/conformance), nirc's SpiNNaker2 simulation against the float graph on
  generated input (rate 0.1, 300 steps, 64 samples) for ``--seeds`` seeds: the compile
  report's spike-count agreement and how often the most active output neuron is the same;
  also cnn_sinabs (16 samples).
- simulation: steps x samples per second of nirc's SpiNNaker2 model (sim.py, after a
  warm-up call) against nirc's float interpreter on the same graph and input (the peer).

Always exits 0; read the printed numbers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_compile import wall  # noqa: E402
from bench_foundation import MODELS, mlp  # noqa: E402

PAPER = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "nir-paper"


def compile_times(repeat: int) -> None:
    import nir

    nirc = Path(sys.executable).with_name("nirc")
    command = [str(nirc)] if nirc.exists() else [sys.executable, "-m", "nirc.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "mlp-1.0M.nir"
        nir.write(graph, mlp(MODELS["mlp-1.0M"]))
        out = str(Path(tmp) / "out")
        startup = statistics.median(wall([*command, "--version"], repeat))
        print(f"start-up (nirc --version): median {startup:.2f} s")
        for target in ("spinnaker2{fidelity-steps=0}", "generic"):
            times = wall([*command, "compile", str(graph), "--target", target, "-o", out], repeat)
            median = statistics.median(times)
            goal = f" (goal < 2 s: {'met' if median < 2 else 'MISSED'})" if "spinn" in target else ""
            print(f"nirc compile mlp-1.0M --target {target}: best {min(times):.2f} s, "
                  f"median {median:.2f} s{goal}")
        t = time.perf_counter()
        subprocess.run([*command, "compile", str(graph), "--target", "spinnaker2", "-o", out],
                       check=True, capture_output=True)
        print(f"nirc compile mlp-1.0M --target spinnaker2 (with the fidelity check): "
              f"{time.perf_counter() - t:.2f} s")


def fidelity(seeds: int) -> None:
    from nirc.compiler import compile_module
    from nirc.loading import load_module

    for name, batch in (("braille_noDelay_bias_zero", 64), ("cnn_sinabs", 16)):
        path = PAPER / f"{name}.nir"
        if not path.exists():
            print(f"{name}: ../shared/conformance is absent, skipped")
            continue
        rows = []
        for seed in range(seeds):
            target = f"spinnaker2{{fidelity-batch={batch} seed={seed}}}"
            report = compile_module(load_module(str(path)), str(path), target, {"dt": 1e-4}).report
            f = report["spinnaker2"]["fidelity"]
            rows.append((f["mean"], f["same_decision"], f["spikes_float"], f["spikes_chip"]))
        mean = [r[0] for r in rows]
        print(f"{name}: agreement {np.mean(mean):.3f} [{min(mean):.3f}, {max(mean):.3f}] over "
              f"{seeds} seeds x {batch} samples x 300 steps; same decision "
              f"{np.mean([r[1] for r in rows]):.0%}; output spikes float/chip "
              + ", ".join(f"{r[2]}/{r[3]}" for r in rows))


def simulation(repeat: int) -> None:
    from nirc.compiler import compile_module
    from nirc.loading import load_module
    from nirc.targets.interp.api import Simulator
    from nirc.targets.spinnaker2.sim import simulate
    from nirc.targets.spinnaker2.target import network_op

    for name, steps, batch in (("braille_noDelay_bias_zero", 300, 64), ("cnn_sinabs", 100, 16)):
        path = PAPER / f"{name}.nir"
        if not path.exists():
            continue
        module = load_module(str(path))
        reference = module.clone()
        compile_module(module, str(path), "spinnaker2{fidelity-steps=0}", {"dt": 1e-4})
        net = network_op(module).network()
        shape = tuple(network_op(module).input_shape)
        x = (np.random.default_rng(0).random((steps, batch, int(np.prod(shape)))) < 0.1)
        x = x.astype(np.float32)
        t = time.perf_counter()
        simulate(net, x[:2, :1])
        warm = time.perf_counter() - t
        ours = min(_timed(lambda: simulate(net, x)) for _ in range(repeat))
        peer = Simulator(reference, dtype="float32", dt=1e-4)
        xs = x.reshape(steps, batch, *shape)
        peer.run(xs[:2, :1])
        theirs = min(_timed(lambda: peer.run(xs)) for _ in range(repeat))
        rate = steps * batch
        print(f"{name} ({steps} steps x {batch}): SpiNNaker2 model {rate / ours:,.0f} "
              f"sample-steps/s (first call {warm:.2f} s), float interpreter {rate / theirs:,.0f}; "
              f"ratio {theirs / ours:.2f}x")


def _timed(run) -> float:
    t = time.perf_counter()
    run()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--skip-compile", action="store_true")
    args = ap.parse_args()
    if not args.skip_compile:
        compile_times(args.repeat)
    fidelity(args.seeds)
    simulation(args.repeat)


if __name__ == "__main__":
    main()
