"""Bit-exact simulator of a Speck network (integer IAF per time bin), event-driven.

The model is sinabs 3.1.3's ``DynapcnnNetwork`` forward with discretized layers
(``dynapcnn_layer.py`` ``DynapcnnLayer.forward``: conv -> ``IAFSqueeze`` -> sum pooling per
destination; ``layers/functional/lif.py`` ``lif_forward_single`` with alpha_mem = 1;
``activation/spike_generation.py`` ``MultiSpike``; ``activation/reset_mechanism.py``
``MembraneSubtract``).  Per time bin t and layer (in step order; events reach later layers
in the same bin, as on the chip and in sinabs), with integer v (zero at t = 0)::

    x   = sum over the layer's sources of sumpool(spikes of the source at t, its pooling)
    v  += conv(x, W_int) + b_int                    (stride, zero padding)
    n   = floor(v / threshold_high) if v >= threshold_high else 0   (MultiSpike)
    v  -= n * threshold_high                         (MembraneSubtract)
    v   = max(v, threshold_low)                      (min_v_mem)

and n is the layer's output (spike counts) in bin t.  The input is the raster of input
event counts per bin.

How it is computed, as the chip does, by events: every layer's output in a run of bins
is a list of events (frame, y, x, channel, count); each event of a source adds count *
W[:, c, ky, kx] to the neurons its pooled position reaches (tables per layer and source
list the (ky, oy) and (kx, ox) pairs of each input row and column, so the inner loop is a
contiguous run over the output features; a Linear head, whose kernel covers its input
map, is the same loop with one output position).  Because the layers form a DAG (no edge
back to an earlier core), a layer's input for a run of bins is known once its sources
have done those bins: time goes in chunks of bins and per chunk each layer scatters all
its sources' events over the chunk x batch frames, then scans its neurons over the
chunk's bins (v carried), writing the events of the next layers.  The cost grows with
the events, never with the map size.  numba loops; threads split the batch (``simulate``).

Exactness: currents and v are float32 where a bound (largest source count x pooling
window x largest sum of |W| of a neuron + |b| + the larger of |threshold_low| and
threshold_high, which bound v before the bin) shows every value, partial sums
included, is an integer below 2^24, else float64 (below 2^53): exact in any summation
order.  n = floor(v / threshold) in that type is the integer quotient: the division is
correctly rounded, its error below v / (threshold * 2^24) < 1 / threshold (float64:
2^53), and a quotient that is not an integer is at least 1 / threshold from the next.
sinabs holds v in float32 without a 16-bit saturation; so does this model, which is
exact with it while |v| < 2^24.
"""

from __future__ import annotations

import numpy as np

from nirc.targets.interp.conv_reach import flat_kernel, positions, reach_tables

from .network import SpeckNetwork

CHUNK = 1 << 18  # neuron-bins of the largest layer per chunk of time (the chunk stays in cache)


def simulate(net: SpeckNetwork, raster: np.ndarray, record: bool = False,
             threads: int | None = None) -> dict[str, np.ndarray]:
    """``raster`` (T, B, *input_shape) or (T, B, prod) of event counts -> ``{"output":
    (T, B, *output_shape)}`` and with ``record`` each layer's spike counts
    ``s<k>`` and v ``v<k>`` (after the bin's subtraction and lower bound), both int64
    (T, B, f, h, w).

    Samples are independent: with ``threads`` > 1 (None: NUMBA_NUM_THREADS, the
    engine's default) the batch is split into that many parts, each simulated whole on
    its own Python thread (the kernels release the GIL), the same bits as one thread.
    Fewer parts where the batch is smaller, the work below ``SPLIT_WORK`` neuron-bins
    (a thread's start-up would cost more), or other processes are runnable on the cores
    (``threads.busy_cores``).  One split per run, no synchronization inside it: a thread
    preempted by another process delays only its own part."""
    from nirc.targets.interp.threads import available, busy_cores, cores

    raster = np.asarray(raster)
    steps, batch = raster.shape[:2]
    parts = min(available(threads), batch, cores())
    if threads is None:
        busy = busy_cores()
        parts = min(parts, max(1, cores() - (busy or 0)))
    if steps * batch * sum(int(np.prod(layer.out_shape)) for layer in net.layers) < SPLIT_WORK:
        parts = 1
    if parts <= 1:
        return _simulate(net, raster, record)
    from concurrent.futures import ThreadPoolExecutor

    bounds = np.linspace(0, batch, parts + 1).astype(int)
    with ThreadPoolExecutor(parts) as pool:
        results = list(pool.map(lambda a, b: _simulate(net, raster[:, a:b], record),
                                bounds[:-1], bounds[1:]))
    return {key: np.concatenate([r[key] for r in results], axis=1) for key in results[0]}


