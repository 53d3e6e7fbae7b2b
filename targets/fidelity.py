"""How closely a chip's integer simulation follows the float simulation of the graph.

Both run on the same input (generated Bernoulli spikes, or the user's); the chip's
output lags the graph's by ``latency`` steps (each target's mapping says why), so chip
step t + latency is compared with graph step t over the T - latency steps both cover.
Per output neuron:

- spiking readout: spike-count agreement 1 - sum_b |Cf - Cx| / sum_b max(Cf, Cx) over
  the samples b (1 where neither spikes);
- voltage readout: 1 - ||vf - vx|| / ||vf|| (the chip's v_mem_out times unit_out).

Also the fraction of samples whose most active (or, for a voltage, largest mean)
output neuron is the same: a classifier's decision.  Where neither side emits a single
output spike the agreement is undefined (None), not 1.

Two float references, so that like is compared with like:
- the graph under the conventions the chip implements (the options the lowered module
  records: e.g. Xylo's multi-spike neurons, v >= threshold, reset by subtraction): what
  is left is the chip's arithmetic (weights, decays, thresholds in integers);
- the graph under the conventions the model was trained with (the user's options and
  profile, recorded by the compile driver on the reference as ``nirc.trained``), where
  they differ: the headline, what a user compares with their trained model.
targets/diagnosis.py names the main cause of a disagreement from these numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TRAINED = "nirc.trained"
"""The reference module's attribute holding the options the model was trained with."""


def check(reference, module, input_shape, latency: int, spiking: bool, options: dict,
          inputs: np.ndarray | None, rows: list[dict] = (), title: str = "the chip",
          states: Callable[[np.ndarray], dict] | None = None) -> dict:
    """Simulate ``reference`` (the module before the target's pipeline) and ``module``
    (lowered; run by the target's engine) on ``inputs`` (T, [B,] *input_shape) or on
    generated Bernoulli spikes (``options``: fidelity-steps, fidelity-batch,
    fidelity-rate, seed), ``compare`` their outputs and diagnose the difference
    (``rows``: the target's per-layer records, with tau_*_error and sqnr_db where it has
    them; ``states(raster)``: the chip's own measures, e.g. saturation per state)."""
    if inputs is None and options["fidelity-steps"] == 0:
        return {"steps": 0}  # before the imports: the simulator's are the slow ones
    from nirc.feedback import progress
    from nirc.input_arrays import bernoulli_inputs
    from nirc.passes.discretize import recorded_options, with_defaults
    from nirc.targets.interp.api import Simulator

    from .diagnosis import diagnose

    if inputs is None:
        inputs = bernoulli_inputs(reference, options["fidelity-rate"], options["fidelity-steps"],
                                  options["fidelity-batch"], options["seed"], np.float64)
        source = f"generated: rate {options['fidelity-rate']}, seed {options['seed']}"
    else:
        source = "given"
        if inputs.ndim == len(input_shape) + 1:
            inputs = inputs[:, None]
    chip_options = recorded_options(module)
    like_sim = Simulator(reference, dtype="float64", **chip_options)
    multi = [n.name for n in like_sim.plan.nodes if n.spiking and n.params["cap"] != 1]
    steps = len(next(iter(inputs.values())) if isinstance(inputs, dict) else inputs)
    with progress("fidelity: float graph", steps) as update:  # on a terminal only
        like = like_sim.run(inputs, record=multi, keep_batch_axis=True, progress=update)
    with progress(f"fidelity: {title}", steps) as update:
        chip_out = Simulator(module, dtype="float64").run(inputs, keep_batch_axis=True,
                                                          progress=update)
    name = next(iter(chip_out))
    chip = _flat(chip_out[name])
    result = {"input": source, **compare(_flat(like[name]), chip, latency, spiking)}
    if spiking:
        result["rasters"] = aligned_rasters(_flat(like[name]), chip, latency)
    trained = trained_options(reference)
    if trained is not None and with_defaults(trained) != with_defaults(chip_options):
        with progress("fidelity: model as trained", steps) as update:
            model = _flat(Simulator(reference, dtype="float64", **trained).run(
                inputs, keep_batch_axis=True, progress=update)[name])
        result["trained"] = {
            "options": _differences(with_defaults(trained), with_defaults(chip_options)),
            **_headline(compare(model, chip, latency, spiking)),
            "conventions": _headline(compare(model, _flat(like[name]), 0, spiking))}
    bursts = {layer: burst_stats(like[layer]) for layer in multi}
    if bursts:
        result["bursts"] = bursts
    if states is not None:  # the chip's own simulation takes the one input's spike counts
        raster = next(iter(inputs.values())) if isinstance(inputs, dict) else inputs
        result["chip_states"] = states(np.rint(np.asarray(raster)).astype(np.int64))
    result.update(diagnose(result, list(rows), latency, title))
    return result


