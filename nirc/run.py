"""``nirc run``: simulate a graph with the interpreter and save what it recorded.

Inputs: ``--input X.npy`` (the single Input node), ``--input name=X.npy`` (one per
Input node), ``--input X.npz`` (arrays keyed by Input node name), or
``--generate-input rate=R,steps=T,batch=B`` (Bernoulli spikes of probability R per
element and step, from ``--seed``).  Outputs: an .npz keyed by node name, each of
shape (T, B, *shape), written atomically; a one-line summary per output on stdout.
"""

from __future__ import annotations

import sys

import click
import numpy as np

from .input_arrays import load_array

GENERATE_KEYS = {"rate": float, "steps": int, "batch": int, "kind": str, "phase": float,
                 "clip": lambda text: {"true": True, "false": False}[text]}
KINDS = ("bernoulli", "poisson", "regular")


def parse_generate_spec(spec: str) -> dict:
    """``[kind=bernoulli|poisson|regular,]rate=R,steps=T,batch=B[,phase=P][,clip=true]``
    -> dict (bad usage: click.UsageError, exit 2).  Bernoulli's rate is a probability
    per step; Poisson's and regular's are in Hz (input_arrays.rate_trains)."""
    values = {"rate": 0.1, "steps": 100, "batch": 1, "kind": "bernoulli", "phase": 0.0,
              "clip": False}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, sep, text = item.partition("=")
        if not sep or key not in GENERATE_KEYS:
            raise click.UsageError(f"--generate-input: expected rate=R,steps=T,batch=B, found '{item}'")
        try:
            values[key] = GENERATE_KEYS[key](text)
        except (ValueError, KeyError):
            raise click.UsageError(f"--generate-input: {key} must be a "
                                   f"{'true|false' if key == 'clip' else 'number'}, found '{text}'") from None
    if values["kind"] not in KINDS:
        raise click.UsageError(f"--generate-input: kind must be {' | '.join(KINDS)}, "
                               f"found '{values['kind']}'")
    bound = 1.0 if values["kind"] == "bernoulli" else float("inf")
    if not 0.0 <= values["rate"] <= bound or values["steps"] < 1 or values["batch"] < 1:
        raise click.UsageError("--generate-input: need 0 <= rate (<= 1 for bernoulli), "
                               "steps >= 1, batch >= 1")
    if not 0.0 <= values["phase"] < 1.0:
        raise click.UsageError("--generate-input: need 0 <= phase < 1")
    return values


def read_inputs(specs: tuple[str, ...]) -> dict[str, np.ndarray] | np.ndarray:
    """Arrays from ``X.npy``, ``name=X.npy`` or ``X.npz`` arguments."""
    named: dict[str, np.ndarray] = {}
    single = None
    for spec in specs:
        name, sep, path = spec.rpartition("=") if "=" in spec else ("", "", spec)
        array = load_array(path)
        if isinstance(array, dict):
            named.update(array)
        elif sep:
            named[name] = array
        elif single is None and not named and len(specs) == 1:
            single = array
        else:
            raise click.UsageError("with several --input options, write each as name=FILE.npy")
    return single if single is not None else named


def progress_bar(steps: int):
    """A progress callback on an interactive stderr for long runs, else None; its time
    estimate starts at the first update, after numba has compiled the simulation
    (nirc/feedback.py), not at the call."""
    from .feedback import Progress

    if not sys.stderr.isatty() or steps < 200:
        return None, None
    bar = Progress("simulating", steps, sys.stderr)
    return bar.update, bar.bar


def summary_lines(results: dict[str, np.ndarray]) -> list[str]:
    lines = []
    for name, a in results.items():
        if a.size == 0:
            lines.append(f"{name}: shape {list(a.shape)}, empty")
            continue
        binary = np.isin(a, (0, 1)).all()
        what = (f"{int(a.sum())} spikes, rate {a.mean():.4g} per step" if binary
                else f"min {a.min():.4g}, mean {a.mean():.4g}, max {a.max():.4g}")
        lines.append(f"{name}: shape {list(a.shape)}, {what}")
    return lines


def save_npz(path: str, results: dict[str, np.ndarray]) -> None:
    from .atomic import write_with

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **results)

    write_with(path, write)


def latency_of(report: dict) -> int:
    """The steps a compiled target's output lags the graph (0 if its report names none)."""
    for section in report.values():
        if isinstance(section, dict) and isinstance(section.get("latency"), int):
            return section["latency"]
    return 0


def align(results: dict[str, np.ndarray], latencies: dict[str, int]) -> dict:
    """``--align``: each named result shifted back by its latency L (chip step t + L
    becomes step t), the last L steps zero-filled so that the shape stays."""
    shifted = dict(results)
    for name, latency in latencies.items():
        a = results[name]
        if latency > 0:
            latency = min(latency, a.shape[0])
            shifted[name] = np.concatenate([a[latency:], np.zeros_like(a[:latency])])
    return shifted


def decision_lines(results: dict[str, np.ndarray], outputs: list[str], shown: int = 8) -> list[str]:
    """Per output: spike counts per neuron (summed over steps and samples); for a
    classifier (one output of more than one neuron) the argmax of each sample's counts
    (ties: the lowest index, numpy's argmax), the first ``shown`` and a class histogram."""
    lines = []
    for name in outputs:
        a = results[name].reshape(results[name].shape[0], results[name].shape[1], -1)
        counts = a.sum(axis=0)  # (B, N)
        lines.append(f"{name}: counts per neuron " + " ".join(f"{int(c)}" if float(c).is_integer()
                                                         else f"{c:.3g}" for c in counts.sum(axis=0)))
    if len(outputs) == 1 and counts.shape[1] > 1:
        decisions = counts.argmax(axis=1)
        first = " ".join(str(int(d)) for d in decisions[:shown])
        more = " ..." if len(decisions) > shown else ""
        histogram = np.bincount(decisions, minlength=counts.shape[1])
        lines.append(f"{outputs[0]}: argmax per sample {first}{more}; samples per class "
                     + " ".join(f"{i}:{int(n)}" for i, n in enumerate(histogram)))
    return lines


def event_inputs(module, specs: tuple[str, ...], dt: float, unit: str) -> dict[str, np.ndarray]:
    """``--input events.npy --events UNIT``: the event list binned into the raster of the
    graph's single Input node (nirc/events.py), at ``dt`` seconds per step."""
    from nirc.dialects.nir import InputOp
    from nirc.exporter import root_graph

    from .diagnostics import NircError
    from .events import events_to_raster

    if not isinstance(dt, (int, float)):
        raise click.UsageError("--events bins the events at --dt SECONDS; give a number")
    if len(specs) != 1 or "=" in specs[0]:
        raise click.UsageError("--events takes one --input FILE.npy (an event list)")
    inputs = [op for op in root_graph(module).nodes() if isinstance(op, InputOp)]
    if len(inputs) != 1:
        raise click.UsageError(f"--events needs a graph with one Input node, this one has "
                               f"{len(inputs)}")
    try:
        events = np.load(specs[0], allow_pickle=False)
    except (OSError, ValueError) as e:
        raise NircError(f"cannot read this event list ({e})", file=specs[0]) from None
    op = inputs[0]
    return {op.node_name.data: events_to_raster(events, tuple(op.output_shape), dt, unit,
                                                source=specs[0])}

