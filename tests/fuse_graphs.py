"""Random simulatable NIR graphs rich in what ``fuse-synapses`` rewrites.

A graph starts from one Input: a 1-d signal, or an image through a convolutional
front (optional Scale, Conv1d or Conv2d, optional Scale, neuron, AvgPool2d, Flatten).
Then come 1-3 layers; a layer is a *run* of synapse ops with no neuron between them
(1-3 Affine/Linear, Scales before, between and after them, Flattens of 1-d signals)
feeding a neuron (LIF, CubaLIF, LI, IF; parameters as in sim_graphs.py, dt = 1e-4)
or the Output.  Runs get *taps* (an element also feeds an extra Output: a multi-use
intermediate, which must not be merged into its successor) and *breaks* (a dense
element also sums a skip Linear from an earlier signal: no merge across a sum).
Neurons get recurrent edges (neuron -> Linear [-> Scale | -> Linear] -> the same
neuron) and skip Linears from earlier signals (fan-in).

Weights are float64, so that a fused graph equals the original to rounding.  Each
case carries ``removed``: how many ops the pass removes, worked out from the structure
alone (independently of the pass): a piece of a run between taps and breaks that holds
a dense op becomes one op, a piece without one loses only its Flattens; a uniform
Scale next to a conv folds; an AvgPool2d costs one op (its new Scale) unless its
1/(kh*kw) reaches a dense op through Flattens and Scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import nir
import numpy as np
from hypothesis import strategies as st

from sim_graphs import _neuron

NEURONS = ("LIF", "CubaLIF", "LI", "IF")


@dataclass
class FuseCase:
    graph: nir.NIRGraph
    input_shape: tuple[int, ...]
    removed: int
    """Net number of ops the pass removes (an AvgPool2d split adds one)."""


class _Builder:
    def __init__(self, draw, rng: np.random.Generator):
        self.draw, self.rng = draw, rng
        self.nodes: dict[str, nir.NIRNode] = {}
        self.edges: list[tuple[str, str]] = []
        self.signals: list[tuple[str, int]] = []  # opaque 1-d sources for skips
        self.removed = 0

    def add(self, prefix: str, node: nir.NIRNode, *sources: str) -> str:
        name = f"{prefix}{len(self.nodes)}"
        self.nodes[name] = node
        self.edges += [(s, name) for s in sources]
        return name

    def tap(self, source: str, shape) -> None:
        self.add("tap", nir.Output(output_type=np.array(shape)), source)

    def dense(self, n_in: int, n_out: int, std: float) -> nir.NIRNode:
        """Weights skewed positive, so that most neurons get some drive within 20 steps."""
        w = self.rng.normal(0.4 * std, std, (n_out, n_in))
        if self.draw(st.booleans()):
            return nir.Linear(weight=w)
        return nir.Affine(weight=w, bias=self.rng.normal(0, 0.2, n_out))

    def scale(self, shape) -> nir.NIRNode:
        return nir.Scale(scale=self.rng.uniform(0.5, 2.0, shape) * self.rng.choice([-1, 1], shape))

    def channel_scale(self, shape, uniform: bool) -> nir.NIRNode:
        """Constant over each channel, or random (constant anyway with 1 value per channel)."""
        if not uniform:
            return self.scale(shape)
        per = self.rng.uniform(0.5, 2.0, shape[0]) * self.rng.choice([-1, 1], shape[0])
        per = per.reshape(-1, *[1] * (len(shape) - 1))
        return nir.Scale(scale=np.broadcast_to(per, shape).copy())

    def neuron(self, shape, *sources: str) -> str:
        kind = self.draw(st.sampled_from(NEURONS))
        return self.add("n", _neuron(kind, tuple(shape), self.rng), *sources)


def _run(b: _Builder, src: str, n: int, after_pool: bool = False) -> tuple[str, int]:
    """A run of synapse ops from ``src`` (width n); (last op, its width).  ``after_pool``:
    ``src`` is an AvgPool2d seen through Flattens, whose scale folds into the run's first
    dense op if no tap comes before it and it sums no skip."""
    draw = b.draw
    kinds = draw(st.lists(st.sampled_from(["dense", "dense", "scale", "flatten"]),
                          min_size=1, max_size=5))
    if "dense" not in kinds and draw(st.booleans()):
        kinds.append("dense")
    pieces: list[list[str]] = [[]]
    prev, width, first_dense = src, n, True
    pool_open, pool_absorbed = after_pool, False
    for i, kind in enumerate(kinds):
        sources = [prev]
        if kind == "dense":
            out = draw(st.integers(1, 5))
            std = 3.0 / np.sqrt(max(1.0, width / 4)) if first_dense else 1.5 / np.sqrt(width)
            node = b.dense(width, out, std)
            if b.signals and draw(st.integers(0, 3)) == 0:
                # fan-in: a skip Linear summed here (a break, unless at the head)
                skip, m = draw(st.sampled_from(b.signals))
                w = b.rng.normal(0, 1.0, (width, m))
                sources.append(b.add("skip", nir.Linear(weight=w), skip))
                if pieces[-1]:
                    pieces.append([])
            pool_absorbed |= pool_open and len(sources) == 1
            pool_open, first_dense, width = False, False, out
        elif kind == "scale":
            node = b.scale(width)
        else:
            node = _flatten((width,), 0, 0)
        pieces[-1].append(kind)
        prev = b.add(kind[:2], node, *sources)
        if i < len(kinds) - 1 and draw(st.integers(0, 4)) == 0:
            b.tap(prev, [width])  # multi-use: no merge with the next element
            pieces.append([])
            pool_open = False
    if after_pool and not pool_absorbed:
        b.removed -= 1  # the AvgPool2d's new Scale stays
    for piece in pieces:
        b.removed += len(piece) - 1 if "dense" in piece else piece.count("flatten")
    return prev, width


def _conv_front(b: _Builder, shape: tuple[int, ...]) -> tuple[str, int, bool]:
    """Input image -> [Scale] -> Conv -> [Scale] -> [neuron] -> [AvgPool2d] -> Flatten."""
    draw, rng = b.draw, b.rng
    src = "in"
    c_in, spatial = shape[0], shape[1:]
    pre = draw(st.sampled_from(["none", "uniform", "uniform", "other"]))
    if pre != "none":
        src = b.add("sc", b.channel_scale(shape, pre == "uniform"), src)
        b.removed += int(pre == "uniform" or np.prod(spatial) == 1)
    c_out = draw(st.integers(1, 4))
    groups = c_in if c_out % c_in == 0 and draw(st.integers(0, 2)) > 0 else 1
    k = [draw(st.integers(1, 3)) for _ in spatial]
    stride = [draw(st.integers(1, 2)) for _ in spatial]
    pad = [draw(st.integers(0, 1)) for _ in spatial]
    w = rng.normal(0, 3.0 / np.sqrt(c_in // groups * np.prod(k)), (c_out, c_in // groups, *k))
    kind = nir.Conv2d if len(spatial) == 2 else nir.Conv1d
    conv = kind(input_shape=np.array(spatial) if len(spatial) == 2 else spatial[0],
                weight=w, stride=np.array(stride),
                padding=np.array(pad), dilation=np.ones(len(spatial), dtype=np.int64),
                groups=groups, bias=rng.normal(0, 0.2, c_out))
    out_sp = tuple((n + 2 * p - kk) // s + 1 for n, kk, s, p in zip(spatial, k, stride, pad))
    out = (c_out, *out_sp)
    src = b.add("conv", conv, src)
    tapped = draw(st.integers(0, 4)) == 0
    if tapped:
        b.tap(src, out)
    post = draw(st.sampled_from(["none", "uniform", "other"]))
    if post != "none":
        src = b.add("sc", b.channel_scale(out, post == "uniform"), src)
        b.removed += int((post == "uniform" or np.prod(out_sp) == 1) and not tapped)
    pool = len(spatial) == 2 and draw(st.integers(0, 3)) > 0
    if draw(st.booleans()) or not pool:
        src = b.neuron(out, src)
    after_pool = False
    if pool:
        kp = [draw(st.integers(1, min(3, n))) for n in out_sp]
        pp = [draw(st.integers(0, kk // 2)) for kk in kp]
        sp = [draw(st.integers(1, 2)) for _ in kp]
        src = b.add("pool", nir.AvgPool2d(kernel_size=np.array(kp), stride=np.array(sp),
                                          padding=np.array(pp)), src)
        out = (c_out, *((n + 2 * p - kk) // s + 1 for n, kk, s, p in zip(out_sp, kp, sp, pp)))
        if draw(st.booleans()):
            src = b.neuron(out, src)
            b.removed -= 1  # AvgPool2d -> SumPool2d + Scale
        else:
            after_pool = True
    if len(out) == 2 and draw(st.booleans()):
        src = b.add("fl", _flatten(out, 1, 1), src)
        b.removed += 1  # start_dim == end_dim: the identity
    flat = int(np.prod(out))
    src = b.add("flat", _flatten(out, 0, -1), src)
    return src, flat, after_pool


def _recurrent(b: _Builder, neuron: str, n: int) -> None:
    kinds = b.draw(st.sampled_from([["linear"], ["linear", "scale"], ["linear", "linear"]]))
    prev = neuron
    for kind in kinds:
        node = (nir.Linear(weight=b.rng.normal(0, 0.7 / np.sqrt(n), (n, n))) if kind == "linear"
                else b.scale(n))
        prev = b.add("rec", node, prev)
    b.edges.append((prev, neuron))
    b.removed += len(kinds) - 1  # the whole loop becomes one Linear


@st.composite
def fuse_graphs(draw, max_layers: int = 3) -> FuseCase:
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    b = _Builder(draw, rng)
    front = draw(st.sampled_from(["dense", "dense", "conv2d", "conv1d"]))
    if front == "dense":
        shape: tuple[int, ...] = (draw(st.integers(1, 5)),)
    elif front == "conv2d":
        shape = (draw(st.integers(1, 3)), draw(st.integers(3, 6)), draw(st.integers(3, 6)))
    else:
        shape = (draw(st.integers(1, 3)), draw(st.integers(4, 8)))
    b.nodes["in"] = nir.Input(input_type=np.array(shape))
    if front == "dense":
        src, width, pool = "in", shape[0], False
        b.signals.append(("in", width))
    else:
        src, width, pool = _conv_front(b, shape)
    layers = draw(st.integers(1, max_layers))
    for k in range(layers):
        src, width = _run(b, src, width, after_pool=pool and k == 0)
        if k == layers - 1 and draw(st.booleans()):
            break  # the last run feeds the Output directly
        sources = [src]
        if b.signals and draw(st.integers(0, 3)) == 0:
            skip, n = draw(st.sampled_from(b.signals))
            sources.append(b.add("skip", nir.Linear(weight=rng.normal(0, 1.0, (width, n))), skip))
        src = b.neuron((width,), *sources)
        if draw(st.booleans()):
            _recurrent(b, src, width)
        b.signals.append((src, width))
    b.nodes["out"] = nir.Output(output_type=np.array([width]))
    b.edges.append((src, "out"))
    graph = nir.NIRGraph(nodes=b.nodes, edges=b.edges, type_check=False)
    return FuseCase(graph, shape, b.removed)


def _flatten(shape, start: int, end: int) -> nir.NIRNode:
    return nir.Flatten(input_type={"input": np.array(shape)}, start_dim=start, end_dim=end)


def spike_input(rng: np.random.Generator, steps: int, batch: int, shape,
                rate: float = 0.3) -> np.ndarray:
    return (rng.random((steps, batch, *shape)) < rate).astype(np.float64)
