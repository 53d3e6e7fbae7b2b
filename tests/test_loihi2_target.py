"""The Loihi 2 target: mapping rules, Loihi's fixed-point codes, the netx file, the
core plan and the report; the compiled braille network against Lava where the oracle
is built (targets/loihi2/oracle)."""

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
from nirc.compiler import compile_module
from nirc.diagnostics import NircError
from nirc.importer import import_graph
from nirc.targets.loihi2.target import network_op

REPO = Path(__file__).resolve().parents[1]
PAPER = REPO.parent / "shared" / "conformance" / "nir-paper"
DT = 1e-4


def cuba(n, tau_syn=4 * DT, tau_mem=16 * DT, threshold=1.0):
    """Euler decays 1 - 1/4 and 1 - 1/16: iDecay 1024, vDecay 256 exactly; gains 1."""
    return chip_graphs.cuba(n, tau_syn, tau_mem, DT, threshold)


def linear(n_out, n_in, seed, scale=1.0):
    return chip_graphs.linear(n_out, n_in, seed, scale / np.sqrt(n_in))


def chain(sizes, recurrent=False, seed=0, scale=2.0):
    nodes = {"input": nir.Input(np.array([sizes[0]]))}
    edges, previous = [], "input"
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        nodes[f"w{k}"], nodes[f"n{k}"] = linear(n_out, n_in, seed + k, scale), cuba(n_out)
        edges += [(previous, f"w{k}"), (f"w{k}", f"n{k}")]
        if recurrent and k == 0:
            nodes["rec"] = linear(n_out, n_out, seed + 99, 0.5)
            edges += [(f"n{k}", "rec"), ("rec", f"n{k}")]
        previous = f"n{k}"
    nodes["output"] = nir.Output(np.array([sizes[-1]]))
    edges.append((previous, "output"))
    return import_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))


def compile_loihi(module, target="loihi2", **sim):
    result = compile_module(module, "net.nir", target, {"dt": DT, **sim})
    return SimpleNamespace(report=result.report, files=result.files, module=module)


def test_codes_follow_the_documented_arithmetic():
    """iDecay = 4096 (1 - i_decay), vDecay = 4096 (1 - v_decay); one vThMant per layer
    with every weight within 254 and the largest at (nearly) 254; each integer weight is
    round(W * vThMant / threshold) (gains 1, threshold 1)."""
    module = chain([6, 10, 4], recurrent=True)
    w0 = np.asarray([o for o in module.walk() if o.name == "nir.linear"
                     and o.node_name.data == "w0"][0].array("weight"), np.float64)
    result = compile_loihi(module)
    net = network_op(result.module).network()
    types = [layer.type for layer in net.layers]
    assert types == ["input", "dense_rec", "dense"]
    for layer in net.layers[1:]:
        assert (layer.neuron.i_decay, layer.neuron.v_decay) == (1024, 256)
        top = max(np.abs(layer.weight).max(),
                  np.abs(layer.weight_rec).max() if layer.weight_rec is not None else 0)
        assert 250 <= top <= 254
    first = net.layers[1]
    assert np.array_equal(first.weight, np.rint(w0 * first.neuron.v_th_mant))


def test_rule_violations_name_the_node():
    nodes = {"input": nir.Input(np.array([3])), "w0": linear(4, 3, 0), "a": cuba(4),
             "w1": linear(2, 4, 1), "b": cuba(2), "w2": linear(2, 4, 2),
             "output": nir.Output(np.array([2]))}
    edges = [("input", "w0"), ("w0", "a"), ("a", "w1"), ("w1", "b"), ("a", "w2"), ("w2", "b"),
             ("b", "output")]
    module = import_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    with pytest.raises(NircError) as e:
        compile_loihi(module)
    assert e.value.node is not None


def test_reset_by_subtraction_is_refused():
    with pytest.raises(NircError, match="Loihi 2 resets v to 0") as e:
        compile_loihi(chain([4, 6, 3]), reset="subtract")
    assert e.value.field == "reset"


def test_netx_file_core_plan_and_report(tmp_path):
    result = compile_loihi(chain([6, 40, 4], recurrent=True), target="loihi2{neurons-per-core=16}")
    assert set(result.files) == {"net.net.h5", "net.mlir", "net.cores.json"}
    plan = json.loads(result.files["net.cores.json"])
    assert plan["cores_used"] == 3 == plan["lower_bound_cores"]  # ceil(44 / 16)
    path = tmp_path / "net.h5"
    path.write_bytes(result.files["net.net.h5"])
    from nirc.targets.loihi2.netx import read_netx

    back = read_netx(path)
    ours = network_op(result.module).network()
    assert [layer.type for layer in back.layers] == [layer.type for layer in ours.layers]
    for a, b in zip(back.layers[1:], ours.layers[1:]):
        assert np.array_equal(a.weight, b.weight)
    assert result.report["loihi2"]["fidelity"]["steps"] > 0


