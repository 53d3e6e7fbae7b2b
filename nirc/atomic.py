"""Atomic output: a file appears complete or not at all (no partial output on error).

``write_all`` extends this to a set of files (a command's outputs and its report):
every file is first written to a temporary file beside its target, and only when all
of them are written are they renamed into place, so that an unwritable path or a full
disk leaves none of them (nor any directory it created).  The renames themselves are
the one remaining window: a rename within one directory does not fail for lack of
space; if one still fails, the files already renamed that did not exist before are
removed again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
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


def write_all(outputs: Mapping[str | os.PathLike, bytes]) -> None:
    """Write every ``{path: bytes}`` atomically as a set: all appear, or none does."""
    from .diagnostics import NircError

    staged: list[tuple[Path, str]] = []
    created: list[Path] = []
    done: list[Path] = []
    try:
        for path, data in outputs.items():
            target = Path(path)
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                created.extend(reversed(missing))  # outermost first; removed innermost first
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                           suffix=".tmp")
            except OSError as e:
                raise NircError(f"cannot write this output ({e.strerror})",
                                file=str(path)) from None
            staged.append((target, tmp))
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            except OSError as e:
                raise NircError(f"cannot write this output ({e.strerror})",
                                file=str(path)) from None
        umask = os.umask(0)
        os.umask(umask)
        for target, tmp in staged:
            os.chmod(tmp, 0o666 & ~umask)
            existed = target.exists()
            try:
                os.replace(tmp, target)
            except OSError as e:
                raise NircError(f"cannot write this output ({e.strerror})",
                                file=str(target)) from None
            if not existed:
                done.append(target)
    except BaseException:
        for target in done:
            target.unlink(missing_ok=True)
        for _, tmp in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for directory in reversed(created):
            try:
                directory.rmdir()
            except OSError:
                pass
        raise
