"""Map a fused, discretized graph onto py-spinnaker2 populations and projections (float
values), by the rules of py-spinnaker2's NIR importer (s2_nir; ../shared/docs/targets.md):

- Input -> a ``spike_list`` population.
- Each ``snn.layer`` (from ``fuse``) -> one population: LIF, IF, LI, I ->
  ``lif_no_delay``, or ``lif_conv2d`` where a Conv2d feeds it; CubaLIF, CubaLI ->
  ``lif_curr_exp_no_delay`` (there is no current-based conv model: CubaLIF after a
  Conv2d is an error).  LI and CubaLI are readouts that never spike (their threshold is
  out of reach, as py-spinnaker2's examples do); they may only feed the Output.
- Affine/Linear -> a connection list [pre, post, weight, delay]; Conv2d ->
  ``Conv2DProjection``; a neuron fed without weights (an edge straight from a population)
  -> a one-to-one connection list of weight 1; a layer's recurrent weights -> a projection
  from the population to itself.
- Between a population and a layer's weights the signal may pass Flatten (the neuron
  numbering is C order on both sides: no change), SumPool2d/AvgPool2d, Scale and Delay:
  a pool before a Conv2d becomes its ``pool_x``/``pool_y`` (as s2_nir folds it); before
  Affine/Linear (or into a neuron) pools, scales and flattens are folded into the
  connection list, W_eff = W . P (exact for pools whose windows tile the map: kernel =
  stride, no padding); a Delay adds its steps to the delay of the connections from each
  source neuron (not before a Conv2d).
- Affine/Conv2d biases become the neuron's ``i_offset`` (arith.py).
- Two weight nodes in a row (a synapse outside a layer, which ``fuse`` could not merge
  because something else reads it) are the error s2_nir raises, naming both nodes.

The neuron's coefficients are the ``snn`` ones (discretize's euler or exact rule), read
per neuron: v_decay (1 for IF, I), gain (v_gain, times i_gain for a current), v_bias,
v_threshold, v_reset, v_init, i_decay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.ir import BlockArgument

from nirc.diagnostics import NircError
from nirc.dialects import nir as nir_ops
from nirc.dialects import snn
from nirc.dialects.nir_graph import GraphOp, node_name_of
from nirc.dialects.nir_shapes import per_dim
from nirc.dialects.snn_layer import LayerOp

from ..base import input_output

DENSE = (nir_ops.AffineOp, nir_ops.LinearOp)
WEIGHTS = (*DENSE, nir_ops.Conv1dOp, nir_ops.Conv2dOp)
POOLS = (nir_ops.SumPool2dOp, nir_ops.AvgPool2dOp)
PASS_THROUGH = (nir_ops.FlattenOp, nir_ops.ScaleOp, snn.DelayOp, *POOLS)
CUBA = (snn.CubaLIOp, snn.CubaLIFOp)
SPIKING = (snn.LIFOp, snn.IFOp, snn.CubaLIFOp)
INTEGRATORS = (snn.IOp, snn.IFOp)


@dataclass
class FloatPopulation:
    """A population with the neuron's per-step coefficients (flat, float64)."""

    name: str
    shape: tuple[int, ...]
    kind: str                        # "input" | "leaky" | "cuba"
    spiking: bool = True
    coefficients: dict[str, np.ndarray] = field(default_factory=dict)
    reset: str = "value"
    bias: np.ndarray | None = None   # sum of the synapse biases, in units of the input x
    conv: bool = False               # fed by a Conv2DProjection

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclass
class FloatProjection:
    """``weight`` (post, pre) for a list, NIR's (C_out, C_in, kH, kW) for conv2d."""

    name: str
    pre: str
    post: str
    kind: str
    weight: np.ndarray
    delay: np.ndarray                # steps added by Delay nodes, per pre neuron (conv: one)
    geometry: dict[str, int] | None = None
    nodes: tuple[str, ...] = ()      # the NIR nodes folded into it


@dataclass
class FloatNetwork:
    populations: list[FloatPopulation]
    projections: list[FloatProjection]
    input: str
    output: str

    def population(self, name: str) -> FloatPopulation:
        return next(p for p in self.populations if p.name == name)


