"""Shape rules of NIR 1.0.8 nodes (per-sample shapes: no batch or time axis).

Convolution and pooling follow PyTorch's definition (which NIR adopts, see
``nir.ir.utils.calculate_conv_output``)::

    out = floor((in + 2*pad - dilation*(kernel - 1) - 1) / stride) + 1

with ``padding='same'`` giving ``out = in`` and ``'valid'`` meaning ``pad = 0``.
Flatten merges dims ``start_dim..end_dim`` (inclusive, negative counts from the end).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def per_dim(value: np.ndarray | int | None, ndim: int, default: int) -> tuple[int, ...]:
    """Broadcast a scalar-or-array geometry parameter to ``ndim`` ints."""
    if value is None:
        return (default,) * ndim
    arr = np.asarray(value).reshape(-1)
    if arr.size == 1:
        return (int(arr[0]),) * ndim
    return tuple(int(v) for v in arr)


def conv_output(
    spatial: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int] | str,
    dilation: Sequence[int],
) -> tuple[int, ...]:
    """Spatial output size of a convolution or pooling window."""
    if isinstance(padding, str):
        if padding == "same":
            return tuple(int(s) for s in spatial)
        padding = (0,) * len(spatial)
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)
    )


def flatten_output(shape: Sequence[int], start_dim: int, end_dim: int) -> tuple[int, ...]:
    """Shape after merging dims ``start_dim..end_dim`` (inclusive) of ``shape``."""
    n = len(shape)
    start = start_dim + n if start_dim < 0 else start_dim
    end = end_dim + n if end_dim < 0 else end_dim
    if not (0 <= start <= end < n):
        raise ValueError(
            f"start_dim={start_dim}, end_dim={end_dim} do not select dims of a "
            f"rank-{n} input {list(shape)}"
        )
    merged = int(np.prod(shape[start : end + 1]))
    return (*shape[:start], merged, *shape[end + 1 :])
