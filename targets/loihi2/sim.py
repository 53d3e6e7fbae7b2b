"""Bit-exact simulation of a netx network as Lava runs it (Loihi 2's fixed-point CPU models).

The oracle is lava-nc 0.10.0 + lava-dl 0.6.0 running the netx HDF5 file that
``netx.write_netx`` writes, as targets/loihi2/oracle/run_lava.py runs it
(``Loihi2SimCfg(select_tag="fixed_pt")``: ``PyDenseModelBitAcc``,
``PyDelayDenseModelBitAcc``, ``PyConvModelFixed``, ``PyLifModelBitAcc``).  ``simulate``
reproduces every spike, u and v of every block, step for step (tests/test_loihi2_sim.py
compares them with Lava on generated networks).  This module does not import Lava.

Time axis (run_lava.py's): row t of every array is Lava time step t+1.  The input source
sends raster row t at step t+1.  A Dense/Conv synapse sends at step t the sum of the spikes
it received at step t-1 (lava/proc/dense/models.py:93-96, proc/conv/models.py:36-38), so
for a block fed by a synapse

    a_in[t] = syn(s_prev[t - 1 - d])     (0 while t - 1 - d < 0)

where s_prev is the raster (first block) or the previous block's spikes, and d the extra
delay of the synapse (``DelayDense``: delay d arrives d steps later,
models.py:243-254/345-352).  The j-th synaptic layer therefore sees input row k first at
row k + j (plus delays).  A ``dense_rec`` layer's recurrent synapse is an ordinary Dense
fed by its own neurons, hence the same one-step latency: spikes of row t-1 arrive in row t
(checked with Lava).  An ``input`` layer with a neuron (netx's ``Input`` block) gets the
raster itself as a_in, in the same row (run_lava.py feeds the LIF's ``a_in``).

Synapses (all integer; results are sent through int32 ports)
------------------------------------------------------------
- dense / dense_rec (netx utils.py ``optimize_weight_bits``; lava/proc/dense/models.py
  ``AbstractPyDenseModelBitAcc.run_spk``; lava/utils/weightutils.py): Lava uses the
  mantissas ``m`` and exponent of ``netx.netx_dense_weights``,
  ``acc = (sum_j m_ij * x_j) >> shift``.  For every matrix ``NetxNetwork.check()``
  accepts, m = w << shift, so acc = sum_j w_ij * x_j exactly.  x is 0/1 (the port casts
  to bool) unless the synapse takes graded input (see below: then x is the integer and
  Dense's int32 ``dot`` wraps mod 2**32).  With delays each delay value's partial sum is
  shifted separately (the DelayDense buffer columns).  dense_rec: two Dense processes
  (weight, weight_rec) with netx's shared exponent into the same LIF ``a_in``; Lava's
  InPort adds them (lava/magma/core/model/py/ports.py ``PyInPortVectorDense.recv``).
- conv (netx/blocks/process.py ``Conv``; lava/proc/conv/models.py ``PyConvModelFixed``,
  conv/utils.py ``conv_scipy``): the weights are used as they are (no exponent) and
  ``a = wrap24(conv(x))`` with ``wrap24(z) = (z + 2**23) % 2**24 - 2**23``
  (``signed_clamp(x, bits=24)``).  conv is PyTorch's cross-correlation of the weight
  nirc writes (netx's kernel flip and scipy's convolution flip cancel; see netx.py).
- flatten: PyTorch's C-order flatten of (C, H, W) (netx hdf5.py:657
  ``out.transpose([2, 1, 0]).flatten()`` on Lava's (W, H, C)); all arrays here are
  already held flat in (C, H, W) order, so it changes nothing.

Neuron (lava/proc/lif/models.py ``AbstractPyLifModelFixed.subthr_dynamics``,
``PyLifModelBitAcc``; netx hdf5.py:151-159 maps du = iDecay - 1, dv = vDecay, bias_exp = 6,
and Lava adds ds_offset = 1 to du, dm_offset = 0 to dv), per step, per neuron:

    a  = int32(sum of the synapses' a_in)                    (int32 port)
    p  = u * (4096 - iDecay);  u' = sign(p) * (|p| >> 12)    (int64 product, magnitude
                                                              shift: rounds toward zero)
    u  = int32(u' + int32(a << 6))                           (int32 arithmetic)
    u  = u - 2**24 if u > 2**23;  u + 2**24 if u <= -2**23   ("wrap": one correction, so
                                                              u lies in (-2**23, 2**23];
                                                              -2**23 becomes +2**23)
    q  = v * (4096 - vDecay); v' = sign(q) * (|q| >> 12)
    v  = clip(int32(v' + u + (bias << 6)), -(2**23 - 1), 2**23 - 1)
    s  = v > (vThMant << 6);  v = 0 where s                  (no refractory period; u is
                                                              not reset)

Widths: u, v 24-bit states held in int32; iDecay/vDecay 0..4096 (12 bits + Lava's offset);
vThMant 17-bit unsigned (compared as a 24-bit value); bias 13-bit signed mantissa with
exponent 6; dense weights 8-bit mantissa + sign with netx's exponent, conv weights as given.
A dense layer without a neuron group gets netx's default iDecay 0, vDecay 4096,
vThMant 1 << 17 (threshold 2**23: never spikes).

Input: ``raster`` holds integers.  With ``input_message_bits`` None (run_lava.py's default)
the first synapse takes graded input iff some value is not 0 or 1 (run_lava.py then builds
the network with ``input_message_bits=24``): each value multiplies the weights.  Otherwise
(0/1 rasters, or ``input_message_bits=0``) any nonzero value is one spike.  An Input
block always integrates the raw value (``a_in = x``).
"""

