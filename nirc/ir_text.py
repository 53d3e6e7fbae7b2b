"""Textual IR: parse and print modules of every stage (custom or generic form).

Weights print as hex (``dense<"0x...">``), which parses at memory speed; arrays of
at most ``DECIMAL_LIMIT`` elements print as decimal lists for reading.  With
``elide_over=N``, arrays of more than N elements print as
``dense_resource<__elided__>`` (as mlir-opt's --mlir-elide-elementsattrs-if-larger);
such text is for reading only and does not parse back.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, DenseIntOrFPElementsAttr, ModuleOp
from xdsl.ir import Attribute
from xdsl.parser import Parser
from xdsl.parser.generic_parser import ParserState
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError
from xdsl.utils.lexer import Input
from xdsl.utils.mlir_lexer import MLIRLexer, MLIRTokenKind

from nirc.dialects import get_all_dialects
from nirc.dialects.arrays import to_numpy

from .diagnostics import NircError

DECIMAL_LIMIT = 16


def make_context() -> Context:
    """A context that knows builtin and loads nirc's dialects on first use."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    for name, loader in get_all_dialects().items():
        ctx.register_dialect(name, loader)
    return ctx


class NircLexer(MLIRLexer):
    """xDSL's lexer, reading a literal with raw non-ASCII characters as a string.

    xDSL 0.74 prints a string's non-ASCII characters as byte escapes (``"s\\C3\\A9"``)
    and lexes any literal whose escapes give non-ASCII bytes as a *bytes* literal, so
    ``StringAttr("sé")`` came back as ``BytesAttr``.  nirc prints such characters raw
    (``NircPrinter.print_string_literal``); xDSL's bytes printer escapes every byte
    above 0x7E, so a literal with raw non-ASCII text is a string and one with only
    escapes stays bytes: both forms read back as they were printed.
    """

    def _lex_string_literal(self, start_pos):
        token = super()._lex_string_literal(start_pos)
        if token.kind is MLIRTokenKind.BYTES_LIT and not token.span.text.isascii():
            try:
                token.span.bytes_contents.decode("utf-8")
            except UnicodeDecodeError:
                return token
            return type(token)(MLIRTokenKind.STRING_LIT, token.span)
        return token


def make_parser(text: str, source: str = "<input>", ctx: Context | None = None) -> Parser:
    """xDSL's parser over ``NircLexer``."""
    parser = Parser(ctx or make_context(), "", source)
    parser._parser_state = ParserState(NircLexer(Input(text, source)))
    return parser


def parse_module(text: str, source: str = "<input>", ctx: Context | None = None) -> ModuleOp:
    """Parse textual IR; a syntax error becomes a ``NircError`` with line:column."""
    try:
        return make_parser(text, source, ctx).parse_module()
    except ParseError as e:
        loc = e.span.get_location()
        context = e.span.print_with_context().rstrip("\n").split("\n", 1)[-1]
        raise NircError(f"{e.msg}\n{context}", file=str(loc)) from None


@dataclass(eq=False, repr=False)
class NircPrinter(Printer):
    """xDSL's printer, with hex weights and optional elision of large arrays."""

    elide_over: int | None = None

    def print_string_literal(self, string: str) -> None:
        """Escape ``\\``, ``"`` and control characters as xDSL does; print other
        non-ASCII characters raw (UTF-8) so that they parse back as a string."""
        self.print_string('"')
        for char in string:
            code = ord(char)
            if char == "\\":
                self.print_string("\\\\")
            elif char == '"' or code < 0x20 or code == 0x7F:
                self.print_string(f"\\{code:02X}")
            else:
                self.print_string(char)
        self.print_string('"')

    def print_attribute(self, attribute: Attribute) -> None:
        if isinstance(attribute, DenseIntOrFPElementsAttr):
            if self._print_dense(attribute):
                return
        super().print_attribute(attribute)

    def _print_dense(self, attr: DenseIntOrFPElementsAttr) -> bool:
        try:
            values = to_numpy(attr)
        except TypeError:
            return False
        needs_hex = _needs_hex(values)
        if values.size <= DECIMAL_LIMIT and not needs_hex:
            return False
        flat = values.reshape(-1)
        if not needs_hex and np.all(flat == flat[0]) and not _has_negative_zero(values):
            self.print_string("dense<")
            attr._print_one_elem(_first(values), self)
            self.print_string("> : ")
        elif self.elide_over is not None and values.size > self.elide_over:
            self.print_string("dense_resource<__elided__> : ")
        else:
            self.print_string(f'dense<"0x{attr.data.data.hex().upper()}"> : ')
        self.print_attribute(attr.type)
        return True


def _needs_hex(values: np.ndarray) -> bool:
    """Floats xDSL would print as a bare bit pattern (non-finite, or integral with more
    than 6 significant digits), which its parser reads back as an integer."""
    if values.dtype.kind != "f" or values.size == 0:
        return False
    flat = values.astype(np.float64).reshape(-1)
    if not np.all(np.isfinite(flat)):
        return True
    integral = flat == np.round(flat)
    return bool(np.any(integral & (np.abs(flat) >= 1e6)))


def _first(values: np.ndarray):
    first = values.reshape(-1)[0]
    return bool(first) if values.dtype == np.bool_ else first.item()


def _has_negative_zero(values: np.ndarray) -> bool:
    return values.dtype.kind == "f" and bool(np.any(np.signbit(values)) and not np.all(np.signbit(values)))


def print_module(module: ModuleOp, generic: bool = False, elide_over: int | None = None) -> str:
    out = StringIO()
    printer = NircPrinter(stream=out, print_generic_format=generic, elide_over=elide_over)
    printer.print_op(module)
    out.write("\n")
    return out.getvalue()
