"""The ``snn`` dialect: discrete-time neurons with per-step coefficients.

``discretize`` turns each continuous-time ``nir`` neuron, delay and threshold into
one op of this dialect.  Time is counted in steps t = 0, 1, 2, ... of one dt (the
module's ``nirc.dt`` attribute); x[t] is the sum of the op's operands at step t.
States start at v[-1] = v_init and i[-1] = 0.  Every op keeps its NIR node name,
metadata and operands, and has the syntax of the ``nir`` ops (see ``nir_base``)::

    %r = snn.lif "lif1" (%a) {v_decay = dense<0.9> : tensor<3xf64>, ..., reset = "value"}
           : tensor<3xf32> -> tensor<3xf32>

Every coefficient is a float64 array (int64 for ``steps``) of the op's full neuron
shape, the shape of its result, so that consumers never broadcast; the printer
writes a uniform array as a splat ``dense<0.9>``.  A spike is 1.0 in the step where
it occurs, 0.0 otherwise; a neuron spikes when its candidate potential is strictly
above v_threshold.

Spiking ops (snn.lif, snn.if, snn.cuba_lif) share the spike rule ``fire`` below, with
optional properties for the conventions other simulators use (absent: nirc's default;
``discretize`` sets them, docs/conventions.md gives each one's source):

    max_spikes   i64, 1 (default): one spike per step; 0: any number; N: at most N
    spike_test   "gt" (default): u > v_threshold fires; "ge": u >= v_threshold
    firing       "immediate" (default), "delayed-reset", "late"
    v_min        f64 array: u is clamped to >= v_min before the spike test

fire(u), for the candidate potential u of the op's equation (z[t-1] = the count
computed at the previous step, 0 at t = 0; thr = v_threshold):

    u    = max(u, v_min)                        if v_min is given
    hit  = u > thr  (gt)  or  u >= thr  (ge)
    n    = 0 if not hit; else 1 if max_spikes == 1; else the number of thresholds u
           holds, floor(u/thr) (ge) or ceil(u/thr) - 1 (gt), at least 1, at most
           max_spikes (if > 0); multi-spike needs thr > 0
    immediate:      v[t] = (v_reset if reset == "value" else u - n*thr) if n else u;
                    y[t] = n
    delayed-reset:  the reset of z[t-1] is applied at step t, before the new input and
                    (for "subtract") undecayed: the op's equation reads
                    v' = v_reset if z[t-1] and reset == "value" else v[t-1] in place of
                    v[t-1], and u -= z[t-1]*thr for "subtract" (snnTorch's reset_delay);
                    v[t] = u; y[t] = n
    late:           as delayed-reset, but y[t] = z[t-1]: the spike of step t is the
                    threshold test of v[t-1] (Spyx)

Verifier rules: every array is finite, of the result's shape and of dtype f64
(``steps``: i64 and >= 0); ``reset`` is "value" or "subtract", ``current`` is "new"
or "previous"; the operands (if any) have one type, equal to the result type;
``max_spikes`` >= 0, and > 1 or 0 only with every v_threshold > 0.  Decays
are not restricted to [0, 1]: forward Euler with dt > tau gives a negative decay,
which is legal (``discretize`` warns about it).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, StringAttr
from xdsl.ir import Dialect
from xdsl.irdl import irdl_op_definition, opt_prop_def, prop_def

from .nir_base import NODE_TRAITS, NodeOp, node_result

RESETS = ("value", "subtract")
"""Values of the ``reset`` property: set v to v_reset, or subtract v_threshold."""
CURRENTS = ("new", "previous")
"""Values of ``current``: v[t] uses i[t] (snnTorch's order) or i[t-1] (Norse's)."""
SPIKE_TESTS = ("gt", "ge")
FIRINGS = ("immediate", "delayed-reset", "late")


class SnnNodeOp(NodeOp):
    """Shared rules of the snn ops: materialized f64 coefficients, strings checked."""

    INT_FIELDS: ClassVar[frozenset[str]] = frozenset()
    """Fields stored as int64 (the others are float64)."""
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}
    """String properties and their allowed values."""
    OPTIONAL_CHOICES: ClassVar[frozenset[str]] = frozenset()
    """String properties that may be absent (then: the first allowed value)."""

    @property
    def label(self) -> str:
        """``'sub.lif1' (snn.lif)``: the node path, then the op name."""
        path = NodeOp.label.fget(self).rsplit(" (", 1)[0]  # type: ignore[attr-defined]
        return f"{path} ({self.name})"

    def infer_output_shape(self, input_shape):
        return None  # the input must equal the output; checked in verify_fields

    def verify_fields(self) -> None:
        out_type = self.results[0].type
        if self.inputs and self.inputs[0].type != out_type:
            raise self.error(f"input type {self.inputs[0].type} must equal the output type {out_type}")
        shape = self.output_shape
        for field in self.FIELDS:
            values = self.array(field)
            if values is None and field in self.OPTIONAL_FIELDS:
                continue
            want = np.dtype(np.int64 if field in self.INT_FIELDS else np.float64)
            if values.dtype != want:
                element = "i64" if want.kind == "i" else "f64"
                raise self.error(f"must be {element}, found dtype {values.dtype}", field)
            if values.shape != shape:
                raise self.error(
                    f"shape {list(values.shape)} must be the neuron shape {list(shape)} "
                    "(snn coefficients are materialized, never broadcast)", field)
        for field, allowed in self.CHOICES.items():
            value = self.string(field)
            if value is None and field in self.OPTIONAL_CHOICES:
                continue
            if value not in allowed:
                raise self.error(f"must be one of {', '.join(repr(a) for a in allowed)}, "
                                 f"found {value!r}", field)


class SpikingOp(SnnNodeOp):
    """The spike rule shared by snn.lif, snn.if and snn.cuba_lif (module docstring)."""

    OPTIONAL_CHOICES: ClassVar = frozenset({"spike_test", "firing"})

    @property
    def spike_cap(self) -> int:
        """``max_spikes``: 1 (one spike per step, the default), 0 (no cap) or the cap."""
        attr = self.properties.get("max_spikes")
        return 1 if attr is None else attr.value.data

    @property
    def spike_rule(self) -> dict:
        """The spike conventions as plain values, defaults filled in."""
        return {"max_spikes": self.spike_cap, "spike_test": self.string("spike_test") or "gt",
                "firing": self.string("firing") or "immediate",
                "v_min": self.array("v_min")}

    def require_spike_rule(self, who: str, max_spikes=(1,), spike_test=("gt",),
                           firing=("immediate",), v_min: bool = False) -> None:
        """Refuse (NircError naming the node and the field) a spike rule that ``who`` (a
        chip, a pass) does not implement; ``max_spikes=None`` accepts any cap."""
        from nirc.diagnostics import NircError

        rule = self.spike_rule
        name = self.node_name.data
        checks = (("max_spikes", max_spikes, rule["max_spikes"]),
                  ("spike_test", spike_test, rule["spike_test"]),
                  ("firing", firing, rule["firing"]))
        for field, allowed, value in checks:
            if allowed is not None and value not in allowed:
                shown = ", ".join(str(a) for a in allowed)
                raise NircError(f"{who} implements {field} = {shown} only, the neuron has "
                                f"{value} (discretize option {field.replace('_', '-')})",
                                node=name, field=field)
        if rule["v_min"] is not None and not v_min:
            raise NircError(f"{who} has no lower bound on v (discretize with v-min=none)",
                            node=name, field="v_min")

    def verify_fields(self) -> None:
        super().verify_fields()
        v_min = self.properties.get("v_min")
        if v_min is not None:
            values = self.array("v_min")
            if values is None or values.dtype != np.float64 or values.shape != self.output_shape:
                raise self.error(f"must be f64 of the neuron shape {list(self.output_shape)}",
                                 "v_min")
            if not np.all(np.isfinite(values)):
                raise self.error("all values must be finite", "v_min")
        cap = self.properties.get("max_spikes")
        if cap is not None and not isinstance(cap, IntegerAttr):
            raise self.error("must be an integer", "max_spikes")
        if self.spike_cap < 0:
            raise self.error(f"must be >= 0, found {self.spike_cap}", "max_spikes")
        threshold = self.array("v_threshold")
        if self.spike_cap != 1 and threshold is not None and not np.all(threshold > 0):
            raise self.error("multi-spike neurons (max_spikes != 1) need every threshold > 0",
                             "v_threshold")


SPIKE_CHOICES = {"spike_test": SPIKE_TESTS, "firing": FIRINGS}
SPIKE_PROPERTIES = ("max_spikes", "spike_test", "firing", "v_min")


# -------------------------------------------------------------------------------------
# neurons


@irdl_op_definition
class LIOp(SnnNodeOp):
    """Leaky integrator (from NIR ``LI``); outputs the membrane potential.

    v[t] = v_decay*v[t-1] + v_gain*x[t] + v_bias;  y[t] = v[t];  v[-1] = v_init.
    """

    name = "snn.li"
    NIR_TYPE: ClassVar = "LI"
    FIELDS: ClassVar = ("v_decay", "v_gain", "v_bias", "v_init")
    traits = NODE_TRAITS
    v_decay = prop_def(DenseIntOrFPElementsAttr)
    v_gain = prop_def(DenseIntOrFPElementsAttr)
    v_bias = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class LIFOp(SpikingOp):
    """Leaky integrate-and-fire (from NIR ``LIF``); outputs spikes.

    u    = v_decay*v[t-1] + v_gain*x[t] + v_bias
    s[t] = 1.0 if u > v_threshold else 0.0  (strict)
    v[t] = v_reset          if s[t] and reset == "value"
           u - v_threshold  if s[t] and reset == "subtract"
           u                otherwise
    (the defaults of the spike rule ``fire``, module docstring)
    y[t] = s[t];  v[-1] = v_init.
    """

    name = "snn.lif"
    NIR_TYPE: ClassVar = "LIF"
    FIELDS: ClassVar = ("v_decay", "v_gain", "v_bias", "v_init", "v_threshold", "v_reset")
    CHOICES: ClassVar = {"reset": RESETS, **SPIKE_CHOICES}
    traits = NODE_TRAITS
    v_decay = prop_def(DenseIntOrFPElementsAttr)
    v_gain = prop_def(DenseIntOrFPElementsAttr)
    v_bias = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    reset = prop_def(StringAttr)
    max_spikes = opt_prop_def(IntegerAttr)
    spike_test = opt_prop_def(StringAttr)
    firing = opt_prop_def(StringAttr)
    v_min = opt_prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class CubaLIOp(SnnNodeOp):
    """Current-based leaky integrator (from NIR ``CubaLI``); outputs v.

    i[t] = i_decay*i[t-1] + i_gain*x[t]
    c    = i[t] if current == "new" else i[t-1]
    v[t] = v_decay*v[t-1] + v_gain*c + v_bias
    y[t] = v[t];  i[-1] = 0, v[-1] = v_init.
    """

    name = "snn.cuba_li"
    NIR_TYPE: ClassVar = "CubaLI"
    FIELDS: ClassVar = ("i_decay", "i_gain", "v_decay", "v_gain", "v_bias", "v_init")
    CHOICES: ClassVar = {"current": CURRENTS}
    traits = NODE_TRAITS
    i_decay = prop_def(DenseIntOrFPElementsAttr)
    i_gain = prop_def(DenseIntOrFPElementsAttr)
    v_decay = prop_def(DenseIntOrFPElementsAttr)
    v_gain = prop_def(DenseIntOrFPElementsAttr)
    v_bias = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    current = prop_def(StringAttr)
    output = node_result()


@irdl_op_definition
class CubaLIFOp(SpikingOp):
    """Current-based LIF (from NIR ``CubaLIF``); outputs spikes.

    i[t] = i_decay*i[t-1] + i_gain*x[t]
    c    = i[t] if current == "new" else i[t-1]
    u    = v_decay*v[t-1] + v_gain*c + v_bias
    s[t] = 1.0 if u > v_threshold else 0.0  (strict)
    v[t] = v_reset          if s[t] and reset == "value"
           u - v_threshold  if s[t] and reset == "subtract"
           u                otherwise
    (the defaults of the spike rule ``fire``, module docstring)
    y[t] = s[t];  i[-1] = 0, v[-1] = v_init.
    """

    name = "snn.cuba_lif"
    NIR_TYPE: ClassVar = "CubaLIF"
    FIELDS: ClassVar = ("i_decay", "i_gain", "v_decay", "v_gain", "v_bias", "v_init",
                        "v_threshold", "v_reset")
    CHOICES: ClassVar = {"current": CURRENTS, "reset": RESETS, **SPIKE_CHOICES}
    traits = NODE_TRAITS
    i_decay = prop_def(DenseIntOrFPElementsAttr)
    i_gain = prop_def(DenseIntOrFPElementsAttr)
    v_decay = prop_def(DenseIntOrFPElementsAttr)
    v_gain = prop_def(DenseIntOrFPElementsAttr)
    v_bias = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    current = prop_def(StringAttr)
    reset = prop_def(StringAttr)
    max_spikes = opt_prop_def(IntegerAttr)
    spike_test = opt_prop_def(StringAttr)
    firing = opt_prop_def(StringAttr)
    v_min = opt_prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class IOp(SnnNodeOp):
    """Integrator (from NIR ``I``); outputs v.

    v[t] = v[t-1] + v_gain*x[t];  y[t] = v[t];  v[-1] = v_init.
    """

    name = "snn.i"
    NIR_TYPE: ClassVar = "I"
    FIELDS: ClassVar = ("v_gain", "v_init")
    traits = NODE_TRAITS
    v_gain = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


@irdl_op_definition
class IFOp(SpikingOp):
    """Integrate-and-fire (from NIR ``IF``); outputs spikes.

    u    = v[t-1] + v_gain*x[t]
    s[t] = 1.0 if u > v_threshold else 0.0  (strict)
    v[t] = v_reset          if s[t] and reset == "value"
           u - v_threshold  if s[t] and reset == "subtract"
           u                otherwise
    (the defaults of the spike rule ``fire``, module docstring)
    y[t] = s[t];  v[-1] = v_init.
    """

    name = "snn.if"
    NIR_TYPE: ClassVar = "IF"
    FIELDS: ClassVar = ("v_gain", "v_init", "v_threshold", "v_reset")
    CHOICES: ClassVar = {"reset": RESETS, **SPIKE_CHOICES}
    traits = NODE_TRAITS
    v_gain = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    reset = prop_def(StringAttr)
    max_spikes = opt_prop_def(IntegerAttr)
    spike_test = opt_prop_def(StringAttr)
    firing = opt_prop_def(StringAttr)
    v_min = opt_prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


# -------------------------------------------------------------------------------------
# stateless / delay


@irdl_op_definition
class DelayOp(SnnNodeOp):
    """Delay by a whole number of steps (from NIR ``Delay``), elementwise.

    y[t] = x[t - steps] if t >= steps else 0.0;  steps: int64, >= 0.
    """

    name = "snn.delay"
    NIR_TYPE: ClassVar = "Delay"
    FIELDS: ClassVar = ("steps",)
    INT_FIELDS: ClassVar = frozenset({"steps"})
    traits = NODE_TRAITS
    steps = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()

    def verify_fields(self) -> None:
        super().verify_fields()
        steps = self.array("steps")
        if steps.size and steps.min() < 0:  # type: ignore[union-attr]
            raise self.error(f"must be >= 0, found {steps.min()}", "steps")  # type: ignore[union-attr]


@irdl_op_definition
class ThresholdOp(SnnNodeOp):
    """Heaviside step (from NIR ``Threshold``): y[t] = 1.0 if x[t] > threshold else 0.0."""

    name = "snn.threshold"
    NIR_TYPE: ClassVar = "Threshold"
    FIELDS: ClassVar = ("threshold",)
    traits = NODE_TRAITS
    threshold = prop_def(DenseIntOrFPElementsAttr)
    output = node_result()


SNN_OPS: tuple[type[SnnNodeOp], ...] = (
    LIOp, LIFOp, CubaLIOp, CubaLIFOp, IOp, IFOp, DelayOp, ThresholdOp,
)  # fmt: skip

from .snn_layer import LayerOp  # noqa: E402 (the layer op holds ops of this dialect)

SNN = Dialect("snn", [*SNN_OPS, LayerOp], [])
