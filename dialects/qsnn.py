"""The ``qsnn`` dialect: integer neurons, what ``quantize`` makes of ``snn`` neurons.

One op, ``qsnn.neuron``, covers LI, LIF, CubaLI, CubaLIF, I and IF in a chip's integer
arithmetic.  All state and coefficients are integers (int64 arrays of the neuron
shape); x[t] is the sum of the operands at step t, which must be integer-valued (the
quantized synapses feeding it hold integer weights and biases).  With D =
``decay_bits`` and ``shift(a) = floor(a / 2**D)`` (``rounding = "floor"``) or
``sign(a) * floor(|a| / 2**D)`` (``"toward-zero"``)::

    X    = x[t] * 2**input_shift               (the weights' LSB in state LSBs)
    cuba (current = "new" | "previous"):
        I[t] = clamp(shift(I[t-1] * i_decay) + X)
        c    = I[t] if current == "new" else I[t-1]
    leaky (current = "none"):
        c    = X
    U    = clamp(shift(V[t-1] * v_decay) + c + v_bias)
    s[t] = U > v_threshold                  (spiking = "spike"; strict, as snn)
    V[t] = v_reset or U - v_threshold if s[t] (reset = "value" | "subtract"), else U
    y[t] = s[t]  (spiking)    or    V[t] * unit  (a readout: the dequantized voltage)

``clamp`` saturates to the signed ``state_bits`` range (``overflow = "saturate"``) or
wraps around it (``"wrap"``).  ``unit`` (float64, per neuron) is the float value of one
least significant bit of V (and of I, which shares it): the float neuron's v is
V * unit; one LSB of x is 2**input_shift of them.  A decay of 2**D is exactly 1 (I and IF).  Sources of each target's choices
(bit widths, rounding, overflow) are in its resource model and arithmetic.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, StringAttr
from xdsl.ir import Dialect
from xdsl.irdl import irdl_op_definition, prop_def

from .nir_base import NODE_TRAITS, node_result
from .snn import RESETS, SnnNodeOp

CURRENTS = ("new", "previous", "none")
SPIKING = ("spike", "voltage")
ROUNDINGS = ("floor", "toward-zero")
OVERFLOWS = ("saturate", "wrap")
INT_FIELDS = ("i_decay", "v_decay", "v_bias", "v_threshold", "v_reset", "v_init")


@irdl_op_definition
class NeuronOp(SnnNodeOp):
    """An integer neuron; see the module docstring for its update.  The shared snn
    rules (SnnNodeOp) check dtypes (int64, ``unit`` float64), neuron shapes and the
    string choices; ``verify_fields`` adds the bit widths and ranges."""

    name = "qsnn.neuron"
    NIR_TYPE: ClassVar = "qsnn.neuron"
    FIELDS: ClassVar = (*INT_FIELDS, "unit")
    INT_FIELDS: ClassVar = frozenset(INT_FIELDS)
    traits = NODE_TRAITS
    i_decay = prop_def(DenseIntOrFPElementsAttr)
    v_decay = prop_def(DenseIntOrFPElementsAttr)
    v_bias = prop_def(DenseIntOrFPElementsAttr)
    v_threshold = prop_def(DenseIntOrFPElementsAttr)
    v_reset = prop_def(DenseIntOrFPElementsAttr)
    v_init = prop_def(DenseIntOrFPElementsAttr)
    unit = prop_def(DenseIntOrFPElementsAttr)
    decay_bits = prop_def(IntegerAttr)
    input_shift = prop_def(IntegerAttr)
    state_bits = prop_def(IntegerAttr)
    current = prop_def(StringAttr)
    reset = prop_def(StringAttr)
    spiking = prop_def(StringAttr)
    rounding = prop_def(StringAttr)
    overflow = prop_def(StringAttr)
    output = node_result()

    CHOICES: ClassVar = {"current": CURRENTS, "reset": RESETS, "spiking": SPIKING,
                         "rounding": ROUNDINGS, "overflow": OVERFLOWS}

    def bits(self, field: str) -> int:
        return self.integer(field)

    def verify_fields(self) -> None:
        super().verify_fields()
        decay_bits, state_bits = self.bits("decay_bits"), self.bits("state_bits")
        shift = self.bits("input_shift")
        if not 0 <= decay_bits <= 24 or not 2 <= state_bits <= 48 or not 0 <= shift <= 24:
            raise self.error(f"decay_bits {decay_bits}, state_bits {state_bits} and input_shift "
                             f"{shift} must be in 0..24, 2..48 and 0..24 (exact in int64)")
        for field in ("i_decay", "v_decay"):
            d = self.array(field)
            if d.size and (d.min() < 0 or d.max() > 2 ** decay_bits):
                raise self.error(f"must be in 0..2**decay_bits = {2 ** decay_bits}", field)
        unit = self.array("unit")
        if unit.size and not (np.all(np.isfinite(unit)) and unit.min() > 0):
            raise self.error("must be finite and > 0", "unit")


QSNN = Dialect("qsnn", [NeuronOp], [])
