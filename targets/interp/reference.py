"""The reference engine: a plain per-step numpy loop over a ``Plan``.

For t = 0..T-1 and each node in step order: x = sum of the node's sources (a
delayed source gives its output of step t-1, zero at t = 0; others their output of
step t), then y = the node's kernel applied to x.  Vectorized over the batch and the
neurons; no Python loop over either.  It is short so that it can be read and
trusted: the compiled engine (``fast``) is tested against it.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .integer import IntNeuronState, int_step
from .neurons import DelayLine, NeuronState, step
from .plan import Plan


def run(plan: Plan, inputs: dict[str, np.ndarray], steps: int, batch: int,
        record: list[tuple[int, str]], progress=None) -> dict[tuple[int, str], np.ndarray]:
    """Simulate; ``record`` lists (node index, 'y' | 'v' | 'i'); returns (T, B, *shape)."""
    dtype = plan.dtype
    nodes = plan.nodes
    states: dict[int, object] = {}
    for k, node in enumerate(nodes):
        if node.kind in ("leaky", "cuba"):
            states[k] = NeuronState(node, batch, dtype)
        elif node.kind == "qneuron":
            states[k] = IntNeuronState(node, batch)
        elif node.kind == "delay":
            states[k] = DelayLine(node, batch, dtype)
    outputs: list[np.ndarray | None] = [np.zeros((batch, *n.out_shape), dtype) for n in nodes]
    delayed_sources = sorted({s for n in nodes for s, d in n.sources if d})
    previous = {s: plan.initial_output(s, batch) for s in delayed_sources}
    recordings = {key: np.zeros((steps, batch, *_recorded_shape(nodes[key[0]])), dtype)
                  for key in record}
    for t in range(steps):
        for k, node in enumerate(nodes):
            if node.kind == "input":
                y = inputs[node.name][t]
            else:
                x = _summed_input(node, outputs, previous, batch, dtype)
                y = _apply(node, states.get(k), x)
            outputs[k] = y
        for s in delayed_sources:
            previous[s] = outputs[s]
        for (k, what), rec in recordings.items():
            rec[t] = _observe(nodes[k], states.get(k), outputs[k], what)
        if progress is not None:
            progress(t + 1)
    return recordings


def _summed_input(node, outputs, previous, batch, dtype) -> np.ndarray:
    total = None
    for s, delayed in node.sources:
        v = previous[s] if delayed else outputs[s]
        total = v if total is None else total + v  # kernels never write to x
    if total is None:
        return np.zeros((batch, *node.in_shape), dtype)
    return total


def _apply(node, state, x: np.ndarray) -> np.ndarray:
    if node.kind == "output":
        return x
    if node.kind in ("leaky", "cuba"):
        return step(node, state, x)
    if node.kind == "qneuron":
        return int_step(node, state, x, x.dtype)
    if node.kind == "delay":
        return state.step(x)
    return kernels.STATELESS[node.kind](node, x)


def _recorded_shape(node) -> tuple[int, ...]:
    return node.out_shape


def _observe(node, state, y: np.ndarray, what: str) -> np.ndarray:
    if what == "y":
        return y
    return getattr(state, what)
