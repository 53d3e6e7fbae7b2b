"""Engines for lowered chip modules (Input -> one network op -> Output), whose step
function simulates the whole network in one call (targets/xylo/engine.py,
targets/loihi2/engine.py, targets/speck/engine.py, targets/spinnaker2/engine.py): the
checks, the plumbing and the recording of chip states they share.

Recording inside a chip network
-------------------------------
Each engine names what its simulator can record (``recordable(chip)``): per NIR neuron
layer mapped onto the chip, its spikes (``lif1``) and its states (``lif1.v``, and
``lif1.i`` where the chip keeps a synaptic current), in the chip's own units (the
integers Xylo, Loihi 2 and Speck hold, SpiNNaker2's float32 in scaled weight units),
on the chip's clock: a layer at latency L shows at chip step t what the graph's layer
shows at step t - L (``--align`` shifts each recording back by its own L).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nirc.diagnostics import NircError

WHOLE_KINDS = {"xylo": "Xylo", "loihi2": "Loihi 2", "speck": "Speck", "spinnaker2": "SpiNNaker2"}
"""Plan node kinds of the lowered chip networks that run as one op, with their titles."""


@dataclass(frozen=True)
class ChipSignal:
    """One recordable signal of a chip network: ``shape`` per step and sample,
    ``latency`` in steps behind the graph, ``unit`` what its numbers are, and for a
    membrane whose layer has one threshold, that threshold in the same units (the line
    ``nirc run --plot`` draws)."""

    shape: tuple[int, ...]
    latency: int
    unit: str
    threshold: float | None = None


def one_value(values) -> float | None:
    """The single value of ``values``, or None where they differ."""
    unique = np.unique(np.asarray(values, np.float64))
    return float(unique[0]) if unique.size == 1 else None


def split_label(label: str, layers) -> tuple[str, str]:
    """(layer, state) of a recordable label: (LAYER, "") for its spikes, (LAYER, "v") for
    LAYER.v; a layer name may itself hold dots, so a label naming a layer is spikes."""
    if label in layers:
        return label, ""
    base, _, state = label.rpartition(".")
    return base, state


def engine_of(kind: str):
    """The engine module of a chip kind (targets/<kind>/engine.py)."""
    return importlib.import_module(f"nirc.targets.{kind}.engine")


def chip_node(plan):
    """(index, node) of the plan's chip network node, or None."""
    for k, node in enumerate(plan.nodes):
        if node.kind in WHOLE_KINDS:
            return k, node
    return None


def chip_signals(plan) -> dict[str, ChipSignal]:
    """What the plan's chip network records (its engine's ``recordable``), {} if the plan
    has none."""
    found = chip_node(plan)
    return engine_of(found[1].kind).recordable(found[1]) if found is not None else {}


def chip_record_key(plan, label: str, signals: dict[str, ChipSignal]) -> tuple[int, str]:
    """The record key of ``label`` inside the plan's chip network (one of its
    ``signals``), or the error that lists what can be recorded."""
    k, chip = chip_node(plan)
    if label not in signals:
        title = WHOLE_KINDS[chip.kind]
        names = list(signals)
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise NircError(f"cannot record '{label}' on the {title} target: its simulation records "
                        f"the neuron layers it maps (spikes as LAYER, states as LAYER.v, "
                        f"LAYER.i, in chip units): {shown or 'none'}")
    return k, label


def recorded_signals(plan, labels) -> dict[str, ChipSignal]:
    """The chip signals among ``labels`` (for ``--align`` and the plot's thresholds)."""
    signals = chip_signals(plan)
    return {label: signals[label] for label in labels if label in signals}


def run_whole(plan, inputs: dict[str, np.ndarray], steps: int, batch: int,
              record: list[tuple[int, str]], progress, kind: str, title: str,
              compute: Callable) -> dict[tuple[int, str], np.ndarray]:
    """Check the plan is Input -> ``kind`` -> Output and the input holds spike counts,
    then ``compute(chip_node, raster, labels)`` gives the output (T, B, ...) and the
    recorded chip signals ``{label: (T, B, n)}`` of ``labels`` (keys (1, label) of
    ``record``; shaped as the engine's ``recordable`` says)."""
    kinds = [n.kind for n in plan.nodes]
    if kinds != ["input", kind, "output"]:
        raise NircError(f"a {title} module holds exactly Input -> {kind}.network -> Output, "
                        "found " + " -> ".join(kinds))
    source, chip, sink = plan.nodes
    raster = inputs[source.name]
    if np.any(raster < 0) or np.any(raster != np.rint(raster)):
        raise NircError(f"{title} takes spike counts: the input must hold non-negative integers",
                        node=source.name)
    labels = [what for k, what in record if k == 1 and what != "y"]
    for k, what in record:
        if what != "y" and k != 1:
            raise NircError(f"cannot record '{plan.nodes[k].name}.{what}': only the neuron "
                            f"layers inside the {kind}.network op have states")
    y, states = compute(chip, raster.astype(np.int64), labels)
    y = np.asarray(y, plan.dtype).reshape(steps, batch, *sink.out_shape)
    if progress is not None:
        progress(steps)
    outputs = {(0, "y"): np.asarray(raster, plan.dtype), (1, "y"): y, (2, "y"): y}
    shapes = engine_of(kind).recordable(chip) if labels else {}
    for label in labels:
        a = np.asarray(states[label])
        outputs[(1, label)] = a.reshape(steps, batch, *shapes[label].shape)
    return {key: outputs[key] for key in record}
