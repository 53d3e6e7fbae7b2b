"""Speck target: compile time of cnn_sinabs, and nirc's Speck simulator against sinabs.

    python bench/bench_speck.py [--repeat N] [--steps T] [--batch B] [--threads K] [--rounds R]

1. ``nirc compile cnn_sinabs.nir --target 'speck{fidelity-steps=0}'`` as a real
   subprocess (start-up, imports, read, the whole pipeline, emit, atomic writes), best
   and median of N after one unmeasured warm-up; start-up is the wall time of ``nirc
   --version``.  Goal: < 1 s beyond start-up.  The in-process ``compile_module`` alone
   is printed too.
2. The simulator: cnn_sinabs compiled for Speck, Bernoulli input events (5% per pixel
   and bin, seed 0), T = 100 bins, batch 32.  nirc runs ``targets/speck/sim.simulate``
   (numba; on one thread and with the batch split over ``--threads`` threads; a warm-up
   call first); sinabs 3.1.3 (the oracle venv,
   targets/speck/oracle) runs ``DynapcnnNetwork(..., discretize=True)``'s forward on
   the same input as one (B*T, 2, 34, 34) tensor, torch on each of ``--threads``
   (default 1 and 2: this machine's cores), N forwards in its process, not while nirc
   runs.  ``--rounds`` R (default 3) alternate them: per round N nirc runs, then N sinabs
   forwards, so that a machine whose speed drifts (a shared VM) shows in the spread of
   the per-round ratios.  Wall time (best and median) and process CPU time (best; less
   sensitive to other work on a shared machine) for both, the ratio of the bests and the
   per-round ratios; the outputs are checked to be equal.  Goal: nirc >= 10x sinabs, each
   with the same number of threads.

3. Fidelity: sinabs' float network (``discretize=False``) vs nirc's Speck simulation on
   the compile report's generated input (300 bins, 16 samples, rate 0.1, seed 0), with
   the report's agreement measure: what 8-bit discretization alone costs, under sinabs'
   own semantics (multi-spike IAF).

Prints one line per measurement and the ratios; always exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_compile import wall  # noqa: E402  (a warm-up run, then N timed subprocesses)

REPO = Path(__file__).resolve().parents[1]
CNN = REPO.parent / "shared" / "conformance" / "nir-paper" / "cnn_sinabs.nir"


def compile_time(repeat: int) -> None:
    nirc = str(Path(sys.executable).parent / "nirc")
    with tempfile.TemporaryDirectory() as tmp:
        start = wall([nirc, "--version"], repeat)
        full = wall([nirc, "compile", str(CNN), "--target", "speck{fidelity-steps=0}", "-o", tmp],
                    repeat)
    from nirc.compiler import compile_module
    from nirc.loading import load_module

    inproc = []
    for _ in range(repeat):
        module = load_module(str(CNN))
        t = time.perf_counter()
        compile_module(module, "cnn_sinabs.nir", "speck{fidelity-steps=0}", {})
        inproc.append(time.perf_counter() - t)
    beyond = min(full) - min(start)
    print(f"start-up   nirc --version: best {min(start):.3f} s, median {statistics.median(start):.3f} s")
    print(f"compile    nirc compile cnn_sinabs --target speck: best {min(full):.3f} s, median "
          f"{statistics.median(full):.3f} s; beyond start-up {beyond:.3f} s (goal < 1 s: "
          f"{'met' if beyond < 1 else 'MISSED'})")
    print(f"in-process compile_module: best {min(inproc):.3f} s, median {statistics.median(inproc):.3f} s")


def simulator(repeat: int, steps: int, batch: int, threads: list[int], rounds: int) -> None:
    from nirc.compiler import compile_module
    from nirc.loading import load_module
    from nirc.targets.speck.oracle.sinabs_oracle import SinabsRun, sinabs_python
    from nirc.targets.speck.sim import simulate
    from nirc.targets.speck.target import network_op

    module = load_module(str(CNN))
    compile_module(module, "cnn_sinabs.nir", "speck{fidelity-steps=0}", {})
    net = network_op(module).network()
    x = (np.random.default_rng(0).random((steps, batch, 2, 34, 34)) < 0.05).astype(np.int64)
    t = time.perf_counter()
    ours = simulate(net, x, threads=1)["output"]
    first = time.perf_counter() - t
    have_sinabs = sinabs_python() is not None
    if not have_sinabs:
        print("sinabs     skipped: no oracle venv (bash targets/speck/oracle/build_env.sh ../sinabs-venv)")
    mine = {k: ([], []) for k in threads}
    theirs_t = {k: ([], []) for k in threads}
    ratios = {k: [] for k in threads}
    for r in range(rounds):  # nirc then sinabs, round after round: a drifting machine speed
        for k in threads:    # shows as spread in the per-round ratios, not as a bias
            wall_s, cpu_s = mine[k]
            start = len(wall_s)
            for _ in range(repeat):
                t, c = time.perf_counter(), time.process_time()
                got = simulate(net, x, threads=k)["output"]
                wall_s.append(time.perf_counter() - t)
                cpu_s.append(time.process_time() - c)
            assert np.array_equal(got, ours)
            if not have_sinabs:
                continue
            theirs = SinabsRun([(str(CNN), x, {"repeat": repeat})], threads=k).results(timeout=1800)[0]
            if isinstance(theirs, str):
                print(f"sinabs     failed:\n{theirs}")
                return
            if not np.array_equal(ours, theirs["output"].reshape(ours.shape)):
                print("sinabs     outputs DIFFER from nirc's")
            theirs_t[k][0].extend(theirs["seconds_all"])
            theirs_t[k][1].extend(theirs["cpu_seconds_all"])
            ratios[k].append(theirs["seconds_all"].min() / min(wall_s[start:]))
            print(f"round {r + 1}    {k} thread(s): nirc best {min(wall_s[start:]):.3f} s, sinabs best "
                  f"{theirs['seconds_all'].min():.3f} s: {ratios[k][-1]:.1f}x")
    for k in threads:
        wall_s, cpu_s = mine[k]
        print(f"nirc       speck sim ({k} thread(s)), cnn_sinabs T={steps} batch {batch}: wall best "
              f"{min(wall_s):.3f} s, median {statistics.median(wall_s):.3f} s, CPU best {min(cpu_s):.3f} s "
              f"(first call {first:.3f} s); {steps * batch / min(wall_s):,.0f} sample-bins/s; "
              f"output spikes {int(ours.sum())}")
        if not have_sinabs:
            continue
        wall_t, cpu_t = (np.asarray(v) for v in theirs_t[k])
        print(f"sinabs     DynapcnnNetwork forward, {k} torch thread(s): wall best {wall_t.min():.3f} s, "
              f"median {float(np.median(wall_t)):.3f} s, CPU best {cpu_t.min():.3f} s; "
              f"{steps * batch / wall_t.min():,.0f} sample-bins/s; outputs equal: checked each round")
        ratio = wall_t.min() / min(wall_s)
        print(f"ratio      nirc / sinabs ({k} thread(s) each): wall, best vs best {ratio:.1f}x; per round "
              f"{', '.join(f'{q:.1f}x' for q in ratios[k])} (median {statistics.median(ratios[k]):.1f}x); "
              f"CPU time {cpu_t.min() / min(cpu_s):.1f}x (goal >= 10x: "
              f"{'met' if ratio >= 10 else 'MISSED'})")


def fidelity(steps: int, batch: int, seed: int = 0, rate: float = 0.1) -> None:
    """cnn_sinabs: sinabs' float network (``discretize=False``: the same layers, multi-spike
    IAF, thresholds and min_v_mem unscaled) vs nirc's Speck simulation, with the compile
    report's agreement measure (targets/fidelity.py) on its generated input."""
    from nirc.compiler import compile_module
    from nirc.loading import load_module
    from nirc.targets.fidelity import compare
    from nirc.targets.speck.oracle.sinabs_oracle import SinabsRun, sinabs_python
    from nirc.targets.speck.sim import simulate
    from nirc.targets.speck.target import network_op

    if sinabs_python() is None:
        return
    module = load_module(str(CNN))
    compile_module(module, "cnn_sinabs.nir", "speck{fidelity-steps=0}", {})
    x = (np.random.default_rng(seed).random((steps, batch, 2, 34, 34)) < rate).astype(np.int64)
    ours = simulate(network_op(module).network(), x)["output"].reshape(steps, batch, -1)
    theirs = SinabsRun([(str(CNN), x, {"discretize": False})]).results(timeout=1800)[0]
    if isinstance(theirs, str):
        print(f"sinabs     float network failed:\n{theirs}")
        return
    f = compare(theirs["output"].reshape(steps, batch, -1), ours, 0, True)
    print(f"fidelity   sinabs float network (discretize=False) vs nirc Speck, {batch} samples x "
          f"{steps} steps (rate {rate}, seed {seed}): agreement {f['mean']:.3f}, same decision "
          f"{f['same_decision']:.0%}; output spikes float {f['spikes_float']}, Speck {f['spikes_chip']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not CNN.exists():
        print(f"skipped: {CNN} not found")
        return 0
    compile_time(args.repeat)
    simulator(args.repeat, args.steps, args.batch, args.threads, args.rounds)
    fidelity(300, 16)
    return 0


if __name__ == "__main__":
    sys.exit(main())
