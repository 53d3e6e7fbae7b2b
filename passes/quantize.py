"""``quantize{target=generic weight-bits=8 per-channel=true symmetric=true ...}``: float
layers -> integer weights and ``qsnn.neuron`` ops in the target's arithmetic.

Works on ``snn.layer`` ops (run ``discretize`` and ``fuse`` first).  A target whose
formats are shared across layers quantizes the whole module itself
(``Target.quantize_module``): ``quantize{target=xylo}`` is ``lower-to-xylo``.  For a layer whose
neuron n has input gain g_n (LIF/LI/IF/I: v_gain; CubaLIF/CubaLI: i_gain * v_gain) and
whose synapse rows (input and recurrent weights together) have the scale q_n:

- weights: W[n, :] ~= q_n * Wq[n, :], Wq = clip(round(W / q_n)) to the signed
  ``weight-bits`` range +-(2**(b-1) - 1) (symmetric: q_n = max|W[n, :]| / (2**(b-1) - 1));
  asymmetric: q_n = (max - min) / (2**b - 1) over the row (range widened to hold 0),
  zero point z_n = round(-min / q_n), stored as the effective integers
  clip(round(W / q_n) + z_n, 0, 2**b - 1) - z_n.  ``per-channel`` gives each output
  neuron (a convolution: each output channel) its own q_n; otherwise one q for the layer.
  Rounding is to nearest (half to even), with saturation.
- synapse biases: round(b / q_n), saturated to ``bias-bits``.
- the neuron: one LSB of its state is unit_n = g_n * q_n / 2**s (so that the integer
  input sum needs no multiplier, only the left shift s: I = i / (i_gain q) * 2**s, V = v
  / unit); s is the largest shift (<= 16) that keeps the layer's largest threshold,
  bias and reset within a quarter of the ``threshold-bits`` range and the state's
  headroom (finer state LSBs make the rounding of decays negligible); decays become
  round(d * 2**decay-bits); v_bias, v_threshold, v_reset, v_init become round(value /
  unit_n), saturated to ``bias-bits`` / ``threshold-bits`` / ``state-bits`` (a
  saturated threshold or bias is reported as a warning).

``bias-correction=true`` (off by default: plain round-to-nearest) removes the mean error
that weight rounding adds to each neuron's input, E[(W - q Wq) x] (Nagel et al. 2019,
"Data-Free Quantization Through Weight Equalization and Bias Correction", sec. 4.2; here
with measured input means).  The float module is simulated on calibration input, the
user's (``calibration-input="X.npy"``: (T, [B,] *shape) for the one Input node, or an .npz
of such arrays by Input name) or else generated Bernoulli spikes (``check-rate``,
``calibration-steps`` x ``calibration-batch``, seed ``seed + 1``: not the input the
agreement is checked on), and each synapse's mean input m = E[x] is recorded.  With the
interpreter's own kernels, the drift of neuron n in weight LSBs is

    drift_n = sum over its synapses of (W m + b)_n / q_n - (Wq m + bq)_n

and v_bias_n gains round(drift_n * 2**s) state LSBs (CubaLIF/CubaLI: divided by
1 - i_decay, the current's steady-state gain).  The weights stay round-to-nearest; the
correction uses the float network's statistics only, layer by layer, so it does not fit
the calibration sample's own upstream fluctuations.  It needs a flat graph
(``flatten-subgraphs``) and is refused for targets that quantize in their own arithmetic.

Each layer records ``quant = {weight_bits, scheme, granularity, sqnr_db, agreement}``:
the weight SQNR 10 log10(sum W^2 / sum (W - q Wq)^2) (capped at 300 dB when exact) and,
on generated Bernoulli input (``check-steps``, ``check-batch``, ``check-rate``,
``seed``; 0 steps: skipped), the agreement between the float and the integer
simulation of the layer: 1 - sum |Cf - Cq| / sum max(Cf, Cq) over the spike counts of
every neuron and sample (a spiking layer), or 1 - ||yf - yq|| / ||yf|| (a readout).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import BlockArgument
from xdsl.passes import ModulePass

from nirc.diagnostics import NircError
from nirc.input_arrays import bernoulli_inputs, load_array
from nirc.dialects import nir as nir_ops
from nirc.dialects import snn
from nirc.dialects.arrays import to_dense
from nirc.dialects.nir_graph import GraphOp, node_name_of
from nirc.dialects.qsnn import NeuronOp
from nirc.dialects.snn_layer import LayerOp

from .records import record_attr, record_values

DENSE = (nir_ops.AffineOp, nir_ops.LinearOp)
CONV = (nir_ops.Conv1dOp, nir_ops.Conv2dOp)
CUBA = (snn.CubaLIOp, snn.CubaLIFOp)
SPIKING = (snn.LIFOp, snn.IFOp, snn.CubaLIFOp)
INTEGER_FRIENDLY = (nir_ops.InputOp, nir_ops.OutputOp, nir_ops.FlattenOp, nir_ops.SumPool2dOp,
                    snn.DelayOp, LayerOp, GraphOp)
MAX_SQNR_DB = 300.0


@dataclass(frozen=True)
class Scheme:
    weight_bits: int
    bias_bits: int
    threshold_bits: int
    state_bits: int
    decay_bits: int
    rounding: str
    overflow: str
    per_channel: bool
    symmetric: bool


@dataclass(frozen=True)
class Quantize(ModulePass):
    name = "quantize"

    target: str = "generic"
    weight_bits: int | None = None
    bias_bits: int | None = None
    threshold_bits: int | None = None
    state_bits: int | None = None
    decay_bits: int | None = None
    per_channel: bool = True
    symmetric: bool = True
    bias_correction: bool = False
    calibration_steps: int = 100
    calibration_batch: int = 8
    calibration_input: str | None = None
    check_steps: int = 100
    check_batch: int = 4
    check_rate: float = 0.1
    seed: int = 0

    def scheme(self) -> Scheme:
        from nirc.targets import make_target

        model = make_target(self.target).resources()
        if model is None:
            raise NircError(f"target '{self.target}' has no integer arithmetic to quantize to")
        bits = {f: getattr(self, f) if getattr(self, f) is not None else getattr(model, f)
                for f in ("weight_bits", "bias_bits", "threshold_bits", "state_bits", "decay_bits")}
        if not 2 <= bits["weight_bits"] <= 16:
            raise NircError(f"weight-bits must be in 2..16, found {bits['weight_bits']}")
        return Scheme(**bits, rounding=model.rounding, overflow=model.overflow,
                      per_channel=self.per_channel, symmetric=self.symmetric)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from nirc.targets import make_target

        target = make_target(self.target)
        if target.OWN_QUANTIZATION and self.bias_correction:
            raise NircError(f"bias-correction is not available for target '{self.target}': it "
                            "quantizes the whole network in its own arithmetic")
        if target.quantize_module(op, self.per_channel):
            return  # the target's own arithmetic (quantize{target=xylo} = lower-to-xylo)
        scheme = self.scheme()
        layers = [o for o in op.walk() if isinstance(o, LayerOp)]
        _check_structure(op, layers)
        reference = op.clone() if self.check_steps > 0 else None
        # the simulator plans a copy, and op is still the float module here
        means = _synapse_input_means(op, self) if self.bias_correction else None
        records = {layer.layer_name: quantize_layer(layer, scheme, means) for layer in layers}
        if reference is not None and layers:
            agreement = _agreement(reference, op, list(records), self)
            for name, value in agreement.items():
                records[name]["agreement"] = value
        for layer in layers:
            layer.quant = record_attr(records[layer.layer_name])
        op.attributes["nirc.quantize"] = record_attr({
            "target": self.target, "weight_bits": scheme.weight_bits,
            "scheme": "symmetric" if scheme.symmetric else "asymmetric",
            "granularity": "per-channel" if scheme.per_channel else "per-tensor",
            "bias_correction": "calibrated" if self.bias_correction else "none"})


# ---- structure ---------------------------------------------------------------------


def _check_structure(module: ModuleOp, layers: list[LayerOp]) -> None:
    for graph in [o for o in module.walk() if isinstance(o, GraphOp)]:
        for node in graph.block.ops:
            if not isinstance(node, INTEGER_FRIENDLY):
                raise NircError(f"'{node.name}' is not part of an snn.layer and has no integer "
                                "form (run 'fuse' first; integer chips hold layers, pooling, "
                                "flatten and delays)", node=node_name_of(node))
    for layer in layers:
        neuron = layer.neuron()
        if isinstance(neuron, NeuronOp):
            raise NircError("the layer is already quantized", node=layer.layer_name)
        if not isinstance(neuron, snn.SNN_OPS):
            raise NircError(f"'{neuron.name}' is not a discretized neuron: run 'discretize' first",
                            node=layer.layer_name)
        for value in layer.inputs:
            source = value.owner
            while isinstance(source, nir_ops.FlattenOp | nir_ops.SumPool2dOp | snn.DelayOp) \
                    and len(source.operands) == 1:
                source = source.operands[0].owner  # these pass spike counts through as counts
            if isinstance(source, LayerOp) and not isinstance(source.neuron(), SPIKING):
                raise NircError(f"its input comes from layer '{source.layer_name}', which outputs "
                                "a voltage, not spikes: integer layers take spike counts",
                                node=layer.layer_name)


# ---- one layer -----------------------------------------------------------------------


def quantize_layer(layer: LayerOp, scheme: Scheme,
                   input_means: dict[str, np.ndarray] | None = None) -> dict:
    """Quantize one layer in place; ``input_means`` (synapse name -> its mean input)
    turns on bias correction (module docstring)."""
    from nirc.targets.interp.plan import apply_synapse

    neuron = layer.neuron()
    shape = tuple(neuron.results[0].type.get_shape())
    synapses = layer.synapses()
    for s in synapses:
        if not isinstance(s, DENSE + CONV):
            raise NircError(f"'{s.name}' has no integer form", node=node_name_of(s))
        if isinstance(s, DENSE) and len(shape) != 1:
            raise NircError("a dense synapse must feed a 1-d neuron array", node=node_name_of(s))
    q = _share(_fit_neuron(neuron, _scales(synapses, shape, scheme), scheme), synapses, scheme)
    zero = np.zeros(shape) if scheme.symmetric else _zero_points(synapses, shape, q, scheme)
    signal, noise = 0.0, 0.0
    drift = None if input_means is None else np.zeros(shape)
    for s in synapses:
        if drift is not None:
            mean = input_means[node_name_of(s)][None]
            drift += apply_synapse(s, mean)[0] / q
        w = s.array("weight").astype(np.float64)
        wq = _quantize_weight(w, s, q, zero, scheme)
        back = wq * _per_row(s, q, w.shape)
        signal, noise = signal + float(np.sum(w * w)), noise + float(np.sum((w - back) ** 2))
        s.properties["weight"] = to_dense(wq.astype(_int_dtype(wq)))
        if s.properties.get("bias") is not None:
            bias = s.array("bias").astype(np.float64)
            channel_q = _per_channel_scale(s, q)
            bq = _saturate(np.rint(np.broadcast_to(bias, channel_q.shape) / channel_q),
                           scheme.bias_bits, f"bias of '{node_name_of(s)}'")
            s.properties["bias"] = to_dense(bq.astype(np.int32 if scheme.bias_bits <= 32 else np.int64))
        if drift is not None:
            drift -= apply_synapse(s, mean)[0]
    _replace_neuron(neuron, q, scheme, drift)
    sqnr = sqnr_db(signal, noise)
    record = {"weight_bits": scheme.weight_bits,
              "scheme": "symmetric" if scheme.symmetric else "asymmetric",
              "granularity": "per-channel" if scheme.per_channel else "per-tensor",
              "sqnr_db": float(sqnr)}
    if drift is not None:
        record["bias_correction"] = "calibrated"
    return record


def sqnr_db(signal: float, noise: float) -> float:
    """10 log10(signal / noise) for sums of squares, capped at MAX_SQNR_DB (exact: noise 0)."""
    if noise == 0:
        return MAX_SQNR_DB
    return float(min(MAX_SQNR_DB, 10 * np.log10(max(signal, 1e-300) / noise)))


def _row_ranges(s, shape) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of the weights feeding each neuron of ``shape``, from synapse s."""
    w = s.array("weight").astype(np.float64)
    if isinstance(s, DENSE):
        return w.min(axis=1, initial=0.0), w.max(axis=1, initial=0.0)
    axes = tuple(range(1, w.ndim))
    lo, hi = w.min(axis=axes, initial=0.0), w.max(axis=axes, initial=0.0)
    spatial = (1,) * (len(shape) - 1)
    return (np.broadcast_to(lo.reshape(-1, *spatial), shape),
            np.broadcast_to(hi.reshape(-1, *spatial), shape))


