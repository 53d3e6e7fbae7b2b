"""Loihi 2's arithmetic: a chain of ``FloatLayer`` (mapping.py) -> a ``NetxNetwork``.

The fixed-point CUBA neuron as Lava computes it (lava-nc 0.10.0
lava/proc/lif/models.py ``AbstractPyLifModelFixed.subthr_dynamics``; netx maps
du = iDecay - 1 + 1, dv = vDecay, bias_exp = 6: lava-dl 0.6.0 netx/hdf5.py
``get_neuron_params``), per step, with acc = sum of integer weights times the spikes that
arrive::

    u = sign(p) (|p| >> 12), p = u (4096 - iDecay);   u += acc << 6     (24-bit wrap)
    v = sign(q) (|q| >> 12), q = v (4096 - vDecay);   v += u + (bias << 6)   (saturate)
    spike if v > vThMant << 6, then v = 0

netx takes *one* iDecay, vDecay and vThMant per layer (Lava's LIF holds them as
scalars) and a bias per neuron.  The float layer (snn: I = i_decay I + i_gain x, v =
v_decay v + v_gain I + v_bias, spike v > v_threshold) maps onto it with one state LSB
per neuron worth unit_n float volts:

- iDecay = round(4096 (1 - i_decay)) (4096 without a current: LIF, IF, LI);
  vDecay = round(4096 (1 - v_decay)); a layer whose neurons differ in a decay is an error;
- unit_n = v_threshold_n / (64 V): every neuron's threshold becomes the layer's one
  vThMant = V (a readout that never spikes gets V = 2**17 - 1 and unit_n from its
  weights);
- weights: W_int[n, j] = round(W[n, j] gain_n / (64 unit_n)) (feed-forward and recurrent
  rows together), in netx's exact range -254..254 (even values only where a matrix has no
  positive weight and needs values below -128), and where netx and Lava would still change
  a weight (netx.dense_weight_problem: e.g. an all-negative matrix whose minimum is minus a
  power of two) the scale is lowered in 1% steps until they hold it exactly;
- V = the largest value <= 2**17 - 1 that keeps every weight within 254 and every bias,
  round(bias_n / (64 unit_n)), within the 13-bit signed mantissa: the best use of the
  8-bit weights that the layer's single threshold allows.
"""

from __future__ import annotations

import numpy as np

from nirc.diagnostics import NircError
from nirc.passes.quantize import sqnr_db

from .chips import THRESHOLD_BITS
from .mapping import FloatLayer

WEIGHT_MAX = 254
BIAS_MAX = 2 ** 12 - 1
V_TH_MAX = 2 ** THRESHOLD_BITS - 1
ACT_SHIFT = 6


def decay_of(values: np.ndarray | None, name: str, field: str) -> int:
    """The layer's one 12-bit decay for per-step factors ``values`` (None: full decay)."""
    if values is None:
        return 4096
    d = np.unique(np.asarray(values, np.float64))
    if d.size > 1:
        raise NircError(f"netx holds one {field} per layer; the neurons have {d.size} different "
                        f"decays ({d.min():.6g}..{d.max():.6g})", node=name, field=field)
    if not 0.0 <= d[0] <= 1.0:
        raise NircError(f"a per-step decay of {d[0]:.6g} is outside [0, 1] (choose a smaller dt)",
                        node=name, field=field)
    return int(np.rint(4096 * (1.0 - d[0])))


def tau_error(decay: np.ndarray | None, code: int) -> float:
    """Relative error of tau = -dt / ln(decay) held as 1 - code/4096 (0 when exact;
    inf when the graph has no leak but the code does, or the reverse)."""
    if decay is None:
        return 0.0 if code == 4096 else float("inf")
    d = float(np.asarray(decay).reshape(-1)[0])
    got = 1.0 - code / 4096
    if d in (0.0, 1.0) or got in (0.0, 1.0):
        return 0.0 if abs(d - got) < 1e-12 else float("inf")
    return float(np.log(d) / np.log(got) - 1.0)


def quantize_chain(input_shape, layers: list[FloatLayer]) -> tuple[object, list[dict], list]:
    """(NetxNetwork, one report row per neuron layer, per-layer float unit arrays)."""
    from .netx import NetxLayer, NetxNetwork, NetxNeuron

    netx_layers = [NetxLayer(type="input", shape=tuple(int(d) for d in input_shape))]
    rows, units = [], []
    for layer in layers:
        if layer.kind == "flatten":
            netx_layers.append(NetxLayer(type="flatten", shape=layer.out_shape))
            continue
        i_code = decay_of(layer.i_decay, layer.name, "iDecay")
        v_code = decay_of(layer.v_decay, layer.name, "vDecay")
        unit, v_th, weight, weight_rec = _exact_weights(layer)
        bias = np.rint(layer.bias / (64 * unit)).astype(np.int64)
        netx_layers.append(NetxLayer(
            type="dense_rec" if weight_rec is not None else layer.kind,
            shape=layer.out_shape, weight=weight, weight_rec=weight_rec,
            bias=bias if np.any(bias) else None,
            delay=_delay(layer),
            stride=layer.stride if layer.kind == "conv" else None,
            padding=layer.padding if layer.kind == "conv" else None,
            dilation=layer.dilation if layer.kind == "conv" else None, groups=layer.groups,
            neuron=NetxNeuron(i_decay=i_code, v_decay=v_code, v_th_mant=v_th)))
        units.append(unit)
        rows.append({"layer": layer.name, "type": netx_layers[-1].type, "vThMant": v_th,
                     "iDecay": i_code, "vDecay": v_code,
                     "tau_syn_error": tau_error(layer.i_decay, i_code),
                     "tau_mem_error": tau_error(layer.v_decay, v_code),
                     "sqnr_db": _sqnr(layer, unit, weight, weight_rec),
                     "readout": "spike" if layer.spiking else "voltage"})
    return NetxNetwork(layers=netx_layers), rows, units


