"""``nirc convert A [B]``: .nir (HDF5) <-> .nirt (NIR text), chosen by file extension.

- A is read by extension (``.nir``, ``.nirt``; ``-`` is .nirt text on standard input);
  any other name is recognised by content (HDF5 signature, or text starting with
  ``nirt``), since git's textconv may hand over a temporary copy.
- The graph is validated before anything is written, exactly as ``nirc import`` does
  (``importer.import_graph`` and the dialect verifier: shapes along edges, parameters).
- B ending in ``.nir`` is written with ``nir.write``; ``.nirt`` as text with large arrays
  in the side file ``<stem>.npz`` (or inline base64 with ``--base64``); ``-`` or no B
  prints the text, large arrays inline base64 (there is no side file), or as digests
  with ``--digest-large`` (for reading diffs; digests do not parse back).
Outputs are written atomically (the .nirt and its side file together).
"""

from __future__ import annotations

import sys

import nir

from .diagnostics import NircError

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def kind_of(path: str, reading: bool) -> str:
    """'nir' or 'nirt' for a path (``-`` is text); by content for other readable names."""
    if path == "-" or path.endswith(".nirt"):
        return "nirt"
    if path.endswith(".nir"):
        return "nir"
    if reading:
        try:
            with open(path, "rb") as f:
                head = f.read(8)
        except FileNotFoundError:
            raise NircError("no such file", file=path) from None
        except OSError as e:
            raise NircError(f"cannot read ({e.strerror})", file=path) from None
        if head == _HDF5_SIGNATURE:
            return "nir"
        if head.lstrip().startswith(b"nirt") or head.lstrip().startswith(b"#"):
            return "nirt"
    raise NircError("cannot tell the format: name it *.nir (HDF5) or *.nirt (text)", file=path)


def read_graph(path: str) -> nir.NIRGraph:
    """The graph of a .nir or .nirt file, validated as ``nirc import`` validates it."""
    if kind_of(path, reading=True) == "nir":
        from .nir_file import read_nir

        graph = read_nir(path)
    else:
        from .nirt_file import read_nirt

        graph = read_nirt(path)
    validate(graph, "<stdin>" if path == "-" else path)
    return graph


def validate(graph: nir.NIRGraph, path: str) -> None:
    """Import and verify ``graph`` (as ``loading.load_module`` does); errors name ``path``."""
    from .importer import import_graph
    from .loading import verify

    try:
        module = import_graph(graph)
    except NircError as e:
        raise e.with_file(path) from None
    verify(module, path)


def convert(source: str, target: str = "-", *, inline_max: int = 16, base64: bool = False,
            digest_large: bool = False) -> None:
    """Read ``source``, validate it, write ``target`` (``-``: standard output).  The
    options shape .nirt text only (``digest_large`` wins over ``base64``)."""
    to_nir = target != "-" and kind_of(target, reading=False) == "nir"
    graph = read_graph(source)
    if to_nir:
        _write_nir(graph, target)
    elif target == "-":
        from .nirt_file import nirt_text

        sys.stdout.write(nirt_text(graph, inline_max=inline_max,
                                   large="digest" if digest_large else "base64"))
    else:
        from .nirt_file import write_nirt

        write_nirt(graph, target, inline_max=inline_max, base64=base64, digest=digest_large)


def _write_nir(graph: nir.NIRGraph, target: str) -> None:
    from .nir_file import write_nir

    try:
        write_nir(graph, target)
    except NircError:
        raise
    except Exception as e:  # nir.write cannot store some in-memory values (None fields)
        raise NircError(f"nir.write cannot store this graph ({e.__class__.__name__}: {e})",
                        file=target) from None
