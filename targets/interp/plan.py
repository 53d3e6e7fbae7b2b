"""Plan a module for simulation: one flat list of nodes in step order.

``make_plan`` copies the module, inlines nested graphs (``flatten-subgraphs``),
discretizes continuous-time ``nir`` neurons with the given options (``discretize``,
unless the module is already at the ``snn`` stage) and turns every node op into a
``Node``: a kernel kind, its parameters as numpy arrays of the simulation dtype, its
per-sample input and output shapes, and its sources (which nodes feed it, and
whether the edge is delayed by one step; see ``schedule``).  Both engines execute
this plan; nothing here depends on the engine.

Kinds and their per-step meaning (x = sum of the node's sources, per sample):

=========  =====================================================================
input      y = the user's input array for this Input node at step t
output     y = x (recorded)
dense      y = W x + b  (Affine; Linear has b = 0); W is (out, in) on the last axis
conv       y = conv(x, W) + b per PyTorch (stride, padding, dilation, groups), 1-d/2-d
pool       y = scale * sum of x over each window (SumPool2d: 1, AvgPool2d: 1/(kh*kw))
reshape    y = x reshaped to the output shape (Flatten)
scale      y = s * x
threshold  y = 1 if x > threshold else 0
delay      y[t] = x[t - steps] (0 before)
leaky      snn.li / snn.lif / snn.i / snn.if (snn.i, snn.if: decay 1, bias 0)
cuba       snn.cuba_li / snn.cuba_lif
qneuron    qsnn.neuron: integer arithmetic (``integer.py``); the plan is float64
xylo       xylo.network: a whole Xylo chip (targets/xylo/engine.py runs it)
loihi2     loihi2.network: a netx network (targets/loihi2/engine.py runs it)
speck      speck.network: Speck's cores (targets/speck/engine.py runs it)
spinnaker2 spinnaker2.network: a py-spinnaker2 network (targets/spinnaker2/engine.py)
=========  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from nirc.diagnostics import NircError

from .schedule import step_schedule

SimOptions = dict  # dt, method, reset, v_init, current, round_delays (see discretize)


@dataclass
class Node:
    """One node of the plan; ``sources`` index ``Plan.nodes`` with a delayed flag."""

    name: str
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: dict = field(default_factory=dict)
    sources: list[tuple[int, bool]] = field(default_factory=list)

    @property
    def spiking(self) -> bool:
        return bool(self.params.get("spiking", False))


@dataclass
class Plan:
    nodes: list[Node]
    dtype: np.dtype
    options: dict

    def inputs(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "input"]

    def outputs(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "output"]

    def initial_output(self, k: int, batch: int) -> np.ndarray:
        """What a delayed edge from node k delivers at step 0 (its "previous" output):
        zero, or with loop_start=rest a stateless node's response to all-zero input
        (an Affine or Conv gives its bias); neurons and delays give zero either way.
        With synapse_delay=1 a weight node's delayed output is y[t] = W x[t-1] + b with
        x[-1] = 0, so it delivers its bias from step 0: only spikes travel late, the bias
        is a constant input of the neuron (Lava's ``bias_mant``, lava/proc/lif/models.py;
        checked against Lava's float models in tests/test_lava_float_peer.py)."""
        from nirc.passes.discretize import with_defaults

        from . import kernels

        node = self.nodes[k]
        zeros = np.zeros((batch, *node.out_shape), self.dtype)
        options = with_defaults(self.options)
        synaptic = options["synapse_delay"] and node.kind in ("dense", "conv")
        if not (options["loop_start"] == "rest" or synaptic) or node.kind not in kernels.STATELESS:
            return zeros
        rest = kernels.STATELESS[node.kind](node, np.zeros((batch, *node.in_shape), self.dtype))
        return np.ascontiguousarray(rest, self.dtype)

    def index(self, name: str) -> int:
        for i, n in enumerate(self.nodes):
            if n.name == name:
                return i
        raise KeyError(name)


def make_plan(module: ModuleOp, *, dtype=np.float32, **options) -> Plan:
    """Plan ``module`` (nir or snn stage); ``options`` go to ``discretize``."""
    from nirc.exporter import root_graph
    from nirc.passes.discretize import discretize_module, recorded_options, with_defaults
    from nirc.passes.flatten_subgraphs import flatten
    from nirc.passes.group_layers import ungroup_layers

    module = module.clone()
    ungroup_layers(module)
    graph = root_graph(module)
    flatten(graph)
    # options not given default to those a discretized module records; discretize
    # rejects options that contradict them
    recorded = recorded_options(module)
    if options or recorded is None:
        discretize_module(module, **{**(recorded or {}), **options})
    ops = list(graph.nodes())
    # integer neurons take integer-valued float64 sums (exact below 2**53)
    dtype = np.dtype(np.float64 if any(op.name == "qsnn.neuron" for op in ops) else dtype)
    names = [_name(op) for op in ops]
    index = {op: i for i, op in enumerate(ops)}
    edges = [(names[index[v.owner]], names[i]) for i, op in enumerate(ops) for v in op.operands]
    synaptic = set()
    if with_defaults(recorded_options(module) or {})["synapse_delay"]:
        weights = {names[i] for i, op in enumerate(ops) if op.name in WEIGHT_OPS}
        synaptic = {e for e in edges if e[0] in weights}
    order, delayed = step_schedule(names, edges, synaptic)
    position = {name: k for k, name in enumerate(order)}
    nodes: list[Node] = [None] * len(ops)  # type: ignore[list-item]
    for i, op in enumerate(ops):
        node = _node(op, dtype)
        # fan-in is summed in the order of the source names, so that edge order in
        # the file cannot change a single bit of the result
        sources = sorted(names[index[v.owner]] for v in op.operands)
        node.sources = [(position[s], (s, names[i]) in delayed) for s in sources]
        nodes[position[names[i]]] = node
    return Plan(nodes, dtype, recorded_options(module) or {})


WEIGHT_OPS = ("nir.affine", "nir.linear", "nir.conv1d", "nir.conv2d")
"""Nodes whose outgoing edges deliver one step late with synapse-delay=1."""


def _name(op) -> str:
    return op.node_name.data


def apply_synapse(op, x: np.ndarray) -> np.ndarray:
    """The time-independent node ``op`` (Affine, Linear, Conv) applied to ``x`` of shape
    (N, *in_shape), in float64, with the interpreter's own kernels: (N, *out_shape)."""
    from . import kernels

    node = _node(op, np.dtype(np.float64))
    kernel = {"dense": kernels.dense, "conv": kernels.conv}.get(node.kind)
    if kernel is None:
        raise NircError(f"'{op.name}' is not a synapse (Affine, Linear or Conv)", node=node.name)
    return kernel(node, np.asarray(x, dtype=np.float64))


# -------------------------------------------------------------------------------------
# op -> Node


def _node(op, dtype: np.dtype) -> Node:
    kind = op.name
    out_shape = tuple(op.output_shape) if op.results else tuple(op.input_shape or ())
    in_shape = tuple(op.input_shape) if op.operands else out_shape
    node = Node(_name(op), "", in_shape, out_shape)
    build = _BUILDERS.get(kind)
    if build is None:
        raise NircError(f"the interpreter cannot simulate '{kind}'", node=node.name)
    build(op, node, lambda f: _float(op, f, dtype))
    return node


def _float(op, f: str, dtype: np.dtype):
    a = op.array(f)
    if a is None:
        return None
    return np.ascontiguousarray(a, dtype=dtype).reshape(np.shape(a))  # keeps a 0-d value 0-d


def _input(op, node, get):
    node.kind = "input"


def _output(op, node, get):
    node.kind = "output"


def _dense(op, node, get):
    node.kind = "dense"
    w = get("weight")
    bias = get("bias") if op.name == "nir.affine" else None
    if bias is not None and bias.ndim == 0 and w.ndim == 2:  # NIR broadcasts a scalar bias
        bias = np.full(w.shape[0], bias, bias.dtype)
    node.params = {"weight": w, "bias": bias}


def _conv(op, node, get):
    kernel, stride, padding, dilation = op._geometry()
    node.kind = "conv"
    node.params = {
        "weight": get("weight"), "bias": get("bias"),
        "stride": stride, "dilation": dilation,
        "padding": _explicit_padding(padding, kernel, stride, dilation, node.name),
        "groups": int(op.array("groups").reshape(-1)[0]),
    }


def _explicit_padding(padding, kernel, stride, dilation, name):
    """(before, after) per spatial dim; 'same' pads like PyTorch (extra on the end)."""
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    if padding == "same":
        if any(s != 1 for s in stride):
            raise NircError("padding='same' with stride > 1 is undefined (PyTorch rejects it)",
                            node=name, field="padding")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in total]
    return [(int(p), int(p)) for p in padding]


