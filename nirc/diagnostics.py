"""Errors that nirc reports to a user: one line naming file, node, field and rule.

Every user-facing failure is raised as ``NircError`` (or converted to one by the
CLI), printed as ``error: <file>: <node>, field '<f>': <rule>`` and exits with code 1
(2 for bad usage, which click reports itself).  Tracebacks are shown only with
``--debug``.
"""

from __future__ import annotations

from contextvars import ContextVar


class NircError(Exception):
    """A diagnosable problem with a user's input or request."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        node: str | None = None,
        field: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.node = node
        self.field = field

    def with_file(self, file: str) -> NircError:
        if self.file is None:
            self.file = file
        return self

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        where = []
        if self.node is not None:
            where.append(f"node '{self.node}'")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        if where:
            parts.append(", ".join(where))
        parts.append(self.message)
        return ": ".join(parts)


MAX_LINE = 600
"""The longest error line printed; longer node paths are elided in the middle."""

_current_file: ContextVar[str | None] = ContextVar("nirc_current_file", default=None)


def reading(path: str) -> None:
    """Record the input file a command is working on (``loading.load_module`` calls
    this): an error raised later without a file (a pass, the simulator) names it."""
    _current_file.set(path)


def error_line(e: NircError) -> str:
    """The one line printed for ``e``: the file added if the error has none, node
    paths longer than 120 characters elided in the middle, at most MAX_LINE chars."""
    if e.file is None and _current_file.get() is not None:
        e.file = _current_file.get()
    if e.node is not None and len(e.node) > 120:
        e.node = _elide(e.node, 120)
    line = f"error: {e}"
    return line if len(line) <= MAX_LINE else _elide(line, MAX_LINE)


def _elide(text: str, limit: int) -> str:
    keep = (limit - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"