def _scales(synapses, shape, scheme: Scheme) -> np.ndarray:
    """Per-neuron weight scale q, of the neuron shape (before thresholds are fitted)."""
    lo, hi = np.zeros(shape), np.zeros(shape)
    for s in synapses:
        a, b = _row_ranges(s, shape)
        lo, hi = np.minimum(lo, a), np.maximum(hi, b)
    lo, hi = -_share(-lo, synapses, scheme), _share(hi, synapses, scheme)
    b = scheme.weight_bits
    if scheme.symmetric:
        q = np.maximum(np.abs(lo), np.abs(hi)) / (2 ** (b - 1) - 1)
    else:
        q = (hi - lo) / (2 ** b - 1)
    fallback = q[q > 0].max() if np.any(q > 0) else 1.0
    return np.where(q > 0, q, fallback).astype(np.float64)  # all-zero rows: any scale is exact


def _share(per_neuron: np.ndarray, synapses, scheme: Scheme) -> np.ndarray:
    """The maximum over the neurons that must share one scale: a convolution's channel
    (its kernel serves every position), or the whole layer (per-tensor)."""
    shape = per_neuron.shape
    if not scheme.per_channel:
        return np.full(shape, per_neuron.max(initial=0.0))
    if any(isinstance(s, CONV) for s in synapses) and len(shape) > 1:
        axes = tuple(range(1, len(shape)))
        return np.broadcast_to(per_neuron.max(axis=axes, keepdims=True), shape).copy()
    return per_neuron


