"""Python warnings as nirc diagnostics: one line ``warning: FILE: message``, once.

``capture()`` wraps a whole command (nirc/cli.py): every warning raised inside and
not recorded by the code itself (``nirc compile`` records the pipeline's warnings
into its report, which prints them) is printed to stderr as one line naming the
command's input file, never in Python's form (``path.py:123: DiscretizeWarning:``
followed by the source line), and a message already printed is not printed again.
``emit(message, file)`` prints a diagnostic the same way, for warnings a command
collected as values (``run --target``'s compile warnings).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_printed: set[str] | None = None


def emit(message: str, file: str | None = None) -> None:
    """Print ``warning: FILE: message`` to stderr unless this command printed it already."""
    line = f"warning: {file}: {message}" if file else f"warning: {message}"
    if _printed is not None:
        if line in _printed:
            return
        _printed.add(line)
    sys.stderr.write(line + "\n")


def _command_file() -> str | None:
    """The input file of the running click command (its GRAPH or SOURCE argument)."""
    import click

    ctx = click.get_current_context(silent=True)
    params = ctx.params if ctx is not None else {}
    value = params.get("graph") or params.get("source")
    return value if isinstance(value, str) else None


@contextmanager
def capture() -> Iterator[None]:
    """Print the warnings raised inside as ``warning: FILE: message`` lines, once each."""
    global _printed
    outer = _printed
    _printed = set()

    def show(message, category, filename, lineno, file=None, line=None):
        emit(str(message), _command_file())

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # dedup by text here, not by source line
            # Python ignores these by default: a file some library left open, reported
            # whenever the garbage collector happens to run, is not the user's diagnostic
            warnings.simplefilter("ignore", ResourceWarning)
            warnings.showwarning = show
            yield
    finally:
        _printed = outer
