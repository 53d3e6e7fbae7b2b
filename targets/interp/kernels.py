"""Numpy kernels of the time-independent (synaptic) node kinds, on a batch.

Every kernel takes ``x`` of shape (N, *in_shape), N samples (a batch, or a batch of
several time steps at once), and returns (N, *out_shape); parameters come from a
``plan.Node``.  Convolution and pooling follow PyTorch's definitions (which NIR
adopts): cross-correlation, zero padding, output size
floor((in + pad_before + pad_after - dilation*(k-1) - 1) / stride) + 1.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def dense(node, x: np.ndarray) -> np.ndarray:
    """y = x @ W^T + b on the last axis (W is (out, in), NIR's layout); a batched weight
    (..., out, in) multiplies each position of the leading axes with its own matrix,
    y[..., o] = sum_i W[..., o, i] x[..., i] (as NIR's Affine, ``W @ x``, broadcasts)."""
    p = node.params
    if p["weight"].ndim > 2:
        y = np.matmul(p["weight"], x[..., None])[..., 0]
        if p["bias"] is not None:
            y = y + p["bias"]
        return y
    wt = p.get("weight_t")
    if wt is None:
        wt = p["weight_t"] = np.ascontiguousarray(p["weight"].T)
    y = x @ wt
    if p["bias"] is not None:
        y += p["bias"]
    return y


def windows(x: np.ndarray, kernel, stride, padding, dilation) -> np.ndarray:
    """(N, C, *S) -> view (N, C, *O, *K) of the padded input under each window."""
    nd = len(kernel)
    if any(b or a for b, a in padding):
        x = np.pad(x, [(0, 0), (0, 0), *padding])
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    v = sliding_window_view(x, span, axis=tuple(range(2, 2 + nd)))
    select = (slice(None), slice(None), *(slice(None, None, s) for s in stride),
              *(slice(None, None, d) for d in dilation))
    return v[select]


def conv(node, x: np.ndarray) -> np.ndarray:
    """Grouped N-d convolution (cross-correlation) as one matrix product per group."""
    p = node.params
    w = p["weight"]
    nd = w.ndim - 2
    groups = p["groups"]
    win = windows(x, w.shape[2:], p["stride"], p["padding"], p["dilation"])
    n, c = win.shape[:2]
    out_sp = win.shape[2:2 + nd]
    cg, og = c // groups, w.shape[0] // groups
    y = np.empty((n, w.shape[0], *out_sp), dtype=np.result_type(x, w))
    for g in range(groups):
        xg = win[:, g * cg:(g + 1) * cg]
        # (N, *O, Cg, *K) -> (N*prod(O), Cg*prod(K))
        cols = np.moveaxis(xg, 1, 1 + nd).reshape(n * int(np.prod(out_sp)), -1)
        wg = w[g * og:(g + 1) * og].reshape(og, -1)
        yg = (cols @ wg.T).reshape(n, *out_sp, og)
        y[:, g * og:(g + 1) * og] = np.moveaxis(yg, -1, 1)
    if p["bias"] is not None:
        y += p["bias"].reshape(-1, *([1] * nd))
    return y


def pool(node, x: np.ndarray) -> np.ndarray:
    """scale * window sums (SumPool2d scale 1; AvgPool2d 1/(kh*kw), padding counted)."""
    p = node.params
    win = windows(x, p["kernel"], p["stride"], p["padding"], (1, 1))
    y = win.sum(axis=(-2, -1))
    if p["scale"] != 1.0:
        y *= np.asarray(p["scale"], dtype=y.dtype)
    return y


def reshape(node, x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], *node.out_shape)


def scale(node, x: np.ndarray) -> np.ndarray:
    return x * node.params["scale"]


def threshold(node, x: np.ndarray) -> np.ndarray:
    return (x > node.params["threshold"]).astype(x.dtype)


STATELESS = {"dense": dense, "conv": conv, "pool": pool, "reshape": reshape,
             "scale": scale, "threshold": threshold}