def module_io(module) -> tuple[tuple[int, ...], bool]:
    """(the Input node's shape, whether the node feeding the Output spikes) of a lowered
    module: for targets whose output node is a layer or neuron op, not a chip op."""
    from nirc.dialects.snn import SpikingOp
    from nirc.dialects.snn_layer import LayerOp
    from nirc.exporter import root_graph

    graph = root_graph(module)
    source = next(o for o in graph.nodes() if o.name == "nir.input")
    sink = next(o for o in graph.nodes() if o.name == "nir.output")
    last = sink.operands[0].owner
    neuron = last.neuron() if isinstance(last, LayerOp) else last
    spiking = isinstance(neuron, SpikingOp) or (neuron.name == "qsnn.neuron"
                                                 and neuron.spiking.data == "spike")
    return tuple(source.output_shape), spiking


def behaviour_at(module, sim: dict, options: dict) -> tuple[float, Callable[[float], float | None]]:
    """For ``--dt auto``: (the given step, a function dt -> agreement of the float graph's
    output at dt with its output at the given step), on the fidelity check's generated
    spikes, with the model's options ``sim`` (the step excepted)."""
    from nirc.input_arrays import bernoulli_inputs
    from nirc.passes.discretize import SPEC_NAMES, resolve_options
    from nirc.targets.interp.api import Simulator

    model = {k: v for k, v in sim.items() if k in SPEC_NAMES and k != "dt"}
    given = resolve_options(**model).dt
    steps = max(options["fidelity-steps"], 50)
    inputs = bernoulli_inputs(module, options["fidelity-rate"], steps, options["fidelity-batch"],
                              options["seed"], np.float64)

    def output(dt: float) -> np.ndarray:
        out = Simulator(module, dtype="float64", **{**model, "dt": dt}).run(inputs, keep_batch_axis=True)
        return _flat(next(iter(out.values())))

    reference = output(given)
    spiking = bool(np.isin(reference, (0.0, 1.0)).all())

    def behave(dt: float) -> float | None:
        return compare(reference, output(dt), 0, spiking)["mean"]

    return given, behave


def trained_options(reference) -> dict | None:
    """The options the compile driver recorded on the reference (``nirc.trained``)."""
    from nirc.passes.records import record_values

    attr = reference.attributes.get(TRAINED)
    return None if attr is None else record_values(attr)


def burst_stats(counts: np.ndarray) -> dict:
    """Of a multi-spike layer's output counts: the fraction of its spikes beyond the
    first of a step (``extra``) and the largest count in one step."""
    counts = np.asarray(counts)
    total = float(counts.sum())
    extra = float(np.maximum(counts - 1, 0).sum())
    return {"extra": extra / total if total else 0.0, "max": int(counts.max(initial=0))}


