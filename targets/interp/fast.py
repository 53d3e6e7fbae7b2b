"""The fast engine: time is processed in chunks, layer by layer where it can be.

A node that is not on a cycle only needs its sources' values of the same steps, so
for a chunk of C steps it runs once over the whole chunk: stateless kernels
(dense, conv, pool, ...) as one numpy call on C*B samples (a large matrix product,
not C small ones), neurons and delays as one compiled loop over the chunk.  The
nodes of a cycle (a strongly connected component of the graph) must alternate
step by step; each such group is compiled by numba into one function that runs
the whole chunk (``fast_groups``).  Memory is O(C), not O(T), beyond what is
recorded; C is chosen by ``chunk_length``.

Results equal the reference engine's: neuron and delay updates bit for bit, matrix
products and convolutions (sparse inputs scattered by ``fast_conv``) up to the rounding
of a different summation order; pooling sums in the reference's dtype.  A sum pooling
read only by a convolution is not computed: the convolution scatters the pooling's
input through it (``_fused_pools``).  Neuron layers run a loop compiled for their
flags (``fast_kernels.neuron_chunk``).  Kernels run on
the threads ``threads.ThreadChoice`` picks; any count gives the same bits.
"""

from __future__ import annotations

import functools
import math

import networkx as nx
import numpy as np

from . import fast_conv
from . import fast_kernels as fk
from . import kernels
from .fast_groups import LoopGroup, sum_sources
from .plan import Node, Plan
from .threads import ThreadChoice, available, choice_for, limit_blas, work_per_step

CACHE_ELEMENTS = 1 << 17  # a chunk buffer of the widest node stays in cache...
MIN_ROWS = 2048  # ...unless a chunk would give matrix products fewer rows than this
CONV_ELEMENTS = 1 << 22  # convolutions expand their input k*k-fold (im2col): no MIN_ROWS
GROUP_CHUNKS = 8  # a loop group over several samples: chunks this many times longer


def run(plan: Plan, inputs: dict[str, np.ndarray], steps: int, batch: int,
        record: list[tuple[int, str]], progress=None,
        threads: int | None = None) -> dict[tuple[int, str], np.ndarray]:
    """Run the plan; ``threads`` bounds the kernels' threads (None: NUMBA_NUM_THREADS);
    BLAS runs on one thread unless ``threads`` is given (threads.py: measured)."""
    count = available(threads)
    with limit_blas(1 if threads is None else count):
        return FastRunner(plan, batch, record, count).run(inputs, steps, progress)


