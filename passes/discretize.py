"""``discretize``: continuous-time ``nir`` neurons -> discrete-time ``snn`` ops.

Every ``nir.li``, ``nir.lif``, ``nir.cuba_li``, ``nir.cuba_lif``, ``nir.i``, ``nir.if``,
``nir.delay`` and ``nir.threshold``, at any depth (nested ``nir.graph`` too), becomes
the ``snn`` op of the same name suffix with the same node name, operands, metadata
and attributes; every other op is unchanged.  Coefficients are computed in float64
from the NIR fields and materialized to the neuron shape (a = dt/tau, d = decay):

  LI, LIF       euler: v_decay = 1 - a,  v_gain = a*r,  v_bias = a*v_leak
                exact: v_decay = exp(-a), v_gain = (1-v_decay)*r, v_bias = (1-v_decay)*v_leak
                (zero-order hold: the input is held over the step; the exact solution)
                exp-euler: v_decay = exp(-a), v_gain = a*r, v_bias = a*v_leak (the exact
                decay with forward Euler's input gain: Rockpool's LIFNeuronTorch and
                sinabs' LIF with an input scaled by dt/tau, rockpool 3.0 / sinabs 3.1)
  CubaLI(F)     the same for v with tau_mem, and for the synaptic current with tau_syn:
                euler: i_decay = 1 - dt/tau_syn, i_gain = dt/tau_syn*w_in
                exact: i_decay = exp(-dt/tau_syn), i_gain = (1-i_decay)*w_in
                exp-euler: i_decay = exp(-dt/tau_syn), i_gain = dt/tau_syn*w_in
                "exact" integrates each equation exactly with the other state held over
                the step (Rockpool/Sinabs/Xylo); it is first-order accurate in the
                coupling i -> v, not the exact solution of the coupled system.
  I, IF         v_gain = r (no dt: every backend integrates v += r*x per step)
  Delay         steps = round(delay/dt); not within 1e-6 relative of a whole number
                of steps: an error, unless round_delays (ties round to even, as round())
  Threshold     threshold copied
  v_threshold and v_reset are copied; v_init = 0 ("zero") or v_leak ("leak"; 0 for I/IF).

Options (pipeline spelling; ``-`` and ``_`` are interchangeable in names)::

    discretize{dt=1.0e-4 method=exact reset=subtract v-init=leak current=previous round-delays=true}

Spiking conventions (docs/conventions.md has each one's source; every default is
nirc's, ../shared/docs/semantics.md), copied onto each spiking op (snn.lif, snn.if,
snn.cuba_lif, whose docstrings give the equations) or, for the synapse delay, read by
the interpreter's plan:

    spikes=single|multi     multi: several spikes per step (Rockpool/Xylo, Sinabs/Speck)
    max-spikes=N            cap on spikes per step with spikes=multi (0: none; Xylo hidden 31)
    max-spikes-out=N        the cap of the neurons that feed an Output node (0: max-spikes;
                            Xylo's readout: 1)
    spike-test=gt|ge        v > thr (nirc, Norse, snnTorch, Lava) or v >= thr (Sinabs, Rockpool, Xylo)
    firing=immediate|delayed-reset|late
                            delayed-reset: the reset of step t's spike applies at t+1 and
                            is not decayed (snnTorch's reset_delay=True); late: the spike
                            of step t is tested on v[t-1] and the reset applied then (Spyx)
    v-min=none|zero|neg-threshold|if-neg-threshold
                            clamp v from below before the spike test (Nengo: 0;
                            if-neg-threshold: IF neurons at -v_threshold, others not,
                            as Sinabs' from_nir builds them)
    profile=NAME            another simulator's bundle of these (nirc/profiles.py:
                            snntorch, norse, lava, spyx, rockpool, sinabs, ...); options
                            given explicitly override the profile's
    synapse-delay=0|1       1: every weight node (Affine, Linear, Conv) delivers its result
                            one step later, y[t] = W x[t-1] + b with x[-1] = 0: spikes
                            travel late, an Affine's bias arrives from step 0 (Lava's
                            Dense/Conv processes and its neuron bias, Loihi)
    loop-start=zero|rest    what a delayed edge (one closing a cycle, or a synapse delay)
                            delivers at step 0: zero (nirc), or its source's response to
                            all-zero input, so a recurrent Affine gives its bias (snnTorch's
                            RLeaky/RSynaptic apply their recurrent Linear to zero spikes)

dt is in seconds (``dt=1e-4`` works too: xDSL's lexer hands it over as text, which
is parsed here).  Invalid option values raise ``NircError`` (exit 1 from the CLI).
Forward Euler with dt > tau gives a negative decay: allowed, with a
``DiscretizeWarning`` naming the node.

The options are recorded on the ``builtin.module`` as ``nirc.dt`` (f64),
``nirc.method``, ``nirc.reset``, ``nirc.v_init`` and ``nirc.current`` (strings), and each
convention that differs from its default (``nirc.spikes``, ``nirc.max_spikes`` (i64), ...).
Running discretize on a module that already records them is allowed only with the
same options (any nir neuron left is then converted consistently, so a second run
is a no-op); other options are an error, since one module has one time step.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import Float64Type, FloatAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Attribute, Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern

from nirc.diagnostics import NircError
from nirc.dialects import nir, snn
from nirc.dialects.arrays import to_dense
from nirc.dialects.nir_base import NodeOp

METHODS = ("euler", "exact", "exp-euler")
V_INITS = ("zero", "leak")
SPIKES = ("single", "multi")
SPIKE_TESTS = ("gt", "ge")
FIRINGS = ("immediate", "delayed-reset", "late")
V_MINS = ("none", "zero", "neg-threshold", "if-neg-threshold")
LOOP_STARTS = ("zero", "rest")
DELAY_RTOL = 1e-6
"""A delay must be this close (relative) to a whole number of steps."""
RECORDED = ("dt", "method", "reset", "v_init", "current")
"""The options recorded on the module as ``nirc.<option>``."""
CONVENTIONS = {"spikes": "single", "max_spikes": 0, "max_spikes_out": 0, "spike_test": "gt",
               "firing": "immediate",
               "v_min": "none", "synapse_delay": 0, "loop_start": "zero"}
"""Spiking conventions and their defaults: recorded as ``nirc.<option>`` only where they
differ from the default, so that modules from before they existed read the same."""


SPEC_NAMES = {name: name.replace("_", "-") for name in
              (*RECORDED, "round_delays", *CONVENTIONS, "profile")}
"""Each option's pipeline spelling (``v_init`` -> ``v-init``)."""


