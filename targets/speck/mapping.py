"""Map a fused, discretized network onto Speck's cores (float values), and assign the
layers to cores.

What a core holds (sinabs 3.1.3 ``DynapcnnLayer``): conv -> IAF -> sum pooling per
destination.  So the graph (after ``fuse``: ``snn.layer`` = one synapse + one neuron)
may hold only Input, Output, layers, SumPool2d and Flatten, and:

- a layer is a Conv2d + IF, or a Linear/Affine + IF: the dense weights become a
  convolution whose kernel covers the whole input map (sinabs ``convert_linear_to_conv``):
  after a Flatten of a (c, h, w) map the kernel is h x w (square maps only), after a
  1-d layer (n,) it is 1 x 1 over (n, 1, 1);
- a SumPool2d (AvgPool2d too: ``fuse`` made it a SumPool2d and folded 1/k^2 into the next
  weights) becomes the pooling of the edge it lies on: square, kernel = stride, no
  padding, pooling along one edge multiplies, the product one of the chip's poolings;
- a Flatten disappears (the destination reads the map; the Output reads it flattened);
- fan-in sums: a layer fed by several sources (two cores sending to one destination) sums
  their events into one convolution, each source with its own pooling; a layer feeding
  several layers uses one destination slot per edge (at most ``chip.destinations``; the
  Output is read by the monitor and takes no slot).  sinabs 3.1.3 builds such graphs
  from traced torch modules with its ``Merge`` layer, but not with pooling on a branch
  (its ``set_pooling_layer_destination`` fails); nirc builds them from the NIR graph;
- the layers form a DAG: an edge back to an earlier layer (a cycle) is an error;
- neurons: IF only.  Speck neurons do not leak (no time constant; a bias is a constant
  input); a LIF/CubaLIF with a leak is an error.  One threshold per layer: uniform NIR
  arrays collapse, non-uniform ones are an error.  Reset by subtraction
  (``MembraneSubtract``, the only one multi-spike sinabs uses here), several spikes per
  bin without a cap, v >= threshold fires, v clamped at ``threshold_low`` = -v_threshold
  (sinabs' ``from_nir`` gives ``IAFSqueeze(min_v_mem=-v_threshold)``): the neuron must be
  discretized so (``reset=subtract spikes=multi spike-test=ge v-min=neg-threshold``, what
  the speck target's pipeline does), so that the float graph computes what the chip does.
- IF's r (v_gain): sinabs' ``from_nir`` ignores it (and v_reset).  nirc folds r into the
  weights and bias of each output channel (exact: v += r (W x + b)), so the chip computes
  what the graph says; an r that varies within a channel is an error.  With r = 1 (as in
  every sinabs export) the integers equal sinabs'.

Core assignment: the layers and the cores each fits in (all three memories within the
core's, chips.py) form a bipartite graph; a maximum matching (networkx Hopcroft-Karp,
as sinabs' Edmonds max-flow in mapping.py ``get_valid_mapping``) assigns them,
deterministically (layers in step order, cores in index order).  When none exists the
error names a layer, the memory that does not fit and both numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nirc.diagnostics import NircError
from nirc.dialects import nir as nir_ops
from nirc.dialects import snn
from nirc.dialects.nir_graph import GraphOp, node_name_of
from nirc.dialects.snn_layer import LayerOp

from .chips import SpeckChip, layer_memory
from .network import OUTPUT, SpeckLayer, SpeckNetwork

DENSE = (nir_ops.AffineOp, nir_ops.LinearOp)


@dataclass
class Path:
    """One way events reach a consumer: from ``source`` (an InputOp or LayerOp) through
    poolings (product ``pool``) and maybe a Flatten, as a (c, h, w) map."""

    source: object
    pool: int
    shape: tuple[int, int, int]
    flattened: bool = False


def map_network(graph: GraphOp, chip: SpeckChip) -> SpeckNetwork:
    """The float network, layers in step order, or a NircError naming the node."""
    nodes = list(graph.nodes())
    for op in nodes:
        if not isinstance(op, nir_ops.InputOp | nir_ops.OutputOp | LayerOp
                          | nir_ops.FlattenOp | nir_ops.SumPool2dOp):
            raise NircError(f"Speck cannot hold '{op.name}' outside a layer (a core is a "
                            "convolution + IF neurons, with sum pooling on its outputs)",
                            node=node_name_of(op))
    inputs = [op for op in nodes if isinstance(op, nir_ops.InputOp)]
    outputs = [op for op in nodes if isinstance(op, nir_ops.OutputOp)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NircError(f"Speck takes one Input and one Output, found {len(inputs)} and "
                        f"{len(outputs)}")
    source = inputs[0]
    input_shape = _map3(tuple(source.output_shape), node_name_of(source))
    layer_ops = [op for op in nodes if isinstance(op, LayerOp)]
    if not layer_ops:
        raise NircError("the network has no layer for a Speck core")
    paths = {op: _layer_paths(op, chip) for op in layer_ops}
    order = _step_order(layer_ops, paths)
    index = {op: k for k, op in enumerate(order)}
    layers = [_layer(op, paths[op], chip) for op in order]
    input_destinations = []
    for op in order:
        for p in paths[op]:
            if p.source is source:
                if p.pool != 1:
                    raise NircError("pooling right after the input needs Speck's DVS layer, "
                                    "which nirc does not configure; pool inside the network",
                                    node=node_name_of(op))
                input_destinations.append((index[op], 1))
            else:
                layers[index[p.source]].destinations.append((index[op], p.pool))
    out_paths = _trace(outputs[0].operands, chip, node_name_of(outputs[0]))
    for p in out_paths:
        if p.source is source:
            raise NircError("the Output reads the Input directly: nothing runs on a core",
                            node=node_name_of(outputs[0]))
        layers[index[p.source]].destinations.append((OUTPUT, p.pool))
    if len(input_destinations) > chip.destinations:
        raise NircError(f"the input feeds {len(input_destinations)} layers; Speck's input "
                        f"layer has {chip.destinations} destinations", node=node_name_of(source))
    for layer in layers:
        used = [d for d in layer.destinations if d[0] != OUTPUT]
        if len(used) > chip.destinations:
            raise NircError(f"feeds {len(used)} layers; a Speck core has {chip.destinations} "
                            "destinations", node=layer.name, field="destinations")
    return SpeckNetwork(input_shape, input_destinations, layers,
                        tuple(int(d) for d in outputs[0].input_shape))


def _map3(shape: tuple[int, ...], name: str | None) -> tuple[int, int, int]:
    if len(shape) == 3:
        return shape  # type: ignore[return-value]
    if len(shape) == 1:
        return (shape[0], 1, 1)
    raise NircError(f"Speck maps are (channels, height, width) or vectors, found {list(shape)}",
                    node=name)


def _trace(values, chip: SpeckChip, consumer: str | None) -> list[Path]:
    """Every path from a layer or the Input to the sum of ``values``."""
    out: list[Path] = []
    for value in values:
        op = value.owner
        if isinstance(op, nir_ops.InputOp | LayerOp):
            shape = tuple(value.type.get_shape())
            out.append(Path(op, 1, _map3(shape, node_name_of(op))))
        elif isinstance(op, nir_ops.FlattenOp):
            for p in _trace(op.operands, chip, node_name_of(op)):
                out.append(Path(p.source, p.pool, p.shape, True))
        elif isinstance(op, nir_ops.SumPool2dOp):
            k = _pooling(op, chip)
            for p in _trace(op.operands, chip, node_name_of(op)):
                c, h, w = p.shape
                out.append(Path(p.source, p.pool * k, (c, h // k, w // k), p.flattened))
        else:
            raise NircError(f"Speck cannot route events through '{op.name}'",
                            node=node_name_of(op) or consumer)
    for p in out:
        if p.pool not in chip.poolings:
            raise NircError(f"poolings along the edge from '{node_name_of(p.source)}' multiply to "
                            f"{p.pool}; Speck pools by {', '.join(map(str, chip.poolings))}",
                            node=consumer, field="kernel_size")
    return out


def _pooling(op, chip: SpeckChip) -> int:
    from nirc.dialects.nir_shapes import per_dim

    kernel, stride, padding = (per_dim(op.array(f), 2, 0) for f in ("kernel_size", "stride", "padding"))
    name = node_name_of(op)
    if kernel[0] != kernel[1] or tuple(stride) != tuple(kernel) or any(padding):
        raise NircError(f"Speck's sum pooling is square with stride = kernel and no padding, "
                        f"found kernel {list(kernel)}, stride {list(stride)}, padding "
                        f"{list(padding)}", node=name, field="kernel_size")
    if kernel[0] not in chip.poolings:
        raise NircError(f"pooling kernel {kernel[0]}; Speck pools by "
                        f"{', '.join(map(str, chip.poolings))}", node=name, field="kernel_size")
    return int(kernel[0])


def _layer_parts(op: LayerOp):
    neuron = op.neuron()
    synapses = op.synapses()
    if op.recurrent():
        raise NircError("a recurrent edge goes back to the same core; Speck's cores feed "
                        "later cores only", node=op.layer_name)
    if len(synapses) != 1 or not isinstance(synapses[0], DENSE + (nir_ops.Conv2dOp,)):
        kinds = ", ".join(s.name for s in synapses) or "none"
        raise NircError(f"a Speck core holds one Conv2d or Linear/Affine before its neurons, "
                        f"found {kinds}", node=op.layer_name)
    return synapses[0], neuron


def _layer_paths(op: LayerOp, chip: SpeckChip) -> list[Path]:
    synapse, neuron = _layer_parts(op)
    if any(v.owner is not synapse for v in neuron.operands):
        raise NircError("Speck's neurons take input through the core's weights only",
                        node=op.layer_name)
    from xdsl.ir import BlockArgument

    if not all(isinstance(v, BlockArgument) for v in synapse.operands):
        raise NircError("a Speck core's weights read the events that arrive at the core",
                        node=op.layer_name)
    values = [op.operands[v.index] for v in synapse.operands]
    return _trace(values, chip, op.layer_name)


def _step_order(layer_ops: list[LayerOp], paths: dict) -> list[LayerOp]:
    import networkx as nx

    g = nx.DiGraph()
    position = {op: k for k, op in enumerate(layer_ops)}
    g.add_nodes_from(layer_ops)
    for op in layer_ops:
        for p in paths[op]:
            if isinstance(p.source, LayerOp):
                g.add_edge(p.source, op)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return list(nx.lexicographical_topological_sort(g, key=position.__getitem__))
    a, b = cycle[-1]
    raise NircError(f"the edge from '{a.layer_name}' to '{b.layer_name}' closes a cycle; Speck "
                    "sends events to later cores only (no edge back to an earlier core)",
                    node=b.layer_name)


def _layer(op: LayerOp, paths: list[Path], chip: SpeckChip) -> SpeckLayer:
    synapse, neuron = _layer_parts(op)
    name = op.layer_name
    out_shape = _map3(tuple(neuron.output_shape), name)
    shapes = {p.shape for p in paths}
    if len(shapes) != 1:
        raise NircError(f"the sources arrive as different maps {sorted(shapes)}", node=name)
    in_shape = shapes.pop()
    w = np.asarray(synapse.array("weight"), np.float32)
    bias = synapse.array("bias") if not isinstance(synapse, nir_ops.LinearOp) else None
    bias = np.zeros(w.shape[0], np.float32) if bias is None else np.asarray(bias, np.float32)
    if isinstance(synapse, nir_ops.Conv2dOp):
        kernel, stride, padding, dilation = synapse._geometry()
        sname = node_name_of(synapse)
        if isinstance(padding, str):
            padding = _explicit_padding(padding, kernel, sname)
        if tuple(dilation) != (1, 1) or int(np.asarray(synapse.array("groups")).reshape(-1)[0]) != 1:
            raise NircError("Speck's convolutions have dilation 1 and groups 1", node=sname,
                            field="dilation")
        stride, padding = tuple(int(s) for s in stride), tuple(int(p) for p in padding)
    else:
        c, h, wd = in_shape
        if h != wd:
            raise NircError(f"a Linear becomes a convolution whose kernel covers the input map "
                            f"({c}, {h}, {wd}); Speck's kernels are square", node=node_name_of(synapse))
        w = w.reshape(w.shape[0], c, h, wd)
        stride, padding = (1, 1), (0, 0)
    bias = np.broadcast_to(bias.reshape(-1), (w.shape[0],)).astype(np.float32)
    threshold, gain = _neuron(neuron, name, out_shape)
    if np.any(gain != 1):
        w = (w * gain.reshape(-1, 1, 1, 1).astype(np.float64)).astype(np.float32)
        bias = (bias * gain.astype(np.float64)).astype(np.float32)
    layer = SpeckLayer(name, in_shape, out_shape, w, bias, stride, padding,
                       threshold_high=threshold, threshold_low=-threshold)
    _check_geometry(layer, chip, node_name_of(synapse))
    return layer


def _explicit_padding(padding: str, kernel, name):
    if padding == "valid":
        return (0, 0)
    if any(k % 2 == 0 for k in kernel):
        raise NircError("padding 'same' with an even kernel pads unevenly; Speck pads "
                        "symmetrically", node=name, field="padding")
    return tuple((k - 1) // 2 for k in kernel)


def _neuron(neuron, name: str, shape) -> tuple[float, np.ndarray]:
    """(the layer's one threshold, r per output channel)."""
    if isinstance(neuron, snn.LIFOp):
        if np.any(neuron.array("v_decay") != 1) or np.any(neuron.array("v_bias") != 0):
            d = np.asarray(neuron.array("v_decay"), np.float64)
            raise NircError(f"Speck neurons do not leak (integrate-and-fire only; a bias is a "
                            f"constant input), found a per-step decay of {d.min():.6g}..{d.max():.6g}",
                            node=name, field="tau")
    elif isinstance(neuron, snn.CubaLIFOp):
        raise NircError("Speck neurons do not leak and have no synaptic current "
                        "(integrate-and-fire only)", node=name, field="tau_syn")
    elif not isinstance(neuron, snn.IFOp):
        raise NircError(f"'{neuron.name}' has no Speck form: Speck's neurons are "
                        "integrate-and-fire (IF)", node=name)
    if neuron.reset.data != "subtract":
        raise NircError("Speck (sinabs' multi-spike IAF) resets by subtracting the threshold: "
                        "discretize with reset=subtract", node=name, field="reset")
    who = "Speck (sinabs' IAF: MultiSpike without a cap, v >= threshold)"
    neuron.require_spike_rule(who, max_spikes=(0,), spike_test=("ge",), v_min=True)
    if np.any(neuron.array("v_init") != 0):
        raise NircError("Speck's neurons start at v = 0", node=name, field="v_init")
    nshape = tuple(neuron.output_shape)
    thr = np.broadcast_to(np.asarray(neuron.array("v_threshold"), np.float64), nshape)
    values = np.unique(thr)
    if values.size > 1:
        raise NircError(f"Speck holds one threshold per layer; the neurons have {values.size} "
                        f"different thresholds ({values.min():.6g}..{values.max():.6g})",
                        node=name, field="v_threshold")
    if not values[0] > 0:
        raise NircError(f"the threshold must be > 0, found {values[0]:.6g}", node=name,
                        field="v_threshold")
    v_min = neuron.array("v_min")
    if v_min is None or np.any(np.broadcast_to(v_min, nshape) != -thr):
        raise NircError("Speck clamps v at threshold_low = -v_threshold (sinabs' min_v_mem): "
                        "discretize with v-min=neg-threshold", node=name, field="v_min")
    gain = np.broadcast_to(np.asarray(neuron.array("v_gain"), np.float64), nshape).reshape(shape)
    per_channel = gain.reshape(shape[0], -1)
    if np.any(per_channel != per_channel[:, :1]):
        raise NircError("r varies within an output channel; nirc folds r into the channel's "
                        "weights", node=name, field="r")
    return float(np.float32(values[0])), per_channel[:, 0].copy()


def _check_geometry(layer: SpeckLayer, chip: SpeckChip, name: str | None) -> None:
    f, c, kh, kw = layer.weight.shape
    node = layer.name
    if kh != kw:
        raise NircError(f"Speck's kernels are square, found {kh}x{kw}", node=name, field="weight")
    if kh > chip.max_kernel:
        raise NircError(f"kernel {kh}x{kw}; Speck's kernels are at most {chip.max_kernel}x"
                        f"{chip.max_kernel}", node=name, field="weight")
    if any(s not in chip.strides for s in layer.stride):
        raise NircError(f"stride {list(layer.stride)}; Speck's strides are "
                        f"{', '.join(map(str, chip.strides))}", node=name, field="stride")
    if any(not 0 <= p <= chip.max_padding for p in layer.padding):
        raise NircError(f"padding {list(layer.padding)}; Speck pads 0..{chip.max_padding}",
                        node=name, field="padding")
    if f > chip.max_features:
        raise NircError(f"{f} output features; a Speck core has at most {chip.max_features}",
                        node=node, field="features")
    if max(layer.in_shape[1:]) > chip.max_input_size:
        raise NircError(f"input map {layer.in_shape[1]}x{layer.in_shape[2]}; Speck's cores take "
                        f"at most {chip.max_input_size}x{chip.max_input_size}", node=node)
    if max(layer.out_shape[1:]) > chip.max_neuron_size:
        raise NircError(f"neuron map {layer.out_shape[1]}x{layer.out_shape[2]}; Speck's cores hold "
                        f"at most {chip.max_neuron_size}x{chip.max_neuron_size}", node=node)


def memory_of(layer: SpeckLayer) -> dict[str, int]:
    f, c, k, _ = layer.weight.shape
    return layer_memory(c, k, f, layer.out_shape[1], layer.out_shape[2])


def assign_cores(net: SpeckNetwork, chip: SpeckChip) -> list[int]:
    """One core per layer by maximum bipartite matching over the cores each layer fits
    (graph nodes: layer k is k, core c is n + c; integers, so that the matching does not
    depend on string hashing)."""
    import networkx as nx
    from networkx.algorithms import bipartite

    n = len(net.layers)
    needs = [memory_of(layer) for layer in net.layers]
    g = nx.Graph()
    g.add_nodes_from(range(n + chip.cores))
    for k, need in enumerate(needs):
        fits = [c for c in range(chip.cores)
                if all(need[m] <= chip.memories(c)[m] for m in need)]
        if not fits:
            raise _no_fit(net.layers[k], need, chip)
        g.add_edges_from((k, n + c) for c in fits)
    matching = bipartite.hopcroft_karp_matching(g, top_nodes=range(n))
    unmatched = [k for k in range(n) if k not in matching]
    if unmatched:
        raise _no_core_left(net, unmatched[0], g, matching, needs, chip)
    return [matching[k] - n for k in range(n)]


def _no_fit(layer: SpeckLayer, need: dict[str, int], chip: SpeckChip) -> NircError:
    for kind in need:
        largest = max(chip.memories(c)[kind] for c in range(chip.cores))
        if need[kind] > largest:
            return NircError(f"needs {need[kind]} entries of {kind} memory; the largest Speck "
                             f"core holds {largest}", node=layer.name, field=f"{kind} memory")
    kernel_cores = [c for c in range(chip.cores) if need["kernel"] <= chip.kernel_memory[c]]
    room = max(chip.neuron_memory[c] for c in kernel_cores)
    return NircError(f"needs {need['neuron']} entries of neuron memory; the cores whose kernel "
                     f"memory holds its {need['kernel']} entries ({', '.join(map(str, kernel_cores))}) "
                     f"hold at most {room}", node=layer.name, field="neuron memory")


def _no_core_left(net, k, g, matching, needs, chip) -> NircError:
    """Hall's condition fails: the layers reachable from layer k by alternating paths
    fit in fewer cores than there are of them."""
    n = len(net.layers)
    layers, cores, frontier = {k}, set(), [k]
    while frontier:
        node = frontier.pop()
        for core in g[node]:
            if core not in cores:
                cores.add(core)
                mate = matching.get(core)
                if mate is not None and mate not in layers:
                    layers.add(mate)
                    frontier.append(mate)
    name = net.layers[k].name
    if len(net.layers) > chip.cores:
        return NircError(f"the network needs {len(net.layers)} cores (one per layer); Speck has "
                         f"{chip.cores}: no core left for this layer", node=name, field="cores")
    names = ", ".join(f"'{net.layers[j].name}'" for j in sorted(layers))
    kernel = max(needs[j]["kernel"] for j in layers)
    neuron = max(needs[j]["neuron"] for j in layers)
    ids = ", ".join(str(c - n) for c in sorted(cores))
    return NircError(f"no core left: the {len(layers)} layers {names} (kernel memory up to "
                     f"{kernel}, neuron memory up to {neuron} entries) fit only in the "
                     f"{len(cores)} cores {ids}", node=name, field="cores")
