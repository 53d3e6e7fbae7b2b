"""Cyclic groups of the fast engine: the nodes of one strongly connected component.

They must alternate step by step, so the group's whole per-step loop over a chunk
is generated as Python source and compiled by numba into one function (no Python
dispatch per step).  Samples are independent, so the function runs each sample
through all steps of the chunk on its own, samples spread over threads (prange).  Inputs from outside the group are summed per chunk
beforehand; an edge inside the group delivers the source's output of the same
step, or of the previous step if the plan marks it delayed (kept in ``prev``
buffers across chunks).  Groups holding a convolution or pooling node (rare in a
cycle) run the same loop in Python with the numpy kernels instead.
"""

from __future__ import annotations

import math
import numpy as np

from . import fast_kernels as fk
from . import loop_cache
from . import kernels
from .neurons import DelayLine, NeuronState, delay_steps, step
from .plan import Plan
from .threads import choice_for, work_per_step

COMPILED_KINDS = {"dense", "scale", "threshold", "reshape", "delay", "leaky", "cuba"}


def _compilable(node) -> bool:
    """Whether the generated row kernels run ``node``: a dense node only with an
    (out, in) weight on a 1-d input (dense_row works on one flat row); batched weights
    and weights on the last axis of a larger shape run in numpy (kernels.dense)."""
    if node.kind == "dense":
        return node.params["weight"].ndim == 2 and len(node.in_shape) == 1
    return node.kind in COMPILED_KINDS


def sum_sources(sources, chunk, shape, dtype) -> np.ndarray:
    """The sum of (source, delayed) chunks; a delayed one is read as ("late", source)."""
    if not sources:
        return np.zeros(shape, dtype)
    values = [chunk[("late", s) if delayed else s] for s, delayed in sources]
    total = values[0]  # kernels never write to their input
    for v in values[1:]:
        total = total + v
    return total


