"""The interpreter: conformance with published traces, properties, the CLI.

Analytic responses of every node kind are in test_interp_analytic.py; here:
- conformance: lif_norse.nir reproduces Norse's published trace (semantics.md);
  the exact method gives the spike steps of the analytic solution lif_exact.csv;
  the CNN and Braille graphs of the NIR paper run on generated input;
- properties (hypothesis, random recurrent networks of every neuron kind): node
  and edge order do not matter; a batch equals its single-sample runs; the fast
  engine equals the reference; a nested graph equals the flat graph written out
  by hand; exact is exact for piecewise-constant input and Euler converges at
  first order;
- ``nirc run`` and its diagnostics on bad input.
"""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nirc
from nirc.cli import main
from nirc.diagnostics import NircError
from sim_graphs import sim_graphs, spikes

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = (REPO / ".." / "shared" / "conformance" / "nir-paper").resolve()
needs_conformance = pytest.mark.skipif(
    not CONFORMANCE.is_dir(), reason="../shared/conformance not present (a user's clone has no ../shared)")
ENGINES = ("reference", "fast")
SETTINGS = dict(deadline=None, max_examples=40,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -------------------------------------------------------------------------------------
# conformance


@needs_conformance
@pytest.mark.parametrize("engine", ENGINES)
def test_lif_norse_reproduces_published_trace(engine):
    """semantics.md: dt=1e-4, euler, reset to value: v within 1e-6 of column 1 and
    spikes exactly at steps 460, 510, 710, 760."""
    trace = np.loadtxt(CONFORMANCE / "lif_norse.csv", delimiter=",")
    out = nirc.simulate(CONFORMANCE / "lif_norse.nir", trace[:, :1], dt=1e-4, method="euler",
                        reset="value", record=["1.v"], engine=engine)
    assert np.flatnonzero(out["output"][:, 0]).tolist() == [460, 510, 710, 760]
    assert np.abs(out["1.v"][:, 0] - trace[:, 1]).max() < 1e-6
    assert np.flatnonzero(trace[:, 2]).tolist() == [460, 510, 710, 760]


@needs_conformance
def test_exact_method_gives_the_analytic_spike_steps():
    """lif_exact.csv: the analytic solution (reset by subtraction)."""
    trace = np.loadtxt(CONFORMANCE / "lif_norse.csv", delimiter=",")
    exact = np.loadtxt(CONFORMANCE / "lif_exact.csv", delimiter=",")
    out = nirc.simulate(CONFORMANCE / "lif_norse.nir", trace[:, :1], method="exact",
                        reset="subtract")
    assert np.flatnonzero(out["output"][:, 0]).tolist() == np.flatnonzero(exact[:, 2]).tolist()


@needs_conformance
@pytest.mark.parametrize("name, shape, steps", [
    ("cnn_sinabs.nir", (2, 34, 34), 30), ("braille_noDelay_bias_zero.nir", (12,), 300)])
def test_paper_graphs_run_on_generated_input(name, shape, steps):
    rng = np.random.default_rng(1)
    x = (rng.random((steps, 3, *shape)) < 0.2).astype(np.float64)
    ref = nirc.simulate(CONFORMANCE / name, x, dtype="float64", engine="reference")
    fast = nirc.simulate(CONFORMANCE / name, x, dtype="float64", engine="fast")
    (key,) = ref
    assert ref[key].shape[:2] == (steps, 3)
    assert np.isin(ref[key], (0.0, 1.0)).all() or name.startswith("cnn")
    assert ref[key].any(), "no output activity: the check below would be vacuous"
    np.testing.assert_allclose(fast[key], ref[key], rtol=1e-12, atol=1e-12)


# -------------------------------------------------------------------------------------
# properties


def _shuffled(graph: nir.NIRGraph, rng: np.random.Generator) -> nir.NIRGraph:
    names = list(graph.nodes)
    rng.shuffle(names)
    edges = list(graph.edges)
    rng.shuffle(edges)
    return nir.NIRGraph(nodes={k: graph.nodes[k] for k in names}, edges=edges)


@settings(**SETTINGS)
@given(sim_graphs(), st.integers(0, 2**31 - 1))
def test_node_and_edge_order_do_not_matter(g, seed):
    graph, n_in = g
    rng = np.random.default_rng(seed)
    x = spikes(rng, 25, 2, n_in)
    a = nirc.simulate(graph, x, dtype="float64", engine="reference")
    b = nirc.simulate(_shuffled(graph, rng), x, dtype="float64", engine="reference")
    np.testing.assert_array_equal(a["out"], b["out"])


@settings(**SETTINGS)
@given(sim_graphs(), st.integers(0, 2**31 - 1))
def test_fast_engine_equals_reference_and_batch_equals_single_runs(g, seed):
    graph, n_in = g
    x = spikes(np.random.default_rng(seed), 30, 3, n_in)
    ref = nirc.simulate(graph, x, dtype="float64", engine="reference")["out"]
    fast = nirc.simulate(graph, x, dtype="float64", engine="fast")["out"]
    np.testing.assert_allclose(fast, ref, rtol=1e-9, atol=1e-9)
    singles = np.stack([nirc.simulate(graph, x[:, b], dtype="float64", engine="fast")["out"]
                        for b in range(x.shape[1])], axis=1)
    np.testing.assert_allclose(singles, fast, rtol=1e-9, atol=1e-9)


def _width(node: nir.NIRNode) -> int:
    if isinstance(node, nir.Input):
        return int(node.input_type["input"][0])
    if isinstance(node, (nir.Affine, nir.Linear)):
        return node.weight.shape[0]
    return int(np.size(next(v for v in vars(node).values() if isinstance(v, np.ndarray))))


def _nest(graph: nir.NIRGraph, inner: set[str]) -> nir.NIRGraph:
    """The same network with the nodes ``inner`` moved into a subgraph 'sub'."""
    sub_nodes = {k: graph.nodes[k] for k in inner}
    sub_edges, outer_edges = [], []
    outer = {k: v for k, v in graph.nodes.items() if k not in inner}
    for i, (u, v) in enumerate(graph.edges):
        if u in inner and v in inner:
            sub_edges.append((u, v))
        elif v in inner:
            port = f"in{i}"
            sub_nodes[port] = nir.Input(input_type=np.array([_width(graph.nodes[u])]))
            sub_edges.append((port, v))
            outer_edges.append((u, f"sub.{port}"))
        elif u in inner:
            port = f"out_{u}"
            if port not in sub_nodes:
                sub_nodes[port] = nir.Output(output_type=np.array([_width(graph.nodes[u])]))
                sub_edges.append((u, port))
            outer_edges.append((f"sub.{port}", v))
        else:
            outer_edges.append((u, v))
    outer["sub"] = nir.NIRGraph(nodes=sub_nodes, edges=sub_edges, type_check=False)
    return nir.NIRGraph(nodes=outer, edges=outer_edges, type_check=False)


@settings(**SETTINGS)
@given(sim_graphs(max_layers=3), st.integers(0, 2**31 - 1), st.data())
def test_nested_graph_equals_its_flat_form(g, seed, data):
    graph, n_in = g
    movable = sorted(k for k in graph.nodes if k not in ("in", "out"))
    inner = set(data.draw(st.lists(st.sampled_from(movable), min_size=1, unique=True)))
    x = spikes(np.random.default_rng(seed), 20, 2, n_in)
    flat = nirc.simulate(graph, x, dtype="float64", engine="reference")["out"]
    nested = nirc.simulate(_nest(graph, inner), x, dtype="float64", engine="reference")["out"]
    np.testing.assert_array_equal(nested, flat)


def _li_graph(tau, r, v_leak) -> nir.NIRGraph:
    return nir.NIRGraph.from_list(nir.Input(input_type=np.array([3])),
                                  nir.LI(tau=tau, r=r, v_leak=v_leak),
                                  nir.Output(output_type=np.array([3])))


def test_exact_is_exact_and_euler_converges_at_first_order():
    """LI with input held constant over 1 ms pieces: the exact method gives the same
    v at the piece boundaries for every dt that divides them; the Euler error
    halves when dt halves."""
    tau = np.array([2e-3, 5e-3, 1e-3])
    graph = _li_graph(tau, np.array([1.0, 2.0, 0.5]), np.array([0.0, 0.1, -0.2]))
    pieces = np.random.default_rng(3).normal(0, 1, (40, 3))
    runs = {}
    for method in ("exact", "euler"):
        for sub in (1, 2, 4, 8, 16):
            dt = 1e-3 / sub
            x = np.repeat(pieces, sub, axis=0)
            v = nirc.simulate(graph, x, dt=dt, method=method, dtype="float64")["output"]
            runs[method, sub] = v[sub - 1::sub]
    # the closed form at the piece boundaries (independent of nirc)
    d = np.exp(-1e-3 / tau)
    v, truth = np.zeros(3), []
    for x in pieces:
        v_inf = np.array([0.0, 0.1, -0.2]) + np.array([1.0, 2.0, 0.5]) * x
        v = v_inf + (v - v_inf) * d
        truth.append(v)
    truth = np.array(truth)
    for sub in (1, 2, 4, 8, 16):
        np.testing.assert_allclose(runs["exact", sub], truth, rtol=1e-10, atol=1e-12)
    errors = [np.abs(runs["euler", sub] - truth).max() for sub in (1, 2, 4, 8, 16)]
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    # first order: the error halves with dt once dt is well below tau (here dt <= tau/4)
    assert np.all((ratios[2:] > 1.9) & (ratios[2:] < 2.2)), ratios
    assert np.all(np.diff(ratios) < 0), ratios  # and approaches 2 from above


# -------------------------------------------------------------------------------------
# the CLI


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


@pytest.fixture()
def srnn(tmp_path) -> Path:
    from nirc.examples import write_examples

    write_examples(tmp_path)
    return tmp_path / "srnn.nir"


def test_run_writes_outputs_and_recordings(srnn, tmp_path):
    out = tmp_path / "o.npz"
    r = _run("run", str(srnn), "--generate-input", "rate=0.2,steps=50,batch=4", "--seed", "3",
             "--record", "lif1.v", "-o", str(out))
    assert r.exit_code == 0, r.output
    with np.load(out) as data:
        arrays = dict(data)
    graph = nir.read(srnn)
    (out_name,) = [k for k, n in graph.nodes.items() if isinstance(n, nir.Output)]
    assert set(arrays) == {out_name, "lif1.v"}
    assert arrays[out_name].shape[:2] == (50, 4)
    # the same run through the API on the same generated input
    x = (np.random.default_rng(3).random((50, 4, *graph.nodes["input"].input_type["input"])) < 0.2)
    api = nirc.simulate(srnn, x.astype(np.float32), record=["lif1.v"])
    np.testing.assert_array_equal(api[out_name], arrays[out_name])
    np.testing.assert_array_equal(api["lif1.v"], arrays["lif1.v"])


def test_run_reads_npy_without_batch_axis(srnn, tmp_path):
    n = int(nir.read(srnn).nodes["input"].input_type["input"][0])
    np.save(tmp_path / "x.npy", np.ones((20, n), np.float32))
    r = _run("run", str(srnn), "--input", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.npz"))
    assert r.exit_code == 0, r.output
    with np.load(tmp_path / "o.npz") as data:
        assert all(data[k].shape[:2] == (20, 1) for k in data.files)


@pytest.mark.parametrize("case, args, needle", [
    ("shape", ["--input", "{x_bad_shape}"], "expected (T, B, "),
    ("dtype", ["--input", "{x_complex}"], "dtype complex"),
    ("name", ["--input", "nope={x}"], "no Input node named 'nope'"),
    ("dt", ["--input", "{x}", "--dt", "0"], "dt"),
    ("method", ["--input", "{x}", "--method", "rk4"], "rk4"),
])
def test_run_bad_input_is_one_line_exit_1(srnn, tmp_path, case, args, needle):
    n = int(nir.read(srnn).nodes["input"].input_type["input"][0])
    files = {"x": np.zeros((5, 2, n), np.float32), "x_bad_shape": np.zeros((5, 2, n + 1)),
             "x_complex": np.zeros((5, 2, n), np.complex64)}
    paths = {}
    for key, array in files.items():
        paths[key] = str(tmp_path / f"{key}.npy")
        np.save(paths[key], array)
    out = tmp_path / "o.npz"
    r = _run("run", str(srnn), *[a.format(**paths) for a in args], "-o", str(out))
    assert r.exit_code == 1, r.output
    lines = r.stderr.strip().splitlines() if r.stderr_bytes else r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines
    assert not out.exists()


def test_run_usage_errors_exit_2(srnn):
    assert _run("run", str(srnn)).exit_code == 2
    assert _run("run", str(srnn), "--generate-input", "rate=2").exit_code == 2


def test_simulate_errors_name_the_problem():
    graph = _li_graph(np.full(3, 1e-3), np.ones(3), np.zeros(3))
    with pytest.raises(NircError, match="missing input"):
        nirc.simulate(graph, {})
    with pytest.raises(NircError, match="cannot record"):
        nirc.simulate(graph, np.zeros((3, 3)), record=["nope.v"])
