"""Load any input nirc accepts into a verified module, and write modules out.

``.nir`` files are read with ``nir_file.read_nir``, ``.nirt`` files (NIR text) with
``nirt_file.read_nirt``, and imported; anything else is
parsed as textual IR (``-`` is standard input).  Verification failures become
``NircError``s naming the file, so every command reports them the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from .atomic import write_text
from .diagnostics import NircError


def read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise NircError("no such file", file=path) from None
    except (OSError, UnicodeDecodeError) as e:
        raise NircError(f"cannot read text ({e.__class__.__name__})", file=path) from None


def load_module(path: str) -> ModuleOp:
    """A verified module from a .nir file, a .nirt file (NIR text) or textual IR;
    ``-``: standard input in any of the three (nirc/stdin_input.py tells them apart)."""
    from .diagnostics import reading

    reading(path)
    if path == "-":
        from .stdin_input import load_stdin

        module = load_stdin()
    elif path.endswith((".nir", ".nirt")):
        from .importer import import_graph

        if path.endswith(".nirt"):
            from .nirt_file import read_nirt as read_graph
        else:
            from .nir_file import read_nir as read_graph
        try:
            module = import_graph(read_graph(path))
        except NircError as e:
            raise e.with_file(path) from None
    else:
        from .ir_text import parse_module

        try:
            module = parse_module(read_text(path), source=path)
        except NircError as e:
            raise e.with_file(path) from None
    verify(module, path)
    return module


def verify(module: ModuleOp, path: str | None) -> None:
    try:
        module.verify()
    except (VerifyException, DiagnosticException) as e:
        raise NircError(verify_message(e), file=path) from None


def verify_message(e: Exception) -> str:
    """The first line of a verifier message (xDSL appends the printed op)."""
    text = str(e).strip()
    return text.splitlines()[0] if text else e.__class__.__name__


def emit_text(text: str, output: str | None) -> None:
    """Write to a file atomically, or to stdout for None / '-'."""
    if output in (None, "-"):
        sys.stdout.write(text)
    else:
        write_text(output, text)
