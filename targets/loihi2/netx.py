"""A lava-dl *netx* network as data, and its HDF5 file (lava-dl 0.6.0, lava-nc 0.10.0).

netx (``lava/lib/dl/netx/hdf5.py``, ``Network._create``) reads ``layer/0``, ``layer/1``, ...
in order and builds a chain of *blocks* (``Network.layers``): one per ``dense``,
``dense_rec`` and ``conv`` layer, and one for an ``input`` layer that has a ``neuron``
group; ``flatten`` and a plain ``input`` make no block.  Every block is a synapse
(Lava ``Dense``/``DelayDense``/``Conv``) feeding a CUBA ``LIF``.  targets/loihi2/sim.py
computes what Lava's fixed-point models do with such a file.

Index conventions (ours = what the file holds = what netx reads)
---------------------------------------------------------------
- ``shape``: a layer's *output* shape, ``(n,)`` or ``(C, H, W)`` (the file stores C, H, W;
  netx reverses it to Lava's (W, H, C) = (x, y, z), hdf5.py:272/500).  Spike and state
  vectors of a (C, H, W) layer are flattened in C order (``c*H*W + h*W + w``), as
  run_lava.py reports them.
- ``input``: ``shape`` only.  With a ``neuron`` (no weight, no bias: netx ignores the
  input layer's weight/bias) netx builds an ``Input`` block, a CUBA layer whose current
  input is the raster itself (run_lava.py feeds its ``a_in``).
- ``dense``: ``weight`` (out, in) integers, ``in`` = the size of the previous layer
  (a (C, H, W) layer must be flattened first); ``shape`` = ``(out,)``.
- ``dense_rec``: as dense, plus ``weight_rec`` (out, out): ``weight_rec[i, j]`` is the
  weight from this layer's neuron j to its neuron i.  netx picks one weight exponent for
  ``hstack(weight, weight_rec)`` (hdf5.py:401-407).
- ``conv``: ``weight`` (C_out, C_in / groups, kH, kW) in **PyTorch's convention**
  (cross-correlation, like NIR's Conv2d):
  ``out[k, y, x] = sum_{c,i,j} weight[k, c, i, j]
  * in[g*C_in/groups + c, y*sH + i*dH - pH, x*sW + j*dW - pW]``
  with g = k // (C_out / groups) and zero outside the input.  The writer stores it **as is**:
  netx flips the kernel (``weight[:, :, ::-1, ::-1]``, hdf5.py:505) and transposes it to
  Lava's (C_out, kW, kH, C_in/groups), and Lava's ``conv_scipy`` (proc/conv/utils.py)
  *convolves* (``scipy.signal.convolve2d``), which flips it back: the two flips cancel
  (checked with Lava on asymmetric kernels, tests/test_loihi2_sim.py).  lava-dl's own
  exporter also writes PyTorch's weight unflipped.  ``stride``, ``padding``, ``dilation``
  are (H, W) pairs (netx reverses them to (x, y), hdf5.py:496-499); ``groups`` an int;
  ``shape`` must be the exact output shape (C_out, H_out, W_out) (netx raises otherwise).
- ``flatten``: ``shape`` = ``(C*H*W,)`` of the (C, H, W) layer before it; the next layer
  must be dense/dense_rec.  netx connects ``out.transpose([2, 1, 0]).flatten()``
  (hdf5.py:657): Lava's (W, H, C) port transposed to (C, H, W), flattened in C order,
  i.e. PyTorch's ``flatten`` of (C, H, W) (checked with Lava).
- ``bias``: the integer mantissa per neuron (``(out,)``; for conv ``(C_out,)`` per channel
  or ``(C_out, H_out, W_out)`` per neuron, written as (W, H, C) as netx wants it,
  blocks/process.py ``_neuron``).  v gets ``bias << 6`` every step.
- ``delay`` (dense only): extra steps per synapse on top of the one-step latency,
  ``(out,)`` per output neuron or ``(out, in)`` per synapse, 0..62 (netx's ``DelayDense``).
- ``neuron``: ``None`` on a dense layer means netx's default (iDecay 0, vDecay 4096,
  vThMant ``1 << 18 - 1`` = 1 << 17: v never crosses 2**23, the layer never spikes:
  read its v).  conv needs a neuron (netx reads ``neuron`` unconditionally).

Weights: netx has no weight exponent in the file (``wgtExp`` is ignored); it rescales each
dense matrix to Loihi's 8-bit synapse (utils.py ``optimize_weight_bits``) and Lava's Dense
model clips/truncates it and shifts the sum back (proc/dense/models.py,
lava/utils/weightutils.py).  ``netx_dense_weights`` models that pipeline exactly; for every
matrix ``NetxNetwork.check()`` accepts it is the identity (acc = sum w*s), and ``check()``
rejects every matrix for which it is not (see ``dense_weight_problem``).  conv weights are
used as they are (no exponent, no clipping; the sum wraps at 24 bits, proc/conv/models.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import h5py
import numpy as np

LAYER_TYPES = ("input", "dense", "dense_rec", "conv", "flatten")
BLOCK_TYPES = ("dense", "dense_rec", "conv")

DECAY_MAX = 4096                  # iDecay/vDecay: x * (4096 - d) >> 12 per step
V_TH_MANT_MAX = (1 << 17) - 1     # 17-bit unsigned vth (lif/models.py PyLifModelBitAcc)
BIAS_MIN, BIAS_MAX = -(1 << 12), (1 << 12) - 1   # 13-bit signed bias_mant
MAX_DELAY = 62                    # netx clips larger delays to 62 (hdf5.py:427-430)
CONV_WEIGHT_MIN, CONV_WEIGHT_MAX = -256, 255  # Loihi's synapse: 8-bit magnitude + sign
GEOMETRY_MAX = 127                # Lava's Conv holds stride/padding/dilation as int8

# netx's neuron for a dense layer without a `neuron` group (hdf5.py:350-356); Python's
# precedence makes `1 << 18 - 1` equal 1 << 17.
NETX_DEFAULT_NEURON = dict(iDecay=0, vDecay=4096, vThMant=1 << 17)


@dataclass
class NetxNeuron:
    """A CUBA neuron group (netx keys iDecay, vDecay, vThMant, refDelay, gradedSpike).

    netx maps it to Lava's LIF with ``du = iDecay - 1`` (+1 ``ds_offset`` in Lava),
    ``dv = vDecay``, ``vth = vThMant``, ``bias_exp = 6`` (hdf5.py:151-159).  refDelay and
    gradedSpike are written as lava-dl writes them but netx ignores both (Lava's LIF has
    no refractory period and sends 0/1 spikes), so ``check()`` accepts only 1 and False.
    """

    i_decay: int
    v_decay: int
    v_th_mant: int
    ref_delay: int = 1
    graded_spike: bool = False


@dataclass
class NetxLayer:
    """One ``layer/<k>`` group; see the module docstring for shapes and conventions."""

    type: str
    shape: tuple[int, ...]
    weight: np.ndarray | None = None
    weight_rec: np.ndarray | None = None
    bias: np.ndarray | None = None
    delay: np.ndarray | None = None
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] | None = None
    dilation: tuple[int, int] | None = None
    groups: int = 1
    neuron: NetxNeuron | None = None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def is_block(self) -> bool:
        """Whether netx builds a block (a LIF layer) for it."""
        return self.type in BLOCK_TYPES or (self.type == "input" and self.neuron is not None)

    def geometry(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
        """(stride, padding, dilation) as (H, W) pairs, defaults (1, 1), (0, 0), (1, 1)."""
        return (_pair(self.stride, 1), _pair(self.padding, 0), _pair(self.dilation, 1))


@dataclass
class NetxNetwork:
    layers: list[NetxLayer] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.layers[0].shape)

    def blocks(self) -> list[int]:
        """Indices of the layers that become blocks of netx's ``Network.layers`` (the
        ``s<i>``/``u<i>``/``v<i>`` numbering of run_lava.py and sim.py)."""
        return [k for k, layer in enumerate(self.layers) if layer.is_block]

    def check(self) -> None:
        """Reject what netx would reject, crash on, or silently compute differently from
        the data (ValueError naming the layer index and the field)."""
        layers = self.layers
        if not layers:
            raise ValueError("network: no layers")
        if layers[0].type != "input":
            raise ValueError(f"layer 0: type: {layers[0].type!r}, the first layer must be 'input'")
        if not any(layer.is_block for layer in layers):
            raise ValueError("network: no block (dense, dense_rec, conv or input with a neuron)")
        prev: tuple[int, ...] | None = None
        for k, layer in enumerate(layers):
            _check_layer(k, layer, prev, layers[k + 1] if k + 1 < len(layers) else None)
            prev = tuple(int(d) for d in layer.shape)


# ------------------------------------------------------------------------------------
# checks


def _err(k: int, name: str, message: str) -> ValueError:
    return ValueError(f"layer {k}: {name}: {message}")


def _pair(value, default: int) -> tuple[int, int]:
    if value is None:
        return (default, default)
    value = tuple(int(v) for v in np.ravel(value))
    return (value[0], value[0]) if len(value) == 1 else (value[0], value[1])


def _integers(k: int, name: str, value, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` as int64 after checking it is integer valued (netx truncates fractions with
    ``astype(int)``, utils.py:68) and has ``shape``."""
    a = np.asarray(value)
    numeric = np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
    if a.dtype == bool or not numeric:
        raise _err(k, name, f"integer array expected, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.floating) and not np.array_equal(a, np.round(a)):
        raise _err(k, name, "non-integer values (netx truncates them toward zero)")
    if shape is not None and a.shape != tuple(shape):
        raise _err(k, name, f"shape {a.shape}, expected {tuple(shape)}")
    return a.astype(np.int64)


def _in_range(k: int, name: str, a: np.ndarray, low: int, high: int) -> None:
    if a.size and (a.min() < low or a.max() > high):
        raise _err(k, name, f"values {a.min()}..{a.max()} outside {low}..{high}")


def _check_neuron(k: int, neuron: NetxNeuron) -> None:
    for name, low, high in (("i_decay", 0, DECAY_MAX), ("v_decay", 0, DECAY_MAX),
                            ("v_th_mant", 0, V_TH_MANT_MAX)):
        value = getattr(neuron, name)
        if isinstance(value, bool) or int(value) != value or not low <= int(value) <= high:
            raise _err(k, f"neuron.{name}", f"{value!r} is not an integer in {low}..{high}")
    if neuron.ref_delay != 1:
        raise _err(k, "neuron.ref_delay", f"{neuron.ref_delay}: netx ignores refDelay (Lava's "
                   "LIF has no refractory period); only 1 means what it says")
    if neuron.graded_spike:
        raise _err(k, "neuron.graded_spike", "netx ignores gradedSpike (CUBA sends 0/1 spikes)")


def _no(k: int, layer: NetxLayer, names: tuple[str, ...], why: str) -> None:
    for name in names:
        if getattr(layer, name) is not None:
            raise _err(k, name, f"not allowed on a {layer.type!r} layer ({why})")


def _check_layer(k: int, layer: NetxLayer, prev: tuple[int, ...] | None,
                 nxt: NetxLayer | None) -> None:
    if layer.type not in LAYER_TYPES:
        raise _err(k, "type", f"{layer.type!r}, expected one of {', '.join(LAYER_TYPES)}")
    shape = tuple(layer.shape)
    if len(shape) not in (1, 3) or any(int(d) != d or d < 1 for d in shape):
        raise _err(k, "shape", f"{shape}: expected (n,) or (C, H, W) of positive integers")
    if layer.type != "conv":
        _no(k, layer, ("stride", "padding", "dilation"), "conv only")
        if layer.groups != 1:
            raise _err(k, "groups", f"{layer.groups}: only conv layers have groups")
    if layer.type in ("input", "flatten", "conv"):
        _no(k, layer, ("delay",), "netx reads delays of dense layers only")
    if layer.neuron is not None:
        if layer.type == "flatten":
            raise _err(k, "neuron", "a flatten layer has no neurons")
        _check_neuron(k, layer.neuron)

    if layer.type == "input":
        if k != 0:
            raise _err(k, "type", "'input' must be layer 0 (netx feeds Network.inp to the first block)")
        _no(k, layer, ("weight", "weight_rec", "bias"),
            "netx ignores an input layer's weight and bias")
        return
    assert prev is not None
    if layer.type == "flatten":
        _no(k, layer, ("weight", "weight_rec", "bias"), "flatten has no synapses")
        if len(prev) != 3:
            raise _err(k, "type", f"flatten needs a (C, H, W) layer before it, got shape {prev}")
        if shape != (int(np.prod(prev)),):
            raise _err(k, "shape", f"{shape}, expected ({int(np.prod(prev))},)")
        if nxt is None or nxt.type not in ("dense", "dense_rec"):
            raise _err(k, "type", "flatten must be followed by a dense or dense_rec layer")
        return

    if layer.weight is None:
        raise _err(k, "weight", f"a {layer.type!r} layer needs weights")
    if layer.type in ("dense", "dense_rec"):
        if len(shape) != 1:
            raise _err(k, "shape", f"{shape}: a dense layer's shape is (n,)")
        if len(prev) != 1:
            raise _err(k, "type", f"a dense layer after a (C, H, W) layer {prev} needs a flatten "
                       "layer between them")
        n, n_in = shape[0], prev[0]
        w = _integers(k, "weight", layer.weight, (n, n_in))
        if layer.type == "dense":
            _no(k, layer, ("weight_rec",), "dense_rec only")
            parts = [("weight", w)]
        else:
            w_rec = _integers(k, "weight_rec", layer.weight_rec if layer.weight_rec is not None
                              else np.zeros(0), (n, n))
            _no(k, layer, ("delay",), "netx's dense_rec with delays drops the weight exponent and "
                "reuses the (out, in) delay matrix for weight_rec")
            parts = [("weight", w), ("weight_rec", w_rec)]
        problem = dense_weight_problem(*(p for _, p in parts))
        if problem is not None:
            name = parts[min(problem[0], len(parts) - 1)][0]
            raise _err(k, name, problem[1])
        if layer.bias is not None:
            _in_range(k, "bias", _integers(k, "bias", layer.bias, (n,)), BIAS_MIN, BIAS_MAX)
        if layer.delay is not None:
            d = np.asarray(layer.delay)
            if d.shape not in ((n,), (n, n_in)):
                raise _err(k, "delay", f"shape {d.shape}, expected ({n},) per output neuron or "
                           f"({n}, {n_in}) per synapse")
            _in_range(k, "delay", _integers(k, "delay", d), 0, MAX_DELAY)
        return

    # conv
    _no(k, layer, ("weight_rec",), "dense_rec only")
    if layer.neuron is None:
        raise _err(k, "neuron", "netx needs a neuron group on a conv layer")
    if len(prev) != 3:
        raise _err(k, "type", f"conv needs a (C, H, W) layer before it, got shape {prev}")
    w = _integers(k, "weight", layer.weight)
    if w.ndim != 4:
        raise _err(k, "weight", f"shape {w.shape}, expected (C_out, C_in/groups, kH, kW)")
    groups = layer.groups
    if isinstance(groups, bool) or int(groups) != groups or groups < 1:
        raise _err(k, "groups", f"{groups!r} is not a positive integer")
    c_in, c_out = prev[0], w.shape[0]
    if c_in % groups or c_out % groups:
        raise _err(k, "groups", f"{groups} does not divide C_in={c_in} and C_out={c_out}")
    if w.shape[1] != c_in // groups:
        raise _err(k, "weight", f"shape {w.shape}: axis 1 must be C_in/groups = {c_in // groups}")
    _in_range(k, "weight", w, CONV_WEIGHT_MIN, CONV_WEIGHT_MAX)
    for name, low in (("stride", 1), ("padding", 0), ("dilation", 1)):
        value = getattr(layer, name)
        if value is not None:
            v = np.asarray(value)
            if v.shape not in ((), (1,), (2,)) or not np.array_equal(v, np.round(v)):
                raise _err(k, name, f"{value!r}: expected an (H, W) pair of integers")
            _in_range(k, name, v.astype(np.int64), low, GEOMETRY_MAX)
    out = conv_output_shape(prev, w.shape, *layer.geometry())
    if min(out) < 1:
        raise _err(k, "weight", f"the kernel does not fit the input {prev}: output {out}")
    if shape != out:
        raise _err(k, "shape", f"{shape}, the convolution gives {out}")
    if layer.bias is not None:
        b = np.asarray(layer.bias)
        if b.shape not in ((c_out,), out):
            raise _err(k, "bias", f"shape {b.shape}, expected ({c_out},) per channel or {out}")
        _in_range(k, "bias", _integers(k, "bias", b), BIAS_MIN, BIAS_MAX)


def conv_output_shape(in_shape, weight_shape, stride, padding, dilation) -> tuple[int, int, int]:
    """(C_out, H_out, W_out) of PyTorch's conv2d (= Lava's conv/utils.py output_shape)."""
    _, h, w = in_shape
    k_h, k_w = weight_shape[2], weight_shape[3]
    h_out = (h + 2 * padding[0] - dilation[0] * (k_h - 1) - 1) // stride[0] + 1
    w_out = (w + 2 * padding[1] - dilation[1] * (k_w - 1) - 1) // stride[1] + 1
    return (int(weight_shape[0]), int(h_out), int(w_out))


# ------------------------------------------------------------------------------------
# netx's weight pipeline for dense layers


def _shl(x: np.ndarray, k: int) -> np.ndarray:
    """numpy's ``left_shift`` on int32 (a negative or >= 32 count gives 0)."""
    return np.zeros_like(x) if k < 0 or k >= 32 else x << k


def _shr(x: np.ndarray, k: int) -> np.ndarray:
    """numpy's ``right_shift`` on int32 (a negative or >= 32 count gives 0 or -1)."""
    return (x >> 63) if k < 0 or k >= 32 else x >> k


def netx_dense_weights(*parts: np.ndarray) -> tuple[list[np.ndarray], int]:
    """The synapse weights Lava uses for a dense layer, and the right shift of the sum.

    ``parts`` are the integer matrices of one layer (``weight``, and ``weight_rec`` for
    dense_rec, which netx optimizes together).  Returns ``(mantissas, shift)``: Lava's
    Dense model computes ``acc = (mantissa @ s) >> shift`` (a left shift by ``-shift`` if
    shift < 0) for each part.  The steps, in order:

    1. netx ``optimize_weight_bits`` (lava/lib/dl/netx/utils.py:80-158) on the hstacked
       matrix: clip to [-256, 254] if max > 254 and min < 0 (or min < -256 and max > 0);
       sign mode INHIBITORY if max < 0, EXCITATORY if min >= 0, else MIXED (is_signed = 1);
       scale = min(127/max, -128/min) (MIXED), -256/min (INHIBITORY), 255/max (EXCITATORY);
       scale_bits = floor(log2(scale)) + is_signed; n = the largest n <= 8 with every
       weight divisible by 2**n (0 if none), minus is_signed; num_weight_bits =
       8 - scale_bits - n; weight_exp = -scale_bits; w' = int32(w) << scale_bits.
       An all-zero matrix makes scale infinite: netx raises OverflowError.
    2. Lava's ``PyDenseModelBitAcc`` / ``PyDelayDenseModelBitAcc`` on each part
       (lava/proc/dense/models.py:82-91, lava/utils/weightutils.py): netx passes no
       sign_mode, so ``determine_sign_mode`` of the part's own w' (EXCITATORY if
       min >= 0, INHIBITORY if max <= 0, else MIXED -- max == 0 is INHIBITORY here but
       MIXED in step 1); ``clip_weights``: MIXED [-256, 255], EXCITATORY [0, 255],
       INHIBITORY [-255, 0]; ``truncate_weights``: (|w| >> t) << t with
       t = 8 - num_weight_bits + (1 if MIXED), on -w for INHIBITORY.
    3. ``a_buff = acc >> -weight_exp`` (``<<`` if weight_exp > 0), models.py:103-107.

    numpy's shift by a negative count gives 0 (left) or the sign (right), which is what
    Lava gets when t < 0 or scale_bits < 0.
    """
    w = np.hstack([np.asarray(p, np.int64) for p in parts])
    max_w, min_w = int(w.max()), int(w.min())
    if max_w == 0 and min_w == 0:
        raise OverflowError("netx cannot load an all-zero weight matrix "
                            "(optimize_weight_bits: cannot convert float infinity to integer)")
    if max_w > 254 and min_w < 0:
        w = np.clip(w, -256, 254)
        max_w = int(w.max())
    if min_w < -256 and max_w > 0:
        w = np.clip(w, -256, 254)
        min_w = int(w.min())
    if max_w < 0:
        is_signed, scale = 0, -256 / min_w
    elif min_w >= 0:
        is_signed, scale = 0, 255 / max_w
    else:
        is_signed = 1
        scale = min(127 / max_w if max_w else math.inf, -128 / min_w)
    scale_bits = math.floor(math.log2(scale)) + is_signed
    n = 8
    while n > 0 and np.any(w % (1 << n)):
        n -= 1
    n -= is_signed
    num_weight_bits = 8 - scale_bits - n
    scaled = _shl(w.astype(np.int32).astype(np.int64), scale_bits)
    out, start = [], 0
    for p in parts:
        q = scaled[:, start:start + np.shape(p)[1]]
        start += np.shape(p)[1]
        if q.min() >= 0:
            mode_mixed, inhibitory, low, high = 0, False, 0, 255
        elif q.max() <= 0:
            mode_mixed, inhibitory, low, high = 0, True, 0, 255
        else:
            mode_mixed, inhibitory, low, high = 1, False, -256, 255
        q = -q if inhibitory else q
        q = np.clip(q, low, high)
        t = 8 - num_weight_bits + mode_mixed
        q = _shl(_shr(q, t), t)
        out.append(-q if inhibitory else q)
    return out, scale_bits


def dense_weight_problem(*parts: np.ndarray) -> tuple[int, str] | None:
    """None if netx + Lava use the integer matrices ``parts`` of one dense layer exactly
    (acc = sum w*s), else (index of the part, reason).

    Exact means the pipeline of ``netx_dense_weights`` returns ``w << scale_bits`` with
    scale_bits >= 0.  What that accepts (derived from the code, checked with Lava):
      - mixed signs (some w > 0 and some w < 0): -256..254, any values;
      - all >= 0: 0..255;
      - all < 0 (no zero): -255..-1 unless min(w) is minus a power of two (-1, -2, ..., -128,
        -256): netx scales min(w) to exactly -256, Lava clips that to -255 and truncates the
        low bits, so *every* weight equal to min(w) changes (e.g. all -1 -> 0);
      - all <= 0 with some 0 (netx: MIXED, Lava: INHIBITORY): as all < 0 (no power-of-two
        minimum), and if min(w) < -128 all weights even (else num_weight_bits makes a
        negative truncation shift and every weight becomes 0);
      - dense_rec: the parts share netx's exponent but Lava picks each part's sign mode
        itself; a part of one sign in a mixed matrix with min < -128 or max > 127 (scale
        bits 0) and an odd weight gets a negative truncation shift (all its weights 0).
    """
    if all(not np.any(p) for p in parts):
        return (0, "all weights are 0: netx crashes (OverflowError in optimize_weight_bits)")
    for i, p in enumerate(parts):
        p = np.asarray(p, np.int64)
        if p.size and (p.min() < -256 or p.max() > 255):
            return (i, f"values {p.min()}..{p.max()} outside Loihi's -256..255")
    w = np.hstack([np.asarray(p, np.int64) for p in parts])
    if w.min() < 0 < w.max() and w.max() > 254:
        return (int(np.argmax([np.max(p) for p in parts])),
                f"max {w.max()} > 254 in a mixed-sign matrix: netx clips it to 254")
    got, shift = netx_dense_weights(*parts)
    for i, (p, g) in enumerate(zip(parts, got)):
        want = np.asarray(p, np.int64) << max(shift, 0)
        if shift < 0 or not np.array_equal(g, want):
            bad = np.argwhere(g != want)
            where = f" (e.g. {int(np.asarray(p)[tuple(bad[0])])} at {tuple(int(x) for x in bad[0])})" \
                if len(bad) else ""
            return (i, f"netx/Lava would change these weights{where}: values "
                    f"{int(np.min(p))}..{int(np.max(p))} (see dense_weight_problem: "
                    "all-nonpositive matrices need a minimum that is not minus a power of two, "
                    "and even weights if it is below -128)")
    return None


# ------------------------------------------------------------------------------------
# HDF5


def _neuron_group(g: h5py.Group, neuron: NetxNeuron) -> None:
    g.create_dataset("type", data="CUBA")
    g.create_dataset("iDecay", data=np.int64(neuron.i_decay))
    g.create_dataset("vDecay", data=np.int64(neuron.v_decay))
    g.create_dataset("vThMant", data=np.int64(neuron.v_th_mant))
    g.create_dataset("refDelay", data=np.int64(neuron.ref_delay))
    g.create_dataset("gradedSpike", data=bool(neuron.graded_spike))


def write_netx(network: NetxNetwork, path, check: bool = True) -> None:
    """Write ``network`` (checked first unless ``check`` is False) as a netx HDF5 file, in
    the layout and dtypes of lava-dl's exporter (slayer/block/base.py ``export_hdf5``): ``type`` S10 (1,), ``shape``
    int64, ``weight``/``weight_rec``/``bias``/``delay`` float32 (exact: all are small
    integers), neuron scalars int64, neuron ``type`` a string, ``gradedSpike`` bool,
    ``inFeatures``/``outFeatures`` (dense) and ``inChannels``/``outChannels``/``kernelSize``
    (conv, informational), ``stride``/``padding``/``dilation`` int64 (2,) in (H, W) order,
    ``groups`` int64 scalar, and ``simulation/Ts``, ``simulation/tSample``."""
    if check:
        network.check()
    with h5py.File(path, "w") as f:
        prev: tuple[int, ...] = ()
        for k, layer in enumerate(network.layers):
            g = f.create_group(f"layer/{k}")
            g.create_dataset("type", (1,), "S10", [layer.type.encode("ascii")])
            g.create_dataset("shape", data=np.array(layer.shape, np.int64))
            if layer.type in ("dense", "dense_rec"):
                g.create_dataset("inFeatures", data=np.int64(prev[0]))
                g.create_dataset("outFeatures", data=np.int64(layer.shape[0]))
            if layer.type == "conv":
                w = np.asarray(layer.weight)
                stride, padding, dilation = layer.geometry()
                g.create_dataset("inChannels", data=np.int64(prev[0]))
                g.create_dataset("outChannels", data=np.int64(w.shape[0]))
                g.create_dataset("kernelSize", data=np.array(w.shape[2:], np.int64))
                g.create_dataset("stride", data=np.array(stride, np.int64))
                g.create_dataset("padding", data=np.array(padding, np.int64))
                g.create_dataset("dilation", data=np.array(dilation, np.int64))
                g.create_dataset("groups", data=np.int64(layer.groups))
            for name in ("weight", "weight_rec", "delay"):
                value = getattr(layer, name)
                if value is not None:
                    g.create_dataset(name, data=np.asarray(value).astype(np.float32))
            if layer.bias is not None:
                bias = np.asarray(layer.bias)
                if bias.ndim == 3:  # per-neuron conv bias: netx wants Lava's (W, H, C)
                    bias = bias.transpose(2, 1, 0)
                g.create_dataset("bias", data=bias.astype(np.float32))
            if layer.neuron is not None:
                _neuron_group(g.create_group("neuron"), layer.neuron)
            prev = tuple(layer.shape)
        f.create_dataset("simulation/Ts", data=np.int64(1))
        f.create_dataset("simulation/tSample", data=np.int64(0))


def _str(ds) -> str:
    value = ds[()]
    value = value[0] if np.ndim(value) else value
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _ints(value) -> np.ndarray:
    a = np.asarray(value)
    if np.issubdtype(a.dtype, np.floating):
        a = np.trunc(a)  # netx's astype(int)
    return a.astype(np.int64)


def read_netx(path, num_layers: int | None = None) -> NetxNetwork:
    """The network in a netx HDF5 file, as netx reads it: fractional weights, biases and
    delays truncated toward zero, a 1-D dense weight reshaped to (out, -1), a dense or
    flatten shape given as (n, 1, 1) etc. reduced to (n,), a scalar delay or one per
    input neuron expanded to (out, in), a (W, H, C) conv bias transposed to (C, H, W).
    Neuron types CUBA and LOIHI (the same in netx); anything netx would build differently
    (messageBits, other neuron types, layer types nirc does not use) raises ValueError.
    ``num_layers``: read only the first layers (netx's ``num_layers``), e.g. to skip an
    unsupported ``average`` layer at the end of a lava-dl file."""
    layers: list[NetxLayer] = []
    with h5py.File(path, "r") as f:
        groups = f["layer"]
        count = len(groups) if num_layers is None else min(num_layers, len(groups))
        for k in range(count):
            g = groups[str(k)]
            kind = _str(g["type"])
            if kind not in LAYER_TYPES:
                raise ValueError(f"layer {k}: type: {kind!r} is not supported")
            shape = tuple(int(d) for d in np.ravel(g["shape"][()]))
            if kind in ("dense", "dense_rec", "flatten"):
                shape = (int(np.prod(shape)),)
            layer = NetxLayer(type=kind, shape=shape)
            if "neuron" in g and kind != "flatten":
                ng = g["neuron"]
                ntype = _str(ng["type"])
                if ntype not in ("CUBA", "LOIHI") or "messageBits" in ng:
                    raise ValueError(f"layer {k}: neuron: type {ntype!r}"
                                     f"{' with messageBits' if 'messageBits' in ng else ''} "
                                     "is not supported")
                layer.neuron = NetxNeuron(
                    i_decay=int(ng["iDecay"][()]), v_decay=int(ng["vDecay"][()]),
                    v_th_mant=int(ng["vThMant"][()]),
                    ref_delay=int(ng["refDelay"][()]) if "refDelay" in ng else 1,
                    graded_spike=bool(ng["gradedSpike"][()]) if "gradedSpike" in ng else False)
            if kind in ("dense", "dense_rec", "conv"):
                w = _ints(g["weight"][()])
                if kind != "conv" and w.ndim == 1:
                    w = w.reshape(shape[0], -1)
                layer.weight = w
                if kind == "dense_rec":
                    wr = _ints(g["weight_rec"][()])
                    layer.weight_rec = wr.reshape(shape[0], -1) if wr.ndim == 1 else wr
                if "bias" in g:
                    b = _ints(g["bias"][()])
                    layer.bias = b.transpose(2, 1, 0) if b.ndim == 3 else b
                if "delay" in g and kind != "conv":
                    d = np.clip(_ints(g["delay"][()]), 0, MAX_DELAY)
                    n_out, n_in = w.shape
                    if d.ndim == 0:
                        d = np.full(n_out, int(d), np.int64)
                    elif d.ndim == 1 and d.size != n_out:
                        d = np.broadcast_to(d.reshape(1, -1), (n_out, n_in)).copy()
                    layer.delay = d
            if kind == "conv":
                def pair(name, default):
                    if name not in g:
                        return (default, default)
                    v = np.ravel(g[name][()]).astype(int)
                    return (int(v[0]), int(v[0])) if v.size == 1 else (int(v[0]), int(v[1]))
                layer.stride, layer.padding = pair("stride", 1), pair("padding", 0)
                layer.dilation = pair("dilation", 1)
                layer.groups = int(np.ravel(g["groups"][()])[0]) if "groups" in g else 1
            layers.append(layer)
    return NetxNetwork(layers=layers)
