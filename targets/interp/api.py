"""``simulate``: run a NIR graph or a module with explicit discretization options.

Inputs are keyed by Input node name (a single array is fine for a single Input),
each of shape (T, B, *shape) or (T, *shape); results are keyed by Output node name
(and by recorded internal ``node``, ``node.v``, ``node.i``), of shape (T, B, *shape),
or (T, *shape) where the inputs had no batch axis.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from nirc.diagnostics import NircError

from .plan import Plan, make_plan

ENGINES = ("auto", "reference", "fast")


from nirc.passes.discretize import CONVENTIONS  # noqa: E402

CONVENTION_NAMES = tuple(CONVENTIONS)
"""Spiking conventions that ``simulate``/``Simulator`` take as keywords (passes/discretize.py)."""


def _require_finite(named: dict[str, np.ndarray]) -> None:
    """No NaN or inf leaves the simulator silently: a non-finite output or recorded
    state (e.g. forward Euler with dt >> tau, whose decay 1 - dt/tau is huge and
    negative) is an error naming the signal and the first step."""
    for label, values in named.items():
        if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
            step = int(np.argwhere(~np.isfinite(values))[0][0])
            bad = values[~np.isfinite(values)].flat[0]
            raise NircError(f"the simulation produced {bad} in '{label}' at step {step} "
                            "(an unstable discretization? check dt against the time constants, "
                            "or use method=exact)")


def simulate(graph, inputs, *, dt: float | None = None, method: str | None = None,
             reset: str | None = None, v_init: str | None = None, current: str | None = None,
             round_delays: bool = False, profile: str | None = None, dtype="float32",
             record: Iterable[str] = (), engine: str = "auto",
             progress: Callable[[int], None] | None = None, keep_batch_axis: bool = False,
             threads: int | None = None, **conventions) -> dict[str, np.ndarray]:
    """Simulate ``graph`` (a path, a nir.NIRGraph or a module) on ``inputs``.

    ``dt`` (s), ``method`` (euler | exact | exp-euler), ``reset`` (value | subtract),
    ``v_init`` (zero | leak), ``current`` (new | previous), ``round_delays`` and the
    spiking conventions (``spikes`` single | multi, ``max_spikes``, ``max_spikes_out``,
    ``spike_test`` gt |
    ge, ``firing`` immediate | delayed-reset | late, ``v_min``, ``synapse_delay`` 0 | 1,
    ``loop_start`` zero | rest)
    are the ``discretize`` options (None: the profile's, else nirc's defaults);
    ``profile`` names another simulator's bundle of them (nirc/profiles.py: snntorch,
    norse, lava, spyx, rockpool, sinabs, spinnaker2, nengo, nir).  ``dtype`` is float32
    or float64; ``record`` names internal nodes (``lif1``: its output, ``lif1.v``,
    ``lif1.i``: its state after each step).  Results keep the batch axis if the inputs
    had one or ``keep_batch_axis`` is set.  ``threads`` bounds the fast engine's threads
    (None: NUMBA_NUM_THREADS; targets/interp/threads.py says when it uses fewer).
    """
    simulator = Simulator(graph, dt=dt, method=method, reset=reset, v_init=v_init,
                          current=current, round_delays=round_delays, profile=profile,
                          dtype=dtype, engine=engine, threads=threads, **conventions)
    return simulator.run(inputs, record=record, progress=progress, keep_batch_axis=keep_batch_axis)


class Simulator:
    """A graph planned once (flattened, discretized, scheduled) and run many times.

    ``Simulator(graph, **options).run(inputs)`` equals ``simulate(graph, inputs,
    **options)``; reuse one to avoid planning (and, for the fast engine, compiling)
    again for every input.
    """

    def __init__(self, graph, *, dt: float | None = None, method: str | None = None,
                 reset: str | None = None, v_init: str | None = None,
                 current: str | None = None, round_delays: bool = False,
                 profile: str | None = None, dtype="float32", engine: str = "auto",
                 threads: int | None = None, **conventions):
        unknown = sorted(set(conventions) - set(CONVENTION_NAMES))
        if unknown:
            raise NircError(f"unknown simulation option '{unknown[0]}' (options: dt, method, "
                            f"reset, v_init, current, round_delays, profile, "
                            f"{', '.join(CONVENTION_NAMES)})")
        options = {k: v for k, v in dict(dt=dt, method=method, reset=reset, v_init=v_init,
                                         current=current, profile=profile,
                                         **conventions).items() if v is not None}
        if round_delays:
            options["round_delays"] = True
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise NircError(f"dtype must be float32 or float64, found {np.dtype(dtype)}")
        if engine not in ENGINES:
            raise NircError(f"unknown engine '{engine}' (expected one of {', '.join(ENGINES)})")
        self.plan = make_plan(load(graph), dtype=dtype, **options)
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise NircError(f"threads must be a positive integer, found {threads!r}")
        self.engine = _engine(engine, self.plan, threads)

    @property
    def options(self) -> dict:
        """The discretization options in effect (dt, method, reset, ...)."""
        return dict(self.plan.options)

    def run(self, inputs, *, record: Iterable[str] = (),
            progress: Callable[[int], None] | None = None,
            keep_batch_axis: bool = False) -> dict[str, np.ndarray]:
        plan = self.plan
        arrays, steps, batch, batched = check_inputs(plan, inputs)
        keys = record_keys(plan, record)
        wanted = [(plan.index(n.name), "y") for n in plan.outputs()] + [k for _, k in keys]
        results = self.engine(plan, arrays, steps, batch, list(dict.fromkeys(wanted)),
                              progress=progress)
        named = {n.name: results[(plan.index(n.name), "y")] for n in plan.outputs()}
        named.update({label: results[key] for label, key in keys})
        _require_finite(named)
        if not batched and not keep_batch_axis:
            named = {k: v[:, 0] for k, v in named.items()}
        return named


def load(graph):
    """A verified module from a path, a nir.NIRGraph or a module."""
    from xdsl.dialects.builtin import ModuleOp

    if isinstance(graph, ModuleOp):
        return graph
    if isinstance(graph, (str, Path)):
        from nirc.loading import load_module

        return load_module(str(graph))
    import nir

    if isinstance(graph, nir.NIRGraph):
        from nirc.importer import import_graph
        from nirc.loading import verify

        module = import_graph(graph)
        verify(module, None)
        return module
    raise NircError(f"cannot simulate a {type(graph).__name__}: expected a path, "
                    "a nir.NIRGraph or a module")


def check_inputs(plan: Plan, inputs) -> tuple[dict[str, np.ndarray], int, int, bool]:
    """Validate and cast the inputs: one (T, B, *shape) array per Input node."""
    nodes = plan.inputs()
    names = [n.name for n in nodes]
    if not isinstance(inputs, Mapping):
        if len(nodes) != 1:
            raise NircError(f"the graph has {len(nodes)} Input nodes ({', '.join(names)}); "
                            "give the inputs by name")
        inputs = {names[0]: inputs}
    unknown = sorted(set(inputs) - set(names))
    if unknown:
        raise NircError(f"no Input node named '{unknown[0]}' (Input nodes: {', '.join(names)})")
    missing = [n for n in names if n not in inputs]
    if missing:
        raise NircError(f"missing input for Input node '{missing[0]}'", node=missing[0])
    arrays, dims = {}, set()
    for node in nodes:
        a = np.asarray(inputs[node.name])
        if a.dtype.kind not in "biuf":
            raise NircError(f"input has dtype {a.dtype}; expected bool, integer or float",
                            node=node.name)
        shape = node.out_shape
        if a.ndim == len(shape) + 1 and a.shape[1:] == shape:
            batched, a = False, a[:, None]
        elif a.ndim == len(shape) + 2 and a.shape[2:] == shape:
            batched = True
        else:
            raise NircError(f"input has shape {a.shape}; expected (T, B, {_dims(shape)}) "
                            f"or (T, {_dims(shape)})", node=node.name)
        dims.add((a.shape[0], a.shape[1], batched))
        arrays[node.name] = np.ascontiguousarray(a, dtype=plan.dtype)
    if len(dims) > 1:
        raise NircError("inputs differ in number of steps or batch size: "
                        + ", ".join(f"'{n}' {inputs[n].shape}" for n in names))
    if not dims:
        raise NircError("the graph has no Input node")
    steps, batch, batched = dims.pop()
    return arrays, steps, batch, batched


def _dims(shape) -> str:
    return ", ".join(str(d) for d in shape)


def record_keys(plan: Plan, record: Iterable[str]) -> list[tuple[str, tuple[int, str]]]:
    """(label, (node index, 'y' | 'v' | 'i')) for each requested recording; inside a
    chip network op, (label, (its index, label)) for a signal its engine records
    (targets/interp/whole.py)."""
    from .whole import chip_node, chip_record_key, chip_signals

    names = {n.name: i for i, n in enumerate(plan.nodes)}
    chip = chip_node(plan)
    signals = chip_signals(plan) if chip is not None and record else {}
    keys = []
    for label in record:
        if label in names:
            keys.append((label, (names[label], "y")))
            continue
        if chip is not None:
            keys.append((label, chip_record_key(plan, label, signals)))
            continue
        base, _, what = label.rpartition(".")
        if base not in names or what not in ("v", "i"):
            raise NircError(f"cannot record '{label}': expected a node name, optionally "
                            "followed by .v or .i")
        node = plan.nodes[names[base]]
        if node.kind not in ("leaky", "cuba", "qneuron") or (what == "i" and node.kind == "leaky"):
            raise NircError(f"cannot record '{what}': a {node.kind} node has no such state", node=base)
        keys.append((label, (names[base], what)))
    return keys


def _engine(engine: str, plan: Plan, threads: int | None = None):
    """The fast (numba) engine, or the numpy reference (``reference``, no numba, or
    integer neurons, which run only in the reference).  Convolutions run in the fast
    engine since it scatters sparse inputs (fast_conv, chosen by its cost model)."""
    if any(n.kind == "xylo" for n in plan.nodes):
        from nirc.targets.xylo import engine as xylo_engine

        return xylo_engine.run
    if any(n.kind == "loihi2" for n in plan.nodes):
        from nirc.targets.loihi2 import engine as loihi2_engine

        return loihi2_engine.run
    if any(n.kind == "spinnaker2" for n in plan.nodes):
        from nirc.targets.spinnaker2 import engine as spinnaker2_engine

        return spinnaker2_engine.run
    if any(n.kind == "speck" for n in plan.nodes):
        from nirc.targets.speck import engine as speck_engine

        return speck_engine.run
    integer = any(n.kind == "qneuron" for n in plan.nodes)
    if integer and engine == "fast":
        raise NircError("the fast engine does not run integer (qsnn) neurons: use "
                        "engine 'reference' or 'auto'")
    if engine == "fast" or (engine == "auto" and not integer):
        try:
            from . import fast
        except ImportError:
            if engine == "fast":
                raise NircError("the fast engine needs numba (pip install numba)") from None
        else:
            return functools.partial(fast.run, threads=threads)
    from . import reference

    return reference.run