from __future__ import annotations

import numba
import numpy as np

from .netx import NETX_DEFAULT_NEURON, NetxLayer, NetxNetwork, netx_dense_weights

jit = numba.njit(cache=False, nogil=True)

U_WRAP = 1 << 23          # lif/models.py max_uv_val
V_MAX = (1 << 23) - 1
SHIFT = 6                 # act_shift, vth_shift, bias_exp
EXACT_FLOAT = float(1 << 52)


def simulate(network: NetxNetwork, raster: np.ndarray, record: bool = False,
             input_message_bits: int | None = None, check: bool = True) -> dict[str, np.ndarray]:
    """Run ``network`` on ``raster`` ((T, B, *input_shape) or (T, *input_shape); a
    (C, H, W) input may also be given flat, (T, B, C*H*W) or (T, C*H*W)), each sample from
    the zero state, as run_lava.py runs one sample.

    Returns ``spikes`` (T, B, n_out): the last block's spikes, flattened in (C, H, W)
    order (run_lava.py's ``out``).  With ``record`` also, per block i of netx's
    ``Network.layers`` (``NetxNetwork.blocks()``), ``s<i>`` (T, B, n_i) and ``u<i>``,
    ``v<i>`` (T, B, n_i) int32 after step t's update and spike reset (run_lava.py's keys),
    and ``layer_h5_index`` (the ``layer/<k>`` of each block).  The batch axis is dropped
    for an unbatched raster.  ``check=False`` skips ``network.check()`` and simulates
    netx's weight pipeline as it is (what Lava does with a matrix check() rejects; the
    model is exact for the weight traps, not for the other rejected cases).
    """
    if check:
        network.check()
    x, batched = _raster(raster, network.input_shape)
    graded = bool(((x != 0) & (x != 1)).any()) if input_message_bits is None \
        else input_message_bits > 0
    steps, batch = x.shape[:2]
    result: dict[str, np.ndarray] = {}
    prev, prev_shape, prev_graded = x, tuple(network.input_shape), graded
    index = []
    for k, layer in enumerate(network.layers):
        if layer.type == "flatten" or (layer.type == "input" and layer.neuron is None):
            prev_shape = tuple(layer.shape)
            continue
        w_rec, rec_shift = np.zeros((0, 0), np.int64), 0
        if layer.type == "input":
            a_in = _wrap32(x)
        elif layer.type == "conv":
            a_in = _conv(prev, prev_shape, layer, prev_graded)
        else:
            parts = [layer.weight] + ([layer.weight_rec] if layer.type == "dense_rec" else [])
            mants, shift = netx_dense_weights(*(np.asarray(p, np.int64) for p in parts))
            a_in = _dense(prev, mants[0], shift, layer.delay, prev_graded)
            if layer.type == "dense_rec":
                w_rec, rec_shift = np.ascontiguousarray(mants[1].T), shift
        n = layer.size
        neuron = layer.neuron
        i_decay, v_decay, v_th = (neuron.i_decay, neuron.v_decay, neuron.v_th_mant) \
            if neuron is not None else tuple(NETX_DEFAULT_NEURON[key] for key in
                                             ("iDecay", "vDecay", "vThMant"))
        bias = _bias(layer) << SHIFT
        s = np.zeros((steps, batch, n), np.uint8)
        u = np.zeros((steps, batch, n), np.int32)
        v = np.zeros((steps, batch, n), np.int32)
        _lif(np.ascontiguousarray(a_in, np.int64), w_rec, rec_shift,
             layer.type == "dense_rec" and prev_graded, int(i_decay), int(v_decay),
             int(v_th) << SHIFT, bias, s, u, v)
        i = len(index)
        index.append(k)
        if record:
            result[f"s{i}"], result[f"u{i}"], result[f"v{i}"] = s, u, v
        result["spikes"] = s
        prev, prev_shape, prev_graded = s.astype(np.int64), tuple(layer.shape), False
    if record:
        result["layer_h5_index"] = np.array(index, np.int64)
    if not batched:
        result = {key: (a[:, 0] if a.ndim == 3 else a) for key, a in result.items()}
    return result


