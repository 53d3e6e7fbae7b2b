"""The Xylo target: mapping rules, Xylo's arithmetic, dt selection, emitter, report and
the compiled network run bit for bit (sim.py is checked against xylosim in
test_xylo_sim.py; here the compiled braille network is too)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nir
import numpy as np
import pytest

import chip_graphs
from chip_graphs import linear
from nirc.compiler import compile_module
from nirc.diagnostics import NircError
from nirc.importer import import_graph
from nirc.targets.xylo.arith import dash_of, tau_error
from nirc.targets.xylo.dt import choose_dt, ranked_steps
from nirc.targets.xylo.target import network_op

REPO = Path(__file__).resolve().parents[1]
BRAILLE = REPO.parent / "shared" / "conformance" / "nir-paper" / "braille_noDelay_bias_zero.nir"
DT = 1e-4


def cuba(n, tau_syn=2 * DT, tau_mem=8 * DT, threshold=1.0):
    """Euler decays that are exact Xylo decays at dt = 1e-4: i_decay = 1 - 1/2 (dash_syn 1),
    v_decay = 1 - 1/8 (dash_mem 3); gains 1."""
    return chip_graphs.cuba(n, tau_syn, tau_mem, DT, threshold)


def module_of(nodes, edges):
    return import_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))


def feed_forward(sizes, recurrent=False, seed=0, scale=2.0):
    """Input -> (Linear -> CubaLIF) per size after the first -> Output; weights normal
    with standard deviation scale / sqrt(fan-in)."""
    nodes = {"input": nir.Input(np.array([sizes[0]]))}
    edges, previous = [], "input"
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        nodes[f"w{k}"], nodes[f"n{k}"] = linear(n_out, n_in, seed + k, scale / np.sqrt(n_in)), cuba(n_out)
        edges += [(previous, f"w{k}"), (f"w{k}", f"n{k}")]
        if recurrent and k == 0:
            nodes["rec"] = linear(n_out, n_out, seed + 99, 0.5 / np.sqrt(n_out))
            edges += [(f"n{k}", "rec"), ("rec", f"n{k}")]
        previous = f"n{k}"
    nodes["output"] = nir.Output(np.array([sizes[-1]]))
    edges.append((previous, "output"))
    return module_of(nodes, edges)


def compile_xylo(module, target="xylo", **sim):
    """The compile result, with the lowered module (compile_module lowers in place)."""
    result = compile_module(module, "net.nir", target, {"dt": DT, **sim})
    return SimpleNamespace(report=result.report, files=result.files, module=module)


# ---- arithmetic: hand-derived values ----------------------------------------------------


def test_dash_of_powers_of_two_and_limits():
    # 1 - 2**-dash is exact for these decays; 0.9 -> log2(10) = 3.32 -> 3; no leak -> 15
    assert dash_of(np.array([0.0, 0.5, 0.875, 1 - 2 ** -15, 0.9, 1.0])).tolist() == [0, 1, 3, 15, 3, 15]
    assert tau_error(np.array([0.875]), np.array([3]))[0] == pytest.approx(0.0, abs=1e-12)
    # decay 0.9 (tau = 9.49 dt) held as 0.875 (tau = 7.49 dt): -21.1 %
    assert tau_error(np.array([0.9]), np.array([3]))[0] == pytest.approx(
        np.log(0.9) / np.log(0.875) - 1, rel=1e-12)


def test_choose_dt_finds_the_step_that_makes_both_time_constants_powers_of_two():
    # tau_syn = 2e-4, tau_mem = 8e-4: at dt = 1e-4 the Euler decays are 1/2 and 7/8
    # exactly; the candidates hold every tau * 2**-dash, so a coarse grid finds 1e-4 itself
    choice = choose_dt(feed_forward([4, 6, 3]), 5e-5, 2e-4, "euler", points=7)
    assert choice["dt"] == 1e-4 and choice["worst_tau_error"] < 1e-12


def test_choose_dt_keeps_the_graphs_behaviour():
    """The best-fitting step is taken only if the float graph behaves there as at its
    own step; else the next, else the given step (behaves False)."""
    module = feed_forward([4, 6, 3])  # taus 2e-4 and 8e-4: 1e-4, 5e-5, 2.5e-5 all exact
    ranked = [dt for _, dt in ranked_steps(module, 1e-5, 1e-3, "euler", 7, given=1.5e-4)]
    best, second = ranked[0], ranked[1]
    assert choose_dt(module, 1e-5, 1e-3, "euler", 7, given=1.5e-4, behave=lambda dt: 1.0)["dt"] == best
    choice = choose_dt(module, 1e-5, 1e-3, "euler", 7, given=1.5e-4,
                       behave=lambda dt: 0.5 if dt == best else 0.95)
    assert choice["dt"] == second and choice["behaves"] and choice["checked"] == 2
    stuck = choose_dt(module, 1e-5, 1e-3, "euler", 7, given=1.5e-4, behave=lambda dt: None,
                      checks=2)
    assert stuck["dt"] == 1.5e-4 and stuck["behaves"] is False


# ---- mapping ------------------------------------------------------------------------------


def test_two_hidden_layers_are_stacked_with_one_step_each():
    result = compile_xylo(feed_forward([5, 10, 20, 3], recurrent=True))
    op = network_op_of(result)
    table = op.layer_table()
    assert table == {"n0": (0, 10, 0, "hidden"), "n1": (10, 30, 1, "hidden"),
                     "n2": (0, 3, 2, "readout")}
    assert op.integer("latency") == 2
    config = op.config()
    assert config.sizes == (5, 30, 3)
    w_rec = config.weights_rec[:, :, 0]
    assert np.any(w_rec[:10, :10]) and np.any(w_rec[:10, 10:30])  # recurrent block, n0 -> n1
    assert not np.any(w_rec[10:, :]) and not np.any(config.weights_in[:, 10:])
    assert not np.any(config.weights_out[:10])  # only n1 feeds the readout


def network_op_of(result):
    return network_op(result.module)


@pytest.mark.parametrize("case, message", [
    ("too_many_inputs", "the input has 17 channels; Xylo Audio 2 takes 16"),
    ("readout_reads_input", "Xylo needs at least two neuron layers"),
    ("skip_connection", "the edge from 'b' has a delay of 1 step(s) where the graph has 0"),
    ("recurrent_readout", "Xylo's readout neurons cannot be recurrent"),
    ("too_many_outputs", "the readout has 9 neurons; Xylo Audio 2 has 8"),
    ("conv", "Xylo's synapses are dense matrices; 'nir.conv2d' has no Xylo form"),
])
def test_rule_violations_name_the_node_and_the_numbers(case, message):
    with pytest.raises(NircError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        compile_xylo(bad_graph(case))
    assert e.value.node is not None


def bad_graph(case):
    if case == "too_many_inputs":
        return feed_forward([17, 4, 2])
    if case == "too_many_outputs":
        return feed_forward([4, 6, 9])
    if case == "readout_reads_input":
        return feed_forward([4, 2])
    if case == "skip_connection":
        nodes = {"input": nir.Input(np.array([3])), "w0": linear(4, 3, 0), "a": cuba(4),
                 "w1": linear(4, 4, 1), "b": cuba(4), "w2": linear(2, 4, 2), "w3": linear(2, 4, 3),
                 "out": cuba(2), "output": nir.Output(np.array([2]))}
        edges = [("input", "w0"), ("w0", "a"), ("a", "w1"), ("w1", "b"), ("b", "w2"),
                 ("w2", "out"), ("a", "w3"), ("w3", "out"), ("out", "output")]
        return module_of(nodes, edges)
    if case == "recurrent_readout":
        nodes = {"input": nir.Input(np.array([3])), "w0": linear(4, 3, 0), "a": cuba(4),
                 "w1": linear(2, 4, 1), "out": cuba(2), "rec": linear(2, 2, 2),
                 "output": nir.Output(np.array([2]))}
        edges = [("input", "w0"), ("w0", "a"), ("a", "w1"), ("w1", "out"), ("out", "rec"),
                 ("rec", "out"), ("out", "output")]
        return module_of(nodes, edges)
    if case == "conv":
        nodes = {"input": nir.Input(np.array([1, 4, 4])),
                 "c": nir.Conv2d(input_shape=(4, 4), weight=np.ones((2, 1, 3, 3), np.float32),
                                 stride=1, padding=1, dilation=1, groups=1,
                                 bias=np.zeros(2, np.float32)),
                 "f": nir.IF(r=np.ones((2, 4, 4)), v_threshold=np.ones((2, 4, 4)),
                             v_reset=np.zeros((2, 4, 4))),
                 "output": nir.Output(np.array([2, 4, 4]))}
        return module_of(nodes, [("input", "c"), ("c", "f"), ("f", "output")])
    raise AssertionError(case)


def test_reset_by_value_is_refused():
    with pytest.raises(NircError, match="Xylo resets by subtracting the threshold") as e:
        compile_xylo(feed_forward([4, 6, 3]), reset="value")
    assert e.value.field == "reset"


def test_xylo_imu_takes_input_into_its_first_128_neurons_only():
    module = feed_forward([4, 200, 100, 3])
    with pytest.raises(NircError, match="first 128 only"):
        compile_xylo(module, target="xylo{chip=syns63300}")
    result = compile_xylo(feed_forward([4, 100, 100, 3]), target="xylo{chip=syns63300}")
    assert network_op_of(result).config().sizes == (4, 200, 3)


# ---- quantization ---------------------------------------------------------------------


def test_weights_thresholds_and_dashes_follow_the_documented_arithmetic():
    """Each int8 weight is round(W * gain / (a * unit * 2**shift)) and each threshold
    floor(th / unit) + 1 (arith.py); gains are 1 and a = 1/2 here (dash_syn 1)."""
    module = feed_forward([5, 8, 3], recurrent=True)
    weights = {op.node_name.data: np.asarray(op.array("weight"), np.float64)
               for op in module.walk() if op.name == "nir.linear"}
    result = compile_xylo(module)
    op = network_op_of(result)
    c = op.config()
    assert c.dash_syn.tolist() == [1] * 8 and c.dash_mem.tolist() == [3] * 8
    assert c.dash_syn_out.tolist() == [1] * 3 and c.dash_mem_out.tolist() == [3] * 3
    a = 0.5
    w_in = weights["w0"].T / a   # (pre, post), v units per spike
    w_rec = weights["rec"].T / a
    # recover each neuron's unit from its threshold (th = 1): unit = 1 / (threshold - 1 .. threshold)
    for n in range(8):
        lsb_in = 2.0 ** c.weight_shift_in
        lsb_rec = 2.0 ** c.weight_shift_rec
        # the largest |weight| of the neuron over both matrices uses (nearly) all 8 bits
        used = max(np.abs(c.weights_in[:, n, 0]).max() * lsb_in / 127,
                   np.abs(c.weights_rec[:, n, 0]).max() * lsb_rec / 127)
        assert used <= 2 ** max(c.weight_shift_in, c.weight_shift_rec) * 1.01
        unit = max(np.abs(w_in[:, n]).max() / (127 * lsb_in), np.abs(w_rec[:, n]).max() / (127 * lsb_rec),
                   1.0 / 2 ** 13)
        assert np.array_equal(c.weights_in[:, n, 0], np.clip(np.rint(w_in[:, n] / (unit * lsb_in)), -128, 127))
        assert np.array_equal(c.weights_rec[:, n, 0], np.clip(np.rint(w_rec[:, n] / (unit * lsb_rec)), -128, 127))
        assert c.threshold[n] == np.floor(1.0 / unit) + 1


def test_per_tensor_mode_gives_every_hidden_neuron_one_unit():
    result = compile_xylo(feed_forward([5, 8, 3]), target="xylo{per-channel=false}")
    c = network_op_of(result).config()
    assert len(set(c.threshold.tolist())) == 1 and len(set(c.threshold_out.tolist())) == 1


def test_exact_decays_give_a_faithful_chip():
    """With decays that Xylo holds exactly and 8-bit weights with shifts, a feed-forward
    network follows the float one closely: what is left is weight rounding, the 1-LSB
    minimum decay and the few steps where a hidden neuron fires more than once (Xylo
    emits up to 31 spikes per step, the graph one).  Measured: 0.972."""
    result = compile_xylo(feed_forward([8, 40, 6], seed=3, scale=1.0))
    fidelity = result.report["xylo"]["fidelity"]
    assert fidelity["spikes_float"] > 2000
    assert fidelity["mean"] >= 0.95, fidelity
    assert fidelity["same_decision"] >= 0.9


# ---- outputs ------------------------------------------------------------------------------


def test_emitted_json_has_rockpools_fields_and_shapes():
    result = compile_xylo(feed_forward([5, 8, 3], recurrent=True))
    spec = json.loads(result.files["net.xylo.json"])
    for name in ("weights_in", "weights_rec", "weights_out", "dash_mem", "dash_mem_out",
                 "dash_syn", "dash_syn_2", "dash_syn_out", "threshold", "threshold_out",
                 "bias_hidden", "bias_out", "weight_shift_in", "weight_shift_rec",
                 "weight_shift_out", "aliases", "dt"):
        assert name in spec
    assert np.array(spec["weights_in"]).shape == (5, 8)   # one synapse: rockpool adds the axis
    assert np.array(spec["weights_rec"]).shape == (8, 8)
    assert np.array(spec["weights_out"]).shape == (8, 3)
    assert spec["aliases"] is None and spec["dt"] == DT and spec["nirc"]["latency"] == 1
    imu = compile_xylo(feed_forward([5, 8, 3]), target="xylo{chip=syns63300}")
    assert "dash_syn_2" not in json.loads(imu.files["net.xylo.json"])


def test_cli_compile_writes_nothing_on_a_rule_violation(tmp_path):
    bad = tmp_path / "bad.nir"
    nir.write(bad, nir.NIRGraph(
        nodes={"input": nir.Input(np.array([20])), "w": linear(4, 20, 0), "a": cuba(4),
               "w2": linear(2, 4, 1), "b": cuba(2), "output": nir.Output(np.array([2]))},
        edges=[("input", "w"), ("w", "a"), ("a", "w2"), ("w2", "b"), ("b", "output")],
        type_check=False))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "nirc.cli", "compile", str(bad), "--target", "xylo",
                          "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and str(bad) in run.stderr
    assert "the input has 20 channels; Xylo Audio 2 takes 16" in run.stderr
    assert not out.exists()


# ---- the compiled braille network, bit for bit ----------------------------------------


@pytest.mark.skipif(not BRAILLE.exists(), reason="../shared/conformance is absent (a user's clone)")
def test_compiled_braille_runs_bit_exact_against_xylosim_and_reports_fidelity():
    pytest.importorskip("xylosim.v2", reason="xylosim is not installed (pip install -e '.[test]')")
    from nirc.loading import load_module
    from nirc.targets.interp.api import simulate
    from nirc.targets.xylo.oracle import run_xylosim
    from nirc.targets.xylo.sim import simulate as xylo_simulate

    module = load_module(str(BRAILLE))
    result = compile_module(module, str(BRAILLE), "xylo", {})
    assert result.report["xylo"]["usage"]["hidden"] == [38, 1000]
    assert 0 < result.report["xylo"]["fidelity"]["mean"] <= 1
    config = network_op(module).config()
    rng = np.random.default_rng(7)
    raster = (rng.random((300, 3, 12)) < 0.15).astype(np.int64)
    ours = simulate(module, raster.astype(np.float64), keep_batch_axis=True)["output"]
    theirs = run_xylosim(config, raster)
    assert theirs["spikes_out"].sum() > 0
    assert np.array_equal(ours, theirs["spikes_out"])
    recorded = xylo_simulate(config, raster, record=True)
    for key in ("spikes_out", "spikes_hidden", "v_mem", "i_syn", "v_mem_out", "i_syn_out"):
        assert np.array_equal(recorded[key], theirs[key]), key


def test_quantize_with_target_xylo_is_the_xylo_lowering():
    from nirc.ir_text import make_context, print_module
    from nirc.opt import build_pipeline

    texts = []
    for last in ("quantize{target=xylo}", "lower-to-xylo"):
        module = feed_forward([5, 8, 3], recurrent=True)
        build_pipeline(f"flatten-subgraphs,discretize{{reset=subtract}},fuse,{last}",
                       False).apply(make_context(), module)
        texts.append(print_module(module))
    assert "xylo.network" in texts[0] and texts[0] == texts[1]


def test_lif_hidden_layers_and_an_li_readout_map_with_their_documented_approximations():
    """LIF has no synaptic current: Xylo gets dash_syn = 1 and a warning; an LI readout
    becomes readout neurons that never fire (threshold 2**15 - 1), read as v_mem_out *
    unit_out, which follows the float LI voltage (same decays: tau_mem = 8 dt)."""
    n_in, n_hid, n_out = 6, 30, 4
    nodes = {"input": nir.Input(np.array([n_in])), "w0": linear(n_hid, n_in, 0, 1.0),
             "lif": nir.LIF(tau=np.full(n_hid, 8 * DT), r=np.full(n_hid, 8.0), v_leak=np.zeros(n_hid),
                            v_threshold=np.full(n_hid, 1.0), v_reset=np.zeros(n_hid)),
             "w1": linear(n_out, n_hid, 1, 0.5),
             "li": nir.CubaLI(tau_syn=np.full(n_out, 2 * DT), tau_mem=np.full(n_out, 8 * DT),
                              r=np.full(n_out, 8.0), v_leak=np.zeros(n_out), w_in=np.full(n_out, 2.0)),
             "output": nir.Output(np.array([n_out]))}
    edges = [("input", "w0"), ("w0", "lif"), ("lif", "w1"), ("w1", "li"), ("li", "output")]
    result = compile_xylo(module_of(nodes, edges))
    assert any("'lif' has no synaptic current" in w for w in result.report["warnings"])
    op = network_op_of(result)
    config = op.config()
    assert op.readout.data == "voltage"
    assert config.dash_syn.tolist() == [1] * n_hid and config.dash_mem.tolist() == [3] * n_hid
    assert config.threshold_out.tolist() == [2 ** 15 - 1] * n_out
    fidelity = result.report["xylo"]["fidelity"]
    assert "spikes_float" not in fidelity  # a voltage readout is compared as a signal
    assert fidelity["mean"] > 0.7, fidelity  # measured 0.80: LIF timing spreads over ~2 steps
