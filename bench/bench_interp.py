"""Interpreter throughput side by side with peers, in one run, each peer in its own venv.

    python bench/bench_interp.py [--only braille-b1,cnn-b32] [--peers nirc,spyx]
        [--peer-python /work/peer-venv/bin/python] [--rounds 3] [--loaded] [--first-call]

Workloads (issues 4, 18): the Braille graph (braille_noDelay_bias_zero.nir, recurrent
CubaLIF, T=1000, batch 1 and 128), an MLP 784-512-512-10 (LIF, LI readout, batch
128, T=300), a spiking CNN on 2x34x34 input (N-MNIST's size: conv 2->16 k3, IF,
sum-pool 2, conv 16->32 k3, IF, sum-pool 2, affine 2048->10, IF; batch 32, T=100)
that spyx imports, and cnn_sinabs.nir (batch 32, T=100), on Bernoulli spike input
(rate 0.1, seed 0).  Each measurement runs in its own subprocess (its peak RSS is
its own): one warm-up run (which compiles: numba for nirc, XLA for spyx; reported
as "first run"), then the median of ``--repeat`` timed runs.  The peers' cells
run ``--rounds`` times interleaved (nirc, spyx, ..., nirc, spyx, ...) and the
table gives the median over rounds: the machine is shared, so a single cell can
be off by 2x; ratios are nirc's median over the peer's median of the same run.

Peers run with ``--peer-python`` ($NIRC_PEER_PYTHON; default this Python), the
interpreter of a venv holding them (bench/README.md builds one): Norse
(norse.torch.from_nir), snnTorch (snntorch.import_nir.import_from_nir), spyx
(spyx.nir.from_nir + a jitted lax.scan; channels-last input, as spyx's convolutions
take it), and the bare numpy GEMM ceiling of the MLP's shapes.  A peer that cannot
import or run a graph is listed as skipped with the reason.  nirc runs with this
Python; "nirc-1t" is nirc with NUMBA_NUM_THREADS=1.

``--loaded`` keeps one busy process per core running during the measurements (a
user on a shared machine) and lists nirc with all threads and with one.
``--first-call`` times a fresh ``nirc run`` of braille T=1000 b1 (process start to
exit, numba and loop caches warm after one unmeasured run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _conformance() -> Path:
    """The NIR paper's graphs: $NIRC_CONFORMANCE, else shared/conformance/nir-paper beside
    the repository or one level up (a git worktree under wt/)."""
    if os.environ.get("NIRC_CONFORMANCE"):
        return Path(os.environ["NIRC_CONFORMANCE"])
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "conformance" / "nir-paper").is_dir():
            return base / "shared" / "conformance" / "nir-paper"
    return REPO.parent / "shared" / "conformance" / "nir-paper"


CONFORMANCE = _conformance()
WORKLOADS = {
    "braille-b1": ("braille", 1, 1000),
    "braille-b128": ("braille", 128, 1000),
    "mlp-b128": ("mlp", 128, 300),
    "cnn-b32": ("cnn", 32, 100),
    "cnn_sinabs-b32": ("cnn_sinabs", 32, 100),
}
PEERS = ("nirc", "nirc-1t", "nirc-reference", "norse", "snntorch", "spyx", "numpy-gemm")


def graph_of(name: str):
    import nir

    if name == "braille":
        return nir.read(CONFORMANCE / "braille_noDelay_bias_zero.nir")
    if name == "cnn_sinabs":
        return nir.read(CONFORMANCE / "cnn_sinabs.nir")
    if name == "cnn":
        return cnn_graph()
    return mlp_graph()


def cnn_graph():
    """2x34x34 -> conv 16 k3 p1 -> IF -> sum-pool 2 -> conv 32 k3 p1 -> IF -> sum-pool 2
    -> flatten -> affine 2048->10 -> IF (thresholds 1, weights normal / sqrt(fan-in))."""
    import nir

    rng, f = np.random.default_rng(0), np.float32

    def conv(c_out, c_in, size):
        w = rng.normal(0, 2 / np.sqrt(9 * c_in), (c_out, c_in, 3, 3)).astype(f)
        return nir.Conv2d(input_shape=(size, size), weight=w, stride=1, padding=1, dilation=1,
                          groups=1, bias=np.zeros(c_out, f))

    def if_(*shape):
        return nir.IF(r=np.ones(shape, f), v_threshold=np.ones(shape, f), v_reset=np.zeros(shape, f))

    def pool():
        return nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                             padding=np.array([0, 0]))

    w = rng.normal(0, 2 / np.sqrt(2048), (10, 2048)).astype(f)
    return nir.NIRGraph.from_list(
        nir.Input(input_type=np.array([2, 34, 34])), conv(16, 2, 34), if_(16, 34, 34), pool(),
        conv(32, 16, 17), if_(32, 17, 17), pool(), nir.Flatten(input_type={"input": np.array([32, 8, 8])}, start_dim=0),
        nir.Affine(weight=w, bias=np.zeros(10, f)), if_(10), nir.Output(output_type=np.array([10])))


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

    model, _ = spyx.nir.from_nir(graph, jax.numpy.asarray(_channels_last(x0[:2])), dt=1e-4)

    @nnx.jit
    def run(m, x):
        return spyx.nir.run(m, x)[0]

    return lambda x: np.asarray(jax.block_until_ready(run(model, jax.numpy.asarray(_channels_last(x)))))


def _channels_last(x: np.ndarray) -> np.ndarray:
    """(T, B, C, H, W) -> (T, B, H, W, C): spyx's convolutions are channels-last."""
    return np.ascontiguousarray(np.moveaxis(x, 2, -1)) if x.ndim == 5 else x


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
    if peer == "numpy-gemm" and name != "mlp":
        return {"skipped": "only for the MLP"}
    graph = graph_of(name)
    x = input_of(graph, batch, steps)
    if peer.startswith("nirc"):
        run = runner_nirc(graph, "reference" if peer == "nirc-reference" else "auto")
    elif peer in ("norse", "snntorch"):
        run = runner_torch(graph, peer)
    elif peer == "spyx":
        run = runner_spyx(graph, x)
    else:
        run = runner_gemm(graph)
    t = time.perf_counter()
    first = run(x)
    warm = time.perf_counter() - t
    seconds = float(np.median([_timed(run, x) for _ in range(repeat)]))
    return {"throughput": steps * batch / seconds, "seconds": seconds, "first_run": warm,
            "output_sum": float(np.asarray(first).sum()),
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _timed(run, x) -> float:
    t = time.perf_counter()
    run(x)
    return time.perf_counter() - t


def cell(peer: str, workload: str, repeat: int, peer_python: str) -> dict:
    """One (peer, workload) measurement in a fresh subprocess of the peer's Python."""
    env = dict(os.environ)
    if peer == "nirc-1t":
        env["NUMBA_NUM_THREADS"] = "1"
    python = sys.executable if peer.startswith("nirc") else peer_python
    out = subprocess.run([python, __file__, "--one", peer, workload, "--repeat", str(repeat)],
                         capture_output=True, text=True, env=env)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"skipped": (out.stderr.strip().splitlines() or ["crashed"])[-1][:100]}


