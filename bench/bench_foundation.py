"""Benchmarks of nirc's foundation: import, print, parse, export, write, CLI start-up.

Run from the repository root::

    python bench/bench_foundation.py            # the table (about 20-40 s)
    python bench/bench_foundation.py --profile  # also cProfile the slowest stage

Goals (from the issue; timings are never asserted in tests, only printed here):

- a graph with ~1,000,000 weights: import, print, parse, export and write each
  under 0.5 s;
- ``nirc import cnn_sinabs.nir`` under 1 s wall time, Python start-up included;
- ``nirc --help`` under 0.3 s wall time.

Two dense MLPs are measured, both with float32 weights and float32 LIF parameters:

- ``mlp-1.0M``: Input(800) -> Affine(1000x800) -> LIF(1000) -> Affine(200x1000)
  -> LIF(200) -> Output(200): exactly 1,000,000 weights (+1,200 biases);
- ``mlp-1.8M``: Input(784) -> Affine -> LIF -> Affine -> LIF -> Affine -> LIF ->
  Output, sizes 784-1000-1000-10: 1,794,000 weights (+2,010 biases).

Every stage is timed best-of-N and median-of-N (N=5) with ``time.perf_counter``,
after a ``gc.collect()``.  The peers are the reference package's own HDF5 reader and
writer, ``nir.read`` and ``nir.write`` on the same file/graph.

Only stdlib, numpy, nir and nirc are used.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nir
import numpy as np

from nirc.exporter import export_module
from nirc.importer import import_graph
from nirc.ir_text import parse_module, print_module
from nirc.loading import load_module
from nirc.nir_file import read_nir, write_nir

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE_CNN = REPO.parent / "shared" / "conformance" / "nir-paper" / "cnn_sinabs.nir"
N = 5
STAGE_GOAL = 0.5  # seconds, per stage on a ~1M-weight graph
CLI_IMPORT_GOAL = 1.0  # seconds, `nirc import cnn_sinabs.nir` incl. Python start-up
CLI_HELP_GOAL = 0.3  # seconds, `nirc --help`

MODELS = {
    "mlp-1.0M": (800, 1000, 200),
    "mlp-1.8M": (784, 1000, 1000, 10),
}


# ---- graphs -------------------------------------------------------------------------
def mlp(sizes: tuple[int, ...], seed: int = 0) -> nir.NIRGraph:
    """Input -> (Affine -> LIF)* -> Output with random float32 weights."""
    rng = np.random.default_rng(seed)
    nodes: dict[str, nir.NIRNode] = {"input": nir.Input(np.array([sizes[0]]))}
    edges: list[tuple[str, str]] = []
    prev = "input"
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        weight = rng.standard_normal((n_out, n_in), dtype=np.float32) / np.float32(np.sqrt(n_in))
        nodes[f"fc{i}"] = nir.Affine(weight=weight, bias=np.zeros(n_out, np.float32))
        nodes[f"lif{i}"] = nir.LIF(
            tau=np.full(n_out, 0.01, np.float32), r=np.ones(n_out, np.float32),
            v_leak=np.zeros(n_out, np.float32), v_threshold=np.ones(n_out, np.float32),
            v_reset=np.zeros(n_out, np.float32),
        )
        edges += [(prev, f"fc{i}"), (f"fc{i}", f"lif{i}")]
        prev = f"lif{i}"
    nodes["output"] = nir.Output(np.array([sizes[-1]]))
    edges.append((prev, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def count_weights(graph: nir.NIRGraph) -> int:
    return sum(node.weight.size for node in graph.nodes.values() if hasattr(node, "weight"))


# ---- timing -------------------------------------------------------------------------
def timeit(fn: Callable[[], object], n: int = N) -> tuple[float, float]:
    """(best, median) wall time of ``fn()`` over ``n`` runs, in seconds."""
    times = []
    for _ in range(n):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def cli_command() -> list[str]:
    """The installed ``nirc`` script next to the interpreter, or ``python -m nirc.cli``."""
    script = Path(sys.executable).with_name("nirc")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "nirc.cli"]


def time_process(argv: list[str], n: int = N) -> tuple[float, float]:
    def run() -> None:
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")

    run()  # warm the OS file cache and .pyc files; not counted
    return timeit(run, n)


# ---- report -------------------------------------------------------------------------
class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.misses: list[tuple[str, float, float]] = []

    def add(self, what: str, best: float, median: float, goal: float | None) -> None:
        if goal is None:
            verdict, goal_text = "info", "-"
        else:
            ok = median < goal
            verdict, goal_text = ("pass" if ok else "FAIL"), f"< {goal:.2f} s"
            if not ok:
                self.misses.append((what, median, goal))
        self.rows.append((what, goal_text, f"{best:.3f}", f"{median:.3f}", verdict))
        print(f"  {what:<54} {goal_text:>9} {best:>8.3f} {median:>8.3f}  {verdict}", flush=True)

    def note(self, text: str) -> None:
        print(f"  {text}", flush=True)

    @staticmethod
    def header(title: str) -> None:
        print(f"\n{title}")
        print(f"  {'measurement':<54} {'goal':>9} {'best s':>8} {'median s':>8}  result")
        print(f"  {'-' * 54} {'-' * 9} {'-' * 8} {'-' * 8}  ------")


def bench_model(name: str, sizes: tuple[int, ...], workdir: Path, table: Table) -> dict:
    graph = mlp(sizes)
    weights = count_weights(graph)
    nir_path = workdir / f"{name}.nir"
    peer_path = workdir / f"{name}.peer.nir"
    Table.header(f"{name}: MLP {'-'.join(map(str, sizes))}, {weights:,} float32 weights")

    module = import_graph(graph)
    module.verify()
    text = print_module(module)
    write_nir(graph, nir_path)
    size_mb = nir_path.stat().st_size / 1e6

    def do_import() -> None:
        m = import_graph(graph)
        m.verify()

    def do_parse() -> None:
        m = parse_module(text)
        m.verify()

    stages: dict[str, tuple[float, float]] = {}
    stages["import"] = timeit(do_import)
    table.add("import  NIRGraph -> module, verified", *stages["import"], STAGE_GOAL)
    stages["print"] = timeit(lambda: print_module(module))
    table.add(f"print   module -> text ({len(text) / 1e6:.1f} MB)", *stages["print"], STAGE_GOAL)
    stages["parse"] = timeit(do_parse)
    table.add("parse   text -> module, verified", *stages["parse"], STAGE_GOAL)
    stages["export"] = timeit(lambda: export_module(module))
    table.add("export  module -> NIRGraph", *stages["export"], STAGE_GOAL)
    exported = export_module(module)
    stages["write"] = timeit(lambda: write_nir(exported, nir_path))
    table.add(f"write   NIRGraph -> .nir, write_nir ({size_mb:.1f} MB)", *stages["write"], STAGE_GOAL)
    stages["load"] = timeit(lambda: load_module(str(nir_path)))
    table.add("import-from-file  .nir -> module, verified", *stages["load"], STAGE_GOAL)
    stages["read"] = timeit(lambda: read_nir(nir_path))
    table.add("  of which read_nir  .nir -> NIRGraph", *stages["read"], None)

    peer_read = timeit(lambda: nir.read(nir_path))
    table.add("peer nir.read  .nir -> NIRGraph (type_check=True)", *peer_read, None)
    peer_write = timeit(lambda: nir.write(peer_path, graph))
    table.add("peer nir.write NIRGraph -> .nir (gzip)", *peer_write, None)
    ratio_load = stages["load"][1] / peer_read[1]
    ratio_write = stages["write"][1] / peer_write[1]
    table.note(f"ratio import-from-file / nir.read (median): {ratio_load:.2f}x")
    table.note(f"ratio write_nir / nir.write (median):        {ratio_write:.2f}x")
    return {"stages": stages, "text": text, "graph": graph, "module": module,
            "path": nir_path, "ratio_load": ratio_load, "ratio_write": ratio_write}


def bench_cli(workdir: Path, table: Table, big_nir: Path) -> None:
    Table.header(f"CLI wall times, subprocess, Python start-up included ({' '.join(cli_command())})")
    if CONFORMANCE_CNN.exists():
        cnn = CONFORMANCE_CNN
        where = f"{cnn} (NIR paper conformance file)"
    else:
        from nirc.examples import write_examples

        cnn = next(p for p in write_examples(workdir) if p.name == "cnn.nir")
        where = f"{cnn} (shipped example: {CONFORMANCE_CNN} is absent)"
    nirc = cli_command()
    out = workdir / "cli.mlir"
    table.add("python -c pass (start-up alone, reference)",
              *time_process([sys.executable, "-c", "pass"]), None)
    table.add("nirc --help", *time_process([*nirc, "--help"]), CLI_HELP_GOAL)
    table.add("nirc --version", *time_process([*nirc, "--version"]), None)
    table.add(f"nirc import {cnn.name} (stdout)", *time_process([*nirc, "import", str(cnn)]),
              CLI_IMPORT_GOAL)
    table.add(f"nirc import {cnn.name} -o x.mlir",
              *time_process([*nirc, "import", str(cnn), "-o", str(out)]), CLI_IMPORT_GOAL)
    big_out = workdir / "big.mlir"
    table.add(f"nirc import {big_nir.name} -o x.mlir",
              *time_process([*nirc, "import", str(big_nir), "-o", str(big_out)], n=3), None)
    table.add(f"nirc export big.mlir -o x.nir ({big_nir.stem})",
              *time_process([*nirc, "export", str(big_out), "-o", str(workdir / "rt.nir")], n=3),
              None)
    table.note(f"input: {where}")


def profile_stage(label: str, fn: Callable[[], object], top: int = 8) -> None:
    print(f"\ncProfile of the slowest stage: {label}")
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    print("  by own time (tottime):")
    print("\n".join("    " + line for line in out.getvalue().splitlines()
                    if line.strip() and not line.startswith(("   Ordered", "   List"))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the slowest stage of the largest graph")
    parser.add_argument("--no-cli", action="store_true", help="skip the subprocess timings")
    args = parser.parse_args(argv)

    import importlib.metadata as md

    print(f"nirc bench_foundation: python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"nir {md.version('nir')}, xdsl {md.version('xdsl')}, h5py {md.version('h5py')}, "
          f"{os.cpu_count()} CPUs; N={N}, times in seconds, pass/fail on the median")
    workdir = Path(tempfile.mkdtemp(prefix="nirc-bench-"))
    table = Table()
    started = time.perf_counter()
    try:
        results = {name: bench_model(name, sizes, workdir, table) for name, sizes in MODELS.items()}
        if not args.no_cli:
            bench_cli(workdir, table, results["mlp-1.8M"]["path"])
        if args.profile:
            big = results["mlp-1.8M"]
            stage = max(("import", "print", "parse", "export", "write"),
                        key=lambda s: big["stages"][s][1])
            text, graph, module = big["text"], big["graph"], big["module"]
            fns = {
                "import": lambda: import_graph(graph).verify(),
                "print": lambda: print_module(module),
                "parse": lambda: parse_module(text).verify(),
                "export": lambda: export_module(module),
                "write": lambda: write_nir(export_module(module), workdir / "prof.nir"),
            }
            profile_stage(f"{stage} on mlp-1.8M", fns[stage])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nsummary: {len(table.misses)} goal(s) missed; total bench time "
          f"{time.perf_counter() - started:.1f} s")
    for what, median, goal in table.misses:
        print(f"  MISSED {what}: median {median:.3f} s vs goal {goal:.2f} s "
              f"({median / goal:.2f}x the goal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
