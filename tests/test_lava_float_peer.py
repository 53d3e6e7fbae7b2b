"""`--profile lava` against Lava itself: a network run in Lava's floating-point process
models (tests/peers/lava_float.py, in the Lava oracle venv) matches nirc's interpreter
under the profile spike for spike, v within 1e-9, with no loihi2 target involved.

Skipped, saying why, where the Lava venv (targets/loihi2/oracle/build_env.sh) is absent.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nir
import numpy as np
import pytest

import nirc
from nirc.targets.loihi2.oracle.lava_oracle import lava_python

PEER = Path(__file__).resolve().parent / "peers" / "lava_float.py"
LAVA = lava_python()
pytestmark = pytest.mark.skipif(LAVA is None, reason="no Lava oracle venv (build it with "
                                "targets/loihi2/oracle/build_env.sh ../lava-venv)")
DT = 1e-3


def network(seed: int):
    """Input 4 -> Affine -> LIF 6 -> Linear -> CubaLIF 5 (recurrent) -> Linear -> LIF 3,
    uniform time constants and thresholds per layer (Lava's du, dv, vth are scalars)."""
    rng = np.random.default_rng(seed)
    w1, b1 = rng.normal(0, 1.5, (6, 4)), rng.normal(0.2, 0.3, 6)
    w2, wr, w3 = rng.normal(0.5, 1.5, (5, 6)), rng.normal(0, 0.8, (5, 5)), rng.normal(0.5, 2, (3, 5))
    nodes = {
        "in": nir.Input(np.array([4])),
        "fc1": nir.Affine(w1, b1),
        "h1": nir.LIF(tau=np.full(6, 0.01), r=rng.uniform(0.5, 2, 6), v_leak=rng.normal(0, 0.1, 6),
                      v_threshold=np.full(6, 0.8), v_reset=np.zeros(6)),
        "fc2": nir.Linear(w2),
        "h2": nir.CubaLIF(tau_syn=np.full(5, 0.005), tau_mem=np.full(5, 0.02),
                          r=rng.uniform(0.5, 2, 5), v_leak=np.zeros(5),
                          v_threshold=np.full(5, 0.5), v_reset=np.zeros(5),
                          w_in=rng.uniform(0.5, 2, 5)),
        "rec": nir.Linear(wr),
        "fc3": nir.Linear(w3),
        "h3": nir.LIF(tau=np.full(3, 0.004), r=np.ones(3), v_leak=np.zeros(3),
                      v_threshold=np.full(3, 0.3), v_reset=np.zeros(3)),
        "out": nir.Output(np.array([3])),
    }
    edges = [("in", "fc1"), ("fc1", "h1"), ("h1", "fc2"), ("fc2", "h2"), ("h2", "rec"),
             ("rec", "h2"), ("h2", "fc3"), ("fc3", "h3"), ("h3", "out")]
    return nir.NIRGraph(nodes=nodes, edges=edges), (rng.random((300, 4)) < 0.3).astype(float)


def spec_of(graph: nir.NIRGraph) -> dict:
    """The graph's parameters as tests/peers/lava_float.py reads them."""
    n = graph.nodes
    neurons = {}
    for name in ("h1", "h2", "h3"):
        p = n[name]
        lif = isinstance(p, nir.LIF)
        neurons[name] = {
            "type": "LIF" if lif else "CubaLIF",
            "tau_mem": float((p.tau if lif else p.tau_mem)[0]),
            "tau_syn": None if lif else float(p.tau_syn[0]),
            "r": p.r.tolist(), "v_leak": p.v_leak.tolist(),
            "w_in": None if lif else np.broadcast_to(p.w_in, p.r.shape).tolist(),
            "threshold": float(p.v_threshold[0])}
    synapses = []
    for w, src, dst in (("fc1", "in", "h1"), ("fc2", "h1", "h2"), ("rec", "h2", "h2"),
                        ("fc3", "h2", "h3")):
        bias = getattr(n[w], "bias", None)
        synapses.append({"src": src, "dst": dst, "weight": n[w].weight.tolist(),
                         "bias": None if bias is None else bias.tolist()})
    return {"dt": DT, "input": "in", "neurons": neurons, "synapses": synapses,
            "record": ["h1", "h2", "h3"]}


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_lava_float_matches_profile_lava(tmp_path, engine):
    graph, x = network(seed=3)
    (tmp_path / "spec.json").write_text(json.dumps(spec_of(graph)))
    np.save(tmp_path / "x.npy", x)
    subprocess.run([LAVA, str(PEER), str(tmp_path / "spec.json"), str(tmp_path / "x.npy"),
                    str(tmp_path / "lava.npz")], check=True, capture_output=True, timeout=300)
    lava = np.load(tmp_path / "lava.npz")
    ours = nirc.simulate(graph, x, dt=DT, profile="lava", dtype="float64", engine=engine,
                         record=["h1", "h2", "h1.v", "h2.v", "h3.v"])
    for name, got in (("h1", ours["h1"]), ("h2", ours["h2"]), ("h3", ours["out"])):
        assert lava[f"{name}.s"].sum() > 10, f"{name}: too few Lava spikes to compare"
        np.testing.assert_array_equal(got, lava[f"{name}.s"], err_msg=name)
        np.testing.assert_allclose(ours[f"{name}.v"], lava[f"{name}.v"], atol=1e-9, rtol=0,
                                   err_msg=name)
    # the convention matters: without the profile's one-step synaptic delay nirc disagrees
    plain = nirc.simulate(graph, x, dt=DT, dtype="float64", engine=engine)
    assert not np.array_equal(plain["out"], lava["h3.s"])