def test_cli_compile_and_run(tmp_path):
    graph = tmp_path / "g.nir"
    nodes = {"input": nir.Input(np.array([5])), "w0": linear(8, 5, 0, 2.0), "a": cuba(8),
             "w1": linear(3, 8, 1, 2.0), "b": cuba(3), "output": nir.Output(np.array([3]))}
    edges = [("input", "w0"), ("w0", "a"), ("a", "w1"), ("w1", "b"), ("b", "output")]
    nir.write(graph, nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "nirc.cli", "compile", str(graph), "--target",
                          "loihi2", "-o", str(out), "--dt", str(DT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (out / "g.net.h5").exists() and (out / "g.cores.json").exists()
    sim = subprocess.run([sys.executable, "-m", "nirc.cli", "run", str(out / "g.mlir"),
                          "--generate-input", "rate=0.3,steps=40,batch=2"], capture_output=True,
                         text=True)
    assert sim.returncode == 0, sim.stderr
    assert "output: shape [40, 2, 3]" in sim.stdout


@pytest.mark.parametrize("sizes", [[6, 40, 4], [6, 30, 20, 4]])
def test_reported_latency_is_where_the_spike_trains_line_up(sizes):
    """Each netx synapse delivers what it received the step before (Lava's Dense:
    sim.py), so the chip's output lags the graph's by one step per block: the float and
    Loihi spike trains coincide most at exactly that lag."""
    from nirc.targets.interp.api import Simulator

    module = chain(sizes, scale=1.5)
    reference = module.clone()
    result = compile_loihi(module)
    latency = result.report["loihi2"]["latency"]
    assert latency == len(sizes) - 1
    x = (np.random.default_rng(0).random((300, 8, sizes[0])) < 0.2).astype(np.float64)
    f = Simulator(reference, dtype="float64", dt=DT).run(x, keep_batch_axis=True)["output"]
    q = Simulator(module, dtype="float64").run(x, keep_batch_axis=True)["output"]
    coincidence = [float((f[: 300 - lag] * q[lag:]).sum()) for lag in range(6)]
    assert int(np.argmax(coincidence)) == latency


def test_pooling_is_folded_into_the_next_layer_exactly():
    """SumPool2d (kernel = stride) before a Conv2d and before Flatten + Linear has no
    netx layer; folding it into the next weights must change no output: with float
    weights and decays that Loihi holds exactly, the float graph and the folded
    network agree spike for spike after the latency (weights chosen as small integers
    so that 8-bit rounding is exact: threshold 1, |W| <= 3, vThMant = 84, W_int = 84 W)."""
    rng = np.random.default_rng(3)
    shape = (2, 8, 8)

    def if_(s):
        return nir.IF(r=np.ones(s), v_threshold=np.ones(s), v_reset=np.zeros(s))

    conv_a = nir.Conv2d(input_shape=(8, 8), weight=rng.integers(-2, 4, (4, 2, 3, 3)).astype(np.float32),
                        stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(4, np.float32))
    conv_b = nir.Conv2d(input_shape=(4, 4), weight=rng.integers(-2, 4, (3, 4, 3, 3)).astype(np.float32),
                        stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(3, np.float32))
    nodes = {"input": nir.Input(np.array(shape)), "c1": conv_a, "n1": if_((4, 8, 8)),
             "p1": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                 padding=np.array([0, 0])),
             "c2": conv_b, "n2": if_((3, 4, 4)),
             "p2": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                 padding=np.array([0, 0])),
             "f": nir.Flatten(input_type={"input": np.array([3, 2, 2])}, start_dim=0, end_dim=-1),
             "d": nir.Linear(weight=rng.integers(-2, 4, (5, 12)).astype(np.float32)),
             "n3": if_((5,)), "output": nir.Output(np.array([5]))}
    edges = [("input", "c1"), ("c1", "n1"), ("n1", "p1"), ("p1", "c2"), ("c2", "n2"),
             ("n2", "p2"), ("p2", "f"), ("f", "d"), ("d", "n3"), ("n3", "output")]
    module = import_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=True))
    from nirc.targets.interp.api import Simulator

    reference = module.clone()
    result = compile_loihi(module)
    latency = result.report["loihi2"]["latency"]
    x = (rng.random((60, 3, *shape)) < 0.3).astype(np.float64)
    f = Simulator(reference, dtype="float64", dt=DT).run(x, keep_batch_axis=True)["output"]
    q = Simulator(module, dtype="float64").run(x, keep_batch_axis=True)["output"]
    assert f.sum() > 20
    assert np.array_equal(f[: 60 - latency], q[latency:])


@pytest.mark.parametrize("name, steps, batch", [("braille_noDelay_bias_zero", 120, 2),
                                                ("cnn_sinabs", 30, 1)])
