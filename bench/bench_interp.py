"""Interpreter throughput and peak memory, side by side with peers, in one run.

    python bench/bench_interp.py [--quick] [--only braille,mlp,cnn]

Workloads (issue 4): the Braille graph (braille_noDelay_bias_zero.nir, recurrent
CubaLIF, T=1000, batch 1 and 128), an MLP 784-512-512-10 (LIF, LI readout, batch
128, T=300) and cnn_sinabs.nir (batch 32, T=100), on Bernoulli spike input
(rate 0.1, seed 0).  Each measurement runs in its own subprocess, so that its peak
resident memory (ru_maxrss, libraries included) is its own.  Throughput is
timesteps x batch per second, best of ``--repeat`` runs after one warm-up run
(which includes compilation: numba for nirc, XLA for spyx; reported separately).

Peers, each through its own NIR importer, skipped with the reason when missing:
Norse (norse.torch.from_nir), snnTorch (snntorch.import_nir.import_from_nir),
spyx (spyx.nir.from_nir + a jitted lax.scan), and the bare numpy GEMM ceiling of
the MLP's shapes.  Install them beside nirc as bench/README.md explains.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = REPO.parent / "shared" / "conformance" / "nir-paper"
WORKLOADS = {
    "braille-b1": ("braille", 1, 1000),
    "braille-b128": ("braille", 128, 1000),
    "mlp-b128": ("mlp", 128, 300),
    "cnn-b32": ("cnn", 32, 100),
}
PEERS = ("nirc", "nirc-reference", "norse", "snntorch", "spyx", "numpy-gemm")


def graph_of(name: str):
    import nir

    if name == "braille":
        return nir.read(CONFORMANCE / "braille_noDelay_bias_zero.nir")
    if name == "cnn":
        return nir.read(CONFORMANCE / "cnn_sinabs.nir")
    return mlp_graph()


def mlp_graph():
    """784-512-512-10: Affine -> LIF (R = tau/dt) twice, Affine -> LI readout."""
    import nir

    rng, dt = np.random.default_rng(0), 1e-4

    def affine(n_out, n_in):
        return nir.Affine(weight=rng.normal(0, 2 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32),
                          bias=np.zeros(n_out, np.float32))

    def lif(n, tau=2e-3):
        f = np.float32
        return nir.LIF(tau=np.full(n, tau, f), r=np.full(n, tau / dt, f), v_leak=np.zeros(n, f),
                       v_threshold=np.ones(n, f), v_reset=np.zeros(n, f))

    f = np.float32
    return nir.NIRGraph.from_list(
        nir.Input(input_type=np.array([784])), affine(512, 784), lif(512), affine(512, 512),
        lif(512), affine(10, 512),
        nir.LI(tau=np.full(10, 5e-3, f), r=np.full(10, 50.0, f), v_leak=np.zeros(10, f)),
        nir.Output(output_type=np.array([10])))


def input_of(graph, batch: int, steps: int) -> np.ndarray:
    import nir

    (node,) = [n for n in graph.nodes.values() if isinstance(n, nir.Input)]
    shape = tuple(int(d) for d in node.input_type["input"])
    return (np.random.default_rng(0).random((steps, batch, *shape)) < 0.1).astype(np.float32)


# -------------------------------------------------------------------------------------
# one runner per peer: returns a function x -> output (T, B, ...)


def runner_nirc(graph, engine: str):
    import nirc

    simulator = nirc.Simulator(graph, engine=engine)  # planned once, like spyx's model

    def run(x):
        (out,) = simulator.run(x).values()
        return out

    return run


def runner_torch(graph, kind: str):
    import torch

    torch.set_num_threads(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "norse":
            import norse.torch as norse

            module = norse.from_nir(graph, dt=1e-4)
        else:
            from snntorch.import_nir import import_from_nir

            module = import_from_nir(graph)

    def run(x):
        state, out = None, []
        with torch.no_grad():
            xs = torch.from_numpy(x)
            for t in range(xs.shape[0]):
                if kind == "norse":
                    y, state = module(xs[t], state)
                else:
                    y = module(xs[t])
                    y = y[0] if isinstance(y, tuple) else y
                out.append(y)
        return torch.stack(out).numpy()

    return run


def runner_spyx(graph, x0):
    import jax
    from flax import nnx
    import spyx.nir

    model, _ = spyx.nir.from_nir(graph, jax.numpy.asarray(x0[:2]), dt=1e-4)

    @nnx.jit
    def run(m, x):
        return spyx.nir.run(m, x)[0]

    return lambda x: np.asarray(jax.block_until_ready(run(model, jax.numpy.asarray(x))))


def runner_gemm(graph):
    """The bare per-step numpy GEMMs of the graph's dense layers (no neurons)."""
    import nir

    weights = [n.weight.T.copy() for n in graph.nodes.values() if isinstance(n, nir.Affine)]

    def run(x):
        for t in range(x.shape[0]):
            h = x[t]
            for w in weights:
                h = h @ w
        return h

    return run


def measure_one(peer: str, workload: str, repeat: int) -> dict:
    name, batch, steps = WORKLOADS[workload]
    graph = graph_of(name)
    x = input_of(graph, batch, steps)
    if peer.startswith("nirc"):
        run = runner_nirc(graph, "reference" if peer == "nirc-reference" else "auto")
    elif peer in ("norse", "snntorch"):
        run = runner_torch(graph, peer)
    elif peer == "spyx":
        run = runner_spyx(graph, x)
    else:
        if name != "mlp":
            return {"skipped": "only for the MLP"}
        run = runner_gemm(graph)
    t = time.perf_counter()
    first = run(x)
    warm = time.perf_counter() - t
    best = min(_timed(run, x) for _ in range(repeat))
    spikes = float(np.asarray(first).sum())
    return {"throughput": steps * batch / best, "seconds": best, "first_run": warm,
            "output_sum": spikes,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _timed(run, x) -> float:
    t = time.perf_counter()
    run(x)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--one", nargs=2, metavar=("PEER", "WORKLOAD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        try:
            result = measure_one(*args.one, args.repeat)
        except Exception as e:  # a peer that cannot import or run this graph
            result = {"skipped": f"{type(e).__name__}: {str(e).splitlines()[0][:100] if str(e) else ''}"}
        print(json.dumps(result))
        return
    if not CONFORMANCE.is_dir():
        sys.exit(f"needs {CONFORMANCE} (the NIR paper's graphs)")
    for workload in args.only.split(","):
        name, batch, steps = WORKLOADS[workload]
        print(f"\n{workload}: T={steps}, batch={batch} (timesteps x batch / s; ratio = nirc / peer)")
        results = {}
        for peer in args.peers.split(","):
            out = subprocess.run([sys.executable, __file__, "--one", peer, workload,
                                  "--repeat", str(args.repeat)], capture_output=True, text=True)
            try:
                results[peer] = json.loads(out.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                results[peer] = {"skipped": (out.stderr.strip().splitlines() or ["crashed"])[-1][:100]}
        ours = results.get("nirc", {}).get("throughput")
        for peer, r in results.items():
            if "skipped" in r:
                print(f"  {peer:15s} skipped: {r['skipped']}")
                continue
            ratio = f"{ours / r['throughput']:7.2f}x" if ours else "   -"
            print(f"  {peer:15s} {r['throughput']:12,.0f}/s  ratio {ratio}  "
                  f"first run {r['first_run']:.2f} s  peak RSS {r['max_rss_mb']:.0f} MB  "
                  f"output sum {r['output_sum']:.0f}")


if __name__ == "__main__":
    main()