def _exact_weights(layer: FloatLayer):
    """(unit, vThMant, weight, weight_rec) such that netx and Lava use every weight exactly
    (netx.dense_weight_problem: an all-nonpositive matrix must not have minus a power of
    two as its minimum, ...); where the best scale is not exact, it is lowered by 1% steps."""
    from .netx import dense_weight_problem

    for step in range(100):
        unit, v_th = _units(layer, 1.0 - 0.01 * step)
        weight = _integers(layer.weight, layer.gain, unit, layer.kind)
        weight_rec = (_integers(layer.weight_rec, layer.gain, unit, "dense")
                      if layer.weight_rec is not None else None)
        parts = [weight] + ([weight_rec] if weight_rec is not None else [])
        if layer.kind != "dense" or dense_weight_problem(*parts) is None:
            return unit, v_th, weight, weight_rec
    problem = dense_weight_problem(*parts)
    raise NircError(f"no scale makes netx hold these weights exactly: {problem[1]}",
                    node=layer.name, field="weight")


def _delay(layer: FloatLayer) -> np.ndarray | None:
    """A Delay before the layer (steps per source neuron) as netx's per-synapse matrix
    (n_out, n_in); netx ignores delays on conv layers (hence an error)."""
    if layer.delay is None or not np.any(layer.delay):
        return None
    if layer.kind != "dense" or layer.weight_rec is not None:
        raise NircError("netx applies synaptic delays to plain dense layers only (it ignores "
                        "them on conv layers and mishandles them on dense_rec)", node=layer.name,
                        field="delay")
    return np.broadcast_to(layer.delay.astype(np.int64), layer.weight.shape).copy()


def _row_max(w: np.ndarray, shape) -> np.ndarray:
    """max |W| over the inputs of each output neuron, broadcast to the neuron shape."""
    top = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
    return np.broadcast_to(top.reshape(-1, *([1] * (len(shape) - 1))), shape)


def _units(layer: FloatLayer, scale: float = 1.0) -> tuple[np.ndarray, int]:
    shape = layer.out_shape
    reach = _row_max(layer.weight, shape) * layer.gain
    if layer.weight_rec is not None:
        reach = np.maximum(reach, _row_max(layer.weight_rec, shape) * layer.gain)
    if layer.kind == "conv":  # a kernel serves every position of its channel
        reach = np.broadcast_to(reach.reshape(shape[0], -1).max(axis=1).reshape(-1, 1, 1), shape)
    if not layer.spiking:
        unit = np.where(reach > 0, reach, 1.0) / (64 * WEIGHT_MAX * scale)
        return np.maximum(unit, np.abs(layer.bias) / (64 * BIAS_MAX)), V_TH_MAX
    th = layer.threshold
    if np.any(th <= 0):
        raise NircError("Loihi's threshold mantissa is unsigned: thresholds must be > 0",
                        node=layer.name, field="v_threshold")
    if layer.kind == "conv" and np.unique(th.reshape(shape[0], -1), axis=1).shape[1] > 1:
        raise NircError("a convolution's neurons of one channel must share a threshold",
                        node=layer.name, field="v_threshold")
    limits = [float(V_TH_MAX)]
    with np.errstate(divide="ignore"):
        limits.append(float(np.min(np.where(reach > 0, WEIGHT_MAX * th / reach, np.inf))))
        limits.append(float(np.min(np.where(layer.bias != 0, BIAS_MAX * th / np.abs(layer.bias), np.inf))))
    v_th = int(np.floor(min(limits) * scale))
    if v_th < 1:
        raise NircError("the weights are too large for the threshold in Loihi's formats (8-bit "
                        "weights, threshold >= one weight step)", node=layer.name, field="v_threshold")
    return th / (64.0 * v_th), v_th


def _weight_scale(w: np.ndarray, gain: np.ndarray, unit: np.ndarray, kind: str) -> np.ndarray:
    """gain / (64 unit) per output neuron (a convolution: per output channel), shaped to
    broadcast against w: integer weight = W * scale."""
    scale = gain / (64 * unit)
    if kind == "conv":
        return scale.reshape(scale.shape[0], -1)[:, 0].reshape(-1, *([1] * (w.ndim - 1)))
    return scale.reshape(-1, 1)


def _integers(w: np.ndarray, gain: np.ndarray, unit: np.ndarray, kind: str) -> np.ndarray:
    x = w * _weight_scale(w, gain, unit, kind)
    q = np.clip(np.rint(x), -WEIGHT_MAX, WEIGHT_MAX)
    if q.size and q.max() <= 0 and q.min() < -128:
        q = np.clip(2 * np.rint(x / 2), -WEIGHT_MAX, 0)  # netx's all-negative encoding: even values
    if not np.any(q):
        raise NircError("every weight rounds to 0 at Loihi's 8 bits (netx cannot load an all-zero "
                        "matrix)")
    return q.astype(np.int64)


def _sqnr(layer: FloatLayer, unit, weight, weight_rec) -> float:
    signal = noise = 0.0
    for w, q in ((layer.weight, weight), (layer.weight_rec, weight_rec)):
        if w is None:
            continue
        back = q / _weight_scale(w, layer.gain, unit, layer.kind)
        signal += float(np.sum(w * w))
        noise += float(np.sum((w - back) ** 2))
    return sqnr_db(signal, noise)
