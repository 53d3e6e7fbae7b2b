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
W[:, c, ky, kx] to the neurons its pooled position reaches (a plan per layer and source
lists per source position the runs (kernel offset, output offset, length) it reaches:
one per kernel row, contiguous over the output columns and features; a Linear head,
whose kernel covers its input map, is the same loop with one output position).  Because
the layers form a DAG (no edge back to an earlier core), a layer's input for a run of
bins is known once its sources have done those bins: time goes in chunks of bins and per
chunk each layer goes frame by frame (t * batch + b): the frame's events are scattered
into a one-frame current (in cache), then the frame's neurons are scanned (v carried)
and their spikes appended to the layer's events for the next layers.  A layer with
several sources has the others' events scattered first into a chunk-wide current.  The
cost grows with the events, never with the map size.  numba loops; threads split the
batch (``simulate``).

Exactness: currents and v are integers, int16, int32 or int64 per layer, the smallest
that a bound holds (largest source count x pooling window x largest sum of |W| of a
neuron + |b| + the larger of |threshold_low| and threshold_high, which bound v before
the bin), so no sum overflows in any order; n = v // threshold is exact.  sinabs holds v
in float32 without a 16-bit saturation, exact while |v| < 2^24; this model equals it
there (the chip's and sinabs' values agree in that range too).
"""

from __future__ import annotations

import numpy as np

from nirc.targets.interp.conv_reach import flat_kernel, position_plan, positions, reach_tables

from .network import SpeckNetwork

CHUNK = 1 << 18  # neuron-bins of the largest layer per chunk of time (its events stay in cache)


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
    if raster.dtype.kind not in "iu":
        raster = raster.astype(np.int64)
    steps, batch = raster.shape[:2]
    raster = np.ascontiguousarray(raster).reshape(steps, batch, -1)
    parts = min(available(threads), batch, cores())
    if threads is None:
        busy = busy_cores()
        parts = min(parts, max(1, cores() - (busy or 0)))
    if steps * batch * sum(int(np.prod(layer.out_shape)) for layer in net.layers) < SPLIT_WORK:
        parts = 1
    if parts <= 1:
        return _simulate(net, raster, record, 0, batch)
    from concurrent.futures import ThreadPoolExecutor

    bounds = np.linspace(0, batch, parts + 1).astype(int)
    with ThreadPoolExecutor(parts) as pool:
        results = list(pool.map(lambda a, b: _simulate(net, raster, record, a, b),
                                bounds[:-1], bounds[1:]))
    return {key: np.concatenate([r[key] for r in results], axis=1) for key in results[0]}


ZERO, ONE = np.int64(0), np.int64(1)

MERGE = 8.0
"""A pooled source's events are summed per window and channel first (fewer scatters: the
events of one window and channel become one) where the windows x channels are at most
MERGE x its events per frame: the scan of the sums costs ~0.2 ns per entry, the sum ~3 ns
per event, a scatter saved 20-30 ns (cnn_sinabs, one thread: the layer after the 2 x 2
pooling 15.3 -> 13.6 ms, the Linear head after it 9.7 -> 6.6 ms)."""

SPLIT_WORK = 1 << 22
"""Neuron-bins of a run below which it is not split over threads (~5 ms of work)."""


def _simulate(net: SpeckNetwork, raster: np.ndarray, record: bool, b0: int,
              b1: int) -> dict[str, np.ndarray]:
    """``simulate`` of samples b0 to b1 of ``raster`` (T, B, prod: integers, C order) on
    one thread (the part is read in place: no copy)."""
    k_events, k_scatter, k_layer, k_deposit = _kernels()
    steps, batch = raster.shape[0], b1 - b0
    input_events, peak, lowest = _input_events(k_events, raster, b0, b1,
                                               positions(net.input_shape, False))
    if lowest < 0:
        raise ValueError(f"input event counts must not be negative (found {lowest})")
    int_types = _int_types(net, peak)
    largest = max(batch * int(np.prod(layer.out_shape)) for layer in net.layers)
    chunk = max(1, min(steps, CHUNK // largest))
    frames = chunk * batch
    layers = net.layers
    sizes = [int(np.prod(layer.out_shape)) for layer in layers]
    kernels = [_flat_kernel(layer.weight, layer.stride[1], it) for layer, it in zip(layers, int_types)]
    listed = [net.sources(k) for k in range(len(layers))]  # (source, pooling) per layer
    plans = [[_plan(layer, net.input_shape if src < 0 else layers[src].out_shape, pool)
              for src, pool in listed[k]] for k, layer in enumerate(layers)]
    biases = [np.tile(np.asarray(layer.bias, it), layer.out_shape[1] * layer.out_shape[2])
              for layer, it in zip(layers, int_types)]  # one frame's (h, w, f)
    wheres = [positions(layer.out_shape, True) for layer in layers]
    v = [np.zeros(batch * m, it) for m, it in zip(sizes, int_types)]
    # one frame's current where a layer has one source (scattered and scanned frame by
    # frame, in cache), else the chunk's (the other sources are scattered first)
    currents = [np.zeros((frames if len(plans[k]) > 1 else 1, m), it)
                for k, (m, it) in enumerate(zip(sizes, int_types))]
    # rows (frame, y, x, channel, count): at most one per neuron and bin (pages are
    # touched only as events are written)
    events = [np.empty((frames * m, 5), np.int32) for m in sizes]
    output = np.zeros((steps * batch, *net.output_shape), np.int64)
    s_rec = [np.zeros((steps * batch, *layer.out_shape), np.int64) for layer in layers] if record else []
    v_rec = [np.empty((steps, vk.shape[0]), vk.dtype) for vk in v] if record else []
    chunk_starts = np.searchsorted(np.ascontiguousarray(input_events[:, 0]),
                                   np.arange(0, steps + chunk, chunk) * batch)
    # per layer its sources and the arguments that do not change between chunks
    sources = [[src for src, _ in pairs] for pairs in listed]
    pools = [pairs[0][1] for pairs in listed]
    windows = [_windows(net.input_shape if sources[k][0] < 0 else layers[sources[k][0]].out_shape,
                        pools[k], plans[k][0][3]) for k in range(len(layers))]
    fixed = [((kernels[k], *plans[k][0], windows[k]),
              (currents[k], biases[k], it(layer.threshold_high), it(layer.threshold_low), v[k]),
              (np.int64(batch), wheres[k], events[k]))
             for k, (layer, it) in enumerate(zip(layers, int_types))]
    no_v = [vk[:0].reshape(0, 0) for vk in v]
    outputs = [(src, np.int64(pool)) for src, pool in net.output_sources()]
    output_maps = output.reshape(steps * batch, *_map_shape(net.output_shape))
    for c, t0 in enumerate(range(0, steps, chunk)):
        bins = np.int64(min(chunk, steps - t0))
        frame0 = np.int64(t0 * batch)
        firsts = {-1: frame0}  # input events keep their global frame, layers' start at 0
        found = {-1: input_events[chunk_starts[c]:chunk_starts[c + 1]]}
        for k in range(len(layers)):
            src, *others = sources[k]
            for other, plan in zip(others, plans[k][1:]):
                k_scatter(found[other], firsts.get(other, ZERO), kernels[k], *plan, currents[k])
            before, state, after = fixed[k]
            # sum each pooling window's events first where the windows are few for the
            # events (cnn_sinabs: 22% and 41% fewer scatters after its two poolings)
            merging = pools[k] > 1 and windows[k][3].size <= MERGE * len(found[src]) / (bins * batch)
            count = k_layer(found[src], firsts.get(src, ZERO), *before, merging, *state, bins,
                            *after, v_rec[k][t0:t0 + bins] if record else no_v[k])
            found[k] = events[k][:count]
            if record:
                k_deposit(found[k], ONE, frame0, s_rec[k])
        for src, pool in outputs:
            k_deposit(found[src], pool, frame0, output_maps)
    result = {"output": output.reshape(steps, batch, *net.output_shape)}
    for k, layer in enumerate(layers if record else []):
        f, h, w = layer.out_shape
        result[f"s{k}"] = s_rec[k].reshape(steps, batch, f, h, w)
        result[f"v{k}"] = np.moveaxis(v_rec[k].reshape(steps, batch, h, w, f), -1, 2).astype(np.int64)
    return result


def _input_events(k_events, raster: np.ndarray, b0: int, b1: int, where: np.ndarray):
    """The input's events of samples b0 to b1 of ``raster`` (T, B, prod), frame by frame
    (t * (b1 - b0) + b - b0), all bins at once, and the largest and smallest count, in one
    pass over the raster (the buffer grows and the kernel resumes where it stopped)."""
    steps, _, per_frame = raster.shape
    n = steps * (b1 - b0)
    out = np.empty((max(per_frame, n * per_frame // 16), 5), np.int32)
    stats = np.zeros(2, raster.dtype)
    start, count = 0, 0
    while True:
        start, count = k_events(raster, np.int64(b0), np.int64(b1), where, out, start, count, stats)
        if start == n:
            return out[:count], int(stats[0]), int(stats[1])
        grown = np.empty((2 * out.shape[0] + per_frame, 5), np.int32)
        grown[:count] = out[:count]
        out = grown


def _int_types(net: SpeckNetwork, peak: int) -> list:
    """Per layer the smallest integer type (int16, int32, int64) that holds every current
    and v (see the module docstring), from the largest input count ``peak``; ValueError
    where counts or sums leave 32-bit counts or 64-bit integers."""
    if peak >= 2 ** 31:
        raise ValueError(f"input event counts up to {peak} do not fit 32 bits")
    int_types, peaks = [], []
    for k, layer in enumerate(net.layers):
        high = int(layer.threshold_high)
        if high <= 0:
            raise ValueError(f"layer '{layer.name}': threshold_high {high} is not positive")
        reach = sum((peak if src == -1 else peaks[src]) * pool * pool for src, pool in net.sources(k))
        f = layer.out_shape[0]
        w_abs = int(np.abs(np.asarray(layer.weight, np.int64)).reshape(f, -1).sum(axis=1).max(initial=0))
        bound = reach * w_abs + int(np.abs(np.asarray(layer.bias, np.int64)).max(initial=0))
        total = bound + max(high, abs(int(layer.threshold_low)))  # with v before the bin
        if total >= 2 ** 63:
            raise ValueError(f"layer '{layer.name}': sums up to {total} do not fit 64 bits")
        int_types.append(np.int16 if total < 2 ** 15 else np.int32 if total < 2 ** 31 else np.int64)
        peaks.append((bound + high) // high)
        if peaks[-1] >= 2 ** 31:
            raise ValueError(f"layer '{layer.name}': spike counts up to {peaks[-1]} do not fit 32 bits")
    return int_types


def _map_shape(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The output's (C, H, W) (a flat output is C x 1 x 1)."""
    return tuple(shape) if len(shape) == 3 else (int(np.prod(shape)), 1, 1)


