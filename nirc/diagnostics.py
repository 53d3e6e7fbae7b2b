"""Errors that nirc reports to a user: one line naming file, node, field and rule.

Every user-facing failure is raised as ``NircError`` (or converted to one by the
CLI), printed as ``error: <file>: <node>, field '<f>': <rule>`` and exits with code 1
(2 for bad usage, which click reports itself).  Tracebacks are shown only with
``--debug``.
"""

from __future__ import annotations


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