class DiscretizeWarning(UserWarning):
    """A legal but suspicious discretization (forward Euler with dt > tau)."""


@dataclass(frozen=True)
class DiscretizeOptions:
    """The choices discretize makes; defaults from docs/semantics.md."""

    dt: float = 1e-4
    method: str = "euler"
    reset: str = "value"
    v_init: str = "zero"
    current: str = "new"
    round_delays: bool = False
    spikes: str = "single"
    max_spikes: int = 0
    max_spikes_out: int = 0
    spike_test: str = "gt"
    firing: str = "immediate"
    v_min: str = "none"
    synapse_delay: int = 0
    loop_start: str = "zero"

    def validate(self) -> DiscretizeOptions:
        """A checked copy with ``dt`` as a float; a bad value raises ``NircError``."""
        dt = self.dt
        if isinstance(dt, str):
            try:
                dt = float(dt)
            except ValueError:
                raise NircError("discretize: option dt must be a number of seconds, "
                                f"found '{dt}'") from None
        if isinstance(dt, bool) or not isinstance(dt, int | float) \
                or not math.isfinite(dt) or dt <= 0:
            raise NircError("discretize: option dt must be a finite number of seconds > 0, "
                            f"found {dt}")
        for option, allowed in (("method", METHODS), ("reset", snn.RESETS),
                                ("v_init", V_INITS), ("current", snn.CURRENTS),
                                ("spikes", SPIKES), ("spike_test", SPIKE_TESTS),
                                ("firing", FIRINGS), ("v_min", V_MINS),
                                ("loop_start", LOOP_STARTS)):
            value = getattr(self, option)
            if value not in allowed:
                raise NircError(f"discretize: option {option} must be one of "
                                f"{', '.join(allowed)}, found '{value}'")
        if not isinstance(self.round_delays, bool):
            raise NircError("discretize: option round_delays must be true or false, "
                            f"found {self.round_delays}")
        integers = {}
        for option, low, high in (("max_spikes", 0, 2**31 - 1), ("max_spikes_out", 0, 2**31 - 1),
                                  ("synapse_delay", 0, 1)):
            value = getattr(self, option)
            try:
                number = int(value)
                if isinstance(value, bool) or number != float(value) or not low <= number <= high:
                    raise ValueError
            except (TypeError, ValueError):
                raise NircError(f"discretize: option {option.replace('_', '-')} must be an "
                                f"integer in {low}..{high}, found {value!r}") from None
            integers[option] = number
        for cap in ("max_spikes", "max_spikes_out"):
            if integers[cap] and self.spikes != "multi":
                raise NircError(f"discretize: option {cap.replace('_', '-')} caps spikes=multi; "
                                "it has no meaning with spikes=single")
        return dataclasses.replace(self, dt=float(dt), **integers)

    @property
    def spike_cap(self) -> int:
        """Spikes a neuron may emit per step: 1 (single), 0 (multi, no cap) or the cap."""
        return 1 if self.spikes == "single" else self.max_spikes

    @property
    def spike_cap_out(self) -> int:
        """The cap of a neuron that feeds an Output node."""
        return self.max_spikes_out if self.spikes == "multi" and self.max_spikes_out else self.spike_cap

    def recorded(self) -> dict[str, float | int | str]:
        """The options a module records: RECORDED, then the conventions that differ
        from their defaults."""
        values = {k: getattr(self, k) for k in RECORDED}
        values.update({k: getattr(self, k) for k, default in CONVENTIONS.items()
                       if getattr(self, k) != default})
        return values

    def module_attributes(self) -> dict[str, Attribute]:
        """The ``nirc.*`` attributes that record these options on a module."""
        out: dict[str, Attribute] = {}
        for key, value in self.recorded().items():
            if isinstance(value, float):
                out[f"nirc.{key}"] = FloatAttr(value, Float64Type())
            elif isinstance(value, int):
                out[f"nirc.{key}"] = IntegerAttr(value, i64)
            else:
                out[f"nirc.{key}"] = StringAttr(value)
        return out