def chunk_length(plan: Plan, batch: int, steps: int) -> int:
    """Steps per chunk: small enough that a chunk's buffers stay in cache between the
    node that writes them and the nodes that read them, large enough to give the
    matrix products of feed-forward layers MIN_ROWS rows (measured with
    bench/bench_interp.py: Braille is fastest with cache-sized chunks, the MLP with
    GEMMs of a few thousand rows).  A plan with a loop group over several samples takes
    GROUP_CHUNKS times longer chunks: each chunk is one call of the group's kernel, and a
    threaded call pays the wake-up of passively waiting OpenMP threads (braille b128 on a
    quiet 2-core machine: 33 -> 22.5 ms per run, one thread unchanged at 32-33 ms; the
    MLP, without a group, keeps its chunks: it ran 5% slower with longer ones)."""
    widest = max((math.prod(n.out_shape) for n in plan.nodes), default=1)
    if any(n.kind in ("conv", "pool") for n in plan.nodes):
        return int(max(1, min(steps, CONV_ELEMENTS // max(1, batch * widest))))
    rows = -(-MIN_ROWS // batch)
    grouped = batch > 1 and any(isinstance(u, tuple) for u in _unit_members(plan))
    elements = CACHE_ELEMENTS * (GROUP_CHUNKS if grouped else 1)
    return int(max(1, min(steps, max(rows, elements // max(1, batch * widest)))))


class FastRunner:
    def __init__(self, plan: Plan, batch: int, record: list[tuple[int, str]], threads: int = 1):
        self.plan, self.batch, self.dtype = plan, batch, plan.dtype
        self.record = record
        self.units = _units(plan)
        self.state: dict[int, object] = {}
        self.choices: dict[int, ThreadChoice] = {}
        group_of = {k: id(u) for u in self.units if isinstance(u, LoopGroup) for k in u.members}
        # sources read one step late by a node outside their own loop group (synapse-delay=1):
        # their chunk is also kept shifted by one step, ("late", s), with the row before it
        self.tails = {s: plan.initial_output(s, batch)
                      for k, node in enumerate(plan.nodes) for s, delayed in node.sources
                      if delayed and (k not in group_of or group_of.get(s) != group_of[k])}
        self.buffers: dict[int, np.ndarray] = {}
        self.fused = _fused_pools(plan, self.units, record)
        self.fused_source = {conv: plan.nodes[pool] for pool, conv in self.fused.items()}
        for unit in self.units:
            if isinstance(unit, LoopGroup):
                unit.prepare(plan, batch, record, threads)
            else:
                node = plan.nodes[unit]
                self.state[unit] = _free_state(node, batch, self.dtype)
                # neurons split the batch rows over threads, products every (step, sample) row
                rows = batch if node.kind in ("leaky", "cuba") else 2
                self.choices[unit] = choice_for(plan, unit, threads, batch * work_per_step(node), rows)

    def run(self, inputs, steps: int, progress=None) -> dict[tuple[int, str], np.ndarray]:
        plan, batch = self.plan, self.batch
        recordings = {key: np.zeros((steps, batch, *plan.nodes[key[0]].out_shape), self.dtype)
                      for key in self.record}
        c = chunk_length(plan, batch, steps)
        for t0 in range(0, steps, c):
            t1 = min(steps, t0 + c)
            chunk: dict[int, np.ndarray] = {}
            for unit in self.units:
                if isinstance(unit, LoopGroup):
                    unit.run_chunk(plan, chunk, t0, t1 - t0, recordings)
                else:
                    self._free(unit, inputs, chunk, t0, t1, recordings)
                for k in unit.members if isinstance(unit, LoopGroup) else (unit,):
                    if k in self.tails:
                        chunk[("late", k)] = np.concatenate([self.tails[k][None], chunk[k][:-1]])
                        self.tails[k] = chunk[k][-1].copy()
            if progress is not None:
                progress(t1)
        return recordings

    def _free(self, k: int, inputs, chunk, t0: int, t1: int, recordings) -> None:
        node = self.plan.nodes[k]
        n = t1 - t0
        if node.kind == "input":
            y = inputs[node.name][t0:t1]
        elif k in self.fused:  # read through by its convolution: the pooling's input
            y = summed_chunk(node, chunk, n, self.batch, self.dtype)
        else:
            x = summed_chunk(node, chunk, n, self.batch, self.dtype)
            pool = self.fused_source.get(k)
            alloc = functools.partial(self._buffer, k)
            if pool is not None:
                y = _conv_through_pool(node, pool, self.state[k], x, self.batch, self.choices[k],
                                       alloc)
            else:
                y = _apply_free(node, self.state.get(k), x, self.batch, recordings.get((k, "v")),
                                recordings.get((k, "i")), t0, self.choices[k], alloc)
        chunk[k] = y
        rec = recordings.get((k, "y"))
        if rec is not None:
            rec[t0:t1] = y


    def _buffer(self, k: int, shape: tuple, dtype) -> np.ndarray:
        """Node k's output array for this chunk: the same memory every chunk (a chunk's
        values are dead once the next chunk computes the node: recordings and the rows
        kept across chunks are copies).  A fresh array of a chunk's size (tens of MB for a
        CNN) is a fresh mapping whose first writes page-fault, and two threads faulting
        wait for each other: measured on bench_interp.py's CNN b32, 0.54 -> 0.29 s per run
        with two threads, 0.55 -> 0.48 s with one."""
        size = math.prod(shape)
        buffer = self.buffers.get(k)
        if buffer is None or buffer.dtype != dtype or buffer.size < size:
            buffer = self.buffers[k] = np.empty(size, dtype)
        return buffer[:size].reshape(shape)


def summed_chunk(node: Node, chunk, n: int, batch: int, dtype) -> np.ndarray:
    """Sum of the node's sources over the chunk, (C, B, *in_shape): a delayed source
    (outside a loop group: synapse-delay=1) gives its chunk shifted by one step."""
    return sum_sources(node.sources, chunk, (n, batch, *node.in_shape), dtype)


def _free_state(node: Node, batch: int, dtype):
    if node.kind in ("leaky", "cuba"):
        from .neurons import NeuronState

        return NeuronState(node, batch, dtype)
    if node.kind in ("dense", "conv"):
        return {}
    if node.kind == "delay":
        from .neurons import delay_steps

        steps = delay_steps(node, batch)
        return {"steps": steps, "history": np.zeros((int(steps.max(initial=0)), batch, steps.size),
                                                    dtype)}
    return None


def _apply_free(node: Node, state, x: np.ndarray, batch: int, rec_v, rec_i, t0: int,
                choice: ThreadChoice, alloc=np.empty):
    n = x.shape[0]
    if node.kind == "output":
        return x
    if node.kind == "dense" and x.ndim == 3 and _sparse(state, x):
        return _dense_sparse(node, x.reshape(n * batch, -1), choice, n, alloc).reshape(
            n, batch, *node.out_shape)
    if node.kind == "conv" and _sparse_conv(node, state, x):
        merged = x.reshape(n * batch, *node.in_shape)
        y = fast_conv.conv_sparse(node, merged, _caller(choice, n), alloc=alloc)
        return y.reshape(n, batch, *node.out_shape)
    if node.kind == "pool":
        merged = x.reshape(n * batch, *node.in_shape)
        y = fast_conv.pool_sum(node, merged, _caller(choice, n), alloc)
        return y.reshape(n, batch, *node.out_shape)
    if node.kind in kernels.STATELESS:
        merged = x.reshape(n * batch, *node.in_shape)
        return kernels.STATELESS[node.kind](node, merged).reshape(n, batch, *node.out_shape)
    flat = x.reshape(n, batch, -1)
    if node.kind == "delay":
        return _delay_chunk(node, state, flat).reshape(x.shape)
    y = alloc(flat.shape, flat.dtype)
    p = node.params
    m = flat.shape[2]
    v = state.v.reshape(batch, m)
    values = fk.neuron_args(p, m, x.dtype)
    arrays, flags = values[:6], values[6:]
    z = _spike_memory(state, batch, m, x.dtype)
    if node.kind == "leaky":
        choice.run(fk.neuron_chunk("leaky", flags), n, flat, v, *arrays, z, y,
                   _rec(rec_v, t0, n, batch, m, x.dtype), rec_v is not None)
    else:
        i = state.i.reshape(batch, m)
        choice.run(fk.neuron_chunk("cuba", (*flags, bool(p["current_new"]))), n, flat, v, i,
                   p["i_decay"].reshape(-1), p["i_gain"].reshape(-1), *arrays, z, y,
                   _rec(rec_v, t0, n, batch, m, x.dtype), _rec(rec_i, t0, n, batch, m, x.dtype),
                   rec_v is not None, rec_i is not None)
    return y.reshape(n, batch, *node.out_shape)


def _caller(choice: ThreadChoice, steps: int):
    """``call(function, *args)`` for fast_conv: the kernel on the threads ``choice`` picks."""
    def call(function, *args):
        return choice.run(function, steps, *args)
    return call


def _fused_pools(plan: Plan, units: list, record) -> dict[int, int]:
    """{pool node: the convolution that reads through it} (fast_conv.conv_sparse with
    ``pool``): a sum pooling outside loop groups whose only reader is a convolution
    outside loop groups with no other source, neither recorded: the pooled map is then
    never needed (measured on bench_interp.py's CNN b32, one thread: the pooling before
    the second convolution took 0.16 s of 0.78 s)."""
    free = {u for u in units if not isinstance(u, LoopGroup)}
    readers: dict[int, list[int]] = {}
    for k, node in enumerate(plan.nodes):
        for s, _ in node.sources:
            readers.setdefault(s, []).append(k)
    recorded = {k for k, _ in record}
    fused = {}
    for k, node in enumerate(plan.nodes):
        if node.kind != "pool" or len(readers.get(k, [])) != 1:
            continue
        reader = readers[k][0]
        if k not in free or reader not in free or k in recorded or not fast_conv.fusable_pool(node):
            continue
        conv = plan.nodes[reader]
        if conv.kind == "conv" and fast_conv.supported(conv) and conv.sources == [(k, False)]:
            fused[k] = reader
    return fused


def _conv_through_pool(node: Node, pool: Node, state: dict, x: np.ndarray, batch: int,
                       choice: ThreadChoice, alloc=np.empty) -> np.ndarray:
    """The convolution ``node`` of the sum pooling ``pool`` of x (C, B, *pool.in_shape):
    scattered through the pooling where the pooled input is sparse by the cost model,
    else pooled and multiplied (im2col + GEMM)."""
    n = x.shape[0]
    merged = x.reshape(n * batch, *pool.in_shape)
    call = _caller(choice, n)
    if _sparse_conv(node, state, x):  # the pooling's nonzeros bound the pooled map's
        y = fast_conv.conv_sparse(node, merged, call, pool, alloc)
    else:
        y = kernels.conv(node, fast_conv.pool_sum(pool, merged, call))
    return y.reshape(n, batch, *node.out_shape)


SPARSE_FRACTION = 0.2  # below this fraction of nonzero inputs, skip zeros instead of GEMM


def _sparse(state: dict, x: np.ndarray) -> bool:
    """Whether the input is sparse enough to skip zeros; decided on the run's first
    chunk and kept (a layer's input rate does not change by an order of magnitude)."""
    if "sparse" not in state:
        sample = _sample(x)
        state["sparse"] = bool(np.count_nonzero(sample) < SPARSE_FRACTION * sample.size)
    return state["sparse"]


SAMPLE = 1 << 16
"""Elements of a first chunk whose nonzeros decide a layer's method: evenly spaced over
the chunk (counting all of braille b128's took 1.85 ms of a 28 ms run)."""


def _sample(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1)
    return flat[::-(-flat.size // SAMPLE)]


def _sparse_conv(node: Node, state: dict, x: np.ndarray) -> bool:
    """Whether to scatter the nonzero inputs (fast_conv) rather than im2col + GEMM, by
    the cost model of fast_conv on the measured nonzeros of the run's first chunk."""
    if "sparse" not in state:
        rows = x.shape[0] * x.shape[1]
        sample = _sample(x)
        nonzero = np.count_nonzero(sample) * (x.size / max(1, sample.size))
        state["sparse"] = fast_conv.supported(node) and bool(
            fast_conv.sparse_cost(node, nonzero) < fast_conv.dense_cost(node, rows))
    return state["sparse"]


def _dense_sparse(node: Node, x: np.ndarray, choice: ThreadChoice, steps: int,
                  alloc=np.empty) -> np.ndarray:
    p = node.params
    wt = p.get("weight_t")
    if wt is None:
        wt = p["weight_t"] = np.ascontiguousarray(p["weight"].T)
    bias = p["bias"]
    y = alloc((x.shape[0], wt.shape[1]), x.dtype)
    choice.run(fk.dense_rows_sparse, steps, np.ascontiguousarray(x), wt,
               bias if bias is not None else wt[0], bias is not None, y)
    return y


def _spike_memory(state, batch: int, m: int, dtype) -> np.ndarray:
    """The previous step's spike counts z (delayed firing), or a placeholder never read."""
    z = getattr(state, "z", None)
    return z.reshape(batch, m) if z is not None else np.zeros((1, 1), dtype)


def _rec(rec, t0: int, n: int, batch: int, m: int, dtype) -> np.ndarray:
    if rec is None:
        return fk.empty_record(dtype)
    return rec[t0:t0 + n].reshape(n, batch, m)


def _delay_chunk(node: Node, state: dict, x: np.ndarray) -> np.ndarray:
    """y[t] = x[t - steps] across chunk boundaries, from the last max(steps) inputs."""
    history = state["history"]
    length = history.shape[0]
    if length == 0:
        return x
    joined = np.concatenate([history, x], axis=0)
    t = np.arange(x.shape[0])[:, None] + length - state["steps"][None, :]
    y = np.take_along_axis(joined, t[:, None, :], axis=0)
    state["history"] = joined[-length:].copy()
    return y


def _units(plan: Plan) -> list:
    """Node indices and (new) LoopGroups in step order (a group at its first member)."""
    return [LoopGroup(list(u)) if isinstance(u, tuple) else u for u in _unit_members(plan)]


def _unit_members(plan: Plan) -> list:
    """Node indices and the member tuples of the loop groups in step order, computed
    once per plan (a Simulator runs many times)."""
    memo = plan.__dict__.get("unit_members")
    if memo is not None:
        return memo
    g = nx.DiGraph()
    g.add_nodes_from(range(len(plan.nodes)))
    g.add_edges_from((s, k) for k, n in enumerate(plan.nodes) for s, _ in n.sources)
    group_of: dict[int, LoopGroup] = {}
    for component in nx.strongly_connected_components(g):
        members = sorted(component)
        if len(members) > 1 or g.has_edge(members[0], members[0]):
            group = LoopGroup(members)
            for m in members:
                group_of[m] = group
    units, seen = [], set()
    for k in range(len(plan.nodes)):
        group = group_of.get(k)
        if group is None:
            units.append(k)
        elif id(group) not in seen:
            seen.add(id(group))
            units.append(tuple(group.members))
    plan.__dict__["unit_members"] = units
    return units
