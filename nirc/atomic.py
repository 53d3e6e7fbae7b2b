"""Atomic output: a file appears complete or not at all (no partial output on error)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside ``path``; move it into place only on success."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        from .diagnostics import NircError

        raise NircError(f"cannot write this output ({e.strerror})", file=str(path)) from None
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def write_with(path: str | os.PathLike, writer: Callable[[str], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result to ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


def write_all(outputs: dict) -> None:
    """Write each ``path -> bytes`` of ``outputs``, all or none: every file goes to a
    temporary beside its target first; only when all are complete are they renamed
    into place (a failure before that leaves nothing behind)."""
    with ExitStack() as stack:
        staged = []
        for path, data in outputs.items():
            tmp = stack.enter_context(_staged(path))
            Path(tmp).write_bytes(data)
            staged.append(tmp)
        for tmp, path in zip(staged, outputs):
            os.replace(tmp, path)


@contextmanager
def _staged(path) -> Iterator[str]:
    """A temporary beside ``path`` with the usual mode, removed on exit unless moved."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        from .diagnostics import NircError

        raise NircError(f"cannot write this output ({e.strerror})", file=str(path)) from None
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