def _neuron_values(neuron) -> tuple[np.ndarray, list[np.ndarray]]:
    """(input gain, the values that must fit the state: threshold, reset, bias)."""
    get = neuron.array
    gain = get("v_gain") * (get("i_gain") if isinstance(neuron, CUBA) else 1.0)
    fields = (("v_threshold", "v_reset") if isinstance(neuron, SPIKING) else ())
    fields += () if isinstance(neuron, snn.IOp | snn.IFOp) else ("v_bias",)
    return gain, [get(f) for f in fields]


def _fit_neuron(neuron, q: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Coarsen q where the neuron's threshold, reset or bias would not fit a quarter of
    the threshold/state range in units of g * q (sinabs' rule: the largest weight
    scale that keeps weights in range *and* thresholds in theirs)."""
    gain, values = _neuron_values(neuron)
    if np.any(gain <= 0):
        raise NircError("integer arithmetic needs input gains > 0 (the state LSB is gain x "
                        "weight scale)", node=node_name_of(neuron), field="v_gain")
    limit = 2 ** (min(scheme.threshold_bits, scheme.state_bits) - 3)
    need = np.zeros(q.shape)
    for v in values:
        need = np.maximum(need, np.abs(np.broadcast_to(v, q.shape)) / (gain * limit))
    return np.maximum(q, need)


def _zero_points(synapses, shape, q: np.ndarray, scheme: Scheme) -> np.ndarray:
    lo = np.zeros(shape)
    for s in synapses:
        lo = np.minimum(lo, _row_ranges(s, shape)[0])
    return np.clip(np.rint(-lo / q), 0, 2 ** scheme.weight_bits - 1)


def _per_row(s, per_neuron: np.ndarray, wshape) -> np.ndarray:
    """A per-neuron array shaped to broadcast against synapse s's weight."""
    if isinstance(s, DENSE):
        return per_neuron.reshape(-1, 1)
    channel = per_neuron.reshape(per_neuron.shape[0], -1)[:, 0]
    return channel.reshape(-1, *([1] * (len(wshape) - 1)))


def _per_channel_scale(s, q: np.ndarray) -> np.ndarray:
    if isinstance(s, DENSE):
        return q
    return q.reshape(q.shape[0], -1)[:, 0]


def _quantize_weight(w, s, q, zero, scheme: Scheme) -> np.ndarray:
    scale, z = _per_row(s, q, w.shape), _per_row(s, zero, w.shape)
    b = scheme.weight_bits
    if scheme.symmetric:
        limit = 2 ** (b - 1) - 1
        return np.clip(np.rint(w / scale), -limit, limit)
    return np.clip(np.rint(w / scale) + z, 0, 2 ** b - 1) - z


def _int_dtype(values: np.ndarray):
    top = float(np.abs(values).max(initial=0))
    return np.int8 if top < 2 ** 7 else np.int16 if top < 2 ** 15 else np.int32


def _saturate(values: np.ndarray, bits: int, what: str) -> np.ndarray:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if values.size and (values.min() < low or values.max() > high):
        warnings.warn(f"{what} saturates to {bits} bits (needs {values.min():.0f}..{values.max():.0f})")
    return np.clip(values, low, high)


# ---- the neuron --------------------------------------------------------------------


def _replace_neuron(neuron, q: np.ndarray, scheme: Scheme, drift: np.ndarray | None = None) -> None:
    name = node_name_of(neuron)
    get = neuron.array
    cuba = isinstance(neuron, CUBA)
    gain, values = _neuron_values(neuron)
    spiking = isinstance(neuron, SPIKING)
    if spiking:
        neuron.require_spike_rule("the integer neuron (qsnn)")
    shift = _input_shift(gain * q, values, scheme)
    unit = gain * q / 2 ** shift
    one = 2 ** scheme.decay_bits
    integrator = isinstance(neuron, snn.IOp | snn.IFOp)
    zeros = np.zeros(q.shape)

    def decay(field: str) -> np.ndarray:
        d = get(field)
        if np.any(d < 0) or np.any(d > 1):
            raise NircError(f"decays must be in [0, 1] for integer arithmetic, found "
                            f"{d.min():.6g}..{d.max():.6g} (choose a smaller dt)", node=name, field=field)
        return np.rint(d * one)

    fields = {
        "i_decay": decay("i_decay") if cuba else np.full(q.shape, one),
        "v_decay": np.full(q.shape, one) if integrator else decay("v_decay"),
        "v_bias": _saturate(np.rint((zeros if integrator else get("v_bias")) / unit
                                    + _bias_correction(neuron, drift, shift)),
                            scheme.bias_bits, f"v_bias of '{name}'"),
        "v_threshold": _saturate(np.rint(get("v_threshold") / unit), scheme.threshold_bits,
                                 f"v_threshold of '{name}'") if spiking else zeros,
        "v_reset": _saturate(np.rint(get("v_reset") / unit), scheme.state_bits,
                             f"v_reset of '{name}'") if spiking else zeros,
        "v_init": _saturate(np.rint(get("v_init") / unit), scheme.state_bits, f"v_init of '{name}'"),
    }
    props = {"node_name": neuron.node_name}
    if neuron.properties.get("metadata") is not None:
        props["metadata"] = neuron.properties["metadata"]
    props.update({k: to_dense(np.ascontiguousarray(v, dtype=np.int64)) for k, v in fields.items()})
    props.update(
        unit=to_dense(np.ascontiguousarray(unit, dtype=np.float64)),
        decay_bits=IntegerAttr(scheme.decay_bits, i64), state_bits=IntegerAttr(scheme.state_bits, i64),
        input_shift=IntegerAttr(shift, i64),
        current=StringAttr(neuron.current.data if cuba else "none"),
        reset=StringAttr(neuron.reset.data if spiking else "value"),
        spiking=StringAttr("spike" if spiking else "voltage"),
        rounding=StringAttr(scheme.rounding), overflow=StringAttr(scheme.overflow))
    new = NeuronOp.create(operands=list(neuron.operands), result_types=[neuron.results[0].type],
                          properties=props)
    new.results[0].name_hint = neuron.results[0].name_hint
    block = neuron.parent_block()
    block.insert_op_before(new, neuron)
    neuron.results[0].replace_all_uses_with(new.results[0])
    neuron.detach()
    neuron.erase()


def _bias_correction(neuron, drift: np.ndarray | None, shift: int) -> np.ndarray | float:
    """State LSBs per step that undo a mean input drift (weight LSBs per step); a
    current-based neuron passes its input through I, whose steady-state gain is
    1 / (1 - i_decay)."""
    if drift is None:
        return 0.0
    correction = drift * 2.0 ** shift
    if isinstance(neuron, CUBA):
        i_decay = np.broadcast_to(neuron.array("i_decay"), drift.shape)
        if np.any(i_decay >= 1):
            raise NircError("bias correction needs i_decay < 1 (a current that never decays "
                            "turns a constant input error into a growing one)",
                            node=node_name_of(neuron), field="i_decay")
        correction = correction / (1 - i_decay)
    return correction


def _input_shift(unit: np.ndarray, values: list[np.ndarray], scheme: Scheme) -> int:
    """The largest s <= 16 with max |value| / unit * 2**s within a quarter of the
    threshold range and of the state range (headroom for inputs above threshold)."""
    top = max((float(np.max(np.abs(v) / unit)) for v in values if v.size), default=0.0)
    limit = 2 ** (min(scheme.threshold_bits, scheme.state_bits) - 3)
    shift = 0
    while shift < 16 and top * 2 ** (shift + 1) <= limit:
        shift += 1
    return shift


# ---- float vs integer ----------------------------------------------------------------


def _agreement(float_module: ModuleOp, int_module: ModuleOp, names: list[str], p: Quantize) -> dict:
    from nirc.targets.interp.api import Simulator

    inputs = bernoulli_inputs(float_module, p.check_rate, p.check_steps, p.check_batch, p.seed,
                              np.float64)
    floats = Simulator(float_module, dtype="float64").run(inputs, record=names, keep_batch_axis=True)
    ints = Simulator(int_module, dtype="float64").run(inputs, record=names, keep_batch_axis=True)
    out = {}
    for name in names:
        f, q = floats[name], ints[name]
        if np.all((f == 0) | (f == 1)) and np.all((q == 0) | (q == 1)):
            cf, cq = f.sum(axis=0), q.sum(axis=0)
            total = float(np.maximum(cf, cq).sum())
            out[name] = 1.0 if total == 0 else 1.0 - float(np.abs(cf - cq).sum()) / total
        else:
            norm = float(np.linalg.norm(f))
            out[name] = 1.0 - (float(np.linalg.norm(f - q)) / norm if norm else float(np.linalg.norm(q) > 0))
    return out


def _synapse_input_means(float_module: ModuleOp, p: Quantize) -> dict[str, np.ndarray]:
    """Synapse name -> its input averaged over steps and samples of the float module run
    on calibration input (seed + 1: held out from the agreement check)."""
    from nirc.targets.interp.api import Simulator

    if p.calibration_input is None and min(p.calibration_steps, p.calibration_batch) <= 0:
        raise NircError("bias-correction calibrates on generated input: calibration-steps "
                        "and calibration-batch must be > 0")
    nested = next((o for o in float_module.walk() if isinstance(o, GraphOp) and o.is_nested), None)
    if nested is not None:
        raise NircError("bias-correction needs a flat graph (it records each synapse's input "
                        "by node name): run 'flatten-subgraphs' first", node=node_name_of(nested))
    sources = {}
    for layer in (o for o in float_module.walk() if isinstance(o, LayerOp)):
        for syn in layer.synapses():
            value = syn.operands[0]
            if isinstance(value, BlockArgument):
                value = layer.inputs[value.index]
            sources[node_name_of(syn)] = node_name_of(value.owner)
    record = sorted(set(sources.values()))
    if p.calibration_input is None:
        inputs = bernoulli_inputs(float_module, p.check_rate, p.calibration_steps,
                                  p.calibration_batch, p.seed + 1, np.float64)
    else:
        inputs = load_array(p.calibration_input)
    try:
        runs = Simulator(float_module, dtype="float64").run(inputs, record=record, keep_batch_axis=True)
    except NircError as e:
        if p.calibration_input is None:
            raise
        raise NircError(f"calibration input: {e.message}", file=p.calibration_input,
                        node=e.node, field=e.field) from None
    return {name: runs[source].mean(axis=(0, 1)) for name, source in sources.items()}


def quant_report(module: ModuleOp) -> list[dict]:
    """Per layer: its ``quant`` record (bits, scheme, SQNR, agreement), for reports."""
    rows = []
    for layer in (o for o in module.walk() if isinstance(o, LayerOp)):
        if layer.quant is not None:
            rows.append({"layer": layer.layer_name, **record_values(layer.quant)})
    return rows
