"""The ``loihi2`` dialect: what a Loihi 2 network holds, one op per network.

``loihi2.network`` stands for a lava-dl netx network (targets/loihi2/netx.py): its
operand is the input spikes, its result the last layer's output (spikes, or with
``readout = "voltage"`` its v times ``unit_out``: a dequantized LI readout).  ``layers``
lists the netx blocks in order, each a dictionary: ``name`` and ``type`` (input, dense,
dense_rec, conv, flatten), ``shape``, and where present ``weight``, ``weight_rec``,
``bias`` (integer mantissas), ``delay`` (steps), ``stride``/``padding``/``dilation``/
``groups`` (conv), the CUBA neuron's ``i_decay``/``v_decay``/``v_th_mant`` (netx's
iDecay, vDecay, vThMant) and, after ``partition``, ``cores`` ([start, stop, core] rows).
``latency`` is the number of steps the output lags the graph's: one per block (each
synapse delivers what it received the step before; targets/loihi2/sim.py).  The step function is targets/loihi2/sim.py (bit-exact with Lava's
fixed-point CPU model, lava-nc 0.10.0).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    StringAttr,
)
from xdsl.ir import Dialect
from xdsl.irdl import irdl_op_definition, prop_def

from .nir_base import NODE_TRAITS, NodeOp, node_result

READOUTS = ("spike", "voltage")


@irdl_op_definition
class NetworkOp(NodeOp):
    name = "loihi2.network"
    NIR_TYPE: ClassVar = "loihi2.network"
    FIELDS: ClassVar = ("unit_out",)
    traits = NODE_TRAITS
    layers = prop_def(ArrayAttr[DictionaryAttr])
    unit_out = prop_def(DenseIntOrFPElementsAttr)
    latency = prop_def(IntegerAttr)
    dt = prop_def(FloatAttr)
    readout = prop_def(StringAttr)
    output = node_result()

    def network(self):
        """The layers as a ``NetxNetwork`` (targets/loihi2/netx.py)."""
        from nirc.targets.loihi2.ir import network_from_attr

        return network_from_attr(self.layers)

    def layer_names(self) -> list[str]:
        return [d.data["name"].data for d in self.layers.data]

    def infer_output_shape(self, input_shape):
        return None

    def verify_fields(self) -> None:
        try:
            net = self.network()
            net.check()
        except (ValueError, KeyError, TypeError) as e:
            raise self.error(f"not a valid netx network: {e}") from None
        if self.readout.data not in READOUTS:
            raise self.error(f"must be one of {', '.join(READOUTS)}", "readout")
        unit = self.array("unit_out")
        if unit.dtype != np.float64 or np.any(unit <= 0):
            raise self.error("must hold float64 values > 0", "unit_out")
        if self.integer("latency") < 0 or not self.dt.value.data > 0:
            raise self.error("latency must be >= 0 and dt > 0")


LOIHI2 = Dialect("loihi2", [NetworkOp], [])
