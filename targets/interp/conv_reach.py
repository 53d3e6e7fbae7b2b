"""Where one input event of a 2-d convolution lands: CSR tables of the output rows and
columns each input row and column reaches, for event-driven (scatter) convolutions.

PyTorch's conv2d (cross-correlation, zero padding): input row y reaches output row oy
through kernel row ky where oy * stride - pad + ky * dilation = y, 0 <= ky < KY,
0 <= oy < OH; likewise columns.  An event at (c, y, x) with value s adds
s * W[f, c, ky, kx] to out[f, oy, ox] for every pair of its row and its column.

The scatter accumulates channels-last, (OH, OW, F) per frame, so that the inner loop
is a contiguous run over the output features; the kernel is stored (C, KY, KX, F)
with its kx axis in ``column_order``.  Table entries are premultiplied offsets into
those flat arrays: rows (ky * KX * F, oy * OW * F), columns (place of kx * F, ox * F,
length).  In ``column_order`` the pairs of one input column, consecutive ox, are
adjacent in both arrays (dilation 1), so they merge into one run of length
pairs x F: one contiguous multiply-add per input row and kernel row, not KX.

Used by the fast engine's sparse convolution (fast_conv) and Speck's simulator
(targets/speck/sim.py, whose sources are also sum-pooled on the way: ``pool``).
"""

from __future__ import annotations

import numpy as np


def column_order(k: int, stride: int, dilation: int = 1) -> np.ndarray:
    """The kernel columns kx in stored order: by residue r = kx mod stride, and within a
    residue descending.  An input column x reaches output columns through the kx with
    kx = x + pad (mod stride) only, and as kx grows by the stride its output column
    ox = (x + pad - kx) / stride falls by one: in this order the kx an input column
    uses are adjacent with ox ascending (stride 1: the kernel reversed).  With a
    dilation the columns are kept reversed (runs then do not merge)."""
    if dilation != 1:
        return np.arange(k)[::-1].copy()
    return np.asarray([kx for r in range(stride) for kx in reversed(range(r, k, stride))], np.int64)


def flat_kernel(weight: np.ndarray, stride: int, dilation: int = 1, dtype=None) -> np.ndarray:
    """(F, C, KY, KX) -> flat (C, KY, KX in ``column_order``, F)."""
    w = np.asarray(weight)
    order = column_order(w.shape[3], stride, dilation)
    return np.ascontiguousarray(np.transpose(w, (1, 2, 3, 0))[:, :, order], dtype or w.dtype).reshape(-1)


def reach_tables(kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
                 dilation: tuple[int, int], source_hw: tuple[int, int], out_shape: tuple[int, int, int],
                 pool: int = 1, width: int | None = None):
    """(ystart, ytab, xstart, xtab) over the source's rows and columns (int64).

    ``out_shape`` is (F, OH, OW); ``padding`` the (top, left) zero padding.  A source row
    y0 is the input row y0 // ``pool`` (sum pooling of the source on the way; rows beyond
    the last whole window reach nothing).  ``width``: the run length per position where
    it is not F (grouped convolutions: a group's F / groups output channels), which
    keeps every position its own run."""
    f, oh, ow = out_shape
    (kh, kw), (sy, sx), (py, px), (dy, dx) = kernel, stride, padding, dilation
    rows, cols = source_hw[0] // pool, source_hw[1] // pool
    ystart, ytab = [0], []
    for y0 in range(source_hw[0]):
        y = y0 // pool
        for ky in range(kh if y < rows else 0):
            oy, rem = divmod(y + py - ky * dy, sy)
            if rem == 0 and 0 <= oy < oh:
                ytab.append((ky * kw * f, oy * ow * f))
        ystart.append(len(ytab))
    place = np.argsort(column_order(kw, sx, dx))
    run = width or f
    xstart, xtab = [0], []
    for x0 in range(source_hw[1]):
        x = x0 // pool
        runs: list[list[int]] = []
        for kx in reversed(range(kw if x < cols else 0)):  # ox ascending
            ox, rem = divmod(x + px - kx * dx, sx)
            if rem == 0 and 0 <= ox < ow:
                w, o = int(place[kx]) * f, ox * f
                if (width is None and runs and runs[-1][0] + runs[-1][2] == w
                        and runs[-1][1] + runs[-1][2] == o):
                    runs[-1][2] += f
                else:
                    runs.append([w, o, run])
        xtab += runs
        xstart.append(len(xtab))
    return (np.asarray(ystart, np.int64), np.asarray(ytab, np.int64).reshape(-1, 2),
            np.asarray(xstart, np.int64), np.asarray(xtab, np.int64).reshape(-1, 3))


def positions(shape: tuple[int, int, int], channels_last: bool) -> np.ndarray:
    """(y, x, channel) int32 of each position of a frame in memory order: (h, w, f) for
    ``channels_last``, else (f, h, w) for ``shape`` = (f, h, w)."""
    f, h, w = shape
    if channels_last:
        return np.ascontiguousarray(np.indices((h, w, f)).reshape(3, -1).T, np.int32)
    return np.ascontiguousarray(np.indices((f, h, w)).reshape(3, -1).T[:, [1, 2, 0]], np.int32)


def position_plan(ystart: np.ndarray, ytab: np.ndarray, xstart: np.ndarray, xtab: np.ndarray):
    """The reach tables flattened per input position: (start, plan), where the runs of
    position p = y * W + x (W the columns of ``xstart``) are plan[start[p]:start[p + 1]],
    each (kernel offset, output offset, length): every (row pair, column run) of y and x
    with their offsets added.  One loop per event instead of two nested ones."""
    rows, cols = len(ystart) - 1, len(xstart) - 1
    yn, xn = np.diff(ystart), np.diff(xstart)
    counts = np.outer(yn, xn).reshape(-1)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    # for each position, its rows' entries x its columns' entries, rows outer
    ya = np.repeat(np.arange(rows), cols)
    xa = np.tile(np.arange(cols), rows)
    pos = np.repeat(np.arange(rows * cols), counts)
    k = np.arange(int(start[-1])) - start[pos]  # index within the position's runs
    a = ystart[ya[pos]] + k // xn[xa[pos]]
    b = xstart[xa[pos]] + k % xn[xa[pos]]
    plan = np.stack([ytab[a, 0] + xtab[b, 0], ytab[a, 1] + xtab[b, 1], xtab[b, 2]], axis=1)
    return start, np.ascontiguousarray(plan, np.int64).reshape(-1, 3)
