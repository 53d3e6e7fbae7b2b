"""Map a fused, discretized network onto a netx layer chain (float values).

lava-dl's netx (0.6.0, lava/lib/dl/netx/hdf5.py ``Network._create``) builds a
*sequence* of blocks: an input, then dense / dense_rec / conv blocks, each a synapse
(the block's weights) feeding CUBA neurons, with ``flatten`` markers between conv and
dense.  So the graph must be a chain: Input -> layer -> [Flatten] [Delay] -> layer ...
-> Output, where a layer (``snn.layer`` from ``fuse``) holds one Affine/Linear/Conv2d
from the previous stage, optionally a recurrent Linear, and one neuron.

Neurons (Loihi's CUBA: lava-nc 0.10.0 lava/proc/lif/models.py): CubaLIF as is
(current=new), LIF and IF as CUBA with a current that decays fully each step, LI and
CubaLI as a readout that never spikes (read its v).  Loihi resets v to 0, so a spiking
neuron needs reset=value and v_reset = 0.  A Delay before a layer becomes that layer's
synaptic delay (whole steps, 0..62, one per source neuron).  Anything else is an error
naming the node and what Loihi 2 cannot do.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from xdsl.ir import BlockArgument

from nirc.diagnostics import NircError
from nirc.dialects import nir as nir_ops
from nirc.dialects import snn
from nirc.dialects.nir_graph import GraphOp, node_name_of
from nirc.dialects.snn_layer import LayerOp

from .chips import MAX_DELAY

DENSE = (nir_ops.AffineOp, nir_ops.LinearOp)
CUBA = (snn.CubaLIOp, snn.CubaLIFOp)
SPIKING = (snn.LIFOp, snn.IFOp, snn.CubaLIFOp)
INTEGRATORS = (snn.IOp, snn.IFOp)


@dataclass
class FloatLayer:
    """One netx block in float: weights W (out, in) or (out, in/g, kH, kW) as NIR holds
    them, and the neuron's per-step coefficients (snn dialect)."""

    name: str
    kind: str                      # "dense" | "conv" | "flatten"
    out_shape: tuple[int, ...]
    weight: np.ndarray | None = None
    weight_rec: np.ndarray | None = None
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    delay: np.ndarray | None = None  # steps, per source neuron
    i_decay: np.ndarray | None = None  # per neuron; None: no current (LIF, IF, LI)
    v_decay: np.ndarray | None = None
    gain: np.ndarray | None = None     # v change per unit of weighted input
    threshold: np.ndarray | None = None  # None: never spikes (a readout)
    bias: np.ndarray | None = None     # added to v every step

    @property
    def spiking(self) -> bool:
        return self.threshold is not None


