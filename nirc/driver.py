"""The mlir-opt-style parts of nirc's driver, shared by ``nirc opt`` and ``nirc compile``.

- ``describe_passes()``: ``--list-passes``, each pass with the first sentence of its
  docstring (the class's, else its module's) and its options (xDSL pass fields) with
  type and default, as ``mlir-opt --help`` lists pass options;
- ``suggest(name, choices)``: "did you mean" for unknown pass, option and target names
  (``difflib.get_close_matches``, its default cutoff 0.6);
- ``check_pipeline(spec)``: pass and option names of a pipeline spec checked against the
  registry before xDSL builds the passes, so a typo is one line with a suggestion;
- ``IRPrinting``: ``--print-ir-before-all``, ``--print-ir-after-all``,
  ``--print-ir-after-change`` (only when the printed module differs from before the
  pass), ``--print-ir-before=PASS`` / ``--print-ir-after=PASS``, dumped to stderr with
  MLIR's headers ``// -----// IR Dump After <pass> //----- //``;
- ``Timer``: ``--timing``, the wall time of each pass (and of the driver's other stages)
  as mlir-opt's ``--mlir-timing`` prints it: seconds, percentage of the total, total;
- ``pipeline_callback``: the xDSL ``PassPipeline`` callback that runs all of these
  between passes, with the verifier after each pass.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from .diagnostics import NircError


# ---- did you mean ---------------------------------------------------------------------
def suggest(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def unknown(kind: str, name: str, choices: Iterable[str], where: str = "") -> str:
    """``unknown pass 'discretise'; did you mean 'discretize'? (available: ...)``."""
    choices = sorted(choices)
    return (f"unknown {kind} '{name}'{where}{suggest(name, choices)} "
            f"(available: {', '.join(choices) or 'none'})")


# ---- the pass registry ----------------------------------------------------------------
def pass_options(pass_class: type) -> list[tuple[str, str, Any]]:
    """(option name as the pipeline spells it, type, default) of a pass's fields."""
    rows = []
    for f in dataclasses.fields(pass_class) if dataclasses.is_dataclass(pass_class) else ():
        if f.name == "name" or not f.init:
            continue
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        rows.append((f.name.replace("_", "-"), kind, default))
    return rows


def pass_description(pass_class: type) -> str:
    """The first sentence of the pass's own docstring, else of its module's, without a
    leading ``name{...}:`` (the name is printed next to it anyway)."""
    import re

    doc = pass_class.__dict__.get("__doc__") or ""
    if doc.startswith(pass_class.__name__ + "("):  # dataclass's generated signature
        doc = ""
    if not doc.strip():
        doc = inspect.getmodule(pass_class).__doc__ or ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    paragraph = re.sub(r"^``[^`]+``:\s*", "", paragraph)
    sentence = re.split(r"(?<=[.;])\s", paragraph, maxsplit=1)[0].rstrip(".;")
    sentence = re.sub(r"[;,]? *\(?see the module docstring\)?", "", sentence).replace("``", "")
    sentence = sentence or EXTERNAL_DESCRIPTIONS.get(getattr(pass_class, "name", ""), "")
    return (sentence[:1].upper() + sentence[1:]) or "(no description)"


EXTERNAL_DESCRIPTIONS = {
    "dce": "Erase operations whose results are unused and that have no side effects "
           "(xDSL's dead-code elimination)",
}
"""Descriptions of xDSL's passes that carry no docstring."""


def describe_passes() -> str:
    """``--list-passes``: each pass, its one-line description and its options."""
    from nirc.passes import get_all_passes

    registry = get_all_passes()
    width = max(map(len, registry))
    lines = []
    for name in sorted(registry):
        pass_class = registry[name]()
        lines.append(f"{name:<{width}}  {pass_description(pass_class)}")
        for option, kind, default in pass_options(pass_class):
            lines.append(f"{'':<{width}}    {option}: {kind} = {_value(default)}")
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return repr(value) if isinstance(value, str) else str(value)


def check_pipeline(spec: str, registry: dict[str, Callable[[], type]] | None = None) -> None:
    """Raise ``NircError`` for an unknown pass or pass option in ``spec``, with a
    suggestion; syntax errors are left to xDSL's parser."""
    from xdsl.passes import parse_pipeline
    from xdsl.utils.exceptions import ArgSpecParseError

    if registry is None:
        from nirc.passes import get_all_passes

        registry = get_all_passes()
    try:
        specs = list(parse_pipeline(spec))
    except (Exception, ArgSpecParseError):  # reported by xDSL's own parse below
        return
    for s in specs:
        if s.name not in registry:
            raise NircError(unknown("pass", s.name, registry))
        options = [o for o, _, _ in pass_options(registry[s.name]())]
        for given in s.parameters:
            if given.replace("_", "-") not in options:
                raise NircError(f"pass '{s.name}' has no option '{given}'"
                                f"{suggest(given.replace('_', '-'), options)} "
                                f"(options: {', '.join(options) or 'none'})")


