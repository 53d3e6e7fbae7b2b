"""NIR graphs for the Speck tests (built with the ``nir`` package), and an independent
per-event reference of the Speck computation.

``random_chain(seed)`` draws a Speck-legal sequential network of the kind sinabs'
``from_nir`` + ``DynapcnnNetwork`` take: convolutions (kernels 1..5, strides 1/2/4,
padding 0..2), IF neurons with one threshold per layer, sum pooling 2/4 between layers
and before the output, biases, negative weights, and Flatten + Affine heads.

``reference(layers, raster)`` is written from the chip's description, not from
targets/speck/sim.py: time bin by time bin, layer by layer, every input event (one
non-zero count at (c, y, x) after its source's pooling) adds count * W[:, c, ky, kx] to
each output neuron whose receptive field covers it; then every neuron integrates, fires
floor(v / threshold) spikes when v >= threshold, subtracts them and is clipped at its
lower threshold.  Plain Python loops over events: small networks only.
"""

from __future__ import annotations

import nir
import numpy as np


def conv_node(rng, c_in, c_out, k, stride, padding, size, bias=True, scale=1.0):
    w = (rng.normal(0, scale / np.sqrt(c_in * k * k), (c_out, c_in, k, k))).astype(np.float32)
    b = (rng.normal(0, 0.1, c_out).astype(np.float32) if bias else np.zeros(c_out, np.float32))
    node = nir.Conv2d(input_shape=(size, size), weight=w, stride=(stride, stride),
                      padding=(padding, padding), dilation=(1, 1), groups=1, bias=b)
    out = (size + 2 * padding - k) // stride + 1
    return node, out


def if_node(shape, threshold):
    return nir.IF(r=np.ones(shape, np.float32), v_threshold=np.full(shape, threshold, np.float32),
                  v_reset=np.zeros(shape, np.float32))


