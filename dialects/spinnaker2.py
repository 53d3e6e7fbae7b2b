"""The ``spinnaker2`` dialect: what a SpiNNaker2 network holds, one op per network.

``spinnaker2.network`` stands for a py-spinnaker2 ``snn.Network`` (targets/spinnaker2/
network.py): its operand is the input spikes (the ``spike_list`` population named
``input_name``), its result the output population ``output_name``: its spikes, or with
``readout = "voltage"`` its v times ``unit_out`` (a dequantized LI/CubaLI readout).
``populations`` lists the populations, each a dictionary: ``name``, ``model`` (spike_list,
lif_no_delay, lif_conv2d, lif_curr_exp_no_delay), ``shape``, ``reset``, ``max_atoms``
(``set_max_atoms_per_core``), ``spiking``, one float32 array per neuron parameter
(threshold, alpha_decay, i_offset, v_reset, v_init; exc_decay, inh_decay and int64
t_refrac for lif_curr_exp_no_delay), ``v_scale`` and, after placement, ``pes`` ([start,
stop, pe] rows).  ``projections`` lists ``name``, ``pre``, ``post``, ``kind`` ("list":
int8 ``weight`` (post, pre), one connection row per nonzero entry, int64 ``delay`` per pre
neuron; "conv2d": int8 ``weight`` (C_in, C_out, kH, kW), ``delay`` one value, and
``geometry``: in_height, in_width, stride_x, stride_y, pool_x, pool_y, pad_top,
pad_bottom, pad_left, pad_right).  ``conn_delay`` is s2_nir's option (added to every
delay); ``latency`` the steps the output lags the graph's (conn_delay per feed-forward
projection on the way from the input).  The step function is targets/spinnaker2/sim.py.
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
    name = "spinnaker2.network"
    NIR_TYPE: ClassVar = "spinnaker2.network"
    FIELDS: ClassVar = ("unit_out",)
    traits = NODE_TRAITS
    populations = prop_def(ArrayAttr[DictionaryAttr])
    projections = prop_def(ArrayAttr[DictionaryAttr])
    input_name = prop_def(StringAttr)
    output_name = prop_def(StringAttr)
    unit_out = prop_def(DenseIntOrFPElementsAttr)
    conn_delay = prop_def(IntegerAttr)
    latency = prop_def(IntegerAttr)
    dt = prop_def(FloatAttr)
    readout = prop_def(StringAttr)
    output = node_result()

    def network(self):
        """The populations and projections as a ``Network`` (targets/spinnaker2/network.py)."""
        from nirc.targets.spinnaker2.ir import network_from_attrs

        return network_from_attrs(self.populations, self.projections, self.input_name.data,
                                  self.output_name.data)

    def infer_output_shape(self, input_shape):
        return None

    def verify_fields(self) -> None:
        try:
            net = self.network()
            net.check()
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise self.error(f"not a valid py-spinnaker2 network: {e}") from None
        source, sink = net.population(net.input), net.population(net.output)
        if self.input_shape is not None and self.input_shape != tuple(source.shape):
            raise self.error(f"input shape {list(self.input_shape)} must be the input "
                             f"population's {list(source.shape)}")
        if self.output_shape != tuple(sink.shape):
            raise self.error(f"output shape {list(self.output_shape)} must be the output "
                             f"population's {list(sink.shape)}")
        if self.readout.data not in READOUTS:
            raise self.error(f"must be one of {', '.join(READOUTS)}", "readout")
        if (self.readout.data == "spike") != sink.spiking:
            raise self.error("readout must be 'spike' exactly when the output population spikes",
                             "readout")
        unit = self.array("unit_out")
        if unit.dtype != np.float64 or unit.shape != (sink.size,) or np.any(unit <= 0):
            raise self.error(f"must hold {sink.size} float64 values > 0", "unit_out")
        if self.integer("latency") < 0 or self.integer("conn_delay") < 0 \
                or not self.dt.value.data > 0:
            raise self.error("latency and conn_delay must be >= 0 and dt > 0")


SPINNAKER2 = Dialect("spinnaker2", [NetworkOp], [])
