"""The emitted py-spinnaker2 script, run end to end against the test double of the
``spinnaker2`` API (tests/s2_double): the double validates every call as py-spinnaker2
would, records the network (which must equal the IR's) and simulates it with its own
event-driven implementation; the script's saved output must equal ``nirc run``'s."""

from __future__ import annotations

import json
import re
import runpy
import sys
from pathlib import Path

import nir
import numpy as np
import pytest

import chip_graphs
from nirc.compiler import compile_module
from nirc.importer import import_graph
from nirc.targets.interp.api import Simulator
from nirc.targets.spinnaker2.target import network_op

REPO = Path(__file__).resolve().parents[1]
PAPER = REPO.parent / "shared" / "conformance" / "nir-paper"
DOUBLE = Path(__file__).parent / "s2_double"
DT = 1e-4


@pytest.fixture
def double(monkeypatch):
    """The test double imported as ``spinnaker2`` (and forgotten afterwards)."""
    monkeypatch.syspath_prepend(str(DOUBLE))
    for name in [m for m in sys.modules if m == "spinnaker2" or m.startswith("spinnaker2.")]:
        monkeypatch.delitem(sys.modules, name)
    import spinnaker2

    yield spinnaker2
    for name in [m for m in sys.modules if m == "spinnaker2" or m.startswith("spinnaker2.")]:
        del sys.modules[name]


def run_script(files: dict, tmp_path: Path, x: np.ndarray, monkeypatch, *flags) -> np.ndarray:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (script,) = [tmp_path / n for n in files if n.endswith(".s2.py")]
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out.npz"
    monkeypatch.setattr(sys, "argv", [str(script), str(tmp_path / "x.npy"), *flags, "-o", str(out)])
    runpy.run_path(str(script), run_name="__main__")
    return np.load(out)["output"]


def assert_recorded_equals_ir(recorded, network) -> None:
    """Every population and projection the script made equals the IR's."""
    assert [p.name for p in recorded.populations] == [p.name for p in network.populations]
    for mine, theirs in zip(network.populations, recorded.populations):
        assert (theirs.size, theirs.neuron_model) == (mine.size, mine.model)
        if mine.model == "spike_list":
            continue
        assert theirs.max_atoms_per_core == mine.max_atoms
        assert theirs.params["reset"] == mine.reset
        assert set(theirs.params) - {"reset"} == set(mine.params)
        for key, value in mine.params.items():
            assert np.array_equal(theirs.param(key), value.astype(np.float32)), (mine.name, key)
    assert len(recorded.projections) == len(network.projections)
    for mine, theirs in zip(network.projections, recorded.projections):
        assert (theirs.pre.name, theirs.post.name) == (mine.pre, mine.post)
        if mine.kind == "list":
            assert np.array_equal(theirs.rows, mine.connections()), mine.name
        else:
            assert np.array_equal(theirs.weights, mine.weight) and theirs.params == mine.geometry


