"""Speck's arithmetic: sinabs 3.1.3's discretization of one layer, exactly.

sinabs ``backend/dynapcnn/discretize.py`` ``_discretize_conv_spk_`` (called by
``DynapcnnLayer`` with ``discretize=True``) scales each layer's weights W, bias b and the
pair (threshold_low, threshold_high) = (min_v_mem, spike_threshold) by ONE factor and
rounds::

    s(X, bits) = |(2^(bits-1) - 1) / max X|   if |min X| <= |max X| * 2^(bits-1) / (2^(bits-1) - 1)
                 |2^(bits-1) / min X|         otherwise      (the range is asymmetric)
    scale = min(s(W, 8), s(b, 8), s((low, high), 16))
    W_int = round(W * scale), b_int = round(b * scale), (low, high)_int = round(... * scale)

``determine_discretization_scale`` and ``discretize_tensor``, computed as torch computes
them on float32 tensors: every product and quotient in float32, ``round`` half to even
(``torch.round``), a zero tensor giving an infinite factor (no constraint).  So nirc's
integers equal sinabs' for the same graph (tests/test_speck_target.py checks this
against sinabs itself).  With low = -high (sinabs' ``from_nir``: min_v_mem =
-v_threshold) the threshold factor is 32767 / high.  No value leaves its range under
this rule, so nothing saturates; the report gives per layer the scale, which of W, b, the
thresholds set it, the weight SQNR (float W vs W_int / scale) and how many weights sit
at the 8-bit limits.

(sinabs also caps the scale by the neuron states when a layer's state is initialised;
nirc's layers start at v = 0, as sinabs' after ``reset_states``.)
"""

from __future__ import annotations

import numpy as np

from nirc.passes.quantize import sqnr_db

from .chips import SpeckChip
from .network import SpeckLayer, SpeckNetwork


def discretization_scale(values: np.ndarray, bits: int) -> np.float32:
    """sinabs' ``determine_discretization_scale`` in float32 (inf for an all-zero tensor)."""
    lo, hi = np.float32(-(2 ** (bits - 1))), np.float32(2 ** (bits - 1) - 1)
    a = np.asarray(values, np.float32)
    mn, mx = a.min(), a.max()
    ratio = np.float32(abs(-(2 ** (bits - 1)) / (2 ** (bits - 1) - 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        if abs(mn) <= np.float32(abs(mx) * ratio):
            scale = np.float32(abs(hi / mx))
        else:
            scale = np.float32(abs(lo / mn))
    return np.float32(np.inf) if np.isnan(scale) else scale


def discretize(a, scale: np.float32) -> np.ndarray:
    """round(a * scale) in float32, half to even, as int64."""
    return np.rint(np.asarray(a, np.float32) * np.float32(scale)).astype(np.int64)


def quantize_network(net: SpeckNetwork, chip: SpeckChip) -> tuple[SpeckNetwork, list[dict]]:
    """The integer network (same structure) and one report row per layer."""
    from dataclasses import replace

    layers, rows = [], []
    for layer in net.layers:
        thresholds = np.array([layer.threshold_low, layer.threshold_high], np.float32)
        scales = {"weights": discretization_scale(layer.weight, chip.weight_bits),
                  "bias": discretization_scale(layer.bias, chip.bias_bits),
                  "thresholds": discretization_scale(thresholds, chip.threshold_bits)}
        by = min(scales, key=lambda k: scales[k])
        scale = scales[by]
        w_int, b_int = discretize(layer.weight, scale), discretize(layer.bias, scale)
        low, high = (int(v) for v in discretize(thresholds, scale))
        layers.append(replace(layer, weight=w_int, bias=b_int, threshold_high=high,
                              threshold_low=low, destinations=list(layer.destinations)))
        rows.append(_row(layer, w_int, b_int, high, low, scale, by, chip))
    return replace(net, layers=layers, input_destinations=list(net.input_destinations)), rows


def _row(layer: SpeckLayer, w_int, b_int, high, low, scale, by, chip: SpeckChip) -> dict:
    w = np.asarray(layer.weight, np.float64)
    back = w_int / np.float64(scale)
    limit = (-(2 ** (chip.weight_bits - 1)), 2 ** (chip.weight_bits - 1) - 1)
    return {"layer": layer.name, "scale": float(scale), "scale_set_by": by,
            "threshold_high": high, "threshold_low": low,
            "sqnr_db": sqnr_db(float((w ** 2).sum()), float(((w - back) ** 2).sum())),
            "weights_at_limit": int(np.count_nonzero((w_int == limit[0]) | (w_int == limit[1]))),
            "weights_zeroed": int(np.count_nonzero((w_int == 0) & (w != 0))),
            "bias_nonzero": int(np.count_nonzero(b_int))}