def test_compiled_conformance_graphs_equal_lava_spike_for_spike(name, steps, batch):
    """The NIR paper's braille and cnn_sinabs graphs, compiled for Loihi 2: nirc's
    simulation of the written netx file equals Lava's fixed-point CPU model in every
    spike, u and v of every block."""
    from nirc.loading import load_module
    from nirc.targets.loihi2.oracle.lava_oracle import lava_python, run_lava
    from nirc.targets.loihi2.sim import simulate

    graph = PAPER / f"{name}.nir"
    if not graph.exists():
        pytest.skip("../shared/conformance is absent (a user's clone)")
    if lava_python() is None:
        pytest.skip("the Lava oracle is not built (bash targets/loihi2/oracle/build_env.sh "
                    "../lava-venv)")
    module = load_module(str(graph))
    compile_module(module, str(graph), "loihi2{fidelity-steps=0}", {})
    network = network_op(module).network()
    shape = tuple(network.layers[0].shape)
    raster = (np.random.default_rng(5).random((steps, batch, *shape)) < 0.15).astype(np.int64)
    ours = simulate(network, raster, record=True)
    theirs = run_lava(network, raster)
    assert theirs["out"].sum() > 0
    for key, value in theirs.items():
        if key[:1] in "suv" and key[1:].isdigit() or key == "out":
            mine = ours["spikes"] if key == "out" else ours[key]
            assert np.array_equal(np.asarray(mine).reshape(value.shape), value), key
    # nirc run --target loihi2 --record LAYER,LAYER.i,LAYER.v: each block by its NIR name
    from nirc.targets.interp.api import Simulator

    op = network_op(module)
    names = [n for n, layer in zip(op.layer_names(), network.layers) if layer.is_block]
    labels = [n + s for n in names for s in ("", ".i", ".v")]
    recorded = Simulator(module).run(raster.astype(np.float32), record=labels,
                                     keep_batch_axis=True)
    for i, name in enumerate(names):
        for suffix, key in (("", "s"), (".i", "u"), (".v", "v")):
            value = theirs[f"{key}{i}"]
            assert np.array_equal(recorded[name + suffix].reshape(value.shape), value), name + suffix


def test_an_all_negative_matrix_avoids_netx_power_of_two_minimum():
    """All weights -1 and threshold 131071/128: vThMant is capped at 2**17 - 1 = 131071,
    giving weights of -1 * 131071 / (131071/128) = -128, which netx scales to -256 and Lava
    clips to -255 (every weight would change: netx.dense_weight_problem); one 1% step
    lower, vThMant = floor(131071 * 0.99) = 129760 and weights rint(-129760 * 128 / 131071)
    = rint(-126.72) = -127."""
    from nirc.targets.loihi2.arith import quantize_chain
    from nirc.targets.loihi2.mapping import FloatLayer
    from nirc.targets.loihi2.netx import dense_weight_problem

    layer = FloatLayer("n", "dense", (3,), weight=-np.ones((3, 4)), i_decay=None,
                       v_decay=np.full(3, 0.5), gain=np.ones(3), threshold=np.full(3, 131071 / 128),
                       bias=np.zeros(3))
    network, rows, _ = quantize_chain((4,), [layer])
    block = network.layers[1]
    assert block.neuron.v_th_mant == 129760
    assert np.array_equal(block.weight, np.full((3, 4), -127))
    assert dense_weight_problem(block.weight) is None


def test_a_delay_becomes_the_next_blocks_synaptic_delay():
    """Delay (2 and 5 steps on the two hidden neurons' outputs) before the readout: with
    weights Loihi holds exactly (integers, threshold 1, IF), the chip equals the float
    graph spike for spike after the latency."""
    from nirc.targets.interp.api import Simulator

    def if_(n):
        return nir.IF(r=np.ones(n), v_threshold=np.ones(n), v_reset=np.zeros(n))

    nodes = {"input": nir.Input(np.array([3])),
             "w0": nir.Linear(weight=np.array([[2, -1, 1], [1, 2, -2]], np.float32)), "a": if_(2),
             "d": nir.Delay(delay=np.array([2e-4, 5e-4])),
             "w1": nir.Linear(weight=np.array([[2, 1], [-1, 3]], np.float32)), "b": if_(2),
             "output": nir.Output(np.array([2]))}
    edges = [("input", "w0"), ("w0", "a"), ("a", "d"), ("d", "w1"), ("w1", "b"), ("b", "output")]
    module = import_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    reference = module.clone()
    result = compile_loihi(module)
    net = network_op(result.module).network()
    assert np.array_equal(net.layers[2].delay, [[2, 5], [2, 5]])
    latency = result.report["loihi2"]["latency"]
    x = (np.random.default_rng(1).random((80, 4, 3)) < 0.4).astype(np.float64)
    f = Simulator(reference, dtype="float64", dt=DT).run(x, keep_batch_axis=True)["output"]
    q = Simulator(module, dtype="float64").run(x, keep_batch_axis=True)["output"]
    assert f.sum() > 20
    assert np.array_equal(f[: 80 - latency], q[latency:])