def mlp():
    """Input(20) -> Affine (biases) -> LIF(30, v_leak) -> Linear -> LIF(5)."""
    rng = np.random.default_rng(0)
    nodes = {"input": nir.Input(np.array([20])),
             "fc1": nir.Affine(weight=rng.normal(0, 0.6, (30, 20)).astype(np.float32),
                               bias=rng.normal(0, 0.05, 30).astype(np.float32)),
             "lif1": nir.LIF(tau=np.full(30, 2e-3), r=np.full(30, 20.0), v_leak=np.full(30, 0.02),
                             v_threshold=np.ones(30), v_reset=np.zeros(30)),
             "fc2": chip_graphs.linear(5, 30, 1, 0.8),
             "lif2": nir.LIF(tau=np.full(5, 3e-3), r=np.full(5, 30.0), v_leak=np.zeros(5),
                             v_threshold=np.ones(5), v_reset=np.zeros(5)),
             "output": nir.Output(np.array([5]))}
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def conv_net():
    """Conv2d -> IF -> SumPool -> Conv2d (stride 2) -> IF -> Flatten -> Linear -> IF."""
    rng = np.random.default_rng(3)

    def if_(s):
        return nir.IF(r=np.ones(s), v_threshold=np.full(s, 2.0), v_reset=np.zeros(s))

    def conv(c_out, c_in, hw, stride):
        return nir.Conv2d(input_shape=(hw, hw), weight=rng.normal(0, 1, (c_out, c_in, 3, 3)).astype(np.float32),
                          stride=stride, padding=1, dilation=1, groups=1,
                          bias=rng.normal(0, 0.05, c_out).astype(np.float32))

    nodes = {"input": nir.Input(np.array([2, 8, 8])), "c1": conv(4, 2, 8, 1), "n1": if_((4, 8, 8)),
             "p1": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                 padding=np.array([0, 0])),
             "c2": conv(3, 4, 4, 2), "n2": if_((3, 2, 2)),
             "f": nir.Flatten(input_type={"input": np.array([3, 2, 2])}, start_dim=0, end_dim=-1),
             "d": chip_graphs.linear(5, 12, 2, 1.5), "n3": if_((5,)), "output": nir.Output(np.array([5]))}
    edges = [("input", "c1"), ("c1", "n1"), ("n1", "p1"), ("p1", "c2"), ("c2", "n2"), ("n2", "f"),
             ("f", "d"), ("d", "n3"), ("n3", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=True)


def shared_weights():
    """A Linear read by two IF layers (outside both layers), then a Linear each into one."""
    def if_(n):
        return nir.IF(r=np.ones(n), v_threshold=np.ones(n), v_reset=np.zeros(n))

    nodes = {"input": nir.Input(np.array([4])), "shared": chip_graphs.linear(5, 4, 3, 1.5),
             "a": if_(5), "b": if_(5), "wa": chip_graphs.linear(3, 5, 4, 1.5),
             "wb": chip_graphs.linear(3, 5, 5, 1.5), "c": if_(3), "output": nir.Output(np.array([3]))}
    edges = [("input", "shared"), ("shared", "a"), ("shared", "b"), ("a", "wa"), ("b", "wb"),
             ("wa", "c"), ("wb", "c"), ("c", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def braille():
    path = PAPER / "braille_noDelay_bias_zero.nir"
    if not path.exists():
        pytest.skip("../shared/conformance is absent (a user's clone)")
    return nir.read(path)


@pytest.mark.parametrize("make, target, flags", [
    (braille, "spinnaker2{fidelity-steps=0}", ["--brian2"]),
    (braille, "spinnaker2{conn-delay=1 fidelity-steps=0}", ["--eth-ip", "10.0.0.2"]),
    (mlp, "spinnaker2{fidelity-steps=0}", []),
    (conv_net, "spinnaker2{fidelity-steps=0}", ["--brian2"]),
    (chip_graphs.li_readout, "spinnaker2{fidelity-steps=0}", []),
    (shared_weights, "spinnaker2{fidelity-steps=0}", []),
], ids=["braille", "braille-conn-delay-1", "mlp", "conv", "li-readout", "shared-weights"])
def test_emitted_script_runs_against_the_double(make, target, flags, double, tmp_path, monkeypatch):
    module = import_graph(make())
    result = compile_module(module, "net.nir", target, {"dt": DT})
    assert set(result.files) == {"net.s2.py", "net.s2.npz", "net.s2.json", "net.mlir"}
    op = network_op(module)
    shape = tuple(op.input_shape)
    x = (np.random.default_rng(1).random((40, 3, int(np.prod(shape)))) < 0.2).astype(np.float32)
    saved = run_script(result.files, tmp_path, x, monkeypatch, *flags)
    assert len(double.RUNS) == 3  # one run per sample, the network built once
    recorded = double.RUNS[0][0]
    assert all(net is recorded and ticks == 41 for net, ticks in double.RUNS)  # T + 1 ticks
    network = op.network()
    assert_recorded_equals_ir(recorded, network)
    ours = Simulator(module, dtype="float32").run(x.reshape(40, 3, *shape), keep_batch_axis=True)
    expected = ours["output"].reshape(saved.shape)
    if op.readout.data == "spike":
        assert expected.sum() > 0
        assert np.array_equal(saved, expected)
    else:
        np.testing.assert_allclose(saved, expected, rtol=1e-6, atol=1e-9)
    doc = json.loads(result.files["net.s2.json"])
    assert [p["name"] for p in doc["populations"]] == [p.name for p in network.populations]
    assert [p["name"] for p in doc["projections"]] == [p.name for p in network.projections]
    assert doc["conn_delay"] == op.integer("conn_delay") and doc["output_node"] == "output"


def test_script_weights_are_in_the_npz_not_literals():
    """The script names every array by its npz key; no weight appears as a literal."""
    module = import_graph(mlp())
    files = compile_module(module, "net.nir", "spinnaker2{fidelity-steps=0}", {"dt": DT}).files
    script = files["net.s2.py"].decode()
    assert "data['fc1:connections'].tolist()" in script and "data['fc2:connections']" in script
    import io

    data = np.load(io.BytesIO(files["net.s2.npz"]))
    rows = data["fc1:connections"]
    weight = next(p for p in network_op(module).network().projections if p.name == "fc1").weight
    assert rows.dtype == np.int32 and rows.shape[1] == 4
    assert len(rows) == np.count_nonzero(weight) > 500  # one row per nonzero int8 weight
    assert not re.search(r"\[\s*-?\d+\s*,\s*-?\d+\s*,\s*-?\d+\s*,\s*-?\d+\s*\]", script)
    assert "from spinnaker2 import hardware, snn" in script
    assert "hardware.SpiNNaker2Chip(eth_ip=args.eth_ip)" in script and "brian2_sim.Brian2Backend()" in script


def test_the_double_refuses_what_py_spinnaker2_would(double):
    """The double's own checks (so that a passing script test means something)."""
    from spinnaker2 import snn  # the double (fixture)

    pre = snn.Population(size=2, neuron_model="spike_list", params={0: [1, 3]}, name="in")
    post = snn.Population(size=3, neuron_model="lif_no_delay", params={"threshold": 1.0}, name="p")
    with pytest.raises(ValueError, match="weight within"):
        snn.Projection(pre=pre, post=post, connections=[[0, 1, 128, 0]])
    with pytest.raises(ValueError, match="index out of"):
        snn.Projection(pre=pre, post=post, connections=[[2, 0, 1, 0]])
    with pytest.raises(ValueError, match="delay 0..7"):
        snn.Projection(pre=pre, post=post, connections=[[0, 0, 1, 8]])
    with pytest.raises(ValueError, match="no parameter"):
        snn.Population(size=3, neuron_model="lif_no_delay", params={"exc_decay": 0.5}, name="q")
    with pytest.raises(ValueError, match="unknown neuron model"):
        snn.Population(size=3, neuron_model="lif_fancy", params={}, name="r")
    with pytest.raises(ValueError, match="int8 array"):
        snn.Conv2DProjection(pre, post, np.zeros((1, 1, 1, 1), np.int16), {})
