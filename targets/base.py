"""The target interface: what one chip (or the float interpreter) gives the compiler.

A target is a folder under ``targets/`` with a ``Target`` subclass, registered by one
line in ``targets/__init__.py``.  The compile driver (``nirc/compiler.py``) only talks
to this interface:

- ``OPTIONS``: the target's options (``--target 'name{key=value ...}'``), with types,
  defaults and help; ``Target(**options)`` validates them;
- ``resources()``: its limits as data (``ResourceModel``), read by legality checks,
  ``quantize`` and ``partition`` (None: no hardware limits);
- ``pipeline(sim)``: its pass pipeline, as xDSL pipeline specs, given the simulation
  options the user chose (dt, method, reset, ...);
- ``legalize(module)``: rules beyond the resource model (supported node kinds,
  topology); raises ``NircError`` naming the node and the rule, returns warnings;
- ``emit(module, stem)``: the files the chip toolchain reads, as ``{name: bytes}``
  (the driver writes them atomically, all or none);
- ``report(module, reference, inputs)``: target sections of the compile report
  (JSON-serialisable); ``reference`` (the module before the pipeline) and the user's
  ``inputs`` serve fidelity checks;
- ``choose_dt(module, sim)``: ``--dt auto`` (targets whose arithmetic prefers some
  steps, e.g. Xylo's power-of-two decays): ``{"dt": ..., ...}`` with the measures the
  choice rests on.

The integer arithmetic (bit widths, rounding of decays, saturation) is part of the
resource model: ``quantize`` reads it and writes ``qsnn.neuron`` ops that carry it, and
the interpreter runs those bit-exactly (targets/interp/integer.py).
"""

from __future__ import annotations

import json
import re

from dataclasses import dataclass
from typing import Any, ClassVar

from xdsl.dialects.builtin import ModuleOp

from nirc.diagnostics import NircError

from .resources import ResourceModel


@dataclass(frozen=True)
class Option:
    """A target option: its type, default and help, and the values it admits:
    ``low``/``high`` (inclusive bounds of a number) or ``choices`` (the allowed
    strings).  ``Target(**options)`` checks every given value against them, so a bad
    value is a usage error naming the option, the range and the value."""

    kind: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None

    def check(self, target: str, name: str, value: Any) -> None:
        if value is None:
            return
        if self.choices is not None and value not in self.choices:
            raise NircError(f"target '{target}' option '{name}' must be one of "
                            f"{', '.join(self.choices)}, got {value!r}")
        if self.kind in (int, float) and not (
                (self.low is None or value >= self.low) and (self.high is None or value <= self.high)):
            raise NircError(f"target '{target}' option '{name}' must be "
                            f"{_range_text(self.low, self.high)}, got {value!r}")


def _range_text(low, high) -> str:
    """'in [a, b]', '>= a' or '<= b' (numbers as they would be typed)."""
    if high is None:
        return f">= {low:g}"
    if low is None:
        return f"<= {high:g}"
    return f"in [{low:g}, {high:g}]"