def random_chain(seed: int) -> tuple[nir.NIRGraph, tuple[int, int, int]]:
    """A random Speck-legal chain and its input shape."""
    rng = np.random.default_rng(seed)
    c, size = int(rng.integers(1, 4)), int(rng.choice([8, 10, 12, 16]))
    nodes = {"input": nir.Input(np.array([c, size, size]))}
    edges, prev, k_id = [], "input", 0
    shape = (c, size, size)
    n_conv = int(rng.integers(1, 4))
    bias = bool(rng.random() < 0.6)
    for i in range(n_conv):
        k = int(rng.choice([1, 2, 3, 5]))
        k = min(k, shape[1])
        stride = int(rng.choice([1, 1, 2, 4] if shape[1] >= 8 else [1, 2]))
        padding = int(rng.integers(0, min(3, k)))  # maps never grow: heads stay <= 16
        c_out = int(rng.integers(2, 9))
        conv, out = conv_node(rng, shape[0], c_out, k, stride, padding, shape[1], bias,
                              scale=float(rng.uniform(1.0, 4.0)))
        if out < 1:
            break
        name_c, name_n = f"conv{i}", f"if{i}"
        nodes[name_c], nodes[name_n] = conv, if_node((c_out, out, out), float(rng.uniform(0.5, 2.0)))
        edges += [(prev, name_c), (name_c, name_n)]
        prev, shape = name_n, (c_out, out, out)
        if shape[1] >= 4 and rng.random() < 0.4:
            p = int(rng.choice([2, 2, 4] if shape[1] >= 8 else [2]))
            nodes[f"pool{i}"] = nir.SumPool2d(kernel_size=np.array([p, p]), stride=np.array([p, p]),
                                              padding=np.array([0, 0]))
            edges.append((prev, f"pool{i}"))
            prev, shape = f"pool{i}", (shape[0], shape[1] // p, shape[2] // p)
    heads = int(rng.integers(0, 3)) if prev.startswith("if") or prev == "input" else 1
    if prev == "input":
        heads = max(heads, 1)
    n = int(np.prod(shape))
    if heads:
        nodes["flat"] = nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1)
        edges.append((prev, "flat"))
        prev = "flat"
        for h in range(heads):
            m = int(rng.integers(3, 12))
            w = rng.normal(0, 2.0 / np.sqrt(n), (m, n)).astype(np.float32)
            b = rng.normal(0, 0.1, m).astype(np.float32) if bias else np.zeros(m, np.float32)
            nodes[f"fc{h}"], nodes[f"iff{h}"] = nir.Affine(weight=w, bias=b), if_node((m,), float(rng.uniform(0.5, 2.0)))
            edges += [(prev, f"fc{h}"), (f"fc{h}", f"iff{h}")]
            prev, n, shape = f"iff{h}", m, (m,)
    elif rng.random() < 0.7 and shape[1] >= 2:
        nodes["pool_out"] = nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                          padding=np.array([0, 0]))
        edges.append((prev, "pool_out"))
        prev, shape = "pool_out", (shape[0], shape[1] // 2, shape[2] // 2)
    nodes["output"] = nir.Output(np.array(shape))
    edges.append((prev, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), (c, size, size)


def reference(net, raster: np.ndarray) -> np.ndarray:
    """The output spike counts (T, B, *output_shape) of an integer ``SpeckNetwork``
    (targets/speck/network.py) for the event counts ``raster`` (T, B, *input_shape)."""
    steps, batch = raster.shape[:2]
    raster = np.asarray(raster, np.int64).reshape(steps, batch, *net.input_shape)
    out = []
    for b in range(batch):
        v = [np.zeros(layer.out_shape, np.int64) for layer in net.layers]
        out_b = []
        for t in range(steps):
            spikes = []
            for k, layer in enumerate(net.layers):
                f, oh, ow = layer.out_shape
                acc = np.zeros((f, oh, ow), np.int64) + np.asarray(layer.bias).reshape(-1, 1, 1)
                sources = [(raster[t, b], 1)] if any(d == k for d, _ in net.input_destinations) else []
                for j, other in enumerate(net.layers[:k]):
                    sources += [(spikes[j], p) for d, p in other.destinations if d == k]
                for events, pool in sources:
                    for (c, y, x) in zip(*np.nonzero(events)):
                        _deliver(acc, layer, int(c), int(y) // pool, int(x) // pool,
                                 int(events[c, y, x]), events.shape, pool)
                u = v[k] + acc
                s = np.where(u >= layer.threshold_high, u // layer.threshold_high, 0)
                u = u - s * layer.threshold_high
                v[k] = np.maximum(u, layer.threshold_low)
                spikes.append(s)
            y = sum(_pool(spikes[j], p) for j, other in enumerate(net.layers)
                    for d, p in other.destinations if d == -1)
            out_b.append(np.asarray(y).reshape(net.output_shape))
        out.append(out_b)
    return np.asarray(out).swapaxes(0, 1)


def _deliver(acc, layer, c, y, x, count, shape, pool):
    """One event at pooled position (c, y, x): rows/columns beyond whole windows drop."""
    if y >= shape[1] // pool or x >= shape[2] // pool:
        return
    k = layer.kernel
    (sy, sx), (py, px) = layer.stride, layer.padding
    _, oh, ow = layer.out_shape
    for oy in range(oh):
        ky = y + py - oy * sy
        if not 0 <= ky < k:
            continue
        for ox in range(ow):
            kx = x + px - ox * sx
            if 0 <= kx < k:
                acc[:, oy, ox] += count * np.asarray(layer.weight)[:, c, ky, kx]


def _pool(s, p):
    f, h, w = s.shape
    return s[:, :h // p * p, :w // p * p].reshape(f, h // p, p, w // p, p).sum(axis=(2, 4))


def merge_without_pooling(seed: int = 5) -> nir.NIRGraph:
    """input -> a; a -> b and a -> c (two destinations); b, c -> d (a merge) -> Output:
    the branching kind sinabs 3.1.3's graph extractor handles (no pooling on a branch)."""
    rng = np.random.default_rng(seed)
    a, _ = conv_node(rng, 2, 4, 3, 1, 1, 8, scale=3.0)
    b, _ = conv_node(rng, 4, 3, 3, 1, 1, 8, scale=3.0)
    c, _ = conv_node(rng, 4, 3, 1, 1, 0, 8, scale=3.0)
    d, sd = conv_node(rng, 3, 5, 3, 2, 1, 8, scale=3.0)
    nodes = {"input": nir.Input(np.array([2, 8, 8])), "a": a, "na": if_node((4, 8, 8), 0.7),
             "b": b, "nb": if_node((3, 8, 8), 1.1), "c": c, "nc": if_node((3, 8, 8), 0.9),
             "d": d, "nd": if_node((5, sd, sd), 1.3), "output": nir.Output(np.array([5, sd, sd]))}
    edges = [("input", "a"), ("a", "na"), ("na", "b"), ("b", "nb"), ("na", "c"), ("c", "nc"),
             ("nb", "d"), ("nc", "d"), ("d", "nd"), ("nd", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)
