"""Run a NIR-style LIF/CubaLIF network in Lava's *floating-point* CPU models (a peer for
``--profile lava``; nothing here goes through nirc's loihi2 target).

    LAVA_VENV/bin/python lava_float.py SPEC.json INPUT.npy OUT.npz

Executed by the Lava oracle venv (targets/loihi2/oracle/build_env.sh: lava-nc 0.10.0),
never imported by nirc.  The test writes SPEC.json from a NIR graph's parameters; this
script converts them to Lava processes the way a Lava user does (the NIR paper's
``nir_to_lava``: forward-Euler decays du = dt/tau_syn, dv = dt/tau_mem) and runs them with
``Loihi2SimCfg(select_tag="floating_pt")`` (``PyDenseModelFloat``, ``PyLifModelFloat``).

Lava's float LIF (lava/proc/lif/models.py, AbstractPyLifModelFloat) per step:
    u = u*(1 - du) + a_in;   v = v*(1 - dv) + u + bias;   s = v > vth;   v[s] = 0
and its Dense (lava/proc/dense/models.py) sends at step t the weighted sum of the spikes
it received at step t-1 (a_buff).  A NIR node is mapped so that Lava's state equals
nirc's Euler update (v_reset = 0 required):
  LIF(tau, r, v_leak, thr) fed by W (and an Affine bias b): du = 1 (u = a_in), dv = dt/tau,
      weights dv*r*W, bias dv*(v_leak + r*b), vth = thr;
  CubaLIF(tau_syn, tau_mem, r, v_leak, w_in, thr) fed by W: du = dt/tau_syn,
      dv = dt/tau_mem, weights dv*r*du*w_in*W, bias dv*v_leak (u = dv*r*i).
Lava's du/dv/vth are scalars, so each layer's tau and threshold must be uniform.

SPEC.json: {"dt": s, "input": "name", "neurons": {name: {"type": "LIF"|"CubaLIF",
"tau_mem": x, "tau_syn": x, "r": [...], "v_leak": [...], "w_in": [...], "threshold": x}},
"synapses": [{"src": neuron-or-input, "dst": neuron, "weight": [[...]], "bias": [...]}],
"record": [neuron, ...]}.  INPUT.npy: (T, n_in) 0/1 spikes.  OUT.npz: ``<name>.s`` (T, n)
spikes and ``<name>.v`` (T, n) voltages after step t's update and reset, for every
recorded neuron layer.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def main(spec_path: str, input_path: str, out_path: str) -> int:
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.dense.process import Dense
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source
    from lava.proc.lif.process import LIF
    from lava.proc.monitor.process import Monitor

    with open(spec_path) as f:
        spec = json.load(f)
    x = np.load(input_path).astype(float)
    steps, dt = x.shape[0], float(spec["dt"])
    source = Source(data=x.T)  # Lava wants time last

    layers, gains, biases = {}, {}, {}
    for name, p in spec["neurons"].items():
        r, v_leak = np.asarray(p["r"], float), np.asarray(p["v_leak"], float)
        dv = dt / p["tau_mem"]
        if p["type"] == "LIF":
            du, gain = 1.0, dv * r
        else:
            du = dt / p["tau_syn"]
            gain = dv * r * du * np.asarray(p["w_in"], float)
        gains[name], biases[name] = gain, dv * v_leak
        layers[name] = (r.size, du, dv, float(p["threshold"]))
    for syn in spec["synapses"]:  # an Affine bias enters the LIF's bias (it is not delayed)
        if syn.get("bias") is not None:
            dst = spec["neurons"][syn["dst"]]
            if dst["type"] != "LIF":
                raise ValueError(f"{syn['dst']}: an Affine bias into a CubaLIF has no Lava form")
            biases[syn["dst"]] = biases[syn["dst"]] + gains[syn["dst"]] * np.asarray(syn["bias"])
    procs = {name: LIF(shape=(n,), du=du, dv=dv, vth=thr, bias_mant=biases[name], name=name)
             for name, (n, du, dv, thr) in layers.items()}
    for syn in spec["synapses"]:
        w = gains[syn["dst"]][:, None] * np.asarray(syn["weight"], float)
        dense = Dense(weights=w)
        src = source.s_out if syn["src"] == spec["input"] else procs[syn["src"]].s_out
        src.connect(dense.s_in)
        dense.a_out.connect(procs[syn["dst"]].a_in)

    sinks, monitors = {}, {}
    for name in spec["record"]:
        sinks[name] = Sink(shape=(layers[name][0],), buffer=steps)
        procs[name].s_out.connect(sinks[name].a_in)
        monitors[name] = Monitor()
        monitors[name].probe(procs[name].v, steps)
    first = next(iter(procs.values()))
    first.run(condition=RunSteps(num_steps=steps), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
    try:
        out = {}
        for name in spec["record"]:
            out[f"{name}.s"] = sinks[name].data.get().T.astype(np.int64)
            out[f"{name}.v"] = np.asarray(monitors[name].get_data()[name]["v"], float)
    finally:
        first.stop()
    np.savez(out_path, **out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
