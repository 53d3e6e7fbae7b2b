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

Verifier rules: every array is finite, of the result's shape and of dtype f64
(``steps``: i64 and >= 0); ``reset`` is "value" or "subtract", ``current`` is "new"
or "previous"; the operands (if any) have one type, equal to the result type.  Decays
are not restricted to [0, 1]: forward Euler with dt > tau gives a negative decay,
which is legal (``discretize`` warns about it).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, StringAttr
from xdsl.ir import Dialect
from xdsl.irdl import irdl_op_definition, prop_def

from .nir_base import NODE_TRAITS, NodeOp, node_result

RESETS = ("value", "subtract")
"""Values of the ``reset`` property: set v to v_reset, or subtract v_threshold."""
CURRENTS = ("new", "previous")
"""Values of ``current``: v[t] uses i[t] (snnTorch's order) or i[t-1] (Norse's)."""


class SnnNodeOp(NodeOp):
    """Shared rules of the snn ops: materialized f64 coefficients, strings checked."""

    INT_FIELDS: ClassVar[frozenset[str]] = frozenset()
    """Fields stored as int64 (the others are float64)."""
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}
    """String properties and their allowed values."""

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
            if value not in allowed:
                raise self.error(f"must be one of {', '.join(repr(a) for a in allowed)}, "
                                 f"found {value!r}", field)


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
class LIFOp(SnnNodeOp):
    """Leaky integrate-and-fire (from NIR ``LIF``); outputs spikes.

    u    = v_decay*v[t-1] + v_gain*x[t] + v_bias
    s[t] = 1.0 if u > v_threshold else 0.0  (strict)
    v[t] = v_reset          if s[t] and reset == "value"
           u - v_threshold  if s[t] and reset == "subtract"
           u                otherwise
    y[t] = s[t];  v[-1] = v_init.
    """

    name = "snn.lif"
    NIR_TYPE: ClassVar = "LIF"
    FIELDS: ClassVar = ("v_decay", "v_gain", "v_bias", "v_init", "v_threshold", "v_reset")
    CHOICES: ClassVar = {"reset": RESETS}
    traits = NODE_TRAITS
    v_decay = prop_def(DenseIntOrFPElementsAttr)
    v_gain = prop_def(DenseIntOrFPElementsAttr)
    v_bias = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    reset = prop_def(StringAttr)
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
class CubaLIFOp(SnnNodeOp):
    """Current-based LIF (from NIR ``CubaLIF``); outputs spikes.

    i[t] = i_decay*i[t-1] + i_gain*x[t]
    c    = i[t] if current == "new" else i[t-1]
    u    = v_decay*v[t-1] + v_gain*c + v_bias
    s[t] = 1.0 if u > v_threshold else 0.0  (strict)
    v[t] = v_reset          if s[t] and reset == "value"
           u - v_threshold  if s[t] and reset == "subtract"
           u                otherwise
    y[t] = s[t];  i[-1] = 0, v[-1] = v_init.
    """

    name = "snn.cuba_lif"
    NIR_TYPE: ClassVar = "CubaLIF"
    FIELDS: ClassVar = ("i_decay", "i_gain", "v_decay", "v_gain", "v_bias", "v_init",
                        "v_threshold", "v_reset")
    CHOICES: ClassVar = {"current": CURRENTS, "reset": RESETS}
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
class IFOp(SnnNodeOp):
    """Integrate-and-fire (from NIR ``IF``); outputs spikes.

    u    = v[t-1] + v_gain*x[t]
    s[t] = 1.0 if u > v_threshold else 0.0  (strict)
    v[t] = v_reset          if s[t] and reset == "value"
           u - v_threshold  if s[t] and reset == "subtract"
           u                otherwise
    y[t] = s[t];  v[-1] = v_init.
    """

    name = "snn.if"
    NIR_TYPE: ClassVar = "IF"
    FIELDS: ClassVar = ("v_gain", "v_init", "v_threshold", "v_reset")
    CHOICES: ClassVar = {"reset": RESETS}
    traits = NODE_TRAITS
    v_gain = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    reset = prop_def(StringAttr)
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
