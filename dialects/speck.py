"""The ``speck`` dialect: what a Speck chip holds, one op per network.

``speck.network`` stands for the configured DYNAP-CNN cores (targets/speck/network.py):
its operand is the input event counts per time bin (``tensor<C x H x W>``), its result
the spike counts the monitor reads from the layers that feed the Output (pooled, summed
and reshaped to the Output's shape).  ``layers`` lists the layers in step order, each a
dictionary: ``name`` (the NIR layer), ``core`` (0..8), ``in_shape`` / ``out_shape``
(c, h, w), ``weight`` (f, c, k, k) and ``bias`` (f) as int64 (8-bit values),
``stride`` / ``padding`` (y, x), ``threshold_high`` / ``threshold_low`` (16-bit), and
``destinations`` ([layer index, pooling] rows; index -1 is the Output).
``input_destinations`` ([layer index, pooling] rows) are the layers the input events go
to.  ``chip`` is speck2e or speck2f; ``latency`` is 0 (events reach every later core in
the same time bin).  The step function is targets/speck/sim.py (bit-exact with sinabs
3.1.3's discretized ``DynapcnnNetwork``).
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


@irdl_op_definition
class NetworkOp(NodeOp):
    name = "speck.network"
    NIR_TYPE: ClassVar = "speck.network"
    FIELDS: ClassVar = ("input_destinations",)
    traits = NODE_TRAITS
    layers = prop_def(ArrayAttr[DictionaryAttr])
    input_destinations = prop_def(DenseIntOrFPElementsAttr)
    chip = prop_def(StringAttr)
    latency = prop_def(IntegerAttr)
    dt = prop_def(FloatAttr)
    output = node_result()

    def network(self):
        """The layers as a ``SpeckNetwork`` (targets/speck/network.py)."""
        from nirc.targets.speck.network import network_from_attr

        shape = tuple(self.input_shape or ())
        return network_from_attr(self.layers, shape if len(shape) != 1 else (shape[0], 1, 1),
                                 self.array("input_destinations"), self.output_shape)

    def layer_names(self) -> list[str]:
        return [d.data["name"].data for d in self.layers.data]

    def infer_output_shape(self, input_shape):
        return None

    def verify_fields(self) -> None:
        from nirc.targets.speck.chips import CHIPS
        from nirc.targets.speck.network import check

        if self.chip.data not in CHIPS:
            raise self.error(f"must be one of {', '.join(CHIPS)}", "chip")
        if self.array("input_destinations").dtype != np.int64:
            raise self.error("must be int64 [layer, pooling] rows", "input_destinations")
        if self.input_shape is None or len(self.input_shape) not in (1, 3):
            raise self.error("the input must be a (channels, height, width) map or a vector")
        try:
            net = self.network()
            check(net)
        except (ValueError, KeyError, TypeError) as e:
            raise self.error(f"not a valid Speck network: {e}") from None
        if net.layers and int(np.prod(self.output_shape)) != _output_size(net):
            raise self.error(f"output shape {list(self.output_shape)} does not hold what the "
                             "layers send to the output")
        if self.integer("latency") != 0 or not self.dt.value.data > 0:
            raise self.error("latency must be 0 and dt > 0")


def _output_size(net) -> int:
    sizes = set()
    for k, pool in net.output_sources():
        f, h, w = net.layers[k].out_shape
        sizes.add(f * (h // pool) * (w // pool))
    return sizes.pop() if len(sizes) == 1 else -1


SPECK = Dialect("speck", [NetworkOp], [])
