"""Random simulatable NIR graphs for the interpreter's property tests.

A graph is a chain of layers from one Input: each layer is a synapse (Affine or
Linear) followed by a neuron (LI, LIF, CubaLI, CubaLIF, I, IF) or by a Scale,
Threshold or whole-step Delay; some layers get a recurrent Affine from the neuron
back to itself, and some get a skip edge from an earlier layer (fan-in, summed).
Parameters are moderate (tau from 2 to 50 steps of dt = 1e-4, thresholds near 1)
so that neurons spike at varied rates.  Every node name is unique.
"""

from __future__ import annotations

import nir
import numpy as np
from hypothesis import strategies as st

DT = 1e-4
NEURONS = ("LI", "LIF", "CubaLI", "CubaLIF", "I", "IF")
OTHERS = ("Scale", "Threshold", "Delay")


def _neuron(kind: str, n: int, rng: np.random.Generator) -> nir.NIRNode:
    tau = rng.uniform(2, 50, n) * DT
    r = rng.uniform(0.5, 3.0, n)
    v_leak = rng.uniform(-0.2, 0.2, n)
    thr = rng.uniform(0.5, 1.5, n)
    reset = rng.uniform(-0.2, 0.2, n)
    if kind == "LI":
        return nir.LI(tau=tau, r=r, v_leak=v_leak)
    if kind == "LIF":
        return nir.LIF(tau=tau, r=r, v_leak=v_leak, v_threshold=thr, v_reset=reset)
    tau_syn = rng.uniform(2, 50, n) * DT
    w_in = rng.uniform(0.5, 2.0, n)
    if kind == "CubaLI":
        return nir.CubaLI(tau_syn=tau_syn, tau_mem=tau, r=r, v_leak=v_leak, w_in=w_in)
    if kind == "CubaLIF":
        return nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau, r=r, v_leak=v_leak, v_threshold=thr,
                           v_reset=reset, w_in=w_in)
    if kind == "I":
        return nir.I(r=r * 0.1)
    return nir.IF(r=r * 0.3, v_threshold=thr, v_reset=reset)


def _other(kind: str, n: int, rng: np.random.Generator) -> nir.NIRNode:
    if kind == "Scale":
        return nir.Scale(scale=rng.normal(0, 1, n))
    if kind == "Threshold":
        return nir.Threshold(threshold=rng.normal(0, 0.5, n))
    return nir.Delay(delay=rng.integers(0, 4, n) * DT)


@st.composite
def sim_graphs(draw, max_layers: int = 4, max_width: int = 6) -> tuple[nir.NIRGraph, int]:
    """(graph, input width)."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n_in = draw(st.integers(1, max_width))
    nodes: dict[str, nir.NIRNode] = {"in": nir.Input(input_type=np.array([n_in]))}
    edges: list[tuple[str, str]] = []
    layers = draw(st.integers(1, max_layers))
    prev, prev_n, outputs_of = "in", n_in, [("in", n_in)]
    for k in range(layers):
        n = draw(st.integers(1, max_width))
        kind = draw(st.sampled_from(NEURONS + OTHERS))
        syn = f"syn{k}"
        w = rng.normal(0, 1.5, (n, prev_n))
        nodes[syn] = (nir.Affine(weight=w, bias=rng.normal(0, 0.2, n)) if draw(st.booleans())
                      else nir.Linear(weight=w))
        edges.append((prev, syn))
        skip = draw(st.sampled_from(outputs_of))
        if skip[0] != prev and draw(st.booleans()):
            skip_name = f"skip{k}"
            nodes[skip_name] = nir.Linear(weight=rng.normal(0, 1, (n, skip[1])))
            edges += [(skip[0], skip_name), (skip_name, f"n{k}")]
        name = f"n{k}"
        nodes[name] = _neuron(kind, n, rng) if kind in NEURONS else _other(kind, n, rng)
        edges.append((syn, name))
        if kind in NEURONS and draw(st.booleans()):
            rec = f"rec{k}"
            nodes[rec] = nir.Linear(weight=rng.normal(0, 0.7, (n, n)))
            edges += [(name, rec), (rec, name)]
        prev, prev_n = name, n
        outputs_of.append((name, n))
    nodes["out"] = nir.Output(output_type=np.array([prev_n]))
    edges.append((prev, "out"))
    return nir.NIRGraph(nodes=nodes, edges=edges), n_in


def spikes(rng: np.random.Generator, steps: int, batch: int, n: int, rate: float = 0.3) -> np.ndarray:
    return (rng.random((steps, batch, n)) < rate).astype(np.float64)