class LoopGroup:
    def __init__(self, members: list[int]):
        self.members = members

    # ---- set-up -----------------------------------------------------------------
    def prepare(self, plan: Plan, batch: int, record: list[tuple[int, str]],
                threads: int = 1) -> None:
        nodes, dtype = plan.nodes, plan.dtype
        work = batch * sum(work_per_step(nodes[k]) for k in self.members)
        self.choice = choice_for(plan, tuple(self.members), threads, work, batch)
        inside = set(self.members)
        self.batch, self.dtype = batch, dtype
        self.external = {k: [(s, d) for s, d in nodes[k].sources if s not in inside]
                         for k in self.members}
        self.delayed_sources = sorted({s for k in self.members for s, d in nodes[k].sources
                                       if d and s in inside})
        used_outside = {s for j, n in enumerate(nodes) if j not in inside for s, _ in n.sources}
        self.exported = [k for k in self.members
                         if k in used_outside or (k, "y") in record]
        self.recorded_states = [(k, w) for k, w in record if k in inside and w in ("v", "i")]
        self.compiled = all(_compilable(nodes[k]) for k in self.members)
        if self.compiled:
            self._prepare_compiled(plan)
        else:
            self._prepare_python(plan)

    def _width(self, plan: Plan, k: int, side: str = "out") -> int:
        node = plan.nodes[k]
        return math.prod(node.out_shape if side == "out" else node.in_shape)

    # ---- per chunk --------------------------------------------------------------
    def run_chunk(self, plan: Plan, chunk: dict, t0: int, n: int, recordings: dict) -> None:
        nodes, batch = plan.nodes, self.batch
        ext = {k: sum_sources(sources, chunk, (n, batch, -1), self.dtype).reshape(n, batch, -1)
               for k, sources in self.external.items() if sources}
        outs = {k: np.empty((n, batch, self._width(plan, k)), self.dtype) for k in self.exported}
        recs = {(k, w): recordings[(k, w)][t0:t0 + n].reshape(n, batch, -1)
                for k, w in self.recorded_states}
        if self.compiled:
            self._run_compiled(n, t0, ext, outs, recs)
        else:
            self._run_python(plan, n, ext, outs, recs)
        for k, out in outs.items():
            chunk[k] = out.reshape(n, batch, *nodes[k].out_shape)
            rec = recordings.get((k, "y"))
            if rec is not None:
                rec[t0:t0 + n] = chunk[k]

    # ---- compiled -----------------------------------------------------------------
    def _prepare_compiled(self, plan: Plan) -> None:
        nodes, batch, dtype = plan.nodes, self.batch, self.dtype
        self.args: dict[str, np.ndarray | int | float | bool] = {}
        lines: list[str] = []
        arg = self._arg
        for k in self.members:
            node = nodes[k]
            y = arg(f"y{k}", np.zeros((batch, self._width(plan, k)), dtype))
            outside = {s for s, _ in self.external[k]}
            internal = [f"{'prev' if delayed else 'y'}{s}" for s, delayed in node.sources
                        if s not in outside]
            if len(internal) == 1 and not self.external[k]:
                x = internal[0]  # a single source: read it in place (kernels never write x)
            else:
                x = arg(f"x{k}", np.zeros((batch, self._width(plan, k, "in")), dtype))
                lines.append(f"copy_row({x}, ext{k}[t], b)" if self.external[k]
                             else f"{x}[b, :] = 0.0")
                lines.extend(f"add_row({x}, {source}, b)" for source in internal)
            lines.extend(self._kernel_lines(node, k, x, y))
            if k in self.exported:
                lines.append(f"copy_row(out{k}[t], {y}, b)")
            for kk, w in self.recorded_states:
                if kk == k:
                    lines.append(f"copy_row(rec_{w}{k}[t], {w}{k}, b)")
        for s in self.delayed_sources:
            arg(f"prev{s}", plan.initial_output(s, batch).reshape(batch, -1))
            lines.append(f"copy_row(prev{s}, y{s}, b)")
        self.state_names = list(self.args)
        self.chunk_names = ([f"ext{k}" for k in self.members if self.external[k]]
                            + [f"out{k}" for k in self.exported]
                            + [f"rec_{w}{k}" for k, w in self.recorded_states])
        params = ", ".join(["n", "t0", *self.state_names, *self.chunk_names])
        body = "\n".join("            " + line for line in lines)
        # samples are independent: each thread runs its rows through all n steps
        source = (f"def group_step({params}):\n    for b in prange(y{self.members[0]}.shape[0]):\n"
                  f"        for t in range(n):\n{body}\n")
        self.source = source
        # one row or one thread: a serial function (compiles and loads faster)
        self.function = loop_cache.compiled(source, parallel=self.choice.threads > 1)

    def _arg(self, name: str, value) -> str:
        self.args[name] = value
        return name

    def _kernel_lines(self, node, k: int, x: str, y: str) -> list[str]:
        p, arg, m = node.params, self._arg, self._width_of(node)
        if node.kind == "dense":
            wt = arg(f"wt{k}", np.ascontiguousarray(p["weight"].T))
            bias = arg(f"b{k}", p["bias"] if p["bias"] is not None else np.zeros(m, self.dtype))
            return [f"dense_row({x}, {wt}, {bias}, {p['bias'] is not None}, {y}, b)"]
        if node.kind == "scale":
            return [f"scale_row({x}, {arg(f's{k}', p['scale'].reshape(-1))}, {y}, b)"]
        if node.kind == "threshold":
            return [f"threshold_row({x}, {arg(f'th{k}', p['threshold'].reshape(-1))}, {y}, b)"]
        if node.kind == "reshape":
            return [f"copy_row({y}, {x}, b)"]
        if node.kind == "delay":
            steps = delay_steps(node, self.batch).astype(np.int64)
            ring = arg(f"ring{k}", np.zeros((int(steps.max(initial=0)) + 1, self.batch, m), self.dtype))
            return [f"delay_row({x}, {ring}, t0 + t, {arg(f'steps{k}', steps)}, {y}, b)"]
        state = NeuronState(node, self.batch, self.dtype)
        v = arg(f"v{k}", state.v.reshape(self.batch, m))
        values = fk.neuron_args(p, m, self.dtype)
        names = ("v_decay", "v_gain", "v_bias", "thr", "vreset", "vmin")
        arrays = [arg(f"{name}{k}", value) for name, value in zip(names, values)]
        flags = ", ".join(repr(f) for f in values[len(names):])  # spiking .. firing, constants
        z = arg(f"z{k}", state.z.reshape(self.batch, m) if state.z is not None
                else np.zeros((1, 1), self.dtype))
        common = f"{', '.join(arrays)}, {flags}, {z}"
        if node.kind == "leaky":
            return [f"leaky_row({x}, {v}, {common}, {y}, b)"]
        i = arg(f"i{k}", np.zeros((self.batch, m), self.dtype))
        syn = [arg(f"{f}{k}", p[f].reshape(-1)) for f in ("i_decay", "i_gain")]
        return [f"cuba_row({x}, {v}, {i}, {', '.join(syn)}, {common}, "
                f"{bool(p['current_new'])}, {y}, b)"]

    @staticmethod
    def _width_of(node) -> int:
        return math.prod(node.out_shape)

    def _run_compiled(self, n: int, t0: int, ext, outs, recs) -> None:
        values = [self.args[name] for name in self.state_names]
        chunk_values = ([ext[k] for k in self.members if self.external[k]]
                        + [outs[k] for k in self.exported]
                        + [recs[(k, w)] for k, w in self.recorded_states])
        self.choice.run(self.function, n, n, t0, *values, *chunk_values)

    # ---- python fallback (conv/pool in a cycle) -------------------------------------
    def _prepare_python(self, plan: Plan) -> None:
        nodes, batch, dtype = plan.nodes, self.batch, self.dtype
        self.nodes = {k: nodes[k] for k in self.members}
        self.states = {}
        for k in self.members:
            node = nodes[k]
            if node.kind in ("leaky", "cuba"):
                self.states[k] = NeuronState(node, batch, dtype)
            elif node.kind == "delay":
                self.states[k] = DelayLine(node, batch, dtype)
        self.prev = {s: plan.initial_output(s, batch) for s in self.delayed_sources}

    def _run_python(self, plan: Plan, n: int, ext, outs, recs) -> None:
        batch = self.batch
        for t in range(n):
            current = {}
            for k in self.members:
                node = self.nodes[k]
                x = (ext[k][t].reshape(batch, *node.in_shape).copy() if k in ext
                     else np.zeros((batch, *node.in_shape), self.dtype))
                for s, delayed in node.sources:
                    if s not in {e for e, _ in self.external[k]}:
                        x += self.prev[s] if delayed else current[s]
                if node.kind in ("leaky", "cuba"):
                    y = step(node, self.states[k], x)
                elif node.kind == "delay":
                    y = self.states[k].step(x)
                else:
                    y = kernels.STATELESS[node.kind](node, x)
                current[k] = y
                if k in outs:
                    outs[k][t] = y.reshape(batch, -1)
                for kk, w in self.recorded_states:
                    if kk == k:
                        recs[(k, w)][t] = getattr(self.states[k], w).reshape(batch, -1)
            for s in self.delayed_sources:
                self.prev[s] = current[s]
