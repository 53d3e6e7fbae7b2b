"""Map a fused, discretized network (``snn.layer`` ops) onto Xylo's three matrices.

Input: a root graph holding one ``nir.input`` (1-d, at most ``chip.inputs``
channels), ``snn.layer`` ops whose synapses are Affine/Linear, and one ``nir.output``
fed by one layer (the readout).  Output: a ``FloatNetwork``: the float weights placed
in Xylo's matrices (rockpool's (pre, post) order), each population's per-step decays,
gains, thresholds and biases, and where its neurons sit.

Xylo's timing (xylosim 0.1.3 XyloLayer::evolve; targets.md): input spikes reach the
hidden neurons in the same step; hidden spikes reach hidden and readout neurons one
step later.  So a feed-forward hidden layer stacked in the recurrent matrix, and the
readout, each add one step of *latency*: a population at latency L produces at chip
step t what the graph produces at step t - L.  An edge into a population at latency
L must therefore come from the input (L = 0) or from a hidden population at latency
L - 1 + delta, where delta = 1 if the graph delays that edge (it closes a cycle:
the interpreter's cycle rule, targets/interp/schedule.py) and 0 otherwise.  Self
recurrence (delta = 1) is exact; any other mismatch is an error naming the edge.

Topology rules (rockpool 3.1.0 devices/xylo/syns61201/xylo_mapper.py DRC, and the
matrices themselves): the input goes through weights first; the readout reads hidden
neurons only, is not recurrent, and feeds nothing but the Output; there are at least
two neuron layers; Xylo IMU takes input into its first 128 hidden neurons and reads
out from its last 128.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from xdsl.ir import BlockArgument

from nirc.diagnostics import NircError
from nirc.dialects import nir as nir_ops
from nirc.dialects import snn
from nirc.dialects.nir_graph import GraphOp, node_name_of
from nirc.dialects.snn_layer import LayerOp

from .chips import XyloChip

DENSE = (nir_ops.AffineOp, nir_ops.LinearOp)
FUSABLE = (*DENSE, nir_ops.ScaleOp, nir_ops.FlattenOp)
CUBA = (snn.CubaLIOp, snn.CubaLIFOp)
SPIKING = (snn.LIFOp, snn.IFOp, snn.CubaLIFOp)
INTEGRATORS = (snn.IOp, snn.IFOp)


@dataclass
class Population:
    """One layer's neurons on the chip: hidden[start:stop] or readout[start:stop]."""

    name: str
    role: str  # "hidden" | "readout"
    start: int
    stop: int
    latency: int
    cuba: bool
    spiking: bool
    v_decay: np.ndarray
    i_decay: np.ndarray | None
    gain: np.ndarray
    """the membrane's change per unit of summed synaptic input: v_gain (LIF/IF/LI)
    or i_gain * v_gain (CubaLIF/CubaLI)."""
    threshold: np.ndarray
    bias: np.ndarray
    """added to v every step (v_bias plus folded synapse biases)."""

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass
class FloatNetwork:
    n_in: int
    n_hidden: int
    n_out: int
    w_in: np.ndarray    # (n_in, n_hidden)
    w_rec: np.ndarray   # (n_hidden, n_hidden)
    w_out: np.ndarray   # (n_hidden, n_out)
    populations: list[Population] = field(default_factory=list)
    input_name: str = "input"
    output_name: str = "output"

    @property
    def latency(self) -> int:
        return max(p.latency for p in self.populations if p.role == "readout")

    def per_neuron(self, role: str, attribute: str) -> np.ndarray:
        """A population attribute gathered over all neurons of ``role``."""
        parts = [getattr(p, attribute) for p in self.populations if p.role == role]
        return np.concatenate(parts) if parts else np.zeros(0)


