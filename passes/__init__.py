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

    def canonicalize() -> type[ModulePass]:
        from xdsl.transforms.canonicalize import CanonicalizePass

        return CanonicalizePass

    def dce() -> type[ModulePass]:
        from xdsl.transforms.dead_code_elimination import DeadCodeElimination

        return DeadCodeElimination

    return {
        "flatten-subgraphs": flatten_subgraphs,
        "discretize": discretize,
        "canonicalize": canonicalize,
        "dce": dce,
    }