def check_pass_names(names: Iterable[str], known: Iterable[str], flag: str,
                     where: str = "") -> None:
    """Every name given to ``flag`` (``--print-ir-after`` ...) must be a known pass."""
    known = list(known)
    for name in sorted(names):
        if name not in known:
            raise NircError(f"{flag}: " + unknown("pass", name, known, where))


def split_names(values: Iterable[str]) -> frozenset[str]:
    """Repeated options and comma lists in one: ``('a,b', 'c')`` -> {a, b, c}."""
    return frozenset(n.strip() for v in values for n in v.split(",") if n.strip())


# ---- IR printing ----------------------------------------------------------------------
@dataclass(frozen=True)
class IRPrinting:
    """Which IR dumps to print to ``stream`` (stderr) around the passes."""

    before_all: bool = False
    after_all: bool = False
    after_change: bool = False
    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()
    elide_over: int | None = None
    generic: bool = False

    def names(self) -> frozenset[str]:
        return self.before | self.after

    def dump(self, when: str, name: str, module, stream: TextIO | None = None) -> None:
        from .ir_text import print_module

        stream = stream or sys.stderr
        stream.write(f"// -----// IR Dump {when} {name} //----- //\n")
        stream.write(print_module(module, generic=self.generic, elide_over=self.elide_over))
        stream.flush()


# ---- timing ---------------------------------------------------------------------------
@dataclass
class Timer:
    """Wall time per named stage, in first-run order; a name run twice adds up."""

    rows: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    clock: Callable[[], float] = time.perf_counter

    def add(self, name: str, seconds: float) -> None:
        self.rows[name] = self.rows.get(name, 0.0) + seconds

    def table(self, total: float | None = None) -> str:
        """mlir-opt's ``--mlir-timing`` report: the total is the wall time since the
        timer started (so time outside the named stages counts in it)."""
        if total is None:
            total = self.clock() - self.started
        rule = "===" + "-" * 73 + "==="
        lines = [rule, "... Execution time report ...".center(len(rule)).rstrip(), rule,
                 f"  Total Execution Time: {total:.4f} seconds", "",
                 "  ----Wall Time----  ----Name----"]
        for name, seconds in [*self.rows.items(), ("Total", total)]:
            share = 100 * seconds / total if total > 0 else 0.0
            lines.append(f"  {seconds:8.4f} ({share:5.1f}%)  {name}")
        return "\n".join(lines) + "\n"


@contextmanager
def timed(timer: Timer | None, name: str) -> Iterator[None]:
    """Time a stage of the driver into ``timer`` and show it on the active terminal
    feedback (nirc/feedback.py); either may be absent."""
    from .feedback import stage

    began = time.perf_counter()
    with stage(name):
        yield
    if timer is not None:
        timer.add(name, time.perf_counter() - began)


# ---- the callback between passes ------------------------------------------------------
def pipeline_callback(*, printing: IRPrinting | None = None, timer: Timer | None = None,
                      feedback=None) -> Callable:
    """An xDSL ``PassPipeline`` callback ``(previous, module, next)``: after a pass it
    verifies the module, records the pass's time (verification excluded, under
    ``verifier``), reports it on the terminal and prints the dumps asked for; before a
    pass it prints the dumps asked for and snapshots the IR for ``after_change``."""
    from .ir_text import print_module
    from .loading import verify

    printing = printing or IRPrinting()
    state: dict[str, Any] = {"start": time.perf_counter(), "before": None}

    def callback(previous, module, next_pass) -> None:
        now = time.perf_counter()
        if previous is not None:
            elapsed = now - state["start"]
            if timer is not None:
                timer.add(previous.name, elapsed)
            if feedback is not None:
                feedback.done(previous.name, elapsed)
            checked = time.perf_counter()
            try:
                verify(module, None)
            except NircError as e:
                raise NircError(f"after pass '{previous.name}': {e}") from None
            if timer is not None:
                timer.add("verifier", time.perf_counter() - checked)
            if printing.after_all or previous.name in printing.after:
                printing.dump("After", previous.name, module)
            elif printing.after_change and print_module(module) != state["before"]:
                printing.dump("After", previous.name, module)
        if next_pass is not None:
            if printing.before_all or next_pass.name in printing.before:
                printing.dump("Before", next_pass.name, module)
            if printing.after_change:
                state["before"] = print_module(module)
            if feedback is not None:
                feedback.start(next_pass.name)
        state["start"] = time.perf_counter()

    return callback
