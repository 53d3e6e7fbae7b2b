"""Standard input (``-``) in any format nirc reads, told apart by its first bytes.

- HDF5 (a ``.nir`` file): the 8-byte signature ``\\x89HDF\\r\\n\\x1a\\n`` at offset 0
  (HDF5 File Format Specification, "Format Signature"; nir.write puts no user block
  before it).  It is written to a temporary file, which h5py opens, and removed.
- ``.nirt`` (NIR text): the first token, after blank lines and ``#`` comments, is
  ``nirt`` (docs/nirt.md: a file starts with ``nirt 1``).  Standard input has no side
  file, so large arrays must be inline (``nirc convert G.nir`` writes them as base64).
- anything else is textual IR (.mlir).

Errors name the file as ``-``.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

from xdsl.dialects.builtin import ModuleOp

from .diagnostics import NircError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_NIRT_START = re.compile(rb"\A(?:\s*(?:#[^\n]*)?\n)*\s*nirt\b")


def stdin_format(data: bytes) -> str:
    """'nir', 'nirt' or 'mlir' for the bytes of an input."""
    if data.startswith(HDF5_SIGNATURE):
        return "nir"
    if _NIRT_START.match(data):
        return "nirt"
    return "mlir"


def load_stdin() -> ModuleOp:
    """The (unverified) module of standard input, whatever its format."""
    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
    kind = stdin_format(data)
    if kind == "nir":
        return _import(_read_hdf5(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NircError(f"not UTF-8 text, nor HDF5 (byte {e.start})", file="-") from None
    if kind == "nirt":
        from .nirt_parse import SideArrays, parse_nirt

        return _import(parse_nirt(text, source="-", side=SideArrays(None)))
    from .ir_text import parse_module

    return parse_module(text, source="-")


def _read_hdf5(data: bytes):
    from .nir_file import read_nir

    fd, tmp = tempfile.mkstemp(suffix=".nir")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            return read_nir(tmp)
        except NircError as e:
            if e.file == tmp:
                e.file = "-"
            e.message = e.message.replace(tmp, "-")
            e.args = (e.message,)
            raise
    finally:
        os.unlink(tmp)


def _import(graph) -> ModuleOp:
    from .importer import import_graph

    try:
        return import_graph(graph)
    except NircError as e:
        raise e.with_file("-") from None
