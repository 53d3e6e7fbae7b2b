"""``fuse``: ``fuse-synapses`` (merge affine chains, fold scales and average pooling,
drop Flattens that do not change the shape), then ``group-layers`` (each neuron with the
synapses that only feed it becomes one ``snn.layer``).  The result is what
``partition`` and the emitters consume; the interpreter gives the same outputs before
and after (tests/test_fuse.py, tests/test_compile.py).
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass


class Fuse(ModulePass):
    """Fuse-synapses, then group-layers: each neuron with the synapses that only feed it
    as one snn.layer."""

    name = "fuse"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from .fuse_synapses import FuseSynapses
        from .group_layers import GroupLayers

        FuseSynapses().apply(ctx, op)
        GroupLayers().apply(ctx, op)
