"""Spiking conventions (discretize options) and simulator profiles.

Expected values come from the NIR paper's published traces (../shared/conformance,
skipped where absent) or from hand calculations written out in each test; the two
engines are checked against each other on generated graphs for every convention.
"""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nirc
from nirc.diagnostics import NircError
from nirc.profiles import PROFILES
from sim_graphs import sim_graphs, spikes

REPO = Path(__file__).resolve().parents[1]
PAPER = REPO.parent / "shared" / "conformance" / "nir-paper"
needs_paper = pytest.mark.skipif(not PAPER.is_dir(), reason="../shared/conformance not present")
ENGINES = ("reference", "fast")


def trace(name: str) -> np.ndarray:
    return np.loadtxt(PAPER / name, delimiter=",")


def lif_norse(x: np.ndarray, engine: str, **options) -> tuple[np.ndarray, np.ndarray]:
    """(spikes, v) of the NIR paper's one-neuron graph (Affine 1 -> LIF tau 2.5 ms,
    threshold 0.1) on a 1-d input."""
    out = nirc.simulate(PAPER / "lif_norse.nir", x.reshape(-1, 1), dtype="float64",
                        record=["1.v"], engine=engine, **options)
    return out["output"][:, 0], out["1.v"][:, 0]


@needs_paper
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("csv, profile, scale", [
    ("lif_norse.csv", "norse", 1.0),
    ("lif_snntorch.csv", "snntorch-import", 25.0),  # snnTorch's v: threshold / (r dt/tau)
    ("lif_rockpool.csv", "rockpool", 1.0),
])
def test_paper_traces_under_their_profiles(csv, profile, scale, engine):
    """Each tool's published trace of lif_norse.nir (Rockpool's: the same neuron built
    in Rockpool, input weight 0.04 = dt/tau) spike for spike, v within 1e-6."""
    data = trace(csv)
    s, v = lif_norse(data[:, 0], engine, profile=profile)
    np.testing.assert_array_equal(s, data[:, 2])
    np.testing.assert_allclose(v, data[:, 1] / scale, atol=1e-6, rtol=0)


@needs_paper
def test_rockpool_fires_ten_steps_earlier_than_norse():
    """The NIR paper's observation: exact decay (exp(-0.04) > 0.96) fires the first
    spikes 10 steps earlier."""
    x = trace("lif_norse.csv")[:, 0]
    norse = np.flatnonzero(lif_norse(x, "fast", profile="norse")[0])
    rockpool = np.flatnonzero(lif_norse(x, "fast", profile="rockpool")[0])
    assert list(norse[:2]) == [460, 510] and list(rockpool[:2]) == [450, 500]


@needs_paper
@pytest.mark.parametrize("engine", ENGINES)
def test_exact_method_gives_the_analytic_trace_spike_steps(engine):
    data = trace("lif_exact.csv")
    s, _ = lif_norse(data[:, 0], engine, method="exact", reset="subtract")
    np.testing.assert_array_equal(s, data[:, 2])


@needs_paper
@pytest.mark.parametrize("engine", ENGINES)
def test_snntorch_training_profile_keeps_the_spike_steps_and_resets_late(engine):
    """With reset_delay the neuron's v after a spike is 0.96*v - 0.1 (the threshold
    subtracted one step late, undecayed), not v_reset; on this input the spike steps
    stay those of the published trace."""
    data = trace("lif_snntorch.csv")
    s, v = lif_norse(data[:, 0], engine, profile="snntorch")
    np.testing.assert_array_equal(s, data[:, 2])
    t = int(np.flatnonzero(s)[0])
    assert v[t] > 0.1  # the spike step keeps its potential
    assert v[t + 1] == pytest.approx(0.96 * v[t] - 0.1, abs=1e-8)  # tau is float32 0.0025


# ---- hand calculations on one IF / LIF neuron ------------------------------------------


def one_neuron(kind: str = "IF", threshold: float = 1.0, tau: float = 1e-3,
               v_reset: float = 0.0) -> nir.NIRGraph:
    """Input -> Linear(1) -> neuron -> Output, r = 1 (IF: v += x; LIF at dt = 1e-4:
    v = 0.9 v + 0.1 x with Euler)."""
    one = np.ones(1)
    neuron = (nir.IF(r=one, v_threshold=threshold * one, v_reset=v_reset * one) if kind == "IF"
              else nir.LIF(tau=tau * one, r=one, v_leak=0 * one, v_threshold=threshold * one,
                           v_reset=v_reset * one))
    return nir.NIRGraph.from_list(nir.Input(np.array([1])), nir.Linear(weight=np.ones((1, 1))),
                                  neuron, nir.Output(np.array([1])))


