"""Bit-exact simulator of a Speck network (integer IAF per time bin), vectorized.

The model is sinabs 3.1.3's ``DynapcnnNetwork`` forward with discretized layers
(``dynapcnn_layer.py`` ``DynapcnnLayer.forward``: conv -> ``IAFSqueeze`` -> sum pooling per
destination; ``layers/functional/lif.py`` ``lif_forward_single`` with alpha_mem = 1;
``activation/spike_generation.py`` ``MultiSpike``; ``activation/reset_mechanism.py``
``MembraneSubtract``).  Per time bin t and layer (in step order; events reach later layers
in the same bin, as on the chip and in sinabs), with integer v (zero at t = 0)::

    x   = sum over the layer's sources of sumpool(spikes of the source at t, its pooling)
    v  += conv(x, W_int) + b_int                    (stride, zero padding)
    n   = floor(v / threshold_high) if v > 0 else 0  (MultiSpike: trunc(v/thr) for v > 0)
    v  -= n * threshold_high                         (MembraneSubtract)
    v   = max(v, threshold_low)                      (min_v_mem)

and n is the layer's output (spike counts) in bin t.  The input is the raster of input
event counts per bin.  Because the layers form a DAG (no edge back to an earlier core),
a layer's input for every bin is known once its sources are done: each layer's
convolution runs over all T x B frames at once (event by event, int64: cost grows
with the events, not the map), then the neuron scan runs over T (numba loops).  sinabs holds v in float32 without a 16-bit saturation; so does this model
(int64), which is exact with it while |v| < 2^24.
"""

from __future__ import annotations

import numpy as np

from .network import OUTPUT, SpeckNetwork

def simulate(net: SpeckNetwork, raster: np.ndarray, record: bool = False) -> dict[str, np.ndarray]:
    """``raster`` (T, B, *input_shape) or (T, B, prod) of event counts -> ``{"output":
    (T, B, *output_shape)}`` and with ``record`` each layer's spike counts
    ``s<k>`` (T, B, f, h, w)."""
    raster = np.asarray(raster)
    steps, batch = raster.shape[:2]
    frames = steps * batch
    # channels-last (N, H, W, C) throughout: the scatter's inner loop runs over features
    x_in = np.ascontiguousarray(np.moveaxis(
        raster.reshape(frames, *net.input_shape), 1, -1), dtype=np.int64)
    spikes: list[np.ndarray] = []
    for k, layer in enumerate(net.layers):
        f, oh, ow = layer.out_shape
        current = np.empty((frames, oh, ow, f), np.int64)
        current[:] = np.asarray(layer.bias, np.int64)
        kernel = np.ascontiguousarray(np.transpose(layer.weight, (1, 2, 3, 0)), np.int64)
        for src, pool in net.sources(k):
            events = x_in if src == -1 else spikes[src]
            _kernels()[0](events, np.int64(pool), kernel, np.int64(layer.stride[0]),
                          np.int64(layer.stride[1]), np.int64(layer.padding[0]),
                          np.int64(layer.padding[1]), current)
        counts = np.empty_like(current)
        _kernels()[1](current.reshape(steps, -1), np.int64(layer.threshold_high),
                      np.int64(layer.threshold_low), counts.reshape(steps, -1))
        spikes.append(counts)
    out = None
    for src, pool in net.output_sources():
        s = sum_pool(spikes[src], pool)
        out = s if out is None else out + s
    result = {"output": _channels_first(out, steps, batch).reshape(steps, batch, *net.output_shape)}
    if record:
        for k, s in enumerate(spikes):
            result[f"s{k}"] = _channels_first(s, steps, batch)
    return result


def _channels_first(x: np.ndarray, steps: int, batch: int) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(x, -1, 1)).reshape(steps, batch, x.shape[-1],
                                                              *x.shape[1:3])


def sum_pool(x: np.ndarray, k: int) -> np.ndarray:
    """(N, H, W, C) -> (N, H // k, W // k, C) window sums (stride k, floor)."""
    if k == 1:
        return x
    n, h, w, c = x.shape
    hk, wk = h // k, w // k
    return x[:, :hk * k, :wk * k].reshape(n, hk, k, wk, k, c).sum(axis=(2, 4))


_KERNELS = None


def _kernels():
    """(scatter, iaf), compiled by numba on first use.

    scatter: the convolution of event counts, event by event as the chip does: each
    non-zero count s at (y, x, c) of a source (after sum pooling by ``pool``: position
    (y // pool, x // pool), rows and columns beyond the last whole window dropped) adds
    s * W[:, c, ky, kx] to the neurons (oy, ox) with y + pad_y = oy * stride_y + ky (and
    likewise for x): PyTorch's conv2d (cross-correlation, zero padding) in int64, frames
    in parallel, cost proportional to the events.

    iaf: the neuron scan over time bins of the docstring above, per neuron."""
    global _KERNELS
    if _KERNELS is None:
        from numba import njit, prange

        @njit(parallel=True, cache=True, nogil=True)
        def scatter(counts, pool, kernel, sy, sx, py, px, out):
            n, h, w, c = counts.shape
            _, kh, kw, f = kernel.shape
            oh, ow = out.shape[1], out.shape[2]
            hp, wp = (h // pool) * pool, (w // pool) * pool
            for i in prange(n):
                for y0 in range(hp):
                    y = y0 // pool
                    for x0 in range(wp):
                        x = x0 // pool
                        for ch in range(c):
                            s = counts[i, y0, x0, ch]
                            if s == 0:
                                continue
                            for ky in range(kh):
                                a = y + py - ky
                                if a < 0 or a % sy != 0 or a // sy >= oh:
                                    continue
                                oy = a // sy
                                for kx in range(kw):
                                    b = x + px - kx
                                    if b < 0 or b % sx != 0 or b // sx >= ow:
                                        continue
                                    ox = b // sx
                                    for j in range(f):
                                        out[i, oy, ox, j] += s * kernel[ch, ky, kx, j]

        @njit(parallel=True, cache=True, nogil=True)
        def iaf(current, high, low, out):
            steps, m = current.shape
            block = 4096
            for blk in prange((m + block - 1) // block):
                a = blk * block
                b = min(m, a + block)
                v = np.zeros(b - a, np.int64)
                for t in range(steps):
                    for j in range(a, b):
                        u = v[j - a] + current[t, j]
                        s = 0
                        if u >= high:
                            s = u // high
                            u -= s * high
                        if u < low:
                            u = low
                        v[j - a] = u
                        out[t, j] = s

        _KERNELS = (scatter, iaf)
    return _KERNELS