class Target:
    name: ClassVar[str]
    summary: ClassVar[str]
    OPTIONS: ClassVar[dict[str, Option]] = {}
    USES_REFERENCE: ClassVar[bool] = False
    """Whether ``report`` compares with the module before the pipeline (a fidelity check):
    only then does the driver keep a copy of it."""
    CHIP_RULES: ClassVar[dict[str, Any]] = {}
    """``discretize`` options the chip's neurons implement whatever the model was trained
    with (reset, spike count and test, ...): the pipeline discretizes with them, except
    for an option the user gives explicitly (which the lowering then checks), and the
    fidelity check compares the chip with the graph under them and under the model's own
    (targets/fidelity.py)."""
    OWN_QUANTIZATION: ClassVar[bool] = False
    """Whether ``quantize_module`` quantizes the whole module in the target's own
    arithmetic (then ``quantize``'s layer-wise options, such as bias-correction, do not apply)."""

    def __init__(self, **options: Any):
        self.options: dict[str, Any] = {}
        for key, value in options.items():
            name = key.replace("_", "-")
            option = self.OPTIONS.get(name)
            if option is None:
                from nirc.driver import suggest

                known = ", ".join(self.OPTIONS) or "none"
                raise NircError(f"target '{self.name}' has no option '{name}'"
                                f"{suggest(name, self.OPTIONS)} (options: {known})")
            self.options[name] = _coerce(self.name, name, option, value)
            option.check(self.name, name, self.options[name])
        self.options = {name: self.options.get(name, option.default)
                        for name, option in self.OPTIONS.items()}

    def option(self, name: str) -> Any:
        return self.options[name]

    def chip_sim(self, sim: dict[str, Any]) -> dict[str, Any]:
        """The simulation options of the pipeline: CHIP_RULES over the model's profile and
        nirc's defaults, the options given explicitly over both."""
        return {**sim, **{k: v for k, v in self.CHIP_RULES.items() if k not in sim}}

    def choice(self, name: str, choices: dict[str, Any]) -> Any:
        """``choices[value of option name]``, or an error listing the choices."""
        value = self.options[name]
        if value not in choices:
            raise NircError(f"target '{self.name}' option '{name}' must be one of "
                            f"{', '.join(choices)}, got {value!r}")
        return choices[value]

    def spec(self) -> str:
        """The target with every option, as ``--target`` would take it."""
        shown = spec_options(self.options)
        return f"{self.name}{{{shown}}}" if shown else self.name

    # ---- the interface ---------------------------------------------------------------
    def resources(self) -> ResourceModel | None:
        return None

    def pipeline(self, sim: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def legalize(self, module: ModuleOp) -> list[str]:
        return []

    def emit(self, module: ModuleOp, stem: str) -> dict[str, bytes]:
        raise NotImplementedError

    def report(self, module: ModuleOp, reference: ModuleOp | None = None,
               inputs=None) -> dict[str, Any]:
        """Target sections of the report; ``reference`` is the module before the
        pipeline and ``inputs`` the user's input (or None), for fidelity checks."""
        return {}

    def quantize_module(self, module: ModuleOp, per_channel: bool) -> bool:
        """Quantize the whole module in the target's own arithmetic, for targets whose
        formats are shared across layers (Xylo's per-matrix shifts); False: ``quantize``
        quantizes layer by layer into ``qsnn`` with the resource model's bit widths."""
        return False

    def report_lines(self, report: dict[str, Any]) -> list[str]:
        """The target's part of the human compile report (from its report sections)."""
        return []

    def choose_dt(self, module: ModuleOp, sim: dict[str, Any]) -> dict:
        """``--dt auto``: ``{"dt": ..., <the measures the choice rests on>}``, for targets
        that can; ``sim`` holds the model's other options."""
        raise NircError(f"target '{self.name}' cannot choose dt: give --dt")


def lowered_op(module: ModuleOp, op_class: type):
    """The one ``op_class`` op a target's lowering leaves in ``module``."""
    ops = [o for o in module.walk() if isinstance(o, op_class)]
    if len(ops) != 1:
        raise NircError(f"expected one {op_class.name} op after lowering, found {len(ops)}")
    return ops[0]


def input_output(nodes: list, title: str):
    """The one Input and one Output op among a graph's ``nodes`` (a chip network has one
    of each), or the error naming how many ``title`` found."""
    from nirc.dialects.nir import InputOp, OutputOp

    inputs = [op for op in nodes if isinstance(op, InputOp)]
    outputs = [op for op in nodes if isinstance(op, OutputOp)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NircError(f"{title} takes one Input and one Output node, found {len(inputs)} "
                        f"and {len(outputs)}")
    return inputs[0], outputs[0]


def percent(error: float | None) -> str:
    """A relative error for reports ("inf" where a record left it out as infinite)."""
    return "inf" if error is None else f"{100 * error:.1f}%"


def discretize_spec(sim: dict[str, Any]) -> str:
    """``discretize{...}`` with the options the user gave (others: the pass defaults)."""
    from nirc.passes.discretize import SPEC_NAMES

    given = spec_options({SPEC_NAMES[k]: v for k, v in sim.items() if k in SPEC_NAMES})
    return f"discretize{{{given}}}" if given else "discretize"


def spec_options(values: dict[str, Any]) -> str:
    """``key=value ...`` in xDSL's pipeline syntax, leaving out unset (None) values."""
    return " ".join(f"{k}={_spec_value(v)}" for k, v in values.items() if v is not None)


def _spec_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        return json.dumps(value, ensure_ascii=False)  # a path or any other text: a quoted string in xDSL's syntax
    return str(value)


def _coerce(target: str, name: str, option: Option, value: Any) -> Any:
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise NircError(f"target '{target}' option '{name}' takes one value, got {len(value)}")
        value = value[0]
    kind = option.kind
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false"):
                    raise ValueError
                return value.lower() == "true"
            return bool(value)
        if kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)  # its range: Option.check
        return kind(value)
    except (TypeError, ValueError):
        raise NircError(f"target '{target}' option '{name}' must be a "
                        f"{'an integer' if kind is int else kind.__name__}, "
                        f"got {value!r}") from None