SPLIT_WORK = 1 << 22
"""Neuron-bins of a run below which it is not split over threads (~5 ms of work)."""


def _simulate(net: SpeckNetwork, raster: np.ndarray, record: bool) -> dict[str, np.ndarray]:
    """``simulate`` on one thread."""
    k_events, k_scatter, k_iaf, k_deposit = _kernels()
    raster = np.asarray(raster)
    if raster.dtype.kind not in "iu":
        raster = raster.astype(np.int64)
    steps, batch = raster.shape[:2]
    raster = np.ascontiguousarray(raster).reshape(steps * batch, *net.input_shape)
    input_events, peak, lowest = _input_events(k_events, raster.reshape(steps * batch, -1),
                                               positions(net.input_shape, False))
    if lowest < 0:
        raise ValueError(f"input event counts must not be negative (found {lowest})")
    sum_types = _sum_types(net, peak)
    largest = max(batch * int(np.prod(layer.out_shape)) for layer in net.layers)
    chunk = max(1, min(steps, CHUNK // largest))
    frames = chunk * batch
    layers = net.layers
    kernels = [_flat_kernel(layer.weight, layer.stride[1], dt) for layer, dt in zip(layers, sum_types)]
    tables = [[_tables(layer, net.input_shape if src < 0 else layers[src].out_shape, pool)
               for src, pool in net.sources(k)] for k, layer in enumerate(layers)]
    biases = [np.tile(np.asarray(layer.bias, st), layer.out_shape[1] * layer.out_shape[2])
              for layer, st in zip(layers, sum_types)]  # one frame's (h, w, f)
    wheres = [positions(layer.out_shape, True) for layer in layers]
    v = [np.zeros(batch * int(np.prod(layer.out_shape)), st) for layer, st in zip(layers, sum_types)]
    currents = [np.zeros(frames * int(np.prod(layer.out_shape)), st)
                for layer, st in zip(layers, sum_types)]
    # rows (frame, y, x, channel, count): at most one per neuron and bin (pages are
    # touched only as events are written)
    events = [np.empty((frames * int(np.prod(layer.out_shape)), 5), np.int32) for layer in layers]
    output = np.zeros((steps * batch, *net.output_shape), np.int64)
    s_rec = [np.zeros((steps * batch, *layer.out_shape), np.int64) for layer in layers] if record else []
    v_rec = [np.empty((steps, vk.shape[0]), vk.dtype) for vk in v] if record else []
    chunk_starts = np.searchsorted(np.ascontiguousarray(input_events[:, 0]),
                                   np.arange(0, steps + chunk, chunk) * batch)
    for c, t0 in enumerate(range(0, steps, chunk)):
        bins = min(chunk, steps - t0)
        n = bins * batch
        found = {-1: input_events[chunk_starts[c]:chunk_starts[c + 1]]}
        for k, layer in enumerate(layers):
            current = currents[k][:n * int(np.prod(layer.out_shape))]  # zero: iaf re-zeroes it
            for (src, pool), table in zip(net.sources(k), tables[k]):
                first = t0 * batch if src < 0 else 0  # input events keep their global frame
                k_scatter(found[src], np.int64(first), kernels[k], *table, current)
            count = k_iaf(current.reshape(bins, -1), biases[k], sum_types[k](layer.threshold_high),
                          sum_types[k](layer.threshold_low), v[k], np.int64(batch), wheres[k],
                          events[k], v_rec[k][t0:t0 + bins] if record else v[k][:0].reshape(0, 0))
            found[k] = events[k][:count]
            if record:
                k_deposit(found[k], np.int64(1), np.int64(t0 * batch), s_rec[k])
        for src, pool in net.output_sources():
            k_deposit(found[src], np.int64(pool), np.int64(t0 * batch),
                      output.reshape(steps * batch, *_map_shape(net.output_shape)))
    result = {"output": output.reshape(steps, batch, *net.output_shape)}
    for k, layer in enumerate(layers if record else []):
        f, h, w = layer.out_shape
        result[f"s{k}"] = s_rec[k].reshape(steps, batch, f, h, w)
        result[f"v{k}"] = np.moveaxis(v_rec[k].reshape(steps, batch, h, w, f), -1, 2).astype(np.int64)
    return result


def _input_events(k_events, frames: np.ndarray, where: np.ndarray):
    """The input's events, frame by frame (t * batch + b), all bins at once, and the
    largest and smallest count, in one pass over the raster (the buffer grows and the
    kernel resumes where it stopped)."""
    n, per_frame = frames.shape
    out = np.empty((max(per_frame, frames.size // 16), 5), np.int32)
    stats = np.zeros(2, frames.dtype)
    start, count = 0, 0
    while True:
        start, count = k_events(frames, where, out, start, count, stats)
        if start == n:
            return out[:count], int(stats[0]), int(stats[1])
        grown = np.empty((2 * out.shape[0] + per_frame, 5), np.int32)
        grown[:count] = out[:count]
        out = grown


def _sum_types(net: SpeckNetwork, peak: int) -> list:
    """Per layer the float type whose integers hold every current exactly (see the
    module docstring), from the largest input count ``peak``; ValueError where
    counts or sums leave 32-bit counts or float64's integers."""
    if peak >= 2 ** 31:
        raise ValueError(f"input event counts up to {peak} do not fit 32 bits")
    sum_types, peaks = [], []
    for k, layer in enumerate(net.layers):
        high = int(layer.threshold_high)
        if high <= 0:
            raise ValueError(f"layer '{layer.name}': threshold_high {high} is not positive")
        reach = sum((peak if src == -1 else peaks[src]) * pool * pool for src, pool in net.sources(k))
        f = layer.out_shape[0]
        w_abs = int(np.abs(np.asarray(layer.weight, np.int64)).reshape(f, -1).sum(axis=1).max(initial=0))
        bound = reach * w_abs + int(np.abs(np.asarray(layer.bias, np.int64)).max(initial=0))
        total = bound + max(high, abs(int(layer.threshold_low)))  # with v before the bin
        if total >= 2 ** 53:
            raise ValueError(f"layer '{layer.name}': sums up to {total} are beyond float64's integers")
        sum_types.append(_exact_float(total))
        peaks.append((bound + high) // high)
        if peaks[-1] >= 2 ** 31:
            raise ValueError(f"layer '{layer.name}': spike counts up to {peaks[-1]} do not fit 32 bits")
    return sum_types


def _exact_float(bound: int):
    """float32 where every integer up to ``bound`` is exact, else float64."""
    return np.float32 if bound < 2 ** 24 else np.float64


def _map_shape(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The output's (C, H, W) (a flat output is C x 1 x 1)."""
    return tuple(shape) if len(shape) == 3 else (int(np.prod(shape)), 1, 1)


def _tables(layer, source_shape, pool: int):
    """The reach of one source's events into ``layer`` (targets/interp/conv_reach.py,
    pooling included: the scatter needs no division per event), and (KY * KX * F,
    OH * OW * F): the kernel's channel stride and the current's frame stride."""
    f, oh, ow = layer.out_shape
    k = layer.kernel
    tables = reach_tables((k, k), layer.stride, layer.padding, (1, 1), source_shape[1:],
                          layer.out_shape, pool)
    return (*tables, np.asarray([k * k * f, oh * ow * f], np.int64))


def _flat_kernel(weight: np.ndarray, stride: int, dtype) -> np.ndarray:
    """conv_reach.flat_kernel, held in int8 where the weights fit (Speck's are 8-bit),
    else int16, else ``dtype``: a Linear head's kernel (4096 x 256 on cnn_sinabs) then
    stays in the core's cache; the scatter converts each weight to ``dtype`` exactly."""
    w = np.asarray(weight)
    for small in (np.int8, np.int16):
        if w.size == 0 or (w.min() >= np.iinfo(small).min and w.max() <= np.iinfo(small).max):
            dtype = small
            break
    return flat_kernel(w, stride, 1, dtype)


_KERNELS = None


def _kernels():
    """(events, scatter, iaf, deposit), compiled by numba on first use.

    events(x, where, out, start, e, stats): from frame ``start`` on, the nonzero counts of
    x (N, C * H * W) as rows (frame, y, x, c, count) of ``out`` from row e on, (y, x, c)
    of each position from ``where``, 8 positions per test (as in iaf); stats (largest,
    smallest count) updated.  Stops before a frame that might not fit; returns (the
    next frame, the rows written).

    scatter(events, first, kernel, ystart, ytab, xstart, xtab, shape, current): each
    event (first + i, y, x, c, s) adds s * W[:, c, ky, kx] to current[i, oy, ox, :] for
    every (ky, oy) of its row y and (kx, ox) of its column x (``_tables``, pooling
    included: runs over an event's output columns).  Integer-valued products and sums
    are exact, so contracting them into fused multiply-adds changes nothing (fastmath
    'contract' only).

    iaf(current, bias, high, low, v, batch, where, events, v_out): the neuron scan over
    the chunk's bins (the module docstring's update; one vectorized pass per frame, which
    also flags the neurons that fired and zeroes the current it read, then their spikes
    appended as event rows, words of 8 flags at a time, (y, x, c) from ``where``); v carried in and out; with a non-empty
    ``v_out`` (bins, m) also v after each bin.  Returns the number of events written.

    deposit(events, pool, offset, out): out[offset + i, c, y // pool, x // pool] += s
    (sum pooling of spike counts into a dense (N, C, H, W), dropping beyond whole
    windows)."""
    global _KERNELS
    if _KERNELS is None:
        from numba import njit

        @njit(cache=True, nogil=True)
        def events(x, where, out, start, e, stats):
            n = x.shape[0]
            per_frame = x.shape[1]
            fired = np.zeros((per_frame + 7) // 8 * 8, np.uint8)
            words = fired.view(np.uint64)  # 8 inputs per word: silent ones are skipped
            one, lsbs, shift = np.uint64(1), np.uint64(0x0101010101010101), np.uint64(56)
            peak, lowest = stats[0], stats[1]
            for i in range(start, n):
                if e + per_frame > out.shape[0]:  # full: the caller grows it and resumes
                    stats[0], stats[1] = peak, lowest
                    return i, e
                row = x[i]
                for q in range(per_frame):
                    value = row[q]
                    fired[q] = value != 0
                    peak = max(peak, value)
                    lowest = min(lowest, value)
                for g in range(words.shape[0]):
                    word = words[g]
                    while word != 0:
                        below = (word & (~word + one)) - one
                        q = 8 * g + np.int64(((below & lsbs) * lsbs) >> shift)
                        word &= word - one
                        out[e, 0] = i
                        out[e, 1] = where[q, 0]
                        out[e, 2] = where[q, 1]
                        out[e, 3] = where[q, 2]
                        out[e, 4] = row[q]
                        e += 1
            stats[0], stats[1] = peak, lowest
            return n, e

        @njit(cache=True, nogil=True, fastmath={"contract"})
        def scatter(ev, first, kernel, ystart, ytab, xstart, xtab, shape, current):
            per_channel, per_frame = shape[0], shape[1]
            convert = current.dtype.type
            for e in range(ev.shape[0]):
                y = ev[e, 1]
                x = ev[e, 2]
                s = convert(ev[e, 4])
                frame = (ev[e, 0] - first) * per_frame
                channel = ev[e, 3] * per_channel
                for a in range(ystart[y], ystart[y + 1]):
                    wy = channel + ytab[a, 0]
                    oy = frame + ytab[a, 1]
                    for b in range(xstart[x], xstart[x + 1]):
                        wk = wy + xtab[b, 0]
                        o = oy + xtab[b, 1]
                        length = xtab[b, 2]
                        # views: indices known non-negative, so the loop vectorizes
                        out = current[o:o + length]
                        row = kernel[wk:wk + length]
                        for j in range(length):
                            out[j] += s * convert(row[j])  # int8/int16 weight: exact

        @njit(cache=True, nogil=True)
        def iaf(current, bias, high, low, v, batch, where, events, v_out):
            bins, m = current.shape
            per_frame = bias.shape[0]
            spikes = np.empty(per_frame, v.dtype)
            zero = v.dtype.type(0)
            fired = np.zeros((per_frame + 7) // 8 * 8, np.uint8)
            words = fired.view(np.uint64)  # 8 neurons per word: silent ones are skipped
            one, lsbs, shift = np.uint64(1), np.uint64(0x0101010101010101), np.uint64(56)
            e = 0
            for t in range(bins):
                for b in range(batch):
                    base = b * per_frame
                    vb = v[base:base + per_frame]  # views: the loop vectorizes
                    cb = current[t, base:base + per_frame]
                    for q in range(per_frame):
                        u = vb[q] + cb[q] + bias[q]
                        cb[q] = zero  # ready for the next chunk's scatter
                        s = max(np.floor(u / high), zero)
                        u = max(u - s * high, low)
                        vb[q] = u
                        spikes[q] = s
                        fired[q] = s > zero
                    if v_out.shape[0]:
                        v_out[t, base:base + per_frame] = vb
                    frame = t * batch + b
                    for g in range(words.shape[0]):
                        word = words[g]
                        while word != 0:  # one pass per fired neuron of the word
                            below = (word & (~word + one)) - one  # bits under the lowest set
                            q = 8 * g + np.int64(((below & lsbs) * lsbs) >> shift)  # its byte
                            word &= word - one
                            events[e, 0] = frame
                            events[e, 1] = where[q, 0]
                            events[e, 2] = where[q, 1]
                            events[e, 3] = where[q, 2]
                            events[e, 4] = np.int32(spikes[q])
                            e += 1
            return e

        @njit(cache=True, nogil=True)
        def deposit(ev, pool, offset, out):
            _, c, h, w = out.shape
            for e in range(ev.shape[0]):
                y = ev[e, 1] // pool
                x = ev[e, 2] // pool
                if y < h and x < w:
                    out[offset + ev[e, 0], ev[e, 3], y, x] += ev[e, 4]

        _KERNELS = (events, scatter, iaf, deposit)
    return _KERNELS