def run_one(graph, x, engine, **options):
    out = nirc.simulate(graph, np.asarray(x, np.float64).reshape(-1, 1), dtype="float64",
                        record=[_neuron_name(graph) + ".v"], engine=engine, **options)
    return out["output"][:, 0], out[_neuron_name(graph) + ".v"][:, 0]


def _neuron_name(graph) -> str:
    return next(k for k, n in graph.nodes.items() if isinstance(n, nir.IF | nir.LIF))


@pytest.mark.parametrize("engine", ENGINES)
def test_multi_spike_counts_thresholds_held(engine):
    """IF, thr 1, inputs 2.5, 0.5, 3.0, 0.2: v = 2.5 -> ge: floor 2 spikes, v 0.5;
    then 1.0 -> 1 spike, v 0; then 3.0 -> 3, v 0; then 0.2 -> 0.  gt counts
    ceil(u) - 1: 2.5 -> 2 (v 0.5), 1.0 -> 0 (not > 1), 4.0 -> 3 (v 1.0), 1.2 -> 1."""
    g, x = one_neuron(), [2.5, 0.5, 3.0, 0.2]
    s, v = run_one(g, x, engine, reset="subtract", spikes="multi", spike_test="ge")
    assert s.tolist() == [2, 1, 3, 0] and v.tolist() == pytest.approx([0.5, 0, 0, 0.2])
    s, v = run_one(g, x, engine, reset="subtract", spikes="multi")
    assert s.tolist() == [2, 0, 3, 1] and v.tolist() == pytest.approx([0.5, 1.0, 1.0, 0.2])
    s, v = run_one(g, x, engine, reset="subtract", spikes="multi", max_spikes=2, spike_test="ge")
    assert s.tolist() == [2, 1, 2, 1] and v.tolist() == pytest.approx([0.5, 0, 1.0, 0.2])
    s, v = run_one(g, x, engine, reset="value", spikes="multi", spike_test="ge")
    assert s.tolist() == [2, 0, 3, 0] and v.tolist() == pytest.approx([0, 0.5, 0, 0.2])


@pytest.mark.parametrize("engine", ENGINES)
def test_ge_fires_at_the_threshold_and_gt_does_not(engine):
    g = one_neuron()
    assert run_one(g, [1.0], engine)[0].tolist() == [0]
    assert run_one(g, [1.0], engine, spike_test="ge")[0].tolist() == [1]


@pytest.mark.parametrize("engine", ENGINES)
def test_delayed_reset_subtracts_one_step_late_undecayed(engine):
    """LIF v = 0.9 v + 0.1 x, thr 1, x = 12, 0, 0: u0 = 1.2 spikes (kept: v0 = 1.2);
    v1 = 0.9*1.2 + 0 - 1 = 0.08; v2 = 0.072.  Immediate subtraction instead gives
    v0 = 0.2, v1 = 0.18."""
    g = one_neuron("LIF")
    s, v = run_one(g, [12, 0, 0], engine, reset="subtract", firing="delayed-reset")
    assert s.tolist() == [1, 0, 0] and v.tolist() == pytest.approx([1.2, 0.08, 0.072])
    s, v = run_one(g, [12, 0, 0], engine, reset="subtract")
    assert s.tolist() == [1, 0, 0] and v.tolist() == pytest.approx([0.2, 0.18, 0.162])
    # delayed reset to v_reset = 0.5: v1 = 0.9*0.5 + 0.1*x1 (x1 = 3): 0.75
    g = one_neuron("LIF", v_reset=0.5)
    s, v = run_one(g, [12, 3, 0], engine, reset="value", firing="delayed-reset")
    assert s.tolist() == [1, 0, 0] and v.tolist() == pytest.approx([1.2, 0.75, 0.675])


@pytest.mark.parametrize("engine", ENGINES)
def test_late_spike_is_the_test_of_the_previous_potential(engine):
    """Spyx: s[t] = v[t-1] > thr, v[t] = 0.9 v[t-1] + 0.1 x[t] - s[t]*thr.  x = 12, 0, 0:
    v0 = 1.2 (no spike yet), s1 = 1, v1 = 1.08 - 1 = 0.08, s2 = 0, v2 = 0.072."""
    s, v = run_one(one_neuron("LIF"), [12, 0, 0], engine, reset="subtract", firing="late")
    assert s.tolist() == [0, 1, 0] and v.tolist() == pytest.approx([1.2, 0.08, 0.072])


