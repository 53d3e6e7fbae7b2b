"""The click side of nirc/driver.py: the IR-dump and timing options that ``nirc opt``
and ``nirc compile`` share, and shell completion of pass and target names.

Completion is click's: ``eval "$(_NIRC_COMPLETE=bash_source nirc)"`` (zsh_source,
fish_source for the other shells); the callbacks below complete pass names (after the
last comma of a ``-p`` pipeline or of ``--print-ir-after=a,b``), target names and
``--emit-stage`` stages.
"""

from __future__ import annotations

import functools

import click
from click.shell_completion import CompletionItem


def _pass_names() -> list[str]:
    from nirc.passes import get_all_passes

    return sorted(get_all_passes())


def _target_names() -> list[str]:
    from nirc.targets import get_all_targets

    return sorted(get_all_targets())


def complete_passes(ctx, param, incomplete: str) -> list[CompletionItem]:
    """Pass names for the last item of a comma list (``flatten-subgraphs,dis`` ->
    ``flatten-subgraphs,discretize``)."""
    head, _, last = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    return [CompletionItem(prefix + name) for name in _pass_names() if name.startswith(last)]


def complete_targets(ctx, param, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(name) for name in _target_names() if name.startswith(incomplete)]


def complete_stages(ctx, param, incomplete: str) -> list[CompletionItem]:
    """``--emit-stage`` names (nirc/compiler.py ``STAGES``)."""
    from .compiler import STAGES

    return [CompletionItem(name) for name in STAGES if name.startswith(incomplete)]


def ir_options(command):
    """``--print-ir-*``, ``--timing`` (and ``--elide-large`` is the command's own); the
    command receives them as ``printing`` (driver.IRPrinting, elide_over unset) and
    ``timing``."""
    from .driver import IRPrinting, split_names

    options = [
        click.option("--print-ir-before-all", is_flag=True,
                     help="Print the IR to stderr before each pass."),
        click.option("--print-ir-after-all", is_flag=True,
                     help="Print the IR to stderr after each pass."),
        click.option("--print-ir-after-change", is_flag=True,
                     help="Print the IR to stderr after each pass that changed it."),
        click.option("--print-ir-before", multiple=True, metavar="PASS[,PASS]",
                     shell_complete=complete_passes,
                     help="Print the IR to stderr before the named passes (repeatable)."),
        click.option("--print-ir-after", multiple=True, metavar="PASS[,PASS]",
                     shell_complete=complete_passes,
                     help="Print the IR to stderr after the named passes (repeatable)."),
        click.option("--timing", is_flag=True,
                     help="Print the wall time of each pass to stderr, as mlir-opt's "
                     "--mlir-timing."),
    ]

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        printing = IRPrinting(before_all=kwargs.pop("print_ir_before_all"),
                              after_all=kwargs.pop("print_ir_after_all"),
                              after_change=kwargs.pop("print_ir_after_change"),
                              before=split_names(kwargs.pop("print_ir_before")),
                              after=split_names(kwargs.pop("print_ir_after")))
        return command(*args, printing=printing, **kwargs)

    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped
