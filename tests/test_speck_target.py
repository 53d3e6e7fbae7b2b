"""The Speck target: cnn_sinabs on 5 cores, the errors of the chip's rules, the emitted
JSON, a branching network with pooling on its branches against an independent per-event
reference, and, where the sinabs oracle venv is built (targets/speck/oracle/build_env.sh),
nirc's integers and spikes against sinabs 3.1.3's ``DynapcnnNetwork(...,
discretize=True)``: cnn_sinabs layer by layer (3 seeds, T = 100), a branching network
without pooling (3 seeds) and 100 generated Speck-legal networks, all in one oracle
subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import nir
import numpy as np
import pytest

import speck_graphs
from nirc.compiler import compile_module
from nirc.diagnostics import NircError
from nirc.importer import import_graph
from nirc.targets.speck.oracle.sinabs_oracle import SinabsRun, sinabs_python
from nirc.targets.speck.sim import simulate
from nirc.targets.speck.target import network_op

REPO = Path(__file__).resolve().parents[1]
CNN = REPO.parent / "shared" / "conformance" / "nir-paper" / "cnn_sinabs.nir"
needs_cnn = pytest.mark.skipif(not CNN.exists(), reason=f"{CNN} not found (../shared absent)")
needs_oracle = pytest.mark.skipif(sinabs_python() is None, reason=(
    "the sinabs oracle venv is not built: bash targets/speck/oracle/build_env.sh ../sinabs-venv"))
GENERATED = 100


def compile_speck(graph, target="speck{fidelity-steps=0}", **sim):
    module = import_graph(graph) if isinstance(graph, nir.NIRGraph) else graph
    result = compile_module(module, "net.nir", target, sim)
    return result, module


def cnn_module():
    from nirc.loading import load_module

    return load_module(str(CNN))


@needs_cnn
def test_cnn_sinabs_takes_five_cores_each_layer_within_its_memory():
    """Memories by hand from sinabs' formulas, c_in 2^(ceil log2 k^2 + ceil log2 f) and
    f 2^(ceil log2 h + ceil log2 w): conv0 2*2^(5+4) = 1024, conv2 16*2^(4+4) = 4096,
    conv5 16*2^(4+3) = 2048, the 128 -> 256 Affine as an 8x4x4 kernel 8*2^(4+8) = 32768
    (only cores 3-6 have 32 Ki kernel entries), the 256 -> 10 Affine 256*2^(0+4) = 4096."""
    result, _ = compile_speck(cnn_module())
    rows = result.report["speck"]["layers"]
    assert [r["layer"] for r in rows] == ["1", "3", "6", "10", "12"]
    assert [r["kernel_memory"] for r in rows] == [1024, 4096, 2048, 32768, 4096]
    assert [r["neuron_memory"] for r in rows] == [16 * 256, 16 * 256, 8 * 64, 256, 10]
    kernel = [16, 16, 16, 32, 32, 64, 64, 16, 16]
    neuron = [64, 64, 64, 32, 32, 16, 16, 16, 16]
    cores = [r["core"] for r in rows]
    assert len(set(cores)) == 5
    for r in rows:
        assert r["kernel_memory"] <= kernel[r["core"]] * 1024
        assert r["neuron_memory"] <= neuron[r["core"]] * 1024
    assert rows[3]["core"] in (3, 4, 5, 6)
    spec = json.loads(result.files["net.speck.json"])
    assert sorted(spec["cnn_layers"]) == sorted(str(c) for c in cores)
    first = spec["cnn_layers"][str(cores[0])]
    assert first["dimensions"] == {"input_shape": {"size": {"x": 34, "y": 34}, "feature_count": 2},
                                   "output_shape": {"size": {"x": 16, "y": 16}, "feature_count": 16},
                                   "padding": {"x": 1, "y": 1}, "stride": {"x": 2, "y": 2},
                                   "kernel_size": 5}
    assert first["destinations"] == [{"layer": cores[1], "enable": True, "pooling": 1}]
    assert spec["cnn_layers"][str(cores[1])]["destinations"][0]["pooling"] == 2
    assert spec["cnn_layers"][str(cores[4])]["monitor_enable"] is True
    assert spec["dvs_layer"]["destinations"] == [{"layer": cores[0], "enable": True}]


def _legal_layer(**conv):
    """Input (2, 12, 12) -> Conv2d -> IF -> Output, with the Conv2d's geometry given."""
    rng = np.random.default_rng(0)
    k, stride, padding = conv.get("k", 3), conv.get("stride", 1), conv.get("padding", 1)
    c_out = conv.get("c_out", 4)
    node, out = speck_graphs.conv_node(rng, 2, c_out, k, stride, padding, 12)
    thr = conv.get("threshold", np.ones((c_out, out, out), np.float32))
    nodes = {"input": nir.Input(np.array([2, 12, 12])), "conv": node,
             "if": nir.IF(r=np.ones((c_out, out, out)), v_threshold=thr,
                          v_reset=np.zeros((c_out, out, out))),
             "output": nir.Output(np.array([c_out, out, out]))}
    return nir.NIRGraph(nodes=nodes, edges=[("input", "conv"), ("conv", "if"), ("if", "output")],
                        type_check=False)


def _error(graph) -> NircError:
    with pytest.raises(NircError) as info:
        compile_speck(graph)
    return info.value


def test_a_5x5_kernel_with_stride_3_names_the_conv_and_the_strides():
    e = _error(_legal_layer(k=5, stride=3, padding=0))
    assert (e.node, e.field) == ("conv", "stride")
    assert "stride [3, 3]; Speck's strides are 1, 2, 4, 8" in str(e)


def test_a_non_uniform_threshold_names_the_layer_and_field():
    thr = np.ones((4, 12, 12), np.float32)
    thr[1] = 2.0
    e = _error(_legal_layer(threshold=thr))
    assert (e.node, e.field) == ("if", "v_threshold")
    assert "2 different thresholds (1..2)" in str(e)


def test_a_leaky_cnn_exported_by_snntorch_is_refused_naming_the_neuron():
    """snnTorch's export (snntorch/export_nir.py, ``snn.Leaky``): LIF with tau = dt /
    (1 - beta), r = tau / dt, v_leak = 0, v_reset = 0, dt = 1e-4; here beta = 0.9."""
    e = _error(_leaky())
    assert (e.node, e.field) == ("if", "tau")
    assert "Speck neurons do not leak" in str(e) and "0.9" in str(e)


def _deep(n_layers: int) -> nir.NIRGraph:
    rng = np.random.default_rng(1)
    nodes, edges, prev = {"input": nir.Input(np.array([2, 8, 8]))}, [], "input"
    c = 2
    for i in range(n_layers):
        node, out = speck_graphs.conv_node(rng, c, 4, 3, 1, 1, 8)
        nodes[f"c{i}"], nodes[f"n{i}"] = node, speck_graphs.if_node((4, 8, 8), 1.0)
        edges += [(prev, f"c{i}"), (f"c{i}", f"n{i}")]
        prev, c = f"n{i}", 4
    nodes["output"] = nir.Output(np.array([4, 8, 8]))
    edges.append((prev, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_a_network_of_ten_layers_needs_ten_cores_of_nine():
    e = _error(_deep(10))
    assert e.field == "cores"
    assert "needs 10 cores (one per layer); Speck has 9" in str(e)
    result, _ = compile_speck(_deep(9))
    assert sorted(r["core"] for r in result.report["speck"]["layers"]) == list(range(9))


def test_a_layer_too_big_for_any_core_names_the_memory_and_both_numbers():
    """64 channels of 64x64 neurons: 64 * 2^(6+6) = 262144 neuron entries > 65536."""
    rng = np.random.default_rng(2)
    conv, out = speck_graphs.conv_node(rng, 2, 64, 1, 1, 0, 64)
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([2, 64, 64])), "conv": conv,
                            "if": speck_graphs.if_node((64, 64, 64), 1.0),
                            "output": nir.Output(np.array([64, 64, 64]))},
                     edges=[("input", "conv"), ("conv", "if"), ("if", "output")], type_check=False)
    e = _error(g)
    assert (e.node, e.field) == ("if", "neuron memory")
    assert "needs 262144 entries of neuron memory; the largest Speck core holds 65536" in str(e)


def _leaky() -> nir.NIRGraph:
    g = _legal_layer()
    tau, shape = 1e-4 / (1 - 0.9), (4, 12, 12)
    g.nodes["if"] = nir.LIF(tau=np.full(shape, tau), r=np.full(shape, tau / 1e-4),
                            v_leak=np.zeros(shape), v_threshold=np.ones(shape), v_reset=np.zeros(shape))
    return g


def test_each_rule_broken_is_one_line_exit_1_and_nothing_written(tmp_path):
    """nirc compile as a user runs it, on the four graphs of the issue's checks."""
    import subprocess
    import sys

    thr = np.ones((4, 12, 12), np.float32)
    thr[1] = 2.0
    graphs = {"stride3": (_legal_layer(k=5, stride=3, padding=0), "node 'conv', field 'stride'"),
              "thresholds": (_legal_layer(threshold=thr), "node 'if', field 'v_threshold'"),
              "leaky": (_leaky(), "node 'if', field 'tau'"),
              "ten": (_deep(10), "node 'n9', field 'cores'")}
    nirc = str(Path(sys.executable).parent / "nirc")
    procs = {}
    for name, (graph, _) in graphs.items():  # all at once: the machine has 2 cores
        path = tmp_path / f"{name}.nir"
        nir.write(str(path), graph)
        procs[name] = subprocess.Popen([nirc, "compile", str(path), "--target", "speck", "-o",
                                        str(tmp_path / f"out_{name}")],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for name, (_, where) in graphs.items():
        _, stderr = procs[name].communicate(timeout=300)
        assert procs[name].returncode == 1, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {tmp_path / name}.nir: {where}: "), lines
        assert not (tmp_path / f"out_{name}").exists()


def branching() -> nir.NIRGraph:
    """input -> A; A -> B and A -> pool 2 -> C; B -> pool 2 -> D and C -> D (a merge:
    D sums both) -> Output.  4 cores, A uses both destinations, D has two sources;
    pooling on a branch, where sinabs 3.1.3's graph extractor fails."""
    rng = np.random.default_rng(5)
    a, sa = speck_graphs.conv_node(rng, 2, 4, 3, 1, 1, 8, scale=3.0)
    b, sb = speck_graphs.conv_node(rng, 4, 3, 3, 1, 1, 8, scale=3.0)
    c, sc = speck_graphs.conv_node(rng, 4, 3, 1, 1, 0, 4, scale=3.0)
    d, sd = speck_graphs.conv_node(rng, 3, 5, 3, 2, 1, 4, scale=3.0)
    pool = lambda: nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),  # noqa: E731
                                 padding=np.array([0, 0]))
    nodes = {"input": nir.Input(np.array([2, 8, 8])),
             "a": a, "na": speck_graphs.if_node((4, sa, sa), 0.7),
             "b": b, "nb": speck_graphs.if_node((3, sb, sb), 1.1),
             "pa": pool(), "c": c, "nc": speck_graphs.if_node((3, sc, sc), 0.9),
             "pb": pool(), "d": d, "nd": speck_graphs.if_node((5, sd, sd), 1.3),
             "output": nir.Output(np.array([5, sd, sd]))}
    edges = [("input", "a"), ("a", "na"), ("na", "b"), ("b", "nb"), ("na", "pa"), ("pa", "c"),
             ("c", "nc"), ("nb", "pb"), ("pb", "d"), ("nc", "d"), ("d", "nd"), ("nd", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_a_branching_network_equals_the_per_event_reference(monkeypatch):
    from nirc.targets.speck import sim

    result, module = compile_speck(branching())
    net = network_op(module).network()
    names = [layer.name for layer in net.layers]
    assert names == ["na", "nb", "nc", "nd"]
    assert net.layers[0].destinations == [(1, 1), (2, 2)]
    assert sorted(net.sources(3)) == [(1, 2), (2, 1)]
    rng = np.random.default_rng(0)
    raster = (rng.random((40, 2, 2, 8, 8)) < 0.3).astype(np.int64) * rng.integers(1, 3, (40, 2, 2, 8, 8))
    got = simulate(net, raster)["output"]
    want = speck_graphs.reference(net, raster)
    assert got.sum() > 20 and (got > 1).any()  # active, with multi-spikes
    np.testing.assert_array_equal(got, want)
    monkeypatch.setattr(sim, "CHUNK", 3 * 2 * 4 * 8 * 8)  # time in chunks of 3 bins
    np.testing.assert_array_equal(simulate(net, raster)["output"], want)
    for merge in (0.0, np.inf):  # pooled events never / always summed per window first
        monkeypatch.setattr(sim, "MERGE", merge)
        np.testing.assert_array_equal(simulate(net, raster)["output"], want, err_msg=f"MERGE {merge}")


def test_the_batch_split_over_threads_gives_the_same_bits(monkeypatch):
    """Each thread simulates its part of the batch whole: output, spikes and v equal the
    per-event reference and the one-thread run, for any number of parts (3 uneven ones too)."""
    from nirc.targets.speck import sim

    _, module = compile_speck(branching())
    net = network_op(module).network()
    rng = np.random.default_rng(1)
    raster = (rng.random((30, 5, 2, 8, 8)) < 0.3).astype(np.int64) * rng.integers(1, 3, (30, 5, 2, 8, 8))
    one = simulate(net, raster, record=True, threads=1)
    np.testing.assert_array_equal(one["output"], speck_graphs.reference(net, raster))
    monkeypatch.setattr(sim, "SPLIT_WORK", 0)
    import nirc.targets.interp.threads as threads

    monkeypatch.setattr(threads, "cores", lambda: 3)
    monkeypatch.setattr(threads, "available", lambda n: n or 3)
    for parts in (2, 3):
        split = simulate(net, raster, record=True, threads=parts)
        assert split.keys() == one.keys()
        for key in one:
            np.testing.assert_array_equal(split[key], one[key], err_msg=f"{parts} parts: {key}")


@pytest.mark.parametrize("peak, layer, wanted", [(1, 0, "int16"), (1000, 0, "int32"), (10 ** 5, 1, "int64")])
def test_each_integer_width_equals_the_per_event_reference(peak, layer, wanted):
    """Input counts up to ``peak`` make the bound of a layer's sums pick int16, int32 or
    int64 (sim._int_types): the same spikes and output as the reference in each."""
    from nirc.targets.speck import sim

    _, module = compile_speck(branching())
    net = network_op(module).network()
    rng = np.random.default_rng(2)
    raster = (rng.random((12, 2, 2, 8, 8)) < 0.3) * rng.integers(0, peak + 1, (12, 2, 2, 8, 8))
    raster[0, 0, 0, 0, 0] = peak
    assert sim._int_types(net, peak)[layer].__name__ == wanted
    got = simulate(net, raster, record=True, threads=1)
    assert got[f"s{layer}"].sum() > 0 and np.abs(got[f"v{layer}"]).max() > 0
    np.testing.assert_array_equal(got["output"], speck_graphs.reference(net, raster))


def test_three_destinations_are_refused_naming_the_layer():
    g = branching()
    rng = np.random.default_rng(6)
    e_conv, se = speck_graphs.conv_node(rng, 4, 2, 1, 1, 0, 8)
    g.nodes["e"], g.nodes["ne"] = e_conv, speck_graphs.if_node((2, se, se), 1.0)
    g.nodes["pe"] = nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                  padding=np.array([0, 0]))
    g.nodes["pe2"] = nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                   padding=np.array([0, 0]))
    g.edges += [("na", "e"), ("e", "ne"), ("ne", "pe"), ("pe", "pe2")]
    # ne -> pe -> pe2 (2 x 2 = pooling 4) -> output would add an Output: instead merge into d
    g.edges.remove(("pe", "pe2"))
    del g.nodes["pe2"]
    g.nodes["c2"], s2 = speck_graphs.conv_node(rng, 2, 3, 1, 1, 0, 4)
    g.nodes["n2"] = speck_graphs.if_node((3, s2, s2), 1.0)
    g.edges += [("pe", "c2"), ("c2", "n2"), ("n2", "d")]
    e = _error(nir.NIRGraph(nodes=g.nodes, edges=g.edges, type_check=False))
    assert (e.node, e.field) == ("na", "destinations")
    assert "feeds 3 layers; a Speck core has 2 destinations" in str(e)


# ---- against sinabs ------------------------------------------------------------------

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def oracle():
    """Every sinabs job of this module in one subprocess (started first, so that nirc's
    side is computed meanwhile): cnn_sinabs on 3 seeds (T = 100, 2 samples, 5% input
    events), a branching network on 3 seeds (sinabs' graph extractor) and GENERATED random
    chains (T = 100, 1 sample)."""
    if sinabs_python() is None:
        pytest.skip("the sinabs oracle venv is not built: bash targets/speck/oracle/build_env.sh ../sinabs-venv")
    jobs, cases = [], []
    if CNN.exists():
        for seed in SEEDS:
            x = (np.random.default_rng(seed).random((100, 2, 2, 34, 34)) < 0.05).astype(np.int64)
            jobs.append((str(CNN), x))
            cases.append(("cnn", seed, x))
    for seed in SEEDS:
        graph = speck_graphs.merge_without_pooling(seed)
        rng = np.random.default_rng(2000 + seed)
        x = (rng.random((100, 2, 2, 8, 8)) < 0.3) * rng.integers(1, 3, (100, 2, 2, 8, 8))
        jobs.append((graph, x, {"sequential": False}))
        cases.append(("merge", graph, x))
    for seed in range(GENERATED):
        graph, shape = speck_graphs.random_chain(seed)
        rng = np.random.default_rng(1000 + seed)
        x = (rng.random((100, 1, *shape)) < 0.1) * rng.integers(1, 4, (100, 1, *shape))
        jobs.append((graph, x))
        cases.append(("chain", graph, x))
    run = SinabsRun(jobs)
    try:
        ours = []
        for kind, graph, x in cases:
            module = cnn_module() if kind == "cnn" else import_graph(graph)
            result, _ = compile_speck(module)
            net = network_op(module).network()
            recorded = simulate(net, x, record=True)
            recorded["json"] = json.loads(result.files["net.speck.json"])
            if kind == "cnn":  # what nirc run --target speck does with the lowered module
                from nirc.targets.interp.api import Simulator

                labels = [layer.name + s for layer in net.layers for s in ("", ".v")]
                chip = Simulator(module).run(x.astype(np.float32), record=labels)
                recorded["run"] = chip.pop(next(iter(chip)))
                recorded["run_record"] = chip  # nirc run --target speck --record LAYER[.v]
            ours.append((net, recorded))
    except BaseException:
        run.close()
        raise
    return list(zip(cases, ours, run.results(timeout=600)))


@needs_oracle
@needs_cnn
def test_cnn_sinabs_integers_and_spikes_equal_sinabs_layer_by_layer(oracle):
    compared = 0
    for (kind, seed, x), (net, ours), theirs in oracle:
        if kind != "cnn":
            continue
        assert not isinstance(theirs, str), theirs
        for k, layer in enumerate(net.layers):
            np.testing.assert_array_equal(layer.weight, theirs[f"weight{k}"])
            np.testing.assert_array_equal(layer.bias, theirs[f"bias{k}"])
            emitted = ours["json"]["cnn_layers"][str(layer.core)]  # samna's layout: (f, c, x, y)
            np.testing.assert_array_equal(emitted["weights"], np.swapaxes(theirs[f"weight{k}"], 2, 3))
            np.testing.assert_array_equal(emitted["biases"], theirs[f"bias{k}"])
            assert (emitted["threshold_high"], emitted["threshold_low"]) == (
                int(theirs[f"threshold_high{k}"]), int(theirs[f"threshold_low{k}"]))
            assert (layer.threshold_high, layer.threshold_low) == (
                int(theirs[f"threshold_high{k}"]), int(theirs[f"threshold_low{k}"]))
            np.testing.assert_array_equal(ours[f"s{k}"], theirs[f"s{k}"], err_msg=f"seed {seed} layer {k}")
            np.testing.assert_array_equal(ours[f"v{k}"], theirs[f"v{k}"], err_msg=f"seed {seed} layer {k}")
            # the run API's recording of the chip's layer, by its NIR name
            np.testing.assert_array_equal(ours["run_record"][layer.name], theirs[f"s{k}"])
            np.testing.assert_array_equal(ours["run_record"][layer.name + ".v"], theirs[f"v{k}"])
        np.testing.assert_array_equal(ours["output"], theirs["output"].reshape(ours["output"].shape))
        np.testing.assert_array_equal(ours["run"], theirs["output"].reshape(ours["run"].shape))
        assert ours["output"].sum() > 50
        compared += 1
    assert compared == len(SEEDS)


@needs_oracle
def test_generated_networks_equal_sinabs_spike_for_spike(oracle):
    chains = [item for item in oracle if item[0][0] == "chain"]
    assert len(chains) == GENERATED
    failures, multi, heads, pooled_out = [], 0, 0, 0
    for (_, graph, x), (net, ours), theirs in chains:
        assert not isinstance(theirs, str), theirs
        for k, layer in enumerate(net.layers):
            np.testing.assert_array_equal(layer.weight, theirs[f"weight{k}"])
            np.testing.assert_array_equal(ours[f"s{k}"], theirs[f"s{k}"])
            np.testing.assert_array_equal(ours[f"v{k}"], theirs[f"v{k}"])
        np.testing.assert_array_equal(ours["output"], theirs["output"].reshape(ours["output"].shape))
        multi += any((ours[f"s{k}"] > 1).any() for k in range(len(net.layers)))
        heads += any(layer.in_shape[1] > 1 and layer.out_shape[1:] == (1, 1) for layer in net.layers)
        pooled_out += any(d == -1 and p > 1 for layer in net.layers for d, p in layer.destinations)
    assert not failures
    # the generator covers what it claims
    assert multi > 20 and heads > 20 and pooled_out > 3


@needs_oracle
def test_a_branching_network_equals_sinabs_graph_extractor(oracle):
    """Branches and a merge without pooling, which sinabs 3.1.3 traces (through its
    Merge layer): the output and every sinabs layer's spikes equal nirc's (each sinabs
    layer matched to the nirc layer with the same spikes)."""
    merges = [item for item in oracle if item[0][0] == "merge"]
    assert len(merges) == len(SEEDS)
    for (_, graph, x), (net, ours), theirs in merges:
        assert not isinstance(theirs, str), theirs
        assert net.layers[0].destinations == [(1, 1), (2, 1)] and sorted(net.sources(3)) == [(1, 1), (2, 1)]
        np.testing.assert_array_equal(ours["output"], theirs["output"].reshape(ours["output"].shape))
        layers = sorted(k[1:] for k in theirs if k.startswith("s") and k[1:].isdigit())
        assert len(layers) == 4
        for k in layers:  # sinabs numbers layers topologically; b and c may swap
            assert any(np.array_equal(theirs[f"s{k}"], ours[f"s{j}"]) for j in range(4)), k
        assert ours["output"].sum() > 50 and (ours["s0"] > 1).any()


def test_a_neuron_discretized_with_another_spike_rule_is_refused():
    """The float reference must compute what the chip does: single spikes are refused."""
    e = _error_sim(_legal_layer(), spikes="single")
    assert (e.node, e.field) == ("if", "max_spikes")
    e = _error_sim(_legal_layer(), v_min="none")
    assert (e.node, e.field) == ("if", "v_min")


def _error_sim(graph, **sim) -> NircError:
    with pytest.raises(NircError) as info:
        compile_speck(graph, **sim)
    return info.value


@needs_cnn
def test_the_report_compares_with_the_float_graph_under_speck_spiking():
    """The fidelity check simulates the float graph with the module's options (multi-spike,
    v >= threshold, clamp at -threshold): on cnn_sinabs the output spike counts agree as
    well as sinabs' own float network does with the chip's (0.82 on 300 bins x 16 samples,
    bench/bench_speck.py), far above the 0.10 of nirc's default single-spike reference."""
    result, _ = compile_speck(cnn_module(), "speck{fidelity-steps=120 fidelity-batch=3}")
    f = result.report["speck"]["fidelity"]
    assert result.report["options"]["spikes"] == "multi"
    assert f["steps"] == 120 and f["mean"] > 0.7, f
    assert abs(f["spikes_float"] - f["spikes_chip"]) < 0.1 * f["spikes_chip"]