FIDELITY_OPTIONS = {  # (kind, default, help, low, high): targets/base.py Option
    "fidelity-steps": (int, 300, "steps of generated input for the fidelity check (0: skip)", 0),
    "fidelity-batch": (int, 16, "samples of generated input", 1),
    "fidelity-rate": (float, 0.1, "spike probability per input channel and step", 0.0, 1.0),
    "seed": (int, 0, "seed of the generated input", 0),
}


def _differences(model: dict, chip: dict) -> dict:
    """The model's options that the chip's differ from (caps only with multi-spikes)."""
    out = {k: v for k, v in model.items() if chip.get(k) != v}
    if model.get("spikes") != "multi":
        out = {k: v for k, v in out.items() if k not in ("max_spikes", "max_spikes_out")}
    return out


def _flat(a: np.ndarray) -> np.ndarray:
    return a.reshape(*a.shape[:2], -1)


def aligned_rasters(float_out: np.ndarray, chip_out: np.ndarray, latency: int) -> dict:
    """Sample 0's output spikes (steps per output neuron) of the float graph and of the
    chip, the chip's shifted back by ``latency`` (for ``nirc plot report.json``)."""
    steps = float_out.shape[0] - latency
    return {"sample": 0, "latency": int(latency),
            "float": [np.flatnonzero(float_out[:steps, 0, n]).tolist()
                      for n in range(float_out.shape[2])],
            "chip": [np.flatnonzero(chip_out[latency:, 0, n]).tolist()
                     for n in range(chip_out.shape[2])]}


def _headline(c: dict) -> dict:
    return {k: c[k] for k in ("mean", "same_decision", "spikes_float", "spikes_chip") if k in c}


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
        silent = not total.any()
        activity = {"spikes_float": int(cf.sum()), "spikes_chip": int(cx.sum()),
                    "dead_outputs": [int(n) for n in np.flatnonzero((cf.sum(axis=0) > 0)
                                                                    & (cx.sum(axis=0) == 0))]}
    else:
        norm = np.sqrt((f ** 2).sum(axis=(0, 1)))
        err = np.sqrt(((f - x) ** 2).sum(axis=(0, 1)))
        per_neuron = np.where(norm > 0, 1.0 - err / np.where(norm > 0, norm, 1), (err == 0) * 1.0)
        decision_f, decision_x = f.mean(axis=0).argmax(axis=1), x.mean(axis=0).argmax(axis=1)
        silent = not (norm.any() or np.abs(x).any())
        activity = {}
    return {"steps": int(steps - latency), "samples": int(f.shape[1]),
            "per_neuron": [float(v) for v in per_neuron],
            "mean": None if silent else float(np.mean(per_neuron)),
            "same_decision": None if silent else float(np.mean(decision_f == decision_x)),
            **activity}


def _number(value, spec: str = ".3f") -> str:
    return "undefined" if value is None else format(value, spec)


def summary_lines(f: dict | None, title: str) -> list[str]:
    """The fidelity lines of a human compile report."""
    if not f or not f.get("steps"):
        return []
    line = (f"fidelity   float graph (the chip's rules) vs {title}, {f['samples']} samples x "
            f"{f['steps']} steps ({f['input']}): agreement {_number(f['mean'])} (per output neuron "
            + " ".join(f"{v:.2f}" for v in f["per_neuron"][:16])
            + (" ..." if len(f["per_neuron"]) > 16 else "")
            + f"), same decision {_number(f['same_decision'], '.0%')}")
    if "spikes_float" in f:
        line += f"; output spikes float {f['spikes_float']}, {title} {f['spikes_chip']}"
    lines = [line]
    trained = f.get("trained")
    if trained:
        shown = ", ".join(f"{k}={v}" for k, v in trained["options"].items())
        lines.append(f"           the model as trained ({shown}) vs {title}: agreement "
                     f"{_number(trained['mean'])}, same decision "
                     f"{_number(trained['same_decision'], '.0%')}; the two float readings agree "
                     f"{_number(trained['conventions']['mean'])}")
    for cause in f.get("causes", []):
        lines.append(f"cause      {cause}")
    return lines