@pytest.mark.parametrize("engine", ENGINES)
def test_v_min_clamps_before_the_spike_test(engine):
    g = one_neuron()  # thr 1
    x = [-3.0, 1.5, -0.5]
    assert run_one(g, x, engine)[1].tolist() == pytest.approx([-3, -1.5, -2])
    assert run_one(g, x, engine, v_min="zero")[1].tolist() == pytest.approx([0, 0, 0])
    s, v = run_one(g, x, engine, v_min="neg-threshold")
    assert s.tolist() == [0, 0, 0] and v.tolist() == pytest.approx([-1, 0.5, 0])
    assert run_one(g, x, engine, v_min="if-neg-threshold")[1].tolist() == pytest.approx([-1, 0.5, 0])
    lif = one_neuron("LIF")  # if-neg-threshold leaves a LIF unbounded (Sinabs' from_nir)
    assert run_one(lif, [-30.0], engine, v_min="if-neg-threshold")[1].tolist() == pytest.approx([-3])


def test_exp_euler_coefficients():
    """exp-euler: v_decay = exp(-dt/tau), v_gain = dt/tau * r (tau 1 ms, dt 0.1 ms)."""
    from nirc.importer import import_graph
    from nirc.passes.discretize import discretize_module

    module = import_graph(one_neuron("LIF"))
    discretize_module(module, method="exp-euler")
    (op,) = [o for o in module.walk() if o.name == "snn.lif"]
    assert op.array("v_decay")[0] == np.exp(-0.1)
    assert op.array("v_gain")[0] == pytest.approx(0.1, rel=1e-15)


# ---- synapse delay --------------------------------------------------------------------


