"""Reading and writing .nirt files (NIR text format) with their side file.

An array of more than ``inline_max`` elements (16 by default; uniform arrays aside,
which print as ``fill``) is stored in the side file ``<stem>.npz`` beside the .nirt
(``g.nirt`` -> ``g.npz``), keyed by node path and field (``sub.lif.tau``), and written
``@"sub.lif.tau"`` in the text; with ``base64=True`` it is written inline as base64
instead and no side file is made.  The .nirt and its side file are written together
atomically: both appear, or (on any error) neither changes.  Reading ``-`` reads the
text from standard input, which has no side file.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path

import nir
import numpy as np

from .atomic import atomic_path
from .diagnostics import NircError


def side_path(path: str | os.PathLike) -> Path:
    """The side file of a .nirt file: ``<stem>.npz`` in the same folder."""
    return Path(path).with_suffix(".npz")


def read_nirt(path: str) -> nir.NIRGraph:
    """The graph of a .nirt file (``-``: standard input); errors name file:line:col."""
    from .nirt_parse import SideArrays, parse_nirt

    text = _read_utf8(path)
    source = "<stdin>" if path == "-" else path
    side = SideArrays(None if path == "-" else str(side_path(path)))
    try:
        return parse_nirt(text, source=source, side=side)
    finally:
        side.close()


def _read_utf8(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise NircError("no such file", file=path) from None
    except UnicodeDecodeError as e:
        raise NircError(f"not UTF-8 text (byte {e.start})", file=path) from None
    except OSError as e:
        raise NircError(f"cannot read ({e.strerror})", file=path) from None


def nirt_text(graph: nir.NIRGraph, *, inline_max: int = 16, large: str = "base64") -> str:
    """The .nirt text of ``graph`` with no side file (large arrays base64 or digests)."""
    from .nirt_print import print_nirt

    if large == "side":
        raise ValueError("a side file needs a path: use write_nirt")
    return print_nirt(graph, inline_max=inline_max, large=large)[0]


def write_nirt(graph: nir.NIRGraph, path: str | os.PathLike, *, inline_max: int = 16,
               base64: bool = False, digest: bool = False) -> None:
    """Write ``graph`` as ``path`` (+ ``<stem>.npz`` if it has large arrays), atomically."""
    from .nirt_print import print_nirt

    large = "digest" if digest else "base64" if base64 else "side"
    text, arrays = print_nirt(graph, inline_max=inline_max, large=large)
    npz = side_path(path)
    if arrays and Path(npz).resolve() == Path(path).resolve():
        raise NircError("the side file would overwrite the .nirt itself (name it *.nirt)",
                        file=str(path))
    with ExitStack() as stack:
        if arrays:
            npz_tmp = stack.enter_context(atomic_path(npz))
            with open(npz_tmp, "wb") as f:
                np.savez(f, **arrays)
        text_tmp = stack.enter_context(atomic_path(path))
        Path(text_tmp).write_text(text, encoding="utf-8")
