"""The fidelity check of chip targets: like with like, the model as trained, the
diagnosed cause, warnings and --min-agreement (targets/fidelity.py, targets/diagnosis.py)."""

from __future__ import annotations

import subprocess
import sys

import nir
import numpy as np
import pytest

from nirc.compiler import compile_module
from nirc.importer import import_graph
from nirc.targets.diagnosis import diagnose
from nirc.targets.fidelity import compare

DT = 1e-4


def test_agreement_of_two_silent_networks_is_undefined():
    silent = np.zeros((10, 2, 3))
    c = compare(silent, silent, 0, True)
    assert c["mean"] is None and c["same_decision"] is None
    assert diagnose(c, [], 0, "X")["warnings"][0].startswith("fidelity: X does not behave like "
                                                             "the float graph (agreement undefined)")


def test_counts_dead_outputs_and_hand_computed_agreement():
    """Two samples, three outputs over 4 steps: float counts (2, 1, 0) and (1, 0, 0),
    chip (2, 0, 0) and (0, 0, 1): neuron 0: 1 - (0 + 1)/(2 + 1) = 2/3; neuron 1: 1 - 1/1
    = 0 (and dead: it spikes only in the float graph); neuron 2: 1 - 1/1 = 0."""
    f = np.zeros((4, 2, 3))
    x = np.zeros((4, 2, 3))
    f[0, 0, 0] = f[1, 0, 0] = f[2, 0, 1] = f[3, 1, 0] = 1
    x[0, 0, 0] = x[2, 0, 0] = x[1, 1, 2] = 1
    c = compare(f, x, 0, True)
    assert c["per_neuron"] == pytest.approx([2 / 3, 0.0, 0.0])
    assert c["dead_outputs"] == [1]
    assert c["same_decision"] == 0.5  # sample 0: both pick neuron 0; sample 1: 0 vs 2
    causes = diagnose(c, [], 0, "X")["causes"]
    assert any(cause.startswith("dead outputs: output neuron(s) 1 ") for cause in causes)


def test_arithmetic_causes_in_order_saturation_time_constant_rounding():
    low = {"steps": 100, "mean": 0.5, "same_decision": 0.5, "spikes_float": 10, "spikes_chip": 9}
    rows = [{"layer": "a", "tau_mem_error": -0.3}, {"layer": "w", "sqnr_db": 12.0}]
    assert diagnose({**low, "chip_states": {"v": 0.2}}, rows, 0, "X")["causes"][0].startswith(
        "saturation: 20.0% of X's v values")
    assert diagnose(low, rows, 0, "X")["causes"][0].startswith(
        "time-constant error: 'a' tau_mem is off by 30%")
    assert diagnose(low, rows[1:], 0, "X")["causes"][0].startswith(
        "weight rounding: 'w' keeps 12.0 dB")


def classifier(hidden_scale: float, seed: int = 0) -> nir.NIRGraph:
    """A 16-48(recurrent)-8 CubaLIF classifier as snnTorch exports one (r = tau/dt,
    w_in = tau_syn/dt: gains 1) with Xylo-style decays (tau_syn = 2 dt, tau_mem = 8 dt):
    with large input weights its hidden neurons exceed their threshold many times over."""
    rng = np.random.default_rng(seed)

    def cuba(n):
        return nir.CubaLIF(tau_syn=np.full(n, 2 * DT), tau_mem=np.full(n, 8 * DT), r=np.full(n, 8.0),
                           v_leak=np.zeros(n), v_threshold=np.ones(n), v_reset=np.zeros(n),
                           w_in=np.full(n, 2.0))

    nodes = {"input": nir.Input(np.array([16])),
             "fc1": nir.Linear(weight=rng.normal(0, hidden_scale, (48, 16))), "lif1": cuba(48),
             "rec": nir.Linear(weight=rng.normal(0, hidden_scale / 4, (48, 48))),
             "fc2": nir.Linear(weight=rng.normal(0, 0.5, (8, 48))), "lif2": cuba(8),
             "output": nir.Output(np.array([8]))}
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "rec"), ("rec", "lif1"),
             ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_xylo_report_warns_and_names_multi_spike_bursts():
    """Trained with snnTorch's single spikes, the hot classifier bursts on Xylo (31 spikes
    per step): the report warns and names that cause; a moderate one compiles cleanly
    against the graph under Xylo's own rules."""
    hot = compile_module(import_graph(classifier(8.0)), "hot.nir", "xylo",
                         {"dt": DT, "profile": "snntorch"})
    fidelity = hot.report["xylo"]["fidelity"]
    assert fidelity["trained"]["options"]["spikes"] == "single"
    assert fidelity["bursts"]["lif1"]["max"] == 31 and fidelity["bursts"]["lif1"]["extra"] > 0.5
    assert fidelity["causes"][0].startswith("multi-spike bursts: Xylo's neurons fire several "
                                            "spikes per step; in 'lif1'")
    assert any(w.startswith("fidelity: Xylo does not behave like the model as trained")
               and "main cause: multi-spike bursts" in w for w in hot.warnings)
    mild = compile_module(import_graph(classifier(0.08)), "mild.nir", "xylo", {"dt": DT})
    assert mild.report["xylo"]["fidelity"]["mean"] > 0.9


def test_min_agreement_fails_the_compile_and_writes_nothing(tmp_path):
    graph = tmp_path / "hot.nir"
    nir.write(graph, classifier(8.0))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "nirc.cli", "compile", str(graph), "--target", "xylo",
                          "--profile", "snntorch", "--min-agreement", "0.9", "-o", str(out),
                          "--report", str(tmp_path / "r.json")], capture_output=True, text=True)
    assert run.returncode == 1, run.stdout
    assert "is below --min-agreement 0.9; main cause: multi-spike bursts" in run.stderr
    assert "Traceback" not in run.stderr and str(graph) in run.stderr
    assert not out.exists() and not (tmp_path / "r.json").exists()


def test_generic_target_reports_fidelity_on_the_given_input():
    module = import_graph(classifier(0.08))
    x = (np.random.default_rng(1).random((120, 5, 16)) < 0.2).astype(np.float64)
    result = compile_module(module, "g.nir", "generic", {"dt": DT}, inputs=x)
    fidelity = result.report["generic"]["fidelity"]
    assert fidelity["input"] == "given" and fidelity["samples"] == 5 and fidelity["steps"] == 120


def test_silent_network_is_warned_not_called_faithful():
    graph = classifier(0.0)  # no input reaches the hidden layer
    result = compile_module(import_graph(graph), "silent.nir", "generic", {"dt": DT})
    fidelity = result.report["generic"]["fidelity"]
    assert fidelity["mean"] is None
    assert fidelity["causes"][0].startswith("silent: neither the float graph nor the chip")
    assert any("agreement undefined" in w for w in result.warnings)