def recorded_options(module: ModuleOp) -> dict[str, float | str] | None:
    """The options a discretized module records (``{"dt": 1e-4, "method": ...}``), or
    None if the module was not discretized; for later stages and reports."""
    if "nirc.dt" not in module.attributes:
        return None
    found: dict[str, float | str] = {}
    for key in (*RECORDED, *CONVENTIONS):
        attr = module.attributes.get(f"nirc.{key}")
        if isinstance(attr, FloatAttr | IntegerAttr):
            found[key] = attr.value.data
        elif isinstance(attr, StringAttr):
            found[key] = attr.data
    return found


def with_defaults(options: dict) -> dict:
    """Recorded options with every convention filled in (its default where unrecorded)."""
    return {**CONVENTIONS, **options}


def resolve_options(profile: str | None = None, **given) -> DiscretizeOptions:
    """The options in effect: ``given`` over the profile's (nirc/profiles.py) over nirc's
    defaults, validated (a bad value raises ``NircError``)."""
    from nirc.profiles import profile_options

    unknown = sorted(set(given) - {f.name for f in dataclasses.fields(DiscretizeOptions)})
    if unknown:
        raise NircError(f"discretize: unknown option '{unknown[0]}'")
    return DiscretizeOptions(**{**profile_options(profile), **given}).validate()


def discretize_module(module: ModuleOp, profile: str | None = None, **given) -> None:
    """Discretize ``module`` in place with the options of ``DiscretizeOptions`` (see the
    module docstring), ``given`` over the profile's; raises ``NircError``."""
    options = resolve_options(profile, **given)
    previous = recorded_options(module)
    wanted = options.recorded()
    if previous is not None and with_defaults(previous) != with_defaults(wanted):
        def show(d):
            return " ".join(f"{k}={v}" for k, v in d.items())
        raise NircError(f"discretize: module already discretized with {show(previous)}; "
                        f"cannot discretize it again with {show(wanted)}")
    walker = PatternRewriteWalker(DiscretizeNode(options), apply_recursively=False)
    walker.rewrite_module(module)
    module.attributes.update(options.module_attributes())


