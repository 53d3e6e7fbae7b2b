"""Event-driven 2-d convolution for sparse inputs (spikes), chosen by a cost model.

A spiking layer's input is mostly zero, so instead of im2col and a matrix product
over every window (``kernels.conv``), each nonzero input x[c, i, j] adds
x * W[:, c, ki, kj] to the outputs it reaches: output (oi, oj) with
oi*stride - pad + ki*dilation = i (PyTorch's cross-correlation, as ``kernels.conv``;
groups: input channel c reaches only its group's output channels).  The work is
nnz * kernel * out_channels/groups instead of positions * in_channels * kernel *
out_channels; a sum of the same terms as the reference in another order, so values
agree up to float rounding, like the engine's other products.

Outputs are accumulated channels-last (contiguous over output channels, the inner
loop) and transposed to (C, H, W) at the end.  Rows (step x sample) run in parallel.
"""

from __future__ import annotations

import numba
import numpy as np

SCATTER_COST = 10.0
"""Cost of one scattered multiply-add relative to one inside im2col + numpy's GEMM,
measured (CPU time, one thread, 224 rows of binary input, 3x3 kernels): 8-14 for 16->32
channels on 17x17, 6-18 for 2->16 on 34x34, from 2% to 40% nonzeros; both methods
took the same time at ~10% nonzeros, where this value puts the model's switch."""


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


def conv_sparse(node, x: np.ndarray, call=None) -> np.ndarray:
    """``kernels.conv(node, x)`` for x (N, C, H, W) by scattering its nonzeros;
    ``call(function, *args)`` runs the kernel (the engine's thread choice)."""
    p = node.params
    w = p["weight"]
    wt = p.get("weight_scatter")
    if wt is None:  # (C_in/groups, KH, KW, C_out): the inner loop runs over C_out
        wt = p["weight_scatter"] = np.ascontiguousarray(np.moveaxis(w, 0, -1))
    bias = p["bias"] if p["bias"] is not None else np.zeros(w.shape[0], x.dtype)
    c_out, oh, ow = node.out_shape
    y = np.empty((x.shape[0], oh, ow, c_out), x.dtype)
    (pt, _), (pl, _) = p["padding"]
    (call or (lambda f, *a: f(*a)))(_scatter, np.ascontiguousarray(x), wt, bias.astype(x.dtype), p["stride"][0], p["stride"][1],
             pt, pl, p["dilation"][0], p["dilation"][1], p["groups"], y)
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2))


@numba.njit(cache=True, nogil=True, parallel=True)
def _scatter(x, wt, bias, sh, sw, ph, pw, dh, dw, groups, y):
    n, c_in, h, w = x.shape
    cg, kh, kw, c_out = wt.shape
    og = c_out // groups
    oh, ow = y.shape[1], y.shape[2]
    for r in numba.prange(n):
        for a in range(oh):
            for b in range(ow):
                for o in range(c_out):
                    y[r, a, b, o] = 0.0
        for c in range(c_in):
            g = c // cg
            cc = c - g * cg
            for i in range(h):
                for j in range(w):
                    v = x[r, c, i, j]
                    if v == 0.0:
                        continue
                    for ki in range(kh):
                        ti = i + ph - ki * dh
                        if ti < 0 or ti % sh != 0 or ti // sh >= oh:
                            continue
                        a = ti // sh
                        for kj in range(kw):
                            tj = j + pw - kj * dw
                            if tj < 0 or tj % sw != 0 or tj // sw >= ow:
                                continue
                            b = tj // sw
                            for o in range(g * og, (g + 1) * og):
                                y[r, a, b, o] += v * wt[cc, ki, kj, o]
        for a in range(oh):
            for b in range(ow):
                for o in range(c_out):
                    y[r, a, b, o] += bias[o]


def pool_sum(node, x: np.ndarray, call=None) -> np.ndarray:
    """``kernels.pool(node, x)`` for x (N, C, H, W): window sums in a compiled loop (numpy's
    reduction over a sliding-window view is the slowest step of a spiking CNN), times
    ``scale``; padding counts as zeros.  The window is summed row by row, left to
    right: spike counts are small integers, summed exactly in any order."""
    p = node.params
    c, oh, ow = node.out_shape
    y = np.empty((x.shape[0], c, oh, ow), x.dtype)
    (kh, kw), (sh, sw), ((ph, _), (pw, _)) = p["kernel"], p["stride"], p["padding"]
    (call or (lambda f, *a: f(*a)))(_pool, np.ascontiguousarray(x), kh, kw, sh, sw, ph, pw, y)
    if p["scale"] != 1.0:
        y *= np.asarray(p["scale"], dtype=y.dtype)
    return y


@numba.njit(cache=True, nogil=True, parallel=True)
def _pool(x, kh, kw, sh, sw, ph, pw, y):
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for r in numba.prange(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    y[r, ch, a, b] = 0.0  # summed in y's dtype, as numpy sums
                    for ki in range(kh):
                        i = a * sh - ph + ki
                        if 0 <= i < h:
                            for kj in range(kw):
                                j = b * sw - pw + kj
                                if 0 <= j < w:
                                    y[r, ch, a, b] += x[r, ch, i, j]