def map_network(graph: GraphOp, chip: XyloChip) -> FloatNetwork:
    """The float network in Xylo's shape, or a NircError naming the node and rule."""
    nodes = list(graph.nodes())
    inputs = [op for op in nodes if isinstance(op, nir_ops.InputOp)]
    outputs = [op for op in nodes if isinstance(op, nir_ops.OutputOp)]
    layers = [op for op in nodes if isinstance(op, LayerOp)]
    for op in nodes:
        if not isinstance(op, nir_ops.InputOp | nir_ops.OutputOp | LayerOp):
            hint = (" (run 'fuse' first: it folds Scale, merges weight chains and drops "
                    "Flatten)" if isinstance(op, FUSABLE) else "")
            raise NircError(f"Xylo holds dense layers of neurons only; '{op.name}' has no Xylo "
                            f"form{hint}", node=node_name_of(op))
    for layer in layers:
        for synapse in layer.synapses():
            if not isinstance(synapse, DENSE):
                raise NircError(f"Xylo's synapses are dense matrices; '{synapse.name}' has no "
                                "Xylo form", node=node_name_of(synapse))
    if len(inputs) != 1 or len(outputs) != 1:
        raise NircError(f"Xylo takes one Input and one Output node, found {len(inputs)} and "
                        f"{len(outputs)}")
    source, sink = inputs[0], outputs[0]
    n_in = _size(source, "the input")
    if n_in > chip.inputs:
        raise NircError(f"the input has {n_in} channels; {chip.title} takes {chip.inputs}",
                        node=node_name_of(source))
    readout = _readout(sink, layers)
    hidden = [layer for layer in layers if layer is not readout]
    if not hidden:
        raise NircError("Xylo needs at least two neuron layers (hidden and readout); the "
                        "readout may not read the input directly", node=readout.layer_name)
    latency = _latencies(source, layers, readout)
    hidden.sort(key=lambda layer: (latency[layer.layer_name], layer.layer_name))
    start, placed = 0, {}
    for layer in hidden:
        size = _size(layer, "a hidden layer")
        placed[layer.layer_name] = (start, start + size)
        start += size
    n_hidden, n_out = start, _size(readout, "the readout")
    if n_hidden > chip.hidden:
        raise NircError(f"the hidden layers need {n_hidden} neurons; {chip.title} has "
                        f"{chip.hidden}", node=hidden[-1].layer_name)
    if n_out > chip.outputs:
        raise NircError(f"the readout has {n_out} neurons; {chip.title} has {chip.outputs}",
                        node=readout.layer_name)
    net = FloatNetwork(n_in, n_hidden, n_out, np.zeros((n_in, n_hidden)),
                       np.zeros((n_hidden, n_hidden)), np.zeros((n_hidden, n_out)),
                       input_name=node_name_of(source), output_name=node_name_of(sink))
    for layer in hidden + [readout]:
        _check_weights_first(layer)
        role = "readout" if layer is readout else "hidden"
        lo, hi = placed.get(layer.layer_name, (0, n_out))
        population = _population(layer, role, lo, hi, latency[layer.layer_name])
        for synapse in layer.synapses():
            _place_synapse(net, synapse, layer, population, placed, chip)
        net.populations.append(population)
    return net


def _check_weights_first(layer: LayerOp) -> None:
    neuron = layer.neuron()
    for value in neuron.operands:
        if isinstance(value, BlockArgument) or value.owner is neuron:
            raise NircError("Xylo's neurons take input only through weights (an edge without a "
                            "Linear/Affine has no Xylo form)", node=layer.layer_name)


def _size(op, what: str) -> int:
    if isinstance(op, nir_ops.OutputOp):
        shape = op.input_shape
    else:
        shape = tuple(op.results[0].type.get_shape())
    if len(shape) != 1:
        raise NircError(f"{what} has shape {list(shape)}; Xylo's neurons are 1-d arrays",
                        node=node_name_of(op))
    return int(shape[0])