@dataclass(frozen=True)
class Discretize(ModulePass):
    """Turn nir neurons, delays and thresholds into snn ops; see the module docstring.

    Options left out take the profile's value (``profile=lava``, nirc/profiles.py),
    else nirc's default (``DiscretizeOptions``)."""

    name = "discretize"

    dt: float | int | str | None = None
    method: str | None = None
    reset: str | None = None
    v_init: str | None = None
    current: str | None = None
    round_delays: bool | None = None
    spikes: str | None = None
    max_spikes: int | None = None
    max_spikes_out: int | None = None
    spike_test: str | None = None
    firing: str | None = None
    v_min: str | None = None
    synapse_delay: int | None = None
    loop_start: str | None = None
    profile: str | None = None

    @classmethod
    def from_spec(cls, spec):
        """xDSL's parsing, except that an option needs a value (``discretize{dt}`` would
        otherwise read as "not given", since every option is optional here)."""
        bare = [k for k, v in spec.parameters.items() if v == ()]
        if bare:
            raise ValueError(f"option '{bare[0]}' needs a value ({bare[0]}=...)")
        return super().from_spec(spec)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        given = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        discretize_module(op, **{k: v for k, v in given.items() if v is not None})


@dataclass
class DiscretizeNode(RewritePattern):
    """Replace one nir neuron/delay/threshold op by its snn op with per-step coefficients."""

    options: DiscretizeOptions

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, NodeOp):
            return
        lowered = _lower(op, self.options)
        if lowered is None:
            return
        kind, arrays, strings = lowered
        shape = op.output_shape
        props: dict[str, Attribute] = {"node_name": op.node_name}
        for field, values in arrays.items():
            values = np.broadcast_to(values, shape).copy()
            if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
                raise _error(op, field, "the discretized coefficient is not finite "
                             f"(dt={self.options.dt} s overflows with these parameters)")
            props[field] = to_dense(values)
        props.update({k: StringAttr(v) if isinstance(v, str) else IntegerAttr(v, i64)
                      for k, v in strings.items()})
        if op.metadata is not None:
            props["metadata"] = op.metadata
        new = kind.create(operands=list(op.operands), result_types=[op.results[0].type],
                          properties=props, attributes=dict(op.attributes))
        rewriter.replace(op, new)


# -------------------------------------------------------------------------------------
# coefficients

Lowered = tuple[type[snn.SnnNodeOp], dict[str, np.ndarray], dict[str, str]]


def _lower(op: NodeOp, o: DiscretizeOptions) -> Lowered | None:
    """The snn op kind, its arrays (float64/int64, broadcastable) and string props."""
    match op:
        case nir.LIOp() | nir.LIFOp():
            arrays = _membrane(op, o, "tau")
            if isinstance(op, nir.LIOp):
                return snn.LIOp, arrays, {}
            return snn.LIFOp, {**arrays, **_firing(op, o)}, _spiking(op, o)
        case nir.CubaLIOp() | nir.CubaLIFOp():
            decay, gain = _decay_gain(op, o, "tau_syn")
            arrays = {"i_decay": decay, "i_gain": gain * _f64(op, "w_in"),
                      **_membrane(op, o, "tau_mem")}
            if isinstance(op, nir.CubaLIOp):
                return snn.CubaLIOp, arrays, {"current": o.current}
            return (snn.CubaLIFOp, {**arrays, **_firing(op, o)},
                    {"current": o.current, **_spiking(op, o)})
        case nir.IOp() | nir.IFOp():
            arrays = {"v_gain": _f64(op, "r"), "v_init": np.zeros(())}
            if isinstance(op, nir.IOp):
                return snn.IOp, arrays, {}
            return snn.IFOp, {**arrays, **_firing(op, o)}, _spiking(op, o)
        case nir.DelayOp():
            return snn.DelayOp, {"steps": _delay_steps(op, o)}, {}
        case nir.ThresholdOp():
            return snn.ThresholdOp, {"threshold": _f64(op, "threshold")}, {}
    return None


def _membrane(op: NodeOp, o: DiscretizeOptions, tau_field: str) -> dict[str, np.ndarray]:
    """v_decay, v_gain, v_bias, v_init of tau dv/dt = (v_leak - v) + r*x."""
    decay, gain = _decay_gain(op, o, tau_field)
    v_leak = _f64(op, "v_leak")
    return {"v_decay": decay, "v_gain": gain * _f64(op, "r"), "v_bias": gain * v_leak,
            "v_init": v_leak if o.v_init == "leak" else np.zeros(())}