def map_network(graph: GraphOp) -> FloatNetwork:
    nodes = list(graph.nodes())
    source, sink = input_output(nodes, "nirc's SpiNNaker2 network")
    for op in nodes:
        if not isinstance(op, (nir_ops.InputOp, nir_ops.OutputOp, LayerOp, *WEIGHTS,
                               *PASS_THROUGH)):
            hint = (" (run 'fuse' first: it groups each neuron with its weights into a layer)"
                    if isinstance(op, snn.SNN_OPS) else "")
            raise NircError(f"'{op.name}' has no SpiNNaker2 form outside a layer (populations "
                            f"of neurons and the projections between them){hint}",
                            node=node_name_of(op))
    pops = [FloatPopulation(node_name_of(source), tuple(source.output_shape), "input")]
    projections: list[FloatProjection] = []
    for layer in (op for op in nodes if isinstance(op, LayerOp)):
        pop = _population(layer)
        pops.append(pop)
        projections += _layer_projections(layer, pop)
    _unique_names(projections)
    net = FloatNetwork(pops, projections, pops[0].name, _output(sink))
    for proj in projections:
        pre = net.population(proj.pre)
        if not pre.spiking:
            raise NircError(f"'{pre.name}' is a non-spiking readout (threshold out of reach); "
                            f"SpiNNaker2 populations send spikes only, so it cannot feed "
                            f"'{proj.post}'", node=pre.name)
        if proj.kind == "conv2d":
            post = net.population(proj.post)
            if post.kind == "cuba":
                raise NircError(f"a Conv2d ('{proj.name}') feeds the CubaLIF '{post.name}': "
                                "py-spinnaker2 has no current-based convolutional neuron model "
                                "(lif_conv2d is a LIF)", node=post.name)
            post.conv = True
    return net


def _unique_names(projections: list[FloatProjection]) -> None:
    """Projections of one weight node into several populations: ``<node>-><post>``."""
    seen: dict[str, int] = {}
    for p in projections:
        seen[p.name] = seen.get(p.name, 0) + 1
    taken = set(seen)
    for p in projections:
        if seen[p.name] > 1:
            name, k = f"{p.name}->{p.post}", 1
            while name in taken:
                name, k = f"{p.name}->{p.post}.{k}", k + 1
            taken.add(name)
            p.name = name


def _output(op) -> str:
    owner = op.operands[0].owner if len(op.operands) == 1 else None
    if not isinstance(owner, LayerOp):
        raise NircError("the Output must read one population (a neuron layer) directly",
                        node=node_name_of(op))
    return owner.layer_name


def _population(layer: LayerOp) -> FloatPopulation:
    neuron = layer.neuron()
    name = layer.layer_name
    if not isinstance(neuron, snn.SNN_OPS) or isinstance(neuron, snn.ThresholdOp | snn.DelayOp):
        raise NircError(f"'{neuron.name}' has no SpiNNaker2 neuron model (lif_no_delay: LIF, IF, "
                        "LI, I; lif_curr_exp_no_delay: CubaLIF, CubaLI)", node=name)
    get = neuron.array
    shape = tuple(neuron.output_shape)
    n = int(np.prod(shape))

    def flat(f):
        return np.asarray(get(f), np.float64).reshape(n).copy()

    cuba = isinstance(neuron, CUBA)
    if cuba and neuron.current.data != "new":
        raise NircError("lif_curr_exp_no_delay adds this step's current to v (nirc's model): "
                        "discretize with current=new", node=name, field="current")
    integrator = isinstance(neuron, INTEGRATORS)
    c = {"v_decay": np.ones(n) if integrator else flat("v_decay"),
         "gain": flat("v_gain") * (flat("i_gain") if cuba else 1.0),
         "v_bias": np.zeros(n) if integrator else flat("v_bias"),
         "v_init": flat("v_init")}
    if cuba:
        c["i_decay"] = flat("i_decay")
    spiking = isinstance(neuron, SPIKING)
    if spiking:
        neuron.require_spike_rule("SpiNNaker2's lif models (one spike when v > threshold)")
        c["v_threshold"], c["v_reset"] = flat("v_threshold"), flat("v_reset")
    bad = ~(np.isfinite(c["gain"]) & (c["gain"] > 0))
    if np.any(bad):
        raise NircError(f"a neuron's input gain must be > 0 to scale it to int8 weights, found "
                        f"{c['gain'][bad][0]:.6g}", node=name, field="r")
    return FloatPopulation(name, shape, "cuba" if cuba else "leaky", spiking, c,
                           neuron.reset.data if spiking else "value", np.zeros(n))


