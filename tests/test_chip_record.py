"""Recording inside a chip network (issue 19.4): ``nirc run --target T --record LAYER,
LAYER.v, LAYER.i`` on the Xylo, Loihi 2 and SpiNNaker2 simulations (Speck's: against
sinabs in tests/test_speck_target.py; Loihi 2's every block against Lava in
tests/test_loihi2_target.py).

Independent reasons to believe the recordings:
- each layer's recorded spikes line up with the float graph's spikes of the same NIR
  layer best at exactly the latency nirc states for it (per-neuron correlation over
  lags 0..3): a recording of the wrong neurons or on the wrong clock does not;
- Xylo's recorded states equal xylosim's (SynSense's simulator) for the same config;
- with ``--align`` each recording is shifted back by its own latency.
"""

from __future__ import annotations

import nir
import numpy as np
import pytest
from click.testing import CliRunner

import nirc
from nirc.cli import main
from nirc.targets.interp.api import simulate
from nirc.targets.interp.plan import make_plan
from nirc.targets.interp.whole import recorded_signals

from chip_graphs import cuba, linear

DT = 1e-3
LAYERS = ("a", "b", "out")


def three_layers() -> nir.NIRGraph:
    """Input(8) -> a(16) -> b(12) -> out(4), CubaLIF with tau_syn = 4 dt, tau_mem = 8 dt
    (Xylo's dashes 2 and 3 exactly)."""
    nodes = {"input": nir.Input(np.array([8])), "w0": linear(16, 8, 0, 0.6),
             "a": cuba(16, 4e-3, 8e-3, DT), "w1": linear(12, 16, 1, 0.5),
             "b": cuba(12, 4e-3, 8e-3, DT), "w2": linear(4, 12, 2, 0.5),
             "out": cuba(4, 4e-3, 8e-3, DT), "output": nir.Output(np.array([4]))}
    edges = [("input", "w0"), ("w0", "a"), ("a", "w1"), ("w1", "b"), ("b", "w2"),
             ("w2", "out"), ("out", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def spikes_in(steps: int = 400, batch: int = 4) -> np.ndarray:
    return (np.random.default_rng(0).random((steps, batch, 8)) < 0.15).astype(np.float32)


def per_neuron_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over neurons of the correlation of (T, B, n) traces (neurons silent on either
    side left out): scale-free, so chip units and per-channel scales do not matter."""
    a = a.reshape(-1, a.shape[-1]).astype(np.float64)
    b = b.reshape(-1, b.shape[-1]).astype(np.float64)
    values = [np.corrcoef(a[:, j], b[:, j])[0, 1] for j in range(a.shape[1])
              if a[:, j].std() > 0 and b[:, j].std() > 0]
    return float(np.mean(values))


@pytest.mark.parametrize("target, latencies", [
    ("xylo", {"a": 0, "b": 1, "out": 2}),
    ("loihi2", {"a": 1, "b": 2, "out": 3}),
    ("spinnaker2", {"a": 0, "b": 0, "out": 0}),
    ("spinnaker2{conn-delay=1}", {"a": 1, "b": 2, "out": 3}),
])
def test_each_layer_lines_up_with_the_float_graph_at_its_stated_latency(target, latencies):
    """Xylo: the input layer's synapses act in the same step, every later population adds
    one (targets/xylo/mapping.py); Loihi 2: each netx block one; SpiNNaker2: conn_delay
    per projection."""
    result = nirc.compile(three_layers(), target=target, dt=DT)
    labels = [n + s for n in LAYERS for s in ("", ".v")]
    x = spikes_in()
    graph = simulate(three_layers(), x, record=labels, keep_batch_axis=True,
                     **result.report["options"])
    chip = result.simulate(x, record=labels, keep_batch_axis=True)
    signals = recorded_signals(make_plan(result.module.clone()), labels)
    steps = x.shape[0]
    for name in LAYERS:
        assert signals[name].latency == latencies[name]
        assert chip[name].shape == graph[name].shape
        by_lag = [per_neuron_correlation(graph[name][:steps - lag], chip[name][lag:])
                  for lag in range(4)]
        assert int(np.argmax(by_lag)) == latencies[name], (name, by_lag)
        assert by_lag[latencies[name]] > 0.75, (name, by_lag)
        if not target.startswith("xylo"):  # Xylo saturates 'out' (int16) on this input
            lag = latencies[name]
            v = per_neuron_correlation(graph[name + ".v"][:steps - lag], chip[name + ".v"][lag:])
            assert v > 0.97, (name, v)


@pytest.mark.parametrize("target", ["loihi2", "spinnaker2", "speck"])
def test_the_threshold_line_bounds_the_recorded_membrane(target):
    """The threshold ``--plot`` draws is in the recorded v's units: v after the step's
    reset stays at or below it (Loihi 2 and SpiNNaker2 reset to 0 above it, Speck
    subtracts it until v is below it) and comes within half of it."""
    if target == "speck":
        from speck_graphs import random_chain

        graph, shape = random_chain(3)
        name = "if0"
        x = (np.random.default_rng(1).random((200, 2, *shape)) < 0.2).astype(np.float32)
    else:
        graph, name, x = three_layers(), "a", spikes_in()
    result = nirc.compile(graph, target=target, dt=DT)
    signal = recorded_signals(make_plan(result.module.clone()), [name + ".v"])[name + ".v"]
    v = result.simulate(x, record=[name + ".v"], keep_batch_axis=True)[name + ".v"]
    assert signal.threshold is not None
    assert v.max() <= signal.threshold
    assert v.max() >= 0.5 * signal.threshold


def test_xylo_recordings_equal_xylosim():
    """The recorded spikes, v and i of each layer are xylosim's spikes_hidden / v_mem /
    i_syn (readout: spikes_out, v_mem_out, i_syn_out) at the neurons the report's layer
    table gives the layer."""
    pytest.importorskip("xylosim.v2", reason="xylosim==0.1.3 (the Xylo oracle) is not installed")
    from nirc.targets.xylo.oracle import run_xylosim
    from nirc.targets.xylo.target import network_op

    result = nirc.compile(three_layers(), target="xylo", dt=DT)
    labels = [n + s for n in LAYERS for s in ("", ".v", ".i")]
    x = spikes_in(120, 2)
    chip = result.simulate(x, record=labels, keep_batch_axis=True)
    theirs = run_xylosim(network_op(result.module).config(), x.astype(np.int64))
    rows = {row["layer"]: row for row in result.report["xylo"]["layers"]}
    keys = {"hidden": ("spikes_hidden", "v_mem", "i_syn"),
            "readout": ("spikes_out", "v_mem_out", "i_syn_out")}
    for name in LAYERS:
        start, stop = (int(k) for k in rows[name]["neurons"].split(","))
        for suffix, key in zip(("", ".v", ".i"), keys[rows[name]["role"]]):
            np.testing.assert_array_equal(chip[name + suffix], theirs[key][..., start:stop],
                                          err_msg=name + suffix)
    assert chip["a"].sum() > 100 and np.abs(chip["b.v"].astype(np.int64)).sum() > 0


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def test_align_shifts_each_recording_by_its_own_latency(tmp_path):
    """Loihi 2: 'a' lags by 1 step, 'b' by 2, the output by 3: --align moves each back by
    its own latency and zero-fills the end."""
    source = tmp_path / "g.nir"
    nir.write(source, three_layers())
    common = ["run", str(source), "--target", "loihi2", "--dt", str(DT), "--generate-input",
              "rate=0.2,steps=60,batch=2", "--record", "a,b.v"]
    plain = run_cli(*common, "-o", str(tmp_path / "plain.npz"))
    aligned = run_cli(*common, "--align", "-o", str(tmp_path / "aligned.npz"))
    assert plain.exit_code == 0 and aligned.exit_code == 0, plain.output + aligned.output
    p, q = np.load(tmp_path / "plain.npz"), np.load(tmp_path / "aligned.npz")
    for name, lag in (("a", 1), ("b.v", 2), ("output", 3)):
        np.testing.assert_array_equal(q[name][:60 - lag], p[name][lag:], err_msg=name)
        assert not q[name][60 - lag:].any()
    assert p["a"].sum() > 0


def test_an_unknown_label_lists_what_the_chip_records(tmp_path):
    source = tmp_path / "g.nir"
    nir.write(source, three_layers())
    out = tmp_path / "o.npz"
    result = run_cli("run", str(source), "--target", "spinnaker2", "--dt", str(DT),
                     "--generate-input", "steps=5", "--record", "w1.v", "-o", str(out))
    assert result.exit_code == 1, result.output
    line = result.stderr.strip()
    assert line.startswith(f"error: {source}: cannot record 'w1.v' on the SpiNNaker2 target")
    for label in ("a", "a.v", "a.i", "b.i", "out.v"):
        assert f" {label}," in line + "," or f" {label}" in line
    assert "\n" not in line and not out.exists()
