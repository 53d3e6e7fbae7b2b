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
a layer's input for a run of bins is known once its sources have done those bins: time
goes in chunks of bins (sized to stay in cache), and per chunk each layer runs its
convolution over all chunk x batch frames at once, event by event (cost grows with the
events, not the map), then the neuron scan over the chunk's bins, carrying v (numba
loops, one thread; a layer whose kernel covers its whole input map, a Linear head, adds
the weight rows of its nonzero inputs over the chunk).  Event counts and sums are float32
where a bound (largest source count x pooling window x largest sum of |W| of a neuron +
|b|) shows every value, partial sums included, is an integer below 2^24, else float64
(below 2^53): exact in any summation order.  v is int64.  sinabs holds v in float32
without a 16-bit saturation; so does this model, which is exact with it while |v| < 2^24.
"""

from __future__ import annotations

import numpy as np

from .network import OUTPUT, SpeckNetwork

CHUNK = 1 << 22  # neuron-bins of the largest layer per chunk of time


def simulate(net: SpeckNetwork, raster: np.ndarray, record: bool = False) -> dict[str, np.ndarray]:
    """``raster`` (T, B, *input_shape) or (T, B, prod) of event counts -> ``{"output":
    (T, B, *output_shape)}`` and with ``record`` each layer's spike counts
    ``s<k>`` and v ``v<k>`` (after the bin's subtraction and lower bound), both int64
    (T, B, f, h, w)."""
    scatter, iaf, dense_events = _kernels()
    raster = np.asarray(raster)
    steps, batch = raster.shape[:2]
    peak = int(max(raster.max(initial=0), -raster.min(initial=0)))
    count_types, sum_types, peaks = [], [], []
    for k, layer in enumerate(net.layers):
        reach = sum((peak if src == -1 else peaks[src]) * pool * pool for src, pool in net.sources(k))
        f = layer.out_shape[0]
        w_abs = int(np.abs(np.asarray(layer.weight, np.int64)).reshape(f, -1).sum(axis=1).max(initial=0))
        bound = reach * w_abs + int(np.abs(np.asarray(layer.bias, np.int64)).max(initial=0))
        if bound >= 2 ** 53:
            raise ValueError(f"layer '{layer.name}': sums up to {bound} are beyond float64's integers")
        sum_types.append(_exact_float(bound))
        peaks.append((bound + int(layer.threshold_high)) // int(layer.threshold_high))
        count_types.append(_exact_float(peaks[-1]))
    largest = max(batch * int(np.prod(layer.out_shape)) for layer in net.layers)
    chunk = max(1, min(steps, CHUNK // largest))
    kernels = [np.ascontiguousarray(np.transpose(layer.weight, (1, 2, 3, 0)), dt)  # (C, KY, KX, F)
               for layer, dt in zip(net.layers, sum_types)]
    biases = [np.tile(np.asarray(layer.bias, np.int64), batch * layer.out_shape[1] * layer.out_shape[2])
              for layer in net.layers]
    v = [np.zeros(b.shape, np.int64) for b in biases]
    frames = chunk * batch
    buffers = [(np.empty((frames, *layer.out_shape[1:], layer.out_shape[0]), st),
                np.empty((frames, *layer.out_shape[1:], layer.out_shape[0]), ct))
               for layer, st, ct in zip(net.layers, sum_types, count_types)]
    outputs, records, v_records = [], [[] for _ in net.layers], [[] for _ in net.layers]
    for t0 in range(0, steps, chunk):
        bins = min(chunk, steps - t0)
        n = bins * batch
        # channels-last (N, H, W, C) views: the scatter's inner loop runs over features
        x = np.moveaxis(raster[t0:t0 + bins].reshape(n, *net.input_shape), 1, -1)
        spikes = []
        for k, layer in enumerate(net.layers):
            current, counts = (b[:n] for b in buffers[k])
            current.fill(0)
            for src, pool in net.sources(k):
                events = x if src == -1 else spikes[src]
                if _covers(layer, events.shape, pool):  # a Linear head: one product per chunk
                    pooled = sum_pool(events, pool).reshape(n, -1).astype(current.dtype, copy=False)
                    dense_events(np.ascontiguousarray(pooled), _dense_kernel(kernels[k]),
                                 current.reshape(n, -1))
                    continue
                scatter(events, np.int64(pool), kernels[k], np.int64(layer.stride[0]),
                        np.int64(layer.stride[1]), np.int64(layer.padding[0]),
                        np.int64(layer.padding[1]), current)
            v_out = np.empty((bins, v[k].shape[0]) if record else (0, 0), np.int64)
            iaf(current.reshape(bins, -1), biases[k], np.int64(layer.threshold_high),
                np.int64(layer.threshold_low), v[k], counts.reshape(bins, -1), v_out)
            spikes.append(counts)
            if record:
                records[k].append(_channels_first(counts, bins, batch))
                v_records[k].append(_channels_first(v_out.reshape(counts.shape), bins, batch))
        out = sum(sum_pool(spikes[src], pool).astype(np.int64) for src, pool in net.output_sources())
        outputs.append(_channels_first(out, bins, batch).reshape(bins, batch, *net.output_shape))
    result = {"output": np.concatenate(outputs)}
    if record:
        for k, parts in enumerate(records):
            result[f"s{k}"] = np.concatenate(parts).astype(np.int64)
            result[f"v{k}"] = np.concatenate(v_records[k])
    return result


def _exact_float(bound: int):
    """float32 where every integer up to ``bound`` (plus v's 16-bit range) is exact."""
    return np.float32 if bound + 2 ** 16 < 2 ** 24 else np.float64


def _covers(layer, shape, pool: int) -> bool:
    """Whether the kernel covers the whole (pooled) input map: a 1 x 1 output."""
    h, w = shape[1] // pool, shape[2] // pool
    return layer.out_shape[1:] == (1, 1) and layer.padding == (0, 0) and layer.kernel == h == w


def _dense_kernel(kernel: np.ndarray) -> np.ndarray:
    """(C, KY, KX, F) -> (KY * KX * C, F), rows in the channels-last order of a map."""
    c, kh, kw, f = kernel.shape
    return np.ascontiguousarray(np.transpose(kernel, (1, 2, 0, 3)).reshape(kh * kw * c, f))


def _channels_first(x: np.ndarray, steps: int, batch: int) -> np.ndarray:
    """A copy (the chunk buffers are reused) in (T, B, C, H, W)."""
    return np.moveaxis(x, -1, 1).copy().reshape(steps, batch, x.shape[-1], *x.shape[1:3])


def sum_pool(x: np.ndarray, k: int) -> np.ndarray:
    """(N, H, W, C) -> (N, H // k, W // k, C) window sums (stride k, floor)."""
    if k == 1:
        return x
    n, h, w, c = x.shape
    hk, wk = h // k, w // k
    return x[:, :hk * k, :wk * k].reshape(n, hk, k, wk, k, c).sum(axis=(2, 4))


_KERNELS = None


def _kernels():
    """(scatter, iaf, dense_events), compiled by numba on first use.

    scatter: the convolution of event counts, event by event as the chip does: each
    non-zero count s at (y, x, c) of a source (after sum pooling by ``pool``: position
    (y // pool, x // pool), rows and columns beyond the last whole window dropped) adds
    s * W[:, c, ky, kx] to the neurons (oy, ox) with y + pad_y = oy * stride_y + ky (and
    likewise for x): PyTorch's conv2d (cross-correlation, zero padding) in int64, frames
    in parallel, cost proportional to the events.

    dense_events: a Linear head's product, event by event on one thread (out += x @ w
    adding the weight rows of the nonzero counts only; BLAS's threads, spinning between
    these small products, cost twice the CPU time and ran slower: measured on cnn_sinabs
    b32, wall 0.31 -> 0.23 s, CPU 0.39 -> 0.23 s).

    iaf: the neuron scan over time bins of the docstring above, per neuron (v += the
    convolution's current + the bias, spikes, subtraction, lower bound), v carried in
    and out; with a non-empty ``v_out`` (steps, m) also v after each bin."""
    global _KERNELS
    if _KERNELS is None:
        from numba import njit

        @njit(cache=True, nogil=True)
        def scatter(counts, pool, kernel, sy, sx, py, px, out):
            n, h, w, c = counts.shape
            _, kh, kw, f = kernel.shape
            oh, ow = out.shape[1], out.shape[2]
            hp, wp = (h // pool) * pool, (w // pool) * pool
            for i in range(n):
                for y0 in range(hp):
                    y = y0 // pool
                    for x0 in range(wp):
                        x = x0 // pool
                        for ch in range(c):
                            s = counts[i, y0, x0, ch]
                            if s == 0:
                                continue
                            # kernel rows ky = (y + py) mod sy, + sy, ...: oy counts down
                            ay = y + py
                            ky0 = ay % sy
                            for ky in range(ky0, kh, sy):
                                oy = (ay - ky) // sy
                                if oy < 0:
                                    break
                                if oy >= oh:
                                    continue
                                ax = x + px
                                kx0 = ax % sx
                                for kx in range(kx0, kw, sx):
                                    ox = (ax - kx) // sx
                                    if ox < 0:
                                        break
                                    if ox >= ow:
                                        continue
                                    for j in range(f):
                                        out[i, oy, ox, j] += s * kernel[ch, ky, kx, j]

        @njit(cache=True, nogil=True)
        def iaf(current, bias, high, low, v, out, v_out):
            steps, m = current.shape
            block = 4096
            for blk in range((m + block - 1) // block):
                a = blk * block
                b = min(m, a + block)
                for t in range(steps):
                    for j in range(a, b):
                        u = v[j] + np.int64(current[t, j]) + bias[j]
                        s = 0
                        if u >= high:
                            s = u // high
                            u -= s * high
                        if u < low:
                            u = low
                        v[j] = u
                        out[t, j] = s
                        if v_out.shape[0]:
                            v_out[t, j] = u

        @njit(cache=True, nogil=True)
        def dense_events(x, w, out):
            for r in range(x.shape[0]):
                for j in range(x.shape[1]):
                    s = x[r, j]
                    if s != 0:
                        for o in range(w.shape[1]):
                            out[r, o] += s * w[j, o]

        _KERNELS = (scatter, iaf, dense_events)
    return _KERNELS
