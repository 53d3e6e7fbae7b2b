"""The ``xylo`` dialect: what a Xylo chip holds, one op per network.

``xylo.network`` stands for the whole chip configuration (targets/xylo/config.py, in
rockpool's field names): its operand is the input spike counts (``tensor<Nin>``), its
result the readout (``tensor<Nout>``): spike counts, or with ``readout = "voltage"``
the readout membrane times ``unit_out`` (a dequantized LI readout).  Integer fields
are int64 arrays (weights int8); ``weight_shift_*`` and ``latency`` are integers.
``latency`` is the number of steps the chip's output lags the graph's (one per
stacked hidden layer and one for the readout: targets/xylo/mapping.py).  ``layers``
maps each NIR layer name to ``[start, stop, latency, role]`` (role 0: hidden, 1:
readout), so that reports and recordings can name neurons by layer.  The step
function is targets/xylo/sim.py (bit-exact with xylosim 0.1.3).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    StringAttr,
)
from xdsl.ir import Dialect
from xdsl.irdl import irdl_op_definition, prop_def

from .arrays import to_numpy
from .nir_base import NODE_TRAITS, NodeOp, node_result

WEIGHT_FIELDS = ("weights_in", "weights_rec", "weights_out")
NEURON_FIELDS = ("dash_mem", "dash_syn", "dash_syn_2", "dash_mem_out", "dash_syn_out",
                 "threshold", "threshold_out", "bias_hidden", "bias_out")
READOUTS = ("spike", "voltage")


@irdl_op_definition
class NetworkOp(NodeOp):
    name = "xylo.network"
    NIR_TYPE: ClassVar = "xylo.network"
    FIELDS: ClassVar = (*WEIGHT_FIELDS, *NEURON_FIELDS, "unit_out")
    traits = NODE_TRAITS
    weights_in = prop_def(DenseIntOrFPElementsAttr)
    weights_rec = prop_def(DenseIntOrFPElementsAttr)
    weights_out = prop_def(DenseIntOrFPElementsAttr)
    dash_mem = prop_def(DenseIntOrFPElementsAttr)
    dash_syn = prop_def(DenseIntOrFPElementsAttr)
    dash_syn_2 = prop_def(DenseIntOrFPElementsAttr)
    dash_mem_out = prop_def(DenseIntOrFPElementsAttr)
    dash_syn_out = prop_def(DenseIntOrFPElementsAttr)
    threshold = prop_def(DenseIntOrFPElementsAttr)
    threshold_out = prop_def(DenseIntOrFPElementsAttr)
    bias_hidden = prop_def(DenseIntOrFPElementsAttr)
    bias_out = prop_def(DenseIntOrFPElementsAttr)
    unit_out = prop_def(DenseIntOrFPElementsAttr)
    weight_shift_in = prop_def(IntegerAttr)
    weight_shift_rec = prop_def(IntegerAttr)
    weight_shift_out = prop_def(IntegerAttr)
    latency = prop_def(IntegerAttr)
    dt = prop_def(FloatAttr)
    chip = prop_def(StringAttr)
    readout = prop_def(StringAttr)
    layers = prop_def(DictionaryAttr)
    output = node_result()

    def config(self):
        """The configuration as a ``XyloConfig`` (numpy arrays)."""
        from nirc.targets.xylo.config import XyloConfig

        arrays = {f: np.asarray(self.array(f)) for f in (*WEIGHT_FIELDS, *NEURON_FIELDS)}
        return XyloConfig(**arrays, weight_shift_in=self.integer("weight_shift_in"),
                          weight_shift_rec=self.integer("weight_shift_rec"),
                          weight_shift_out=self.integer("weight_shift_out"),
                          dt=self.dt.value.data)

    def layer_table(self) -> dict[str, tuple[int, int, int, str]]:
        """NIR layer name -> (start, stop, latency, "hidden" | "readout")."""
        return {name: (*(int(x) for x in to_numpy(v)[:3]),
                       "readout" if int(to_numpy(v)[3]) else "hidden")
                for name, v in self.layers.data.items()}

    def infer_output_shape(self, input_shape):
        return None

    def verify_fields(self) -> None:
        for field in self.FIELDS:
            values = self.array(field)
            want = np.float64 if field == "unit_out" else np.int64
            if values.dtype != want and not (field in WEIGHT_FIELDS and values.dtype == np.int8):
                raise self.error(f"must be {np.dtype(want)}, found dtype {values.dtype}", field)
        try:
            config = self.config()
            config.check()
        except ValueError as e:
            raise self.error(str(e)) from None
        n_in, _, n_out = config.sizes
        if self.input_shape is not None and self.input_shape != (n_in,):
            raise self.error(f"input shape {list(self.input_shape)} must be [{n_in}] (weights_in)")
        if self.output_shape != (n_out,):
            raise self.error(f"output shape {list(self.output_shape)} must be [{n_out}] "
                             "(weights_out)")
        if self.array("unit_out").shape != (n_out,) or np.any(self.array("unit_out") <= 0):
            raise self.error(f"must hold {n_out} values > 0", "unit_out")
        if self.readout.data not in READOUTS:
            raise self.error(f"must be one of {', '.join(READOUTS)}", "readout")
        if self.integer("latency") < 0 or not self.dt.value.data > 0:
            raise self.error("latency must be >= 0 and dt > 0")


XYLO = Dialect("xylo", [NetworkOp], [])