def _pool(op, node, get):
    from nirc.dialects.nir_shapes import per_dim

    kernel, stride, padding = (per_dim(op.array(f), 2, 0) for f in ("kernel_size", "stride", "padding"))
    node.kind = "pool"
    scale = 1.0 if op.name == "nir.sum_pool2d" else 1.0 / (kernel[0] * kernel[1])
    node.params = {"kernel": kernel, "stride": stride, "padding": [(p, p) for p in padding],
                   "scale": scale}


def _reshape(op, node, get):
    node.kind = "reshape"


def _scale(op, node, get):
    node.kind = "scale"
    node.params = {"scale": np.broadcast_to(get("scale"), node.out_shape).copy()}


def _threshold(op, node, get):
    node.kind = "threshold"
    node.params = {"threshold": np.broadcast_to(get("threshold"), node.out_shape).copy()}


def _delay(op, node, get):
    node.kind = "delay"
    node.params = {"steps": np.asarray(op.array("steps"), dtype=np.int64)}


def _leaky(op, node, get):
    node.kind = "leaky"
    integrator = op.name in ("snn.i", "snn.if")
    shape = node.out_shape
    node.params = {
        "v_decay": np.ones(shape, node_dtype(get)) if integrator else get("v_decay"),
        "v_gain": get("v_gain"),
        "v_bias": np.zeros(shape, node_dtype(get)) if integrator else get("v_bias"),
        "v_init": get("v_init"),
        "spiking": op.name in ("snn.lif", "snn.if"),
    }
    _spike_params(op, node, get)