# ------------------------------------------------------------------------------------
# input and synapses


def _raster(raster, input_shape) -> tuple[np.ndarray, bool]:
    """The raster as int64 (T, B, n_in) and whether it had a batch axis."""
    r = np.asarray(raster)
    if r.dtype != bool and not np.issubdtype(r.dtype, np.integer):
        raise TypeError(f"raster: integer values expected, got {r.dtype}")
    shape = tuple(int(d) for d in input_shape)
    n, k = int(np.prod(shape)), len(shape)
    if r.ndim == 1 + k and r.shape[1:] == shape:
        r, batched = r.reshape(r.shape[0], 1, n), False
    elif r.ndim == 2 + k and r.shape[2:] == shape:
        r, batched = r.reshape(r.shape[0], r.shape[1], n), True
    elif k == 3 and r.ndim == 2 and r.shape[1] == n:
        r, batched = r[:, None, :], False
    elif k == 3 and r.ndim == 3 and r.shape[2] == n:
        batched = True
    else:
        raise ValueError(f"raster: shape {r.shape}, expected (T, B, *{shape}) or (T, *{shape})")
    r = r.astype(np.int64)
    if r.size and (r.min() < -(1 << 31) or r.max() >= 1 << 31):
        raise ValueError("raster: values outside int32 (Lava's source sends int32)")
    return np.ascontiguousarray(r), batched