def chain(recurrent: bool, explicit_delays: bool, seed: int = 0) -> nir.NIRGraph:
    """in -> w0 -> n0 (-> rec -> n0) -> w1 -> n1 -> out (CubaLIF), optionally with a
    one-step Delay after each feed-forward weight node."""
    rng = np.random.default_rng(seed)

    def cuba(n):
        return nir.CubaLIF(tau_syn=np.full(n, 4e-4), tau_mem=np.full(n, 1e-3), r=np.full(n, 10.0),
                           v_leak=np.zeros(n), v_threshold=np.ones(n), v_reset=np.zeros(n),
                           w_in=np.full(n, 4.0))

    nodes = {"in": nir.Input(np.array([5])), "w0": nir.Linear(weight=rng.normal(0, 1, (8, 5))),
             "n0": cuba(8), "w1": nir.Affine(weight=rng.normal(0, 1, (3, 8)), bias=rng.normal(0, .1, 3)),
             "n1": cuba(3), "out": nir.Output(np.array([3]))}
    edges = [("in", "w0"), ("n0", "w1"), ("n1", "out")]
    for w, n in (("w0", "n0"), ("w1", "n1")):
        if explicit_delays:
            nodes[f"d_{w}"] = nir.Delay(delay=np.full(nodes[n].v_threshold.size, 1e-4))
            edges += [(w, f"d_{w}"), (f"d_{w}", n)]
        else:
            edges.append((w, n))
    if recurrent:
        nodes["rec"] = nir.Linear(weight=rng.normal(0, 0.5, (8, 8)))
        edges += [("n0", "rec"), ("rec", "n0")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("recurrent", [False, True])
def test_synapse_delay_is_a_one_step_delay_after_each_weight_node(recurrent, engine):
    """synapse-delay=1 equals the graph with an explicit one-step Delay after each
    feed-forward weight node, and the recurrent loop keeps its one step (Lava's
    Dense delivers the previous step's accumulation; a recurrent Dense is one step)."""
    x = spikes(np.random.default_rng(1), 60, 4, 5)
    ours = nirc.simulate(chain(recurrent, False), x, dtype="float64", engine=engine,
                         synapse_delay=1)["out"]
    want = nirc.simulate(chain(recurrent, True), x, dtype="float64", engine="reference")["out"]
    assert want.sum() > 20
    np.testing.assert_array_equal(ours, want)


# ---- the engines agree under every convention ------------------------------------------

CONVENTIONS = st.fixed_dictionaries({
    "reset": st.sampled_from(["value", "subtract"]),
    "spikes": st.sampled_from(["single", "multi"]),
    "spike_test": st.sampled_from(["gt", "ge"]),
    "firing": st.sampled_from(["immediate", "delayed-reset", "late"]),
    "v_min": st.sampled_from(["none", "zero", "neg-threshold"]),
    "synapse_delay": st.sampled_from([0, 1]),
    "method": st.sampled_from(["euler", "exact", "exp-euler"]),
})


def _positive_thresholds(graph: nir.NIRGraph) -> nir.NIRGraph:
    for node in graph.nodes.values():
        if hasattr(node, "v_threshold"):
            node.v_threshold = np.abs(node.v_threshold) + 0.1
    return graph


@settings(max_examples=10, deadline=None)
@given(sim_graphs(max_layers=3, max_width=5), CONVENTIONS, st.integers(0, 2**31 - 1))
def test_fast_engine_equals_reference_under_every_convention(g, conventions, seed):
    graph, n_in = g
    graph = _positive_thresholds(graph)
    x = spikes(np.random.default_rng(seed), 25, 3, n_in)
    ref = nirc.simulate(graph, x, dtype="float64", engine="reference", **conventions)["out"]
    fast = nirc.simulate(graph, x, dtype="float64", engine="fast", **conventions)["out"]
    np.testing.assert_allclose(fast, ref, rtol=1e-9, atol=1e-9)


# ---- profiles ----------------------------------------------------------------------------


def test_every_profile_resolves_and_explicit_options_override_it():
    from nirc.passes.discretize import resolve_options

    for name in PROFILES:
        resolve_options(name)
    assert resolve_options("lava").synapse_delay == 1
    assert resolve_options("lava", synapse_delay=0).synapse_delay == 0
    assert resolve_options("snntorch").firing == "delayed-reset"
    with pytest.raises(NircError, match="unknown profile 'brian'"):
        resolve_options("brian")


def test_multi_spike_needs_positive_thresholds():
    with pytest.raises(NircError, match="field 'v_threshold'.*must be > 0, found -1"):
        nirc.simulate(one_neuron(threshold=-1.0), np.zeros((2, 1)), spikes="multi")


@pytest.mark.parametrize("engine", ENGINES)
def test_loop_start_rest_delivers_the_recurrent_bias_at_step_zero(engine):
    """I neuron (v += x) with an Affine self-loop y = 0.5 v + 1 and no input: zero start
    gives v[t] = 1.5 v[t-1] + 1 from v[0] = 0 (the loop delivers 0 at step 0): 0, 1,
    2.5, 4.75; rest start delivers the Affine's response to v = 0, its bias 1, at step
    0: 1, 2.5, 4.75, 8.125."""
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(np.array([1])), "w": nir.Linear(weight=np.zeros((1, 1))),
        "i": nir.I(r=np.ones(1)), "rec": nir.Affine(weight=np.full((1, 1), 0.5), bias=np.ones(1)),
        "out": nir.Output(np.array([1]))},
        edges=[("in", "w"), ("w", "i"), ("i", "rec"), ("rec", "i"), ("i", "out")], type_check=False)
    x = np.zeros((4, 1))
    zero = nirc.simulate(graph, x, dtype="float64", engine=engine)["out"][:, 0]
    rest = nirc.simulate(graph, x, dtype="float64", engine=engine, loop_start="rest")["out"][:, 0]
    assert zero.tolist() == [0, 1, 2.5, 4.75] and rest.tolist() == [1, 2.5, 4.75, 8.125]


@needs_paper
def test_cli_profile_option_and_override(tmp_path):
    """`nirc run --profile rockpool` fires at 450 where the default fires at 460;
    `--profile lava` delays by one step, and `--synapse-delay 0` overrides the profile."""
    from click.testing import CliRunner

    from nirc.cli import main

    x = tmp_path / "x.npy"
    np.save(x, trace("lif_norse.csv")[:, :1])
    first = {}
    for name, extra in (("default", []), ("rockpool", ["--profile", "rockpool"]),
                        ("lava", ["--profile", "lava"]),
                        ("lava0", ["--profile", "lava", "--synapse-delay", "0"])):
        out = tmp_path / f"{name}.npz"
        result = CliRunner().invoke(main, ["run", str(PAPER / "lif_norse.nir"), "--input", str(x),
                                           "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
        first[name] = int(np.flatnonzero(np.load(out)["output"])[0])
    assert first == {"default": 460, "rockpool": 450, "lava": 461, "lava0": 460}