def _layer_projections(layer: LayerOp, post: FloatPopulation) -> list[FloatProjection]:
    neuron = layer.neuron()
    out = []
    for value in neuron.operands:
        owner = value.owner
        if owner is neuron:  # a self-edge without weights
            out.append(_identity(post.name, post, [], layer.layer_name))
        elif isinstance(value, BlockArgument):
            outer = layer.inputs[value.index].owner
            if isinstance(outer, WEIGHTS):  # weights that another node reads too (fuse keeps
                out += _synapse_projections(layer, outer, post)  # them outside the layer)
                continue
            for pre, chain in _paths(layer.inputs[value.index], [], layer.layer_name):
                out.append(_identity(pre, post, chain, layer.layer_name))
        elif isinstance(owner, WEIGHTS):
            out += _synapse_projections(layer, owner, post)
        else:
            raise NircError(f"'{owner.name}' inside a layer has no SpiNNaker2 form",
                            node=node_name_of(owner))
    return out


def _synapse_projections(layer: LayerOp, synapse, post: FloatPopulation) -> list[FloatProjection]:
    name = node_name_of(synapse)
    if isinstance(synapse, nir_ops.Conv1dOp):
        raise NircError("nirc maps Conv2d (Conv2DProjection), not Conv1d, to SpiNNaker2",
                        node=name)
    bias = synapse.array("bias") if isinstance(synapse, nir_ops.AffineOp | nir_ops.Conv2dOp) else None
    if bias is not None:
        b = np.asarray(bias, np.float64)
        if isinstance(synapse, nir_ops.Conv2dOp):
            b = np.broadcast_to(b.reshape(-1, 1, 1), post.shape)
        post.bias = post.bias + np.broadcast_to(b, post.shape).reshape(-1)
    value = synapse.operands[0] if len(synapse.operands) == 1 else None
    if value is None:
        raise NircError("a weight node with several incoming edges has no SpiNNaker2 form",
                        node=name)
    neuron = layer.neuron()
    if synapse.parent_op() is not layer:  # outside the layer: its operand is a graph value
        paths = _paths(value, [], name)
    elif value.owner is neuron:
        paths = [(layer.layer_name, [])]
    elif isinstance(value, BlockArgument):
        paths = _paths(layer.inputs[value.index], [], name)
    else:
        raise NircError(f"'{node_name_of(value.owner)}' feeds the weights '{name}' inside a layer "
                        "with no population between them", node=name)
    return [(_conv if isinstance(synapse, nir_ops.Conv2dOp) else _dense)(pre, post, synapse, chain)
            for pre, chain in paths]


def _paths(value, seen: list, target: str) -> list[tuple[str, list]]:
    """(source population, the pass-through ops from it to ``value``, source first)."""
    op = value.owner
    if isinstance(op, nir_ops.InputOp):
        return [(node_name_of(op), [])]
    if isinstance(op, LayerOp):
        return [(op.layer_name, [])]
    if isinstance(op, WEIGHTS):
        raise NircError(f"two weight nodes in a row: '{node_name_of(op)}' ({op.name}) feeds "
                        f"'{target}' with no neuron between them; py-spinnaker2's NIR importer "
                        "rejects this (fuse merges Affine/Linear chains whose first node has no "
                        "other reader)", node=node_name_of(op))
    if op in seen:
        raise NircError("a cycle without a neuron has no SpiNNaker2 form", node=node_name_of(op))
    out = []
    for operand in op.operands:
        out += [(src, chain + [op]) for src, chain in _paths(operand, seen + [op], target)]
    return out


def _tiling_pool(op) -> tuple[int, int]:
    kernel, stride, padding = (per_dim(op.array(f), 2, 0) for f in ("kernel_size", "stride", "padding"))
    c, h, w = op.input_shape
    if kernel != stride or any(padding) or h % kernel[0] or w % kernel[1]:
        raise NircError(f"nirc folds a pooling layer into the SpiNNaker2 projection after it only "
                        f"when its windows tile the map (kernel = stride, no padding, sizes "
                        f"divisible), found kernel {list(kernel)}, stride {list(stride)}, padding "
                        f"{list(padding)} on {[c, h, w]}", node=node_name_of(op))
    return int(kernel[0]), int(kernel[1])