def first_call(runs: int = 3) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of fresh `nirc run braille T=1000 b1` processes after one
    warm-up; CPU (user + system of the child) is what the process itself costs when
    other processes hold the cores."""
    nirc = Path(sys.executable).with_name("nirc")
    command = [str(nirc)] if nirc.exists() else [sys.executable, "-m", "nirc.cli"]
    command += ["run", str(CONFORMANCE / "braille_noDelay_bias_zero.nir"),
                "--generate-input", "rate=0.1,steps=1000,batch=1"]
    times = []
    for _ in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return times[1:]


@contextlib.contextmanager
def cpu_load(processes: int):
    """``processes`` busy-looping subprocesses for the duration of the block."""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for p in busy:
            p.kill()
            p.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--repeat", type=int, default=10, help="timed runs per cell (median)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repetitions (median)")
    ap.add_argument("--peer-python", default=os.environ.get("NIRC_PEER_PYTHON", sys.executable),
                    help="the Python of the peers' venv ($NIRC_PEER_PYTHON)")
    ap.add_argument("--loaded", action="store_true", help="one busy process per core meanwhile")
    ap.add_argument("--first-call", action="store_true", help="also time fresh `nirc run`s")
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
        sys.exit(f"needs {CONFORMANCE} (the NIR paper's graphs; or set NIRC_CONFORMANCE)")
    load = cpu_load(os.cpu_count() or 1) if args.loaded else contextlib.nullcontext()
    print(f"{'loaded: one busy process per core' if args.loaded else 'quiet'} "
          f"(load average before: {os.getloadavg()[0]:.1f}); peers: {args.peer_python}")
    with load:
        if args.first_call:
            times = first_call()
            walls, cpus = zip(*times)
            print(f"\nfresh `nirc run` braille T=1000 b1: median wall {np.median(walls):.2f} s "
                  f"({', '.join(f'{t:.2f}' for t in walls)}), CPU {np.median(cpus):.2f} s")
        for workload in args.only.split(","):
            name, batch, steps = WORKLOADS[workload]
            print(f"\n{workload}: T={steps}, batch={batch} (timesteps x batch / s, median of "
                  f"{args.rounds} interleaved rounds; ratio = nirc / peer)")
            peers = args.peers.split(",")
            rounds: dict[str, list[dict]] = {p: [] for p in peers}
            for _ in range(args.rounds):
                for peer in peers:
                    if rounds[peer] and "skipped" in rounds[peer][0]:
                        continue
                    rounds[peer].append(cell(peer, workload, args.repeat, args.peer_python))
            _print_rows(rounds)


def _print_rows(rounds: dict[str, list[dict]]) -> None:
    medians = {p: float(np.median([r["throughput"] for r in rs])) for p, rs in rounds.items()
               if rs and "skipped" not in rs[0]}
    ours = medians.get("nirc")
    for peer, rs in rounds.items():
        if peer not in medians:
            print(f"  {peer:15s} skipped: {rs[0]['skipped'] if rs else '-'}")
            continue
        spread = f"{min(r['throughput'] for r in rs):,.0f}-{max(r['throughput'] for r in rs):,.0f}"
        ratio = f"{ours / medians[peer]:6.2f}x" if ours else "   -"
        print(f"  {peer:15s} {medians[peer]:12,.0f}/s  ({spread})  ratio {ratio}  first run "
              f"{np.median([r['first_run'] for r in rs]):.2f} s  peak RSS "
              f"{max(r['max_rss_mb'] for r in rs):.0f} MB  output sum {rs[0]['output_sum']:.0f}")


if __name__ == "__main__":
    main()
