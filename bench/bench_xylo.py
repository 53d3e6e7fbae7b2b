"""Xylo simulator throughput: nirc's targets/xylo/sim.py against SynSense's xylosim.

    python bench/bench_xylo.py [--quick] [--repeat N] [--steps T]

Workload: a 16-256-8 recurrent network with two synapses per hidden neuron (Xylo
Audio 2): random int8 weights (input and readout dense, recurrent 10% dense, seed 0),
dash_mem 4, dash_syn 2 and 3, thresholds 2000, no bias, weight shifts 0; Bernoulli
input spikes (rate 0.1, seed 0), T=1000, batch 1 and 64.  The mean hidden spike rate
is printed (moderate: a few percent of neurons fire per step).

Throughput is timesteps x batch per second, best of ``--repeat`` runs.  nirc runs
``simulate`` (numba, one thread) after a warm-up call whose time (numba compilation
included) is reported separately; with and without recording every state.  xylosim
(``xylosim.v2.XyloLayer``, C++) runs one sample at a time, ``reset_all`` + ``evolve``
(it always records every state), its inputs converted to lists beforehand (not timed):
batch 64 is 64 evolves.  Both are checked to give identical outputs and recordings on
the first samples.  Goal: nirc at batch 64 >= 10x xylosim.
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np

from nirc.targets.xylo.config import XyloConfig
from nirc.targets.xylo.sim import simulate

GOAL = 10.0
SIZES = (16, 256, 8)


def workload(steps: int, batch: int) -> tuple[XyloConfig, np.ndarray]:
    rng = np.random.default_rng(0)
    n_in, n_hid, n_out = SIZES

    def weights(shape, density):
        w = rng.integers(-128, 128, shape)
        return np.where(rng.random(shape) < density, w, 0).astype(np.int8)

    full = np.full
    config = XyloConfig(
        weights_in=weights((n_in, n_hid, 2), 1.0), weights_rec=weights((n_hid, n_hid, 2), 0.1),
        weights_out=weights((n_hid, n_out), 1.0),
        dash_mem=full(n_hid, 4), dash_syn=full(n_hid, 2), dash_syn_2=full(n_hid, 3),
        dash_mem_out=full(n_out, 4), dash_syn_out=full(n_out, 2),
        threshold=full(n_hid, 2000), threshold_out=full(n_out, 2000),
        bias_hidden=np.zeros(n_hid, np.int64), bias_out=np.zeros(n_out, np.int64))
    raster = (rng.random((steps, batch, n_in)) < 0.1).astype(np.uint8)
    return config, raster


def best_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return min(times)


def measure_nirc(config, raster, repeat: int) -> dict:
    t = time.perf_counter()
    out = simulate(config, raster[:, :1], record=True)
    first = time.perf_counter() - t
    rows = {}
    for batch in (1, raster.shape[1]):
        for record in (False, True):
            x = raster[:, :batch]
            seconds = best_time(lambda: simulate(config, x, record=record), repeat)
            rows[f"nirc b{batch}" + (" record" if record else "")] = (batch, seconds)
    return {"first_call": first, "rows": rows, "out": out}


def measure_xylosim(config, raster, repeat: int) -> dict:
    from nirc.targets.xylo.oracle import to_xylosim

    t = time.perf_counter()
    layer, keep_alive = to_xylosim(config)
    build = time.perf_counter() - t
    samples = [raster[:, b].tolist() for b in range(raster.shape[1])]

    def run(batch):
        for sample in samples[:batch]:
            layer.reset_all()
            layer.evolve(sample)

    rows = {f"xylosim b{batch}": (batch, best_time(lambda: run(batch), repeat))
            for batch in (1, raster.shape[1])}
    del keep_alive
    return {"build": build, "rows": rows}


def check_exact(config, raster, samples: int) -> bool:
    from nirc.targets.xylo.oracle import run_xylosim

    x = raster[:, :samples]
    want, got = run_xylosim(config, x), simulate(config, x, record=True)
    return all(np.array_equal(got[k], want[k]) for k in want) and sorted(got) == sorted(want)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="T=200, one repeat")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    steps, repeat = (200, 1) if args.quick else (args.steps, args.repeat)
    config, raster = workload(steps, args.batch)

    nirc = measure_nirc(config, raster, repeat)
    out = nirc["out"]
    print(f"Xylo {'-'.join(map(str, SIZES))} recurrent, 2 synapses, T={steps}, "
          f"input rate 0.1 (timesteps x batch / s; ratio = nirc / xylosim, same batch)")
    print(f"  activity: {out['spikes_hidden'].mean():.4f} hidden spikes per neuron and step "
          f"({(out['spikes_hidden'] > 0).mean():.2%} of neuron-steps fire), "
          f"{out['spikes_out'].mean():.4f} readout spikes per neuron and step")
    try:
        importlib.import_module("xylosim.v2")
    except ImportError as e:
        peer = {"rows": {}, "skipped": f"{type(e).__name__}: {e}"}
    else:
        peer = measure_xylosim(config, raster, repeat)
        exact = "yes" if check_exact(config, raster, 4) else "NO"
        print(f"  bit-exact vs xylosim on 4 samples: {exact}")

    peer_rate = {batch: batch * steps / s for batch, s in peer["rows"].values()}
    print(f"  {'':18s} {'throughput':>14s} {'seconds':>9s} {'ratio':>8s}")
    for name, (batch, seconds) in {**nirc["rows"], **peer["rows"]}.items():
        rate = batch * steps / seconds
        mine = name.startswith("nirc") and batch in peer_rate
        ratio = f"{rate / peer_rate[batch]:7.1f}x" if mine else "       -"
        print(f"  {name:18s} {rate:12,.0f}/s {seconds:9.4f} {ratio}")
    print(f"  nirc first call (numba compilation, batch 1, recording): {nirc['first_call']:.2f} s")
    if "skipped" in peer:
        print(f"  xylosim skipped: {peer['skipped']}")
        return
    print(f"  xylosim layer construction: {peer['build']:.3f} s")
    _, ours = nirc["rows"][f"nirc b{args.batch}"]
    _, theirs = peer["rows"][f"xylosim b{args.batch}"]
    ratio = theirs / ours
    verdict = "met" if ratio >= GOAL else "MISSED"
    print(f"summary: nirc batch {args.batch} / xylosim = {ratio:.1f}x "
          f"(goal >= {GOAL:.0f}x: {verdict})")


if __name__ == "__main__":
    main()
