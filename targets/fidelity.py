"""How closely a chip's integer simulation follows the float simulation of the graph.

Both run on the same input (generated Bernoulli spikes, or the user's); the chip's
output lags the graph's by ``latency`` steps (each target's mapping says why), so chip
step t + latency is compared with graph step t over the T - latency steps both cover.
Per output neuron:

- spiking readout: spike-count agreement 1 - sum_b |Cf - Cx| / sum_b max(Cf, Cx) over
  the samples b (1 where neither spikes);
- voltage readout: 1 - ||vf - vx|| / ||vf|| (the chip's v_mem_out times unit_out).

Also the fraction of samples whose most active (or, for a voltage, largest mean)
output neuron is the same: a classifier's decision.
"""

from __future__ import annotations

import numpy as np


def check(reference, module, input_shape, latency: int, spiking: bool, options: dict,
          inputs: np.ndarray | None) -> dict:
    """Simulate ``reference`` (the module before the target's pipeline, with the
    discretization options ``module`` records) and ``module`` (lowered; run by the
    target's engine) on ``inputs`` (T, [B,] *input_shape) or on generated Bernoulli
    spikes (``options``: fidelity-steps, fidelity-batch, fidelity-rate, seed) and
    ``compare`` their outputs."""
    from nirc.input_arrays import bernoulli_inputs
    from nirc.passes.discretize import recorded_options
    from nirc.targets.interp.api import Simulator

    if inputs is None:
        if options["fidelity-steps"] == 0:
            return {"steps": 0}
        inputs = bernoulli_inputs(reference, options["fidelity-rate"], options["fidelity-steps"],
                                  options["fidelity-batch"], options["seed"], np.float64)
        source = f"generated: rate {options['fidelity-rate']}, seed {options['seed']}"
    else:
        source = "given"
        if inputs.ndim == len(input_shape) + 1:
            inputs = inputs[:, None]
    reference_out = Simulator(reference, dtype="float64", **recorded_options(module)).run(
        inputs, keep_batch_axis=True)
    chip_out = Simulator(module, dtype="float64").run(inputs, keep_batch_axis=True)
    name = next(iter(chip_out))
    flat = (reference_out[name].reshape(*reference_out[name].shape[:2], -1),
            chip_out[name].reshape(*chip_out[name].shape[:2], -1))
    return {"input": source, **compare(*flat, latency, spiking)}


FIDELITY_OPTIONS = {
    "fidelity-steps": (int, 300, "steps of generated input for the fidelity check (0: skip)"),
    "fidelity-batch": (int, 16, "samples of generated input"),
    "fidelity-rate": (float, 0.1, "spike probability per input channel and step"),
    "seed": (int, 0, "seed of the generated input"),
}


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
        activity = {"spikes_float": int(cf.sum()), "spikes_chip": int(cx.sum())}
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


def summary_lines(f: dict | None, title: str) -> list[str]:
    """The fidelity line of a human compile report."""
    if not f or not f.get("steps"):
        return []
    line = (f"fidelity   float graph vs {title}, {f['samples']} samples x {f['steps']} steps "
            f"({f['input']}): agreement {f['mean']:.3f} (per output neuron "
            + " ".join(f"{v:.2f}" for v in f["per_neuron"][:16])
            + (" ..." if len(f["per_neuron"]) > 16 else "")
            + f"), same decision {f['same_decision']:.0%}")
    if "spikes_float" in f:
        line += f"; output spikes float {f['spikes_float']}, {title} {f['spikes_chip']}"
    return [line]
