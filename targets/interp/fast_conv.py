"""Event-driven 2-d convolution for sparse inputs (spikes), chosen by a cost model.

A spiking layer's input is mostly zero, so instead of im2col and a matrix product
over every window (``kernels.conv``), each nonzero input x[c, i, j] adds
x * W[:, c, ki, kj] to the outputs it reaches: output (oi, oj) with
oi*stride - pad + ki*dilation = i (PyTorch's cross-correlation, as ``kernels.conv``;
groups: input channel c reaches only its group's output channels).  The work is
nnz * kernel * out_channels/groups instead of positions * in_channels * kernel *
out_channels; a sum of the same terms as the reference in another order, so values
agree up to float rounding, like the engine's other products.

Per row (step x sample; rows in parallel): the nonzeros are found 64 inputs per test
(bits.py), each is scattered through the reach tables of
``conv_reach`` into a channels-last (OH, OW, C_out) accumulator that stays in cache
(one contiguous run per kernel row for stride and dilation 1 groups 1), which is then
written transposed, plus the bias, into the (C_out, OH, OW) output.
"""

from __future__ import annotations

import numba
import numpy as np

from .bits import flags64, lowest_set, padded
from .conv_reach import flat_kernel, positions, reach_tables
from .threads import twin

SCATTER_COST = 3.0
"""Cost of one scattered multiply-add relative to one inside im2col + numpy's GEMM,
measured (one thread, 224 rows of the bench CNN's layer inputs, 3x3 kernels): 2.8-4.0
for 2->16 channels on 34x34 at 10% nonzeros (the per-row transposition of the output
weighs more there), 1.2 for 16->32 on 17x17 at 23%; the scatter took 0.27-0.3 of the
im2col + GEMM time on both."""


def sparse_cost(node, nonzero: int) -> float:
    """Multiply-adds of the scatter for ``nonzero`` active inputs (times SCATTER_COST)."""
    w = node.params["weight"]
    return SCATTER_COST * nonzero * float(np.prod(w.shape[2:])) * (w.shape[0] / node.params["groups"])


def dense_cost(node, rows: int) -> float:
    """Multiply-adds of im2col + GEMM for ``rows`` samples."""
    w = node.params["weight"]
    return rows * float(np.prod(node.out_shape[1:])) * float(np.prod(w.shape))


def supported(node) -> bool:
    return node.params["weight"].ndim == 4