def _wrap32(z: np.ndarray) -> np.ndarray:
    return ((z + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _wrap24(z: np.ndarray) -> np.ndarray:
    return ((z + (1 << 23)) & 0xFFFFFF) - (1 << 23)


def _exp_shift(acc: np.ndarray, shift: int) -> np.ndarray:
    """``a_accum >> -weight_exp`` (``<<`` for a positive weight_exp) with weight_exp = -shift."""
    return acc >> shift if shift >= 0 else acc << -shift


def _matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x (..., n_in) @ w.T (n_out, n_in), exactly, as int64 (float64 BLAS when every partial
    sum is below 2**52, else int64)."""
    bound = float(np.abs(x).max(initial=0)) * float(np.abs(w).max(initial=0)) * w.shape[1]
    if bound < EXACT_FLOAT:
        return np.rint(x.astype(np.float64) @ w.T.astype(np.float64)).astype(np.int64)
    return x @ w.T


def _dense(x: np.ndarray, mant: np.ndarray, shift: int, delay, graded: bool) -> np.ndarray:
    """a_in (T, B, n_out) of a Dense/DelayDense synapse fed by x (T, B, n_in)."""
    steps = x.shape[0]
    inp = x if graded else (x != 0).astype(np.int64)
    a = np.zeros(x.shape[:2] + (mant.shape[0],), np.int64)
    if delay is None:
        buckets = [(0, mant)]
    else:
        d = np.asarray(delay, np.int64)
        d = np.broadcast_to(d.reshape(-1, 1) if d.ndim == 1 else d, mant.shape)
        buckets = [(int(k), np.where(d == k, mant, 0)) for k in np.unique(d)]
    for k, w in buckets:
        if steps <= 1 + k:
            continue
        acc = _matmul(inp[:steps - 1 - k], w)
        if graded and delay is None:
            acc = _wrap32(acc)  # Dense's int32 weights.dot(s_in)
        a[1 + k:] += _exp_shift(acc, shift)
    return _wrap32(a)


def _conv(x: np.ndarray, in_shape, layer: NetxLayer, graded: bool) -> np.ndarray:
    """a_in (T, B, C_out*H_out*W_out) of a Conv synapse fed by x (T, B, C*H*W): PyTorch's
    conv2d (cross-correlation) of the weight, wrapped to 24 bits, one step later."""
    steps, batch = x.shape[:2]
    c_in, h, w_in = in_shape
    weight = np.asarray(layer.weight, np.int64)
    c_out, cg, k_h, k_w = weight.shape
    (s_h, s_w), (p_h, p_w), (d_h, d_w) = layer.geometry()
    _, h_out, w_out = layer.shape
    groups = int(layer.groups)
    kg = c_out // groups
    a = np.zeros((steps, batch, c_out * h_out * w_out), np.int64)
    if steps <= 1:
        return a
    inp = x[:steps - 1] if graded else (x[:steps - 1] != 0).astype(np.int64)
    m = (steps - 1) * batch
    xp = np.pad(inp.reshape(m, c_in, h, w_in), ((0, 0), (0, 0), (p_h, p_h), (p_w, p_w)))
    xg = xp.reshape(m, groups, cg, h + 2 * p_h, w_in + 2 * p_w)
    wg = weight.reshape(groups, kg, cg, k_h, k_w)
    bound = float(np.abs(inp).max(initial=0)) * float(np.abs(weight).max(initial=0)) * cg * k_h * k_w
    dtype = np.float64 if bound < EXACT_FLOAT else np.int64
    acc = np.zeros((m, groups, kg, h_out, w_out), dtype)
    for i in range(k_h):
        for j in range(k_w):
            sl = xg[:, :, :, i * d_h: i * d_h + s_h * (h_out - 1) + 1: s_h,
                    j * d_w: j * d_w + s_w * (w_out - 1) + 1: s_w]
            acc += np.einsum("gkc,ngcyx->ngkyx", wg[:, :, :, i, j].astype(dtype), sl.astype(dtype))
    acc = np.rint(acc).astype(np.int64) if dtype == np.float64 else acc
    a[1:] = _wrap24(acc.reshape(steps - 1, batch, -1))
    return a


def _bias(layer: NetxLayer) -> np.ndarray:
    """The bias mantissa per neuron, flat in (C, H, W) order (a conv bias per channel is
    broadcast over H, W as netx's ``_neuron`` does)."""
    n = layer.size
    if layer.bias is None:
        return np.zeros(n, np.int64)
    b = np.asarray(layer.bias, np.int64)
    if layer.type == "conv" and b.ndim == 1:
        b = np.broadcast_to(b.reshape(-1, 1, 1), tuple(layer.shape))
    return np.ascontiguousarray(b.reshape(n))


# ------------------------------------------------------------------------------------
# the LIF kernel


@jit
def _w32(z):
    return ((z + 2147483648) & 0xFFFFFFFF) - 2147483648


@jit
def _decay(x, d):
    """sign(p) * (|p| >> 12) with p = x * (4096 - d) (lif/models.py)."""
    p = x * (4096 - d)
    return -((-p) >> 12) if p < 0 else p >> 12


@jit
def _lif(a_in, w_rec_t, rec_shift, rec_graded, i_decay, v_decay, vth, bias, s_out, u_out, v_out):
    """Every sample and step of one CUBA layer.  a_in (T, B, n): the feed-forward synapse's
    output per row; w_rec_t (n, n) the recurrent mantissas transposed (row j = targets of
    neuron j), or (0, 0); vth and bias already << 6."""
    steps, batch, n = a_in.shape
    has_rec = w_rec_t.shape[0] > 0
    for b in range(batch):
        u = np.zeros(n, np.int64)
        v = np.zeros(n, np.int64)
        s = np.zeros(n, np.bool_)
        rec = np.zeros(n, np.int64)
        for t in range(steps):
            if has_rec:
                rec[:] = 0
                for j in range(n):
                    if s[j]:
                        for i in range(n):
                            rec[i] += w_rec_t[j, i]
                for i in range(n):
                    r = _w32(rec[i]) if rec_graded else rec[i]
                    r = r >> rec_shift if rec_shift >= 0 else r << -rec_shift
                    rec[i] = _w32(r)
            for i in range(n):
                a = _w32(a_in[t, b, i] + rec[i])
                cur = _w32(_w32(_decay(u[i], i_decay)) + _w32(a << 6))
                if cur > 8388608:
                    cur -= 16777216
                elif cur <= -8388608:
                    cur += 16777216
                u[i] = cur
                nv = _w32(_w32(_decay(v[i], v_decay)) + cur + bias[i])
                nv = min(max(nv, -8388607), 8388607)
                spike = nv > vth
                if spike:
                    nv = 0
                v[i] = nv
                s[i] = spike
                s_out[t, b, i] = spike
                u_out[t, b, i] = cur
                v_out[t, b, i] = nv
