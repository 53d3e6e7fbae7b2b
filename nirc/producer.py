"""Which tool most likely wrote a NIR graph, from the fingerprints its exporter leaves,
and the profile (nirc/profiles.py) that simulates the graph as that tool does.

NIR files carry no producer field, but each exporter writes its neurons in its own way
(read from the exporters' sources):

* snnTorch (``snntorch/export_nir.py``, 0.9 and 1.0): ``Leaky`` -> LIF with
  tau = dt/(1 - beta) and r = tau/dt at a fixed dt = 1e-4 s, v_leak = 0; ``Synaptic`` ->
  CubaLIF with r = tau_mem/dt and w_in = tau_syn/dt; ``RLeaky``/``RSynaptic`` -> a subgraph
  of nodes ``lif`` and ``w_rec``.  So r*1e-4 = tau on every neuron is its signature.
* Sinabs (``sinabs/nir.py``, 3.1.3): ``IAF`` -> IF with r = 1; ``LIF`` -> LIF with r = 1,
  v_leak = 0 and tau in units of time steps (``tau_mem=10.0``); ``ExpLeak`` -> LI with r = 1;
  a bias-less Linear -> an Affine with a zero bias.
* Norse (``norse/torch/utils/export_nir.py``): LIF with tau = 1/tau_mem_inv (seconds, e.g.
  2.5e-3 in the NIR paper's lif_norse.nir) and r = 1.

A guess is a hypothesis to check, not a fact: the evidence is listed with it, and a
graph that matches no fingerprint gets none (NIR's own semantics, ``--profile nir``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SNNTORCH_DT = 1e-4
"""The time step snnTorch's exporter assumes (export_nir.py: dt = 1e-4)."""

NEURONS = ("LIF", "CubaLIF", "IF", "LI", "CubaLI")


@dataclass(frozen=True)
class Guess:
    producer: str
    profile: str
    evidence: tuple[str, ...]
    advice: str = ""
    confidence: str = "most likely"
    """'most likely' for a fingerprint only that tool leaves, 'possibly' for a weaker one."""

    def text(self) -> str:
        lines = [f"producer: {self.confidence} {self.producer} (" + "; ".join(self.evidence) + ")",
                 f"  simulate it as {self.producer} does with --profile {self.profile}"
                 + (f"; {self.advice}" if self.advice else "")]
        return "\n".join(lines)


def guess_producer(module) -> Guess | None:
    """The producer whose fingerprint every neuron of ``module`` (nir stage) matches."""
    neurons, names = _collect(module)
    if not neurons:
        return None
    for rule in (_snntorch, _sinabs, _norse):
        guess = rule(neurons, names)
        if guess is not None:
            return guess
    return None


def _collect(module):
    """(kind, {field: array}) of every neuron node, and every node name, nested included."""
    from nirc.dialects.nir import GraphOp
    from nirc.dialects.nir_graph import node_name_of
    from nirc.exporter import root_graph

    try:
        root = root_graph(module)
    except Exception:  # noqa: BLE001 - a lowered stage has no NIR graph: no guess
        return [], set()
    neurons, names = [], set()

    def walk(graph):
        for op in graph.nodes():
            names.add(node_name_of(op) or "")
            if isinstance(op, GraphOp):
                walk(op)
            elif getattr(op, "NIR_TYPE", None) in NEURONS:
                neurons.append((op.NIR_TYPE, {f: op.array(f) for f in op.FIELDS}))
    walk(root)
    return neurons, names


def _close(a, b, rtol=1e-5) -> bool:
    return a is not None and b is not None and bool(np.allclose(a, b, rtol=rtol, atol=0))


def _ones(a) -> bool:
    return a is not None and bool(np.all(a == 1))


def _snntorch(neurons, names) -> Guess | None:
    for kind, f in neurons:
        if kind == "LIF" and _close(f["r"] * SNNTORCH_DT, f["tau"]):
            continue
        if kind == "CubaLIF" and _close(f["r"] * SNNTORCH_DT, f["tau_mem"]) \
                and _close(np.broadcast_to(f["w_in"], f["r"].shape) * SNNTORCH_DT, f["tau_syn"]):
            continue
        return None
    evidence = ["every LIF/CubaLIF has r = tau_mem/1e-4 (and w_in = tau_syn/1e-4): "
                "snnTorch's exporter at its fixed dt = 1e-4 s"]
    if {"lif", "w_rec"} & {n.rpartition(".")[2] for n in names}:
        evidence.append("recurrent subgraphs of 'lif' and 'w_rec' (RLeaky/RSynaptic)")
    return Guess("snnTorch", "snntorch", tuple(evidence),
                 "--profile snntorch-import for what snntorch.import_from_nir rebuilds")


def _sinabs(neurons, names) -> Guess | None:
    kinds = {k for k, _ in neurons}
    if not kinds <= {"IF", "LIF", "LI"} or not all(_ones(f["r"]) for _, f in neurons):
        return None
    leaky = [f for k, f in neurons if k in ("LIF", "LI")]
    if any(not np.all(f["tau"] >= 1) for f in leaky):
        return None  # sinabs' taus are in time steps; seconds point elsewhere (Norse)
    evidence = ["IF neurons with r = 1" if "IF" in kinds else "neurons with r = 1"]
    if leaky:
        evidence.append("time constants in time steps (tau >= 1), as sinabs' tau_mem")
    return Guess("Sinabs", "sinabs", tuple(evidence),
                 "its IAF fires several spikes per step and resets by subtraction",
                 "possibly")


def _norse(neurons, names) -> Guess | None:
    if not all(k == "LIF" and _ones(f["r"]) and np.all(f["tau"] < 1) for k, f in neurons):
        return None
    return Guess("Norse", "norse", ("LIF neurons with r = 1 and tau in seconds "
                                    "(tau = 1/tau_mem_inv)",),
                 "norse.from_nir defaults to dt = 1e-3 s: give --dt the step it was trained at",
                 "possibly")