def conv_sparse(node, x: np.ndarray, call=None, pool=None, alloc=np.empty) -> np.ndarray:
    """``kernels.conv(node, x)`` for x (N, C, H, W) by scattering its nonzeros;
    ``call(function, *args)`` runs the kernel (the engine's thread choice).  With
    ``pool`` (a sum-pooling node, kernel = stride, no padding, scale 1: see
    ``fusable_pool``), x is the pooling's input: each row is pooled in cache on the way,
    the pooled map is never written out.  ``alloc(shape, dtype)`` gives the output array
    (the engine's buffers, reused from chunk to chunk)."""
    p = node.params
    w = p["weight"]
    prepared = p.get("scatter_tables")
    if prepared is None or prepared[0] != x.dtype:
        c_out, groups = w.shape[0], p["groups"]
        (pt, _), (pl, _) = p["padding"]
        tables = reach_tables(w.shape[2:], p["stride"], (pt, pl), p["dilation"], node.in_shape[1:],
                              node.out_shape, 1, None if groups == 1 else c_out // groups)
        bias = p["bias"] if p["bias"] is not None else np.zeros(c_out)
        prepared = p["scatter_tables"] = (
            x.dtype, flat_kernel(w, p["stride"][1], p["dilation"][1], x.dtype),
            np.asarray(bias, x.dtype), positions(node.in_shape, False), *tables)
    k = 1 if pool is None else int(pool.params["kernel"][0])
    geometry = np.asarray((*(node.in_shape if pool is None else pool.in_shape), k), np.int64)
    y = alloc((x.shape[0], *node.out_shape), x.dtype)
    rows = np.ascontiguousarray(x).reshape(x.shape[0], -1)
    groups = (np.int64(w.shape[1]), np.int64(w.shape[0] // p["groups"]))
    (call or (lambda f, *a: f(*a)))(_scatter, rows, *prepared[1:], *groups, geometry,
                                    y.reshape(x.shape[0], node.out_shape[0], -1))
    return y


def fusable_pool(pool) -> bool:
    """Whether a pooling node can be read through by the scatter: square sum pooling
    (scale 1) with kernel = stride and no padding (each input in one window, rows and
    columns beyond the last whole window dropped, as ``kernels.pool``)."""
    if pool.kind != "pool":
        return False
    p = pool.params
    (kh, kw), (sh, sw) = p["kernel"], p["stride"]
    return (p["scale"] == 1.0 and kh == kw == sh == sw
            and all(a == b == 0 for a, b in p["padding"]))


BLOCK = 16  # rows per task of the parallel loop (one accumulator each)


@numba.njit(cache=True, nogil=True, parallel=True)
def _scatter(x, kernel, bias, where, ystart, ytab, xstart, xtab, cg, og, pool, y):
    n = x.shape[0]
    for blk in numba.prange((n + BLOCK - 1) // BLOCK):
        _scatter_rows(x, kernel, bias, where, ystart, ytab, xstart, xtab, cg, og, pool, y,
                      blk * BLOCK, min(n, blk * BLOCK + BLOCK))


@numba.njit(cache=True, nogil=True)
def _scatter_serial(x, kernel, bias, where, ystart, ytab, xstart, xtab, cg, og, pool, y):
    """``_scatter`` on the calling thread (its one-thread twin: threads.twin)."""
    _scatter_rows(x, kernel, bias, where, ystart, ytab, xstart, xtab, cg, og, pool, y, 0,
                  x.shape[0])


twin(_scatter, _scatter_serial)


@numba.njit(cache=True, nogil=True)
def _scatter_rows(x, kernel, bias, where, ystart, ytab, xstart, xtab, cg, og, pool, y, r0, r1):
    """Rows r0..r1 of ``_scatter``: a function of its own, not the parallel loop's body,
    which numba compiles without some of the optimizations (measured: 8.2 vs 6.4 ms for
    224 rows of the bench CNN's first layer on one thread).  ``pool`` (C, H, W, k) of
    a sum pooling read through (k > 1; x holds its input): each row is first pooled into
    a buffer in cache, whose nonzeros are scattered (summing a window's events first,
    not scattering each: measured 72 -> 58 ns per input event on the bench CNN)."""
    c_in, height, width, k = pool[0], pool[1], pool[2], pool[3]
    ph, pw = height // k, width // k
    per_row = c_in * ph * pw if k > 1 else x.shape[1]
    pooled = np.empty(per_row if k > 1 else 0, x.dtype)
    c_out, hw = y.shape[1], y.shape[2]
    per_channel = kernel.shape[0] // cg  # KY * KX * C_out
    acc = np.empty(hw * c_out, x.dtype)
    fired = np.zeros(padded(per_row), np.uint8)
    words = fired.view(np.uint64)
    for r in range(r0, r1):
        acc[:] = 0.0
        row = x[r]
        if k > 1:  # window sums (in the order (ki, kj) as kernels.pool)
            plane = row.reshape((c_in, height, width))
            for c in range(c_in):
                for a in range(ph):
                    out_row = pooled[(c * ph + a) * pw:(c * ph + a + 1) * pw]
                    out_row[:] = 0.0
                    for ki in range(k):
                        src = plane[c, a * k + ki]
                        for kj in range(k):  # strided loads over b: vectorizes
                            for b in range(pw):
                                out_row[b] += src[b * k + kj]
            row = pooled
        for q in range(per_row):
            fired[q] = row[q] != 0.0
        for g in range(words.shape[0] // 8):
            word = flags64(words, g)  # 64 inputs per test (bits.py)
            while word != 0:  # one pass per nonzero input
                q = 64 * g + lowest_set(word)
                word &= word - np.uint64(1)
                s = row[q]
                c = np.int64(where[q, 2])
                group = c // cg
                wc = (c - group * cg) * per_channel + group * og
                for a in range(ystart[where[q, 0]], ystart[where[q, 0] + 1]):
                    wy = wc + ytab[a, 0]
                    oy = group * og + ytab[a, 1]
                    for b in range(xstart[where[q, 1]], xstart[where[q, 1] + 1]):
                        length = xtab[b, 2]
                        out = acc[oy + xtab[b, 1]:oy + xtab[b, 1] + length]  # views: vectorizes
                        weights = kernel[wy + xtab[b, 0]:wy + xtab[b, 0] + length]
                        for j in range(length):
                            out[j] += s * weights[j]
        yr = y[r]
        for p in range(hw):  # transposed to (C_out, OH * OW), plus the bias
            a_p = acc[p * c_out:(p + 1) * c_out]
            for o in range(c_out):
                yr[o, p] = a_p[o] + bias[o]


def pool_sum(node, x: np.ndarray, call=None, alloc=np.empty) -> np.ndarray:
    """``kernels.pool(node, x)`` for x (N, C, H, W): window sums in a compiled loop (numpy's
    reduction over a sliding-window view is the slowest step of a spiking CNN), times
    ``scale``; padding counts as zeros.  The window is summed row by row, left to
    right: spike counts are small integers, summed exactly in any order."""
    p = node.params
    c, oh, ow = node.out_shape
    y = alloc((x.shape[0], c, oh, ow), x.dtype)
    (kh, kw), (sh, sw), ((ph, _), (pw, _)) = p["kernel"], p["stride"], p["padding"]
    (call or (lambda f, *a: f(*a)))(_pool, np.ascontiguousarray(x), kh, kw, sh, sw, ph, pw, y)
    if p["scale"] != 1.0:
        y *= np.asarray(p["scale"], dtype=y.dtype)
    return y


@numba.njit(cache=True, nogil=True, parallel=True)
def _pool(x, kh, kw, sh, sw, ph, pw, y):
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    inside = pw == 0 and (ow - 1) * sw + kw <= w  # no column window leaves the row
    for r in numba.prange(n):
        for ch in range(c):
            xc, yc = x[r, ch], y[r, ch]  # row views: the loops over b vectorize
            for a in range(oh):
                yrow = yc[a]
                for b in range(ow):
                    yrow[b] = 0.0  # summed in y's dtype, as numpy sums
                for ki in range(kh):  # each window in the order (ki, kj), as before
                    i = a * sh - ph + ki
                    if 0 <= i < h:
                        xrow = xc[i]
                        if inside:
                            for b in range(ow):
                                total = yrow[b]
                                for kj in range(kw):
                                    total += xrow[b * sw + kj]
                                yrow[b] = total
                            continue
                        for b in range(ow):
                            total = yrow[b]
                            for kj in range(kw):
                                j = b * sw - pw + kj
                                if 0 <= j < w:
                                    total += xrow[j]
                            yrow[b] = total
