"""How closely the Xylo integer simulation follows the float simulation of the graph.

Both run on the same input (generated Bernoulli spikes, or the user's); the chip's
output lags the graph's by ``latency`` steps (mapping.py), so chip step t + latency is
compared with graph step t over the T - latency steps both cover.  Per output neuron:

- spiking readout: spike-count agreement 1 - sum_b |Cf - Cx| / sum_b max(Cf, Cx) over
  the samples b (1 where neither spikes);
- voltage readout: 1 - ||vf - vx|| / ||vf|| (the chip's v_mem_out times unit_out).

Also the fraction of samples whose most active (or, for a voltage, largest mean)
output neuron is the same: a classifier's decision.
"""

from __future__ import annotations

import numpy as np


def compare(float_out: np.ndarray, chip_out: np.ndarray, latency: int, spiking: bool) -> dict:
    """float_out and chip_out are (T, B, Nout)."""
    steps = float_out.shape[0]
    if latency >= steps:
        return {"steps": 0}
    f = np.asarray(float_out[: steps - latency], np.float64)
    x = np.asarray(chip_out[latency:], np.float64)
    if spiking:
        cf, cx = f.sum(axis=0), x.sum(axis=0)  # (B, Nout)
        total = np.maximum(cf, cx).sum(axis=0)
        per_neuron = np.where(total > 0, 1.0 - np.abs(cf - cx).sum(axis=0) / np.where(total > 0, total, 1), 1.0)
        decision_f, decision_x = cf.argmax(axis=1), cx.argmax(axis=1)
        activity = {"spikes_float": int(cf.sum()), "spikes_xylo": int(cx.sum())}
    else:
        norm = np.sqrt((f ** 2).sum(axis=(0, 1)))
        err = np.sqrt(((f - x) ** 2).sum(axis=(0, 1)))
        per_neuron = np.where(norm > 0, 1.0 - err / np.where(norm > 0, norm, 1), (err == 0) * 1.0)
        decision_f, decision_x = f.mean(axis=0).argmax(axis=1), x.mean(axis=0).argmax(axis=1)
        activity = {}
    return {"steps": int(steps - latency), "samples": int(f.shape[1]),
            "per_neuron": [float(v) for v in per_neuron],
            "mean": float(np.mean(per_neuron)),
            "same_decision": float(np.mean(decision_f == decision_x)), **activity}