def _cuba(op, node, get):
    node.kind = "cuba"
    node.params = {f: get(f) for f in ("i_decay", "i_gain", "v_decay", "v_gain", "v_bias", "v_init")}
    node.params["spiking"] = op.name == "snn.cuba_lif"
    node.params["current_new"] = op.current.data == "new"
    _spike_params(op, node, get)


def node_dtype(get) -> np.dtype:
    return get("v_gain").dtype


def _spike_params(op, node, get):
    """Threshold, reset and the spike rule of dialects/snn.py (``fire``): ``cap`` (1 single,
    0 unbounded), ``ge`` (>= instead of >), ``firing`` 0 immediate / 1 delayed-reset /
    2 late, ``v_min`` (-inf where unbounded)."""
    if node.params["spiking"]:
        rule = op.spike_rule
        node.params["v_threshold"] = get("v_threshold")
        node.params["v_reset"] = get("v_reset")
        node.params["subtract"] = op.reset.data == "subtract"
        node.params["cap"] = int(rule["max_spikes"])
        node.params["ge"] = rule["spike_test"] == "ge"
        node.params["firing"] = FIRING_CODES[rule["firing"]]
        v_min = get("v_min")
        node.params["v_min"] = (v_min if v_min is not None
                                else np.full(node.out_shape, -np.inf, node_dtype(get)))


FIRING_CODES = {"immediate": 0, "delayed-reset": 1, "late": 2}


def _qneuron(op, node, get):
    node.kind = "qneuron"
    node.params = {f: np.asarray(op.array(f), np.int64) for f in
                   ("i_decay", "v_decay", "v_bias", "v_threshold", "v_reset", "v_init")}
    node.params.update(
        unit=np.asarray(op.array("unit"), np.float64),
        decay_bits=op.bits("decay_bits"), state_bits=op.bits("state_bits"),
        input_shift=op.bits("input_shift"),
        current=op.current.data, spiking=op.spiking.data == "spike",
        subtract=op.reset.data == "subtract", toward_zero=op.rounding.data == "toward-zero",
        wrap=op.overflow.data == "wrap")


def _xylo(op, node, get):
    node.kind = "xylo"
    node.params = {"config": op.config(), "latency": op.integer("latency"),
                   "layers": op.layer_table(),
                   "readout": op.readout.data, "unit_out": np.asarray(op.array("unit_out"))}


def _loihi2(op, node, get):
    node.kind = "loihi2"
    node.params = {"network": op.network(), "latency": op.integer("latency"),
                   "names": op.layer_names(),
                   "readout": op.readout.data, "unit_out": np.asarray(op.array("unit_out"))}


def _speck(op, node, get):
    node.kind = "speck"
    node.params = {"network": op.network()}


def _spinnaker2(op, node, get):
    node.kind = "spinnaker2"
    node.params = {"network": op.network(), "latency": op.integer("latency"),
                   "conn_delay": op.integer("conn_delay"),
                   "readout": op.readout.data, "unit_out": np.asarray(op.array("unit_out"))}


_BUILDERS = {
    "nir.input": _input, "nir.output": _output,
    "nir.affine": _dense, "nir.linear": _dense,
    "nir.conv1d": _conv, "nir.conv2d": _conv,
    "nir.sum_pool2d": _pool, "nir.avg_pool2d": _pool,
    "nir.flatten": _reshape, "nir.scale": _scale,
    "snn.threshold": _threshold, "snn.delay": _delay,
    "snn.li": _leaky, "snn.lif": _leaky, "snn.i": _leaky, "snn.if": _leaky,
    "snn.cuba_li": _cuba, "snn.cuba_lif": _cuba,
    "qsnn.neuron": _qneuron,
    "xylo.network": _xylo,
    "loihi2.network": _loihi2,
    "speck.network": _speck,
    "spinnaker2.network": _spinnaker2,
}