def _firing(op: NodeOp, o: DiscretizeOptions) -> dict[str, np.ndarray]:
    """v_threshold, v_reset and, with v-min, the lower bound v_min of the membrane."""
    threshold = _f64(op, "v_threshold")
    arrays = {"v_threshold": threshold, "v_reset": _f64(op, "v_reset")}
    if o.spikes == "multi" and not np.all(threshold > 0):
        bad = threshold.flat[np.flatnonzero(~(threshold > 0))[0]]
        raise _error(op, "v_threshold", "spikes=multi counts spikes as multiples of the "
                     f"threshold, which must be > 0, found {bad}")
    if o.v_min == "zero":
        arrays["v_min"] = np.zeros(())
    elif o.v_min == "neg-threshold" or (o.v_min == "if-neg-threshold" and isinstance(op, nir.IFOp)):
        arrays["v_min"] = -threshold
    return arrays


def _spiking(op: NodeOp, o: DiscretizeOptions) -> dict[str, str | int]:
    """The spiking ops' string/integer properties; conventions only where not the
    default, so that a module printed before they existed reads the same."""
    props: dict[str, str | int] = {"reset": o.reset}
    readout = any(use.operation.name == "nir.output" for use in op.results[0].uses)
    cap = o.spike_cap_out if readout else o.spike_cap
    if cap != 1:
        props["max_spikes"] = cap
    if o.spike_test != "gt":
        props["spike_test"] = o.spike_test
    if o.firing != "immediate":
        props["firing"] = o.firing
    return props


def _decay_gain(op: NodeOp, o: DiscretizeOptions, tau_field: str) -> tuple[np.ndarray, np.ndarray]:
    """(decay, input gain) of tau dy/dt = -y + ...: euler (1 - dt/tau, dt/tau), exact
    (exp(-dt/tau), 1 - exp(-dt/tau)), exp-euler (exp(-dt/tau), dt/tau)."""
    tau = _f64(op, tau_field)
    if not np.all(np.isfinite(tau)) or np.any(tau <= 0):
        bad = tau.flat[np.flatnonzero(~(np.isfinite(tau) & (tau > 0)))[0]]
        raise _error(op, tau_field, f"must be a finite time constant > 0, found {bad}")
    ratio = o.dt / tau
    if o.method == "exact":
        decay = np.exp(-ratio)
        return decay, 1.0 - decay
    if o.method == "exp-euler":
        return np.exp(-ratio), ratio
    if np.any(ratio > 1):
        shortest = float(tau.min())
        warnings.warn(
            f"discretize: node {op.label}, field '{tau_field}': dt={o.dt:g} s > "
            f"{tau_field}={shortest:g} s, so forward Euler gives a negative decay "
            f"{1 - o.dt / shortest:g} (oscillating; unstable beyond dt = 2*{tau_field}); "
            "use method=exact or a smaller dt", DiscretizeWarning, stacklevel=2)
    return 1.0 - ratio, ratio


def _delay_steps(op: NodeOp, o: DiscretizeOptions) -> np.ndarray:
    delay = _f64(op, "delay")
    steps = delay / o.dt
    whole = np.rint(steps)
    off = np.abs(steps - whole) > DELAY_RTOL * np.abs(steps)
    if np.any(off) and not o.round_delays:
        k = np.flatnonzero(off.reshape(-1))[0]
        d, s = delay.reshape(-1)[k], steps.reshape(-1)[k]
        raise _error(op, "delay", f"a Delay of {d:g} s is {s:.9g} steps of dt={o.dt:g} s, not "
                     f"a whole number of steps (within {DELAY_RTOL:g} relative); pass "
                     "round-delays=true to round it")
    if np.any(whole >= 2.0**62):
        raise _error(op, "delay", f"{float(whole.max()):g} steps do not fit in int64")
    return whole.astype(np.int64)


def _f64(op: NodeOp, field: str) -> np.ndarray:
    values = op.array(field)
    if values is None:
        raise _error(op, field, "required field is missing")
    return np.asarray(values, dtype=np.float64)


def _error(op: NodeOp, field: str, message: str) -> NircError:
    names, current = [], op
    while current is not None and isinstance(current.properties.get("node_name"), StringAttr):
        names.insert(0, current.properties["node_name"].data)
        current = current.parent_op()
    return NircError(message, node=".".join(names), field=field)