def _readout(sink, layers: list[LayerOp]) -> LayerOp:
    feeds = [v.owner for v in sink.operands]
    if len(feeds) != 1 or not isinstance(feeds[0], LayerOp):
        raise NircError("the Output must be fed by exactly one neuron layer (Xylo's readout "
                        "neurons)", node=node_name_of(sink))
    readout = feeds[0]
    if readout.recurrent():
        raise NircError("Xylo's readout neurons cannot be recurrent",
                        node=node_name_of(readout.recurrent()[0]))
    for layer in layers:
        if layer is not readout and any(v.owner is readout for v in layer.operands):
            raise NircError(f"the readout '{readout.layer_name}' may feed only the Output",
                            node=layer.layer_name)
    return readout


def _latencies(source, layers: list[LayerOp], readout: LayerOp) -> dict[str, int]:
    """Each layer's latency (module docstring), checked on every edge."""
    from nirc.targets.interp.schedule import step_schedule

    input_name = node_name_of(source)
    edges = {(_source_name(v.owner, input_name), layer.layer_name)
             for layer in layers for v in layer.operands}
    names = [input_name] + [layer.layer_name for layer in layers]
    order, delayed = step_schedule(names, edges)
    latency = {input_name: 0}
    for name in order:
        if name == input_name:
            continue
        incoming = sorted(s for s, d in edges if d == name and (s, d) not in delayed)
        if not incoming:
            raise NircError("the layer has no same-step input (only feedback); Xylo cannot "
                            "order it", node=name)
        latency[name] = latency[incoming[0]] + (0 if incoming[0] == input_name else 1)
    for s, d in sorted(edges):
        if s == input_name and d == readout.layer_name:
            raise NircError("the readout reads the input directly: Xylo's input weights feed "
                            "hidden neurons only (at least two neuron layers)", node=d)
        graph_delay = 1 if (s, d) in delayed else 0
        chip_delay = 0 if s == input_name else 1
        arrives = latency[s] + chip_delay - latency[d]
        if arrives != graph_delay:
            raise NircError(
                f"on Xylo the edge from '{s}' has a delay of {arrives} step(s) where the "
                f"graph has {graph_delay}: Xylo stacks feed-forward layers "
                "with one step each, so paths of different lengths (skip connections, "
                "feedback across layers) cannot keep their timing", node=d)
    return {k: v for k, v in latency.items() if k != input_name}


def _source_name(op, input_name: str) -> str:
    if isinstance(op, LayerOp):
        return op.layer_name
    if isinstance(op, nir_ops.InputOp):
        return input_name
    raise NircError(f"Xylo's synapses read the input or neurons, not '{op.name}'",
                    node=node_name_of(op))


def _population(layer: LayerOp, role: str, start: int, stop: int, latency: int) -> Population:
    neuron = layer.neuron()
    name = layer.layer_name
    if not isinstance(neuron, snn.SNN_OPS) or isinstance(neuron, snn.ThresholdOp | snn.DelayOp):
        raise NircError(f"'{neuron.name}' is not a discretized neuron Xylo implements "
                        "(LIF, CubaLIF, IF, LI, CubaLI, I)", node=name)
    get = neuron.array
    cuba = isinstance(neuron, CUBA)
    spiking = isinstance(neuron, SPIKING)
    if role == "hidden" and not spiking:
        raise NircError(f"hidden neurons must spike; '{neuron.name}' outputs its voltage "
                        "(only the readout may be LI/CubaLI)", node=name)
    if cuba and neuron.current.data != "new":
        raise NircError("Xylo's membrane adds this step's synaptic current: discretize with "
                        "current=new", node=name, field="current")
    if spiking and neuron.reset.data != "subtract":
        raise NircError("Xylo resets by subtracting the threshold: discretize with "
                        "reset=subtract (the xylo target's default)", node=name, field="reset")
    if spiking:  # the spike count and test differ in kind only: the fidelity check measures it
        neuron.require_spike_rule("Xylo", max_spikes=None, spike_test=("gt", "ge"))
    shape = neuron.output_shape
    if np.any(get("v_init") != 0):
        warnings.warn(f"'{name}': Xylo starts every neuron at v = 0; v_init is ignored")
    if spiking and np.any(get("v_reset") != 0):
        warnings.warn(f"'{name}': Xylo subtracts the threshold; v_reset is ignored")
    integrator = isinstance(neuron, INTEGRATORS)
    gain = get("v_gain") * (get("i_gain") if cuba else 1.0)
    return Population(
        name=name, role=role, start=start, stop=stop, latency=latency, cuba=cuba,
        spiking=spiking,
        v_decay=np.ones(shape) if integrator else get("v_decay").astype(np.float64),
        i_decay=get("i_decay").astype(np.float64) if cuba else None,
        gain=np.asarray(gain, np.float64).copy(),
        threshold=get("v_threshold").astype(np.float64) if spiking else np.full(shape, np.inf),
        bias=np.zeros(shape) if integrator else get("v_bias").astype(np.float64).copy())


