"""``--target interp``: the float interpreter as a compile target.

Pipeline: ``flatten-subgraphs``, ``discretize`` with the user's options.  Output:
``<stem>.mlir``, the module at the ``snn`` stage (discrete time, options recorded on
the module), which ``nirc run`` simulates without further options.  No hardware
limits: every node kind the interpreter plans is legal.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import ModuleOp

from ..base import Target, discretize_spec


class InterpTarget(Target):
    name = "interp"
    summary = "nirc's float interpreter: the discretized module, runnable by `nirc run`"

    def pipeline(self, sim: dict[str, Any]) -> list[str]:
        return ["flatten-subgraphs", discretize_spec(sim)]

    def legalize(self, module: ModuleOp) -> list[str]:
        from .plan import make_plan

        make_plan(module)  # raises NircError naming any node the interpreter cannot run
        return []

    def emit(self, module: ModuleOp, stem: str) -> dict[str, bytes]:
        from nirc.ir_text import print_module

        return {f"{stem}.mlir": print_module(module).encode()}