def _fold_chain(weight: np.ndarray, chain: list) -> tuple[np.ndarray, np.ndarray]:
    """W (post, n) over the chain's output -> (W_eff (post, n_src), delay per source)."""
    delay = np.zeros(weight.shape[1], np.int64)
    for op in reversed(chain):
        if isinstance(op, nir_ops.FlattenOp):
            continue
        if isinstance(op, nir_ops.ScaleOp):
            s = np.broadcast_to(np.asarray(op.array("scale"), np.float64), op.output_shape)
            weight = weight * s.reshape(1, -1)
        elif isinstance(op, snn.DelayOp):
            delay = delay + np.asarray(op.array("steps"), np.int64).reshape(-1)
        else:  # a pool: every source neuron in a window takes the window's weight
            kh, kw = _tiling_pool(op)
            c, h, w = op.input_shape
            if isinstance(op, nir_ops.AvgPool2dOp):
                weight = weight / (kh * kw)
            grid = weight.reshape(weight.shape[0], c, h // kh, w // kw)
            weight = np.repeat(np.repeat(grid, kh, axis=2), kw, axis=3).reshape(weight.shape[0], -1)
            grid = delay.reshape(c, h // kh, w // kw)
            delay = np.repeat(np.repeat(grid, kh, axis=1), kw, axis=2).reshape(-1)
    return weight, delay


def _names(chain: list, *extra: str) -> tuple[str, ...]:
    return tuple(node_name_of(op) for op in chain) + extra


def _dense(pre: str, post: FloatPopulation, synapse, chain: list) -> FloatProjection:
    w = np.asarray(synapse.array("weight"), np.float64)
    w = w.reshape(w.shape[0], -1) if w.ndim > 1 else w.reshape(1, -1)
    weight, delay = _fold_chain(w, chain)
    name = node_name_of(synapse)
    return FloatProjection(name, pre, post.name, "list", weight, delay, nodes=_names(chain, name))


def _identity(pre: str, post: FloatPopulation, chain: list, name: str) -> FloatProjection:
    weight, delay = _fold_chain(np.eye(post.size), chain)
    return FloatProjection(f"{pre}->{name}", pre, post.name, "list", weight, delay,
                           nodes=_names(chain))


def _conv(pre: str, post: FloatPopulation, synapse, chain: list) -> FloatProjection:
    """A Conv2DProjection (no dilation, groups or 'same' in its parameters: a grouped
    kernel is written out with zeros between the groups, 'same' padding (stride 1) as
    PyTorch pads it, the extra row/column at the end)."""
    name = node_name_of(synapse)
    kernel, stride, padding, dilation = synapse._geometry()
    if tuple(dilation) != (1, 1):
        raise NircError("Conv2DProjection has no dilation: it must be 1", node=name,
                        field="dilation")
    if padding == "valid":
        padding = ((0, 0), (0, 0))
    elif padding == "same":
        if tuple(stride) != (1, 1):
            raise NircError("padding='same' with stride > 1 is undefined (PyTorch rejects it)",
                            node=name, field="padding")
        padding = tuple(((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel)
    else:
        padding = tuple((int(p), int(p)) for p in padding)
    weight = _ungrouped(np.asarray(synapse.array("weight"), np.float64),
                        int(np.asarray(synapse.array("groups")).reshape(-1)[0]))
    pool = (1, 1)
    for op in chain:
        if isinstance(op, POOLS) and pool == (1, 1):
            pool = _tiling_pool(op)
            if isinstance(op, nir_ops.AvgPool2dOp):
                weight = weight / (pool[0] * pool[1])
        else:
            raise NircError(f"'{node_name_of(op)}' ({op.name}) before the Conv2d '{name}' has no "
                            "Conv2DProjection form (one pooling layer at most)", node=node_name_of(op))
    in_shape = tuple(chain[0].input_shape) if chain else tuple(synapse.input_shape)
    geometry = {"in_height": int(in_shape[1]), "in_width": int(in_shape[2]),
                "stride_x": int(stride[1]), "stride_y": int(stride[0]),
                "pool_x": pool[1], "pool_y": pool[0],
                "pad_top": padding[0][0], "pad_bottom": padding[0][1],
                "pad_left": padding[1][0], "pad_right": padding[1][1]}
    return FloatProjection(name, pre, post.name, "conv2d", weight, np.zeros((), np.int64),
                           geometry, _names(chain, name))


def _ungrouped(weight: np.ndarray, groups: int) -> np.ndarray:
    """(C_out, C_in / g, kH, kW) -> (C_out, C_in, kH, kW), zero across groups."""
    if groups == 1:
        return weight
    c_out, per, kh, kw = weight.shape
    full = np.zeros((c_out, per * groups, kh, kw))
    step = c_out // groups
    for g in range(groups):
        full[g * step:(g + 1) * step, g * per:(g + 1) * per] = weight[g * step:(g + 1) * step]
    return full