def _place_synapse(net: FloatNetwork, synapse, layer: LayerOp, population: Population,
                   placed: dict, chip: XyloChip) -> None:
    name = node_name_of(synapse)
    if not isinstance(synapse, DENSE):
        raise NircError(f"Xylo's synapses are dense matrices; '{synapse.name}' has no Xylo form",
                        node=name)
    if len(synapse.operands) != 1:
        raise NircError("a synapse must have one source", node=name)
    w = synapse.array("weight").astype(np.float64)
    if w.ndim != 2:
        raise NircError(f"weight has {w.ndim} dimensions; Xylo's matrices are 2-d", node=name,
                        field="weight")
    value = synapse.operands[0]
    if isinstance(value, BlockArgument):
        origin = layer.operands[value.index].owner
    elif value.owner is layer.neuron():
        origin = layer
    else:
        raise NircError("Xylo's synapses read the input or neurons, not another synapse "
                        "(run 'fuse' to merge weight chains)", node=name)
    lo, hi = population.start, population.stop
    post = slice(lo, hi)
    if isinstance(origin, nir_ops.InputOp):
        if population.role == "readout":
            raise NircError("the readout reads the input directly", node=name)
        if hi > chip.input_hidden:
            raise NircError(f"'{layer.layer_name}' takes input into hidden neurons {lo}..{hi - 1}; "
                            f"{chip.title} feeds input to the first {chip.input_hidden} only",
                            node=name)
        net.w_in[:, post] += w.T
    elif isinstance(origin, LayerOp):
        src = origin.layer_name
        if src not in placed:
            raise NircError(f"'{src}' is the readout; it cannot feed other neurons", node=name)
        a, b = placed[src]
        if population.role == "readout":
            first = net.n_hidden - chip.readout_hidden
            if a < first:
                raise NircError(f"the readout reads hidden neurons {a}..{b - 1}; {chip.title} "
                                f"reads out only the last {chip.readout_hidden}", node=name)
            net.w_out[a:b, post] += w.T
        else:
            net.w_rec[a:b, post] += w.T
    else:
        raise NircError(f"Xylo's synapses read the input or neurons, not '{origin.name}'",
                        node=name)
    bias = synapse.array("bias") if isinstance(synapse, nir_ops.AffineOp) else None
    if bias is not None and np.any(bias != 0):
        _fold_bias(population, np.asarray(bias, np.float64), name)


def _fold_bias(population: Population, bias: np.ndarray, name: str) -> None:
    """Xylo has no synapse bias: a constant input b reaches v as gain * b per step
    (LIF, IF) or, once the current has settled, gain * b / (1 - i_decay) (CubaLIF), so
    that is added to the neuron's bias (exact after the current's first time
    constant; warned)."""
    if population.cuba:
        settle = 1.0 - population.i_decay
        if np.any(settle <= 0):
            raise NircError("a synapse bias into a current that never decays has no Xylo form",
                            node=name, field="bias")
        population.bias += population.gain * bias / settle
        warnings.warn(f"'{name}': Xylo has no synapse bias; its steady effect is folded into "
                      f"the bias of '{population.name}' (differs for the first ~tau_syn)")
    else:
        population.bias += population.gain * bias