def map_chain(graph: GraphOp) -> tuple[tuple[int, ...], list[FloatLayer]]:
    """(input shape, the chain of float layers) or a NircError naming the node."""
    nodes = list(graph.nodes())
    inputs = [op for op in nodes if isinstance(op, nir_ops.InputOp)]
    outputs = [op for op in nodes if isinstance(op, nir_ops.OutputOp)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NircError(f"Loihi 2 (netx) takes one Input and one Output, found {len(inputs)} "
                        f"and {len(outputs)}")
    for op in nodes:
        if not isinstance(op, nir_ops.InputOp | nir_ops.OutputOp | LayerOp | nir_ops.FlattenOp
                          | snn.DelayOp | nir_ops.SumPool2dOp):
            raise NircError(f"Loihi 2 cannot hold '{op.name}' outside a layer (netx blocks are "
                            "synapses + CUBA neurons, flatten between them)",
                            node=node_name_of(op))
    chain: list = []
    op = _single_source(outputs[0])
    while not isinstance(op, nir_ops.InputOp):
        chain.append(op)
        if isinstance(op, LayerOp):
            value = _feed(op)
            op = op.operands[value.index].owner
        else:
            op = _single_source(op)
    chain.reverse()
    layers: list[FloatLayer] = []
    pending_delay = pool = None
    for op in chain:
        if isinstance(op, nir_ops.SumPool2dOp):
            if pool is not None:
                raise NircError("two pooling layers in a row have no netx form",
                                node=node_name_of(op))
            pool = _pool(op)
        elif isinstance(op, snn.DelayOp):
            steps = np.asarray(op.array("steps"), np.int64).reshape(-1)
            if steps.max(initial=0) > MAX_DELAY:
                raise NircError(f"delay of {steps.max()} steps; Loihi 2's synaptic delays are "
                                f"0..{MAX_DELAY}", node=node_name_of(op), field="delay")
            pending_delay = steps if pending_delay is None else pending_delay + steps
        elif isinstance(op, nir_ops.FlattenOp):
            shape = tuple(op.output_shape)
            if pool is not None:  # flatten the unpooled map; the dense weights absorb the pool
                shape = (int(np.prod(pool["in_shape"])),)
            layers.append(FloatLayer(node_name_of(op), "flatten", shape))
        else:
            layer = _layer(op)
            if pool is not None:
                _fold_pool(layer, pool)
                pool = None
            layer.delay = pending_delay
            pending_delay = None
            layers.append(layer)
    if pool is not None:
        raise NircError("a pooling layer must feed a weight layer on Loihi 2 (it is folded into "
                        "that layer's weights)", node=pool["name"])
    if pending_delay is not None:
        raise NircError("a Delay before the Output has no netx form (delays belong to "
                        "synapses)", node=node_name_of(chain[-1]))
    if not any(layer.kind != "flatten" for layer in layers):
        raise NircError("the network has no neuron layer")
    return tuple(inputs[0].output_shape), layers


def _pool(op) -> dict:
    """A SumPool2d that netx cannot hold (lava-dl 0.6.0 netx/hdf5.py raises
    NotImplementedError for 'pool'), to be folded into the next weight layer: exact when
    its windows tile the map (kernel = stride, no padding, sizes divisible)."""
    from nirc.dialects.nir_shapes import per_dim

    kernel, stride, padding = (per_dim(op.array(f), 2, 0) for f in ("kernel_size", "stride", "padding"))
    in_shape = tuple(op.input_shape)
    if kernel != stride or any(padding) or in_shape[1] % kernel[0] or in_shape[2] % kernel[1]:
        raise NircError(f"netx has no pooling layer; nirc folds a SumPool2d into the next layer "
                        f"only when its windows tile the map (kernel = stride, no padding, sizes "
                        f"divisible), found kernel {list(kernel)}, stride {list(stride)}, padding "
                        f"{list(padding)} on {list(in_shape)}", node=node_name_of(op))
    return {"name": node_name_of(op), "kernel": kernel, "in_shape": in_shape}


def _fold_pool(layer: FloatLayer, pool: dict) -> None:
    """Rewrite the layer's weights to read the unpooled map: a dense layer's weight for
    pooled feature (c, i, j) serves every (c, i*k + a, j*k + b); a convolution gets the
    kernel repeated k x k times, stride and padding times k (dilation 1 only)."""
    kh, kw = pool["kernel"]
    c, h, w = pool["in_shape"]
    if layer.kind == "dense":
        wt = layer.weight.reshape(layer.weight.shape[0], c, h // kh, w // kw)
        layer.weight = np.repeat(np.repeat(wt, kh, axis=2), kw, axis=3).reshape(wt.shape[0], -1)
        return
    if layer.dilation != (1, 1):
        raise NircError("a pooling layer before a dilated convolution has no netx form",
                        node=pool["name"])
    layer.weight = np.repeat(np.repeat(layer.weight, kh, axis=2), kw, axis=3)
    layer.stride = (layer.stride[0] * kh, layer.stride[1] * kw)
    layer.padding = (layer.padding[0] * kh, layer.padding[1] * kw)


def _single_source(op):
    owners = {v.owner for v in op.operands}
    if len(owners) != 1:
        raise NircError(f"netx networks are chains: '{op.name}' has {len(owners)} sources",
                        node=node_name_of(op))
    return owners.pop()


def _feed(layer: LayerOp) -> BlockArgument:
    """The block argument the layer's feed-forward synapse reads (exactly one)."""
    neuron = layer.neuron()
    feeds = [s for s in layer.synapses() if s not in layer.recurrent()]
    if len(feeds) != 1 or len(layer.recurrent()) > 1:
        raise NircError("a netx block has one feed-forward synapse and at most one recurrent "
                        f"one, found {len(feeds)} and {len(layer.recurrent())}",
                        node=layer.layer_name)
    value = feeds[0].operands[0] if len(feeds[0].operands) == 1 else None
    if not isinstance(value, BlockArgument) or any(isinstance(v, BlockArgument)
                                                   for v in neuron.operands):
        raise NircError("Loihi 2's neurons take input through one weight layer",
                        node=layer.layer_name)
    return value


def _layer(layer: LayerOp) -> FloatLayer:
    name = layer.layer_name
    feed = [s for s in layer.synapses() if s not in layer.recurrent()][0]
    neuron = layer.neuron()
    out = FloatLayer(name, "", tuple(neuron.output_shape))
    if isinstance(feed, DENSE):
        out.kind = "dense"
        if len(out.out_shape) != 1:
            raise NircError("a dense layer must feed a 1-d neuron array", node=name)
    elif isinstance(feed, nir_ops.Conv2dOp):
        kernel, stride, padding, dilation = feed._geometry()
        if isinstance(padding, str):
            raise NircError(f"padding '{padding}' has no netx form; give numbers",
                            node=node_name_of(feed), field="padding")
        out.kind, out.stride, out.padding, out.dilation = "conv", tuple(stride), tuple(padding), tuple(dilation)
        out.groups = int(np.asarray(feed.array("groups")).reshape(-1)[0])
    else:
        raise NircError(f"'{feed.name}' has no netx form (dense and conv2d only)",
                        node=node_name_of(feed))
    out.weight = np.asarray(feed.array("weight"), np.float64)
    for rec in layer.recurrent():
        if not isinstance(rec, DENSE) or out.kind != "dense":
            raise NircError("recurrent weights must be a Linear/Affine on a dense layer "
                            "(netx dense_rec)", node=node_name_of(rec))
        out.weight_rec = np.asarray(rec.array("weight"), np.float64)
    _neuron(out, neuron, name)
    for synapse in [feed, *layer.recurrent()]:
        bias = synapse.array("bias") if isinstance(synapse, nir_ops.AffineOp | nir_ops.Conv2dOp) else None
        if bias is not None and np.any(np.asarray(bias) != 0):
            _fold_bias(out, np.asarray(bias, np.float64), node_name_of(synapse))
    return out


def _neuron(out: FloatLayer, neuron, name: str) -> None:
    if not isinstance(neuron, snn.SNN_OPS) or isinstance(neuron, snn.ThresholdOp | snn.DelayOp):
        raise NircError(f"'{neuron.name}' has no Loihi 2 form (CUBA neurons: LIF, CubaLIF, IF, "
                        "LI, CubaLI, I)", node=name)
    get = neuron.array
    shape = out.out_shape
    cuba = isinstance(neuron, CUBA)
    if cuba and neuron.current.data != "new":
        raise NircError("Loihi's membrane adds this step's current: discretize with current=new",
                        node=name, field="current")
    if isinstance(neuron, SPIKING):
        neuron.require_spike_rule("Loihi 2 (one spike per step when v > vth)")
        if neuron.reset.data != "value" or np.any(get("v_reset") != 0):
            raise NircError("Loihi 2 resets v to 0 after a spike: discretize with reset=value "
                            "and v_reset = 0", node=name, field="reset")
        out.threshold = np.asarray(get("v_threshold"), np.float64)
    if np.any(get("v_init") != 0):
        warnings.warn(f"'{name}': Loihi starts every neuron at v = 0; v_init is ignored")
    out.i_decay = np.asarray(get("i_decay"), np.float64) if cuba else None
    out.v_decay = (np.ones(shape) if isinstance(neuron, INTEGRATORS)
                   else np.asarray(get("v_decay"), np.float64))
    out.gain = np.asarray(get("v_gain") * (get("i_gain") if cuba else 1.0), np.float64)
    out.bias = (np.zeros(shape) if isinstance(neuron, INTEGRATORS)
                else np.asarray(get("v_bias"), np.float64).copy())


def _fold_bias(out: FloatLayer, bias: np.ndarray, name: str) -> None:
    """netx blocks have no synapse bias: a constant input b adds gain * b to v per step
    (no current) or, once the current has settled, gain * b / (1 - i_decay) (CUBA);
    added to the neuron bias (exact after the current's first time constant; warned)."""
    if out.kind == "conv":
        bias = np.broadcast_to(bias.reshape(-1, *([1] * (len(out.out_shape) - 1))), out.out_shape)
    if out.i_decay is not None:
        settle = 1.0 - out.i_decay
        if np.any(settle <= 0):
            raise NircError("a synapse bias into a current that never decays has no netx form",
                            node=name, field="bias")
        out.bias = out.bias + out.gain * bias / settle
        warnings.warn(f"'{name}': netx has no synapse bias; its steady effect is folded into "
                      f"the neuron bias of '{out.name}' (differs for the first ~tau_syn)")
    else:
        out.bias = out.bias + out.gain * bias
