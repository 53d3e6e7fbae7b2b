"""nirc's passes, installed as ``nirc.passes``.

``get_all_passes()`` maps each pass name to a function that imports and returns the
pass class, so the CLI imports a pass only when a pipeline names it.  A new pass is
one file in this folder plus one entry here.
"""

from collections.abc import Callable

from xdsl.passes import ModulePass


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    def flatten_subgraphs() -> type[ModulePass]:
        from .flatten_subgraphs import FlattenSubgraphs

        return FlattenSubgraphs

    def discretize() -> type[ModulePass]:
        from .discretize import Discretize

        return Discretize

    def fuse_synapses() -> type[ModulePass]:
        from .fuse_synapses import FuseSynapses

        return FuseSynapses

    def fuse() -> type[ModulePass]:
        from .fuse import Fuse

        return Fuse

    def quantize() -> type[ModulePass]:
        from .quantize import Quantize

        return Quantize

    def partition() -> type[ModulePass]:
        from .partition import Partition

        return Partition

    def group_layers() -> type[ModulePass]:
        from .group_layers import GroupLayers

        return GroupLayers

    def lower_to_xylo() -> type[ModulePass]:
        from .lower_to_xylo import LowerToXylo

        return LowerToXylo

    def lower_to_loihi2() -> type[ModulePass]:
        from .lower_to_loihi2 import LowerToLoihi2

        return LowerToLoihi2

    def lower_to_spinnaker2() -> type[ModulePass]:
        from .lower_to_spinnaker2 import LowerToSpinnaker2

        return LowerToSpinnaker2

    def lower_to_speck() -> type[ModulePass]:
        from .lower_to_speck import LowerToSpeck

        return LowerToSpeck

    def canonicalize() -> type[ModulePass]:
        from xdsl.transforms.canonicalize import CanonicalizePass

        return CanonicalizePass

    def dce() -> type[ModulePass]:
        from xdsl.transforms.dead_code_elimination import DeadCodeElimination

        return DeadCodeElimination

    return {
        "flatten-subgraphs": flatten_subgraphs,
        "discretize": discretize,
        "group-layers": group_layers,
        "fuse-synapses": fuse_synapses,
        "fuse": fuse,
        "quantize": quantize,
        "partition": partition,
        "lower-to-xylo": lower_to_xylo,
        "lower-to-loihi2": lower_to_loihi2,
        "lower-to-spinnaker2": lower_to_spinnaker2,
        "lower-to-speck": lower_to_speck,
        "canonicalize": canonicalize,
        "dce": dce,
    }