def _plan(layer, source_shape, pool: int):
    """The reach of one source's events into ``layer`` per source position
    (targets/interp/conv_reach.py, pooling included: the scatter needs no division per
    event): (start, plan, the source's columns, the kernel's channel stride KY * KX * F)."""
    f, _, _ = layer.out_shape
    k = layer.kernel
    tables = reach_tables((k, k), layer.stride, layer.padding, (1, 1), source_shape[1:],
                          layer.out_shape, pool)
    return (*position_plan(*tables), np.int64(source_shape[2]), np.int64(k * k * f))


def _windows(source_shape, pool: int, per_channel: np.int64):
    """What a layer needs to sum its source's events per pooling window and channel
    before scattering them: (window, position, channel offset, sums).  window (H * W) is
    the window index of each source position y * W + x (-1 beyond the last whole
    window); per window and channel m = window * C + c, the source position of the
    window's first corner (its plan is every position's of the window) and the kernel's
    channel offset c * per_channel; sums (windows, C) int64, zero.  Empty with pool 1."""
    c, h, w = source_shape
    if pool == 1:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, np.zeros((0, 1), np.int64)
    rows, cols = h // pool, w // pool
    y, x = np.divmod(np.arange(h * w), w)
    window = np.where((y // pool < rows) & (x // pool < cols), (y // pool) * cols + x // pool, -1)
    wy, wx = np.divmod(np.arange(rows * cols), cols)
    corner = np.repeat(wy * pool * w + wx * pool, c)
    channel = np.tile(np.arange(c) * per_channel, rows * cols)
    return (window.astype(np.int64), corner.astype(np.int64), channel.astype(np.int64),
            np.zeros((rows * cols, c), np.int64))


def _flat_kernel(weight: np.ndarray, stride: int, dtype) -> np.ndarray:
    """conv_reach.flat_kernel, held in int8 where the weights fit (Speck's are 8-bit),
    else int16, else ``dtype``: a Linear head's kernel (4096 x 256 on cnn_sinabs) then
    stays in the core's cache; the scatter widens each weight to ``dtype``."""
    w = np.asarray(weight)
    for small in (np.int8, np.int16):
        if w.size == 0 or (w.min() >= np.iinfo(small).min and w.max() <= np.iinfo(small).max):
            dtype = small
            break
    return flat_kernel(w, stride, 1, dtype)


_KERNELS = None


def _kernels():
    """(events, scatter, layer, deposit), compiled by numba on first use.

    events(x, b0, b1, where, out, start, e, stats): from frame ``start`` on (frame
    t * (b1 - b0) + b - b0 is x[t, b]), the nonzero counts of samples b0 to b1 of x
    (T, B, C * H * W) as rows (frame, y, x, c, count) of ``out`` from row e on, (y, x, c)
    of each position from ``where``, 64 positions per test (as in layer); stats (largest,
    smallest count) updated.  Stops before a frame that might not fit; returns (the
    next frame, the rows written).

    scatter(events, first, kernel, start, plan, columns, per_channel, current): each event
    (first + i, y, x, c, s) adds s * W[:, c, ky, kx] to current[i, oy, ox, :] for every
    run (kernel offset, output offset, length) of its position y * columns + x
    (``_plan``, pooling included: a run covers an event's output columns of one kernel
    row); the kernel's channel c starts at c * per_channel.

    layer(events, first, kernel, start, plan, columns, per_channel, current, bias, high,
    low, v, bins, batch, where, out, v_out): one layer over the chunk's bins, frame by
    frame (t * batch + b): the frame's events scattered as in scatter into its row of
    ``current`` (row 0 where current has one row: it then stays in cache), then the
    neuron scan (the module docstring's update; one vectorized pass that adds current
    and bias, zeroes the current it read and flags the neurons at or above threshold,
    then per flagged neuron its spikes, subtraction and lower bound, appended as event
    rows to ``out``, 64 flags per test, (y, x, c) from ``where``); v carried in
    and out; with a non-empty ``v_out`` (bins, m) also v after each bin.  Returns the
    number of events written.

    deposit(events, pool, offset, out): out[offset + i, c, y // pool, x // pool] += s
    (sum pooling of spike counts into a dense (N, C, H, W), dropping beyond whole
    windows)."""
    global _KERNELS
    if _KERNELS is None:
        from numba import njit

        from nirc.targets.interp.bits import flags64, lowest_set, padded

        @njit(cache=True, nogil=True)
        def events(x, b0, b1, where, out, start, e, stats):
            part = b1 - b0
            n = x.shape[0] * part
            per_frame = x.shape[2]
            fired = np.zeros(padded(per_frame), np.uint8)
            words = fired.view(np.uint64)
            peak, lowest = stats[0], stats[1]
            for i in range(start, n):
                if e + per_frame > out.shape[0]:  # full: the caller grows it and resumes
                    stats[0], stats[1] = peak, lowest
                    return i, e
                row = x[i // part, b0 + i % part]
                for q in range(per_frame):
                    value = row[q]
                    fired[q] = value != 0
                    peak = max(peak, value)
                    lowest = min(lowest, value)
                for g in range(words.shape[0] // 8):
                    word = flags64(words, g)  # 64 inputs per test: silent ones are skipped
                    while word != 0:
                        q = 64 * g + lowest_set(word)
                        word &= word - np.uint64(1)
                        out[e, 0] = i
                        out[e, 1] = where[q, 0]
                        out[e, 2] = where[q, 1]
                        out[e, 3] = where[q, 2]
                        out[e, 4] = row[q]
                        e += 1
            stats[0], stats[1] = peak, lowest
            return n, e

        @njit(inline="always")
        def add_event(s, p, channel, kernel, start, plan, row):
            """s x the kernel's channel (from offset ``channel``) added to one frame's
            current ``row`` along the runs of source position p."""
            convert = row.dtype.type
            s = convert(s)
            for r in range(start[p], start[p + 1]):
                wk = channel + plan[r, 0]
                o = plan[r, 1]
                length = plan[r, 2]
                # views: indices known non-negative, so the loop vectorizes
                out = row[o:o + length]
                weights = kernel[wk:wk + length]
                for j in range(length):
                    out[j] += s * convert(weights[j])  # int8/int16 weight widened

        @njit(inline="always")
        def add_events(ev, i, n, frame, first, kernel, start, plan, columns, per_channel, row):
            """Events i... of ``frame`` added to ``row``; returns the next event."""
            while i < n and ev[i, 0] - first == frame:
                add_event(ev[i, 4], ev[i, 1] * columns + ev[i, 2], ev[i, 3] * per_channel,
                          kernel, start, plan, row)
                i += 1
            return i

        @njit(cache=True, nogil=True)
        def scatter(ev, first, kernel, start, plan, columns, per_channel, current):
            i, n = 0, ev.shape[0]
            while i < n:
                frame = ev[i, 0] - first
                i = add_events(ev, i, n, frame, first, kernel, start, plan, columns, per_channel,
                               current[frame])

        @njit(cache=True, nogil=True)
        def layer(ev, first, kernel, start, plan, columns, per_channel, windows, merging, current,
                  bias, high, low, v, bins, batch, where, out, v_out):
            window, pos_of, channel_of, sums = windows
            channels = sums.shape[1]
            counts = sums.reshape(-1)
            cell_flags = np.zeros(padded(counts.shape[0]), np.uint8)
            cell_words = cell_flags.view(np.uint64)
            per_frame = bias.shape[0]
            convert = v.dtype.type
            zero = convert(0)
            fired = np.zeros(padded(per_frame), np.uint8)
            words = fired.view(np.uint64)
            e, i, n = 0, 0, ev.shape[0]
            for t in range(bins):
                for b in range(batch):
                    frame = t * batch + b
                    cb = current[frame if current.shape[0] > 1 else 0]
                    if not merging:
                        i = add_events(ev, i, n, frame, first, kernel, start, plan, columns,
                                       per_channel, cb)
                    else:  # the events of each pooling window and channel summed first
                        while i < n and ev[i, 0] - first == frame:
                            w = window[ev[i, 1] * columns + ev[i, 2]]
                            if w >= 0:
                                counts[w * channels + ev[i, 3]] += ev[i, 4]
                            i += 1
                        for m in range(counts.shape[0]):
                            cell_flags[m] = counts[m] != 0
                        for g in range(cell_words.shape[0] // 8):
                            word = flags64(cell_words, g)
                            while word != 0:
                                m = 64 * g + lowest_set(word)
                                word &= word - np.uint64(1)
                                add_event(counts[m], pos_of[m], channel_of[m], kernel, start,
                                          plan, cb)
                                counts[m] = 0
                    base = b * per_frame
                    vb = v[base:base + per_frame]  # views: the loop vectorizes
                    for q in range(per_frame):
                        u = convert(vb[q] + cb[q] + bias[q])  # in v's type: no overflow
                        cb[q] = zero  # ready for the next frame's events
                        above = u >= high
                        vb[q] = u if above else max(u, low)
                        fired[q] = above
                    for g in range(words.shape[0] // 8):
                        word = flags64(words, g)  # 64 neurons per test: silent ones are skipped
                        while word != 0:  # one pass per fired neuron
                            q = 64 * g + lowest_set(word)
                            word &= word - np.uint64(1)
                            u = vb[q]
                            s = convert(u // high)  # MultiSpike: u >= high > 0
                            vb[q] = convert(max(u - s * high, low))
                            out[e, 0] = frame
                            out[e, 1] = where[q, 0]
                            out[e, 2] = where[q, 1]
                            out[e, 3] = where[q, 2]
                            out[e, 4] = np.int32(s)
                            e += 1
                    if v_out.shape[0]:
                        v_out[t, base:base + per_frame] = vb
            return e

        @njit(cache=True, nogil=True)
        def deposit(ev, pool, offset, out):
            _, c, h, w = out.shape
            for e in range(ev.shape[0]):
                y = ev[e, 1] // pool
                x = ev[e, 2] // pool
                if y < h and x < w:
                    out[offset + ev[e, 0], ev[e, 3], y, x] += ev[e, 4]

        _KERNELS = (events, scatter, layer, deposit)
    return _KERNELS
