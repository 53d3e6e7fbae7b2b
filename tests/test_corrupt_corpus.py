"""Corrupted .nir files never reach an internal error (issue 16).

The corpus (tests/corrupt_corpus.py, seed 0, 520 files) is imported in process with
the CLI's ``main`` (click's CliRunner), each file with a 20 s alarm; every file must
either import (exit 0, the output written) or fail cleanly: exit 1, one line
``error: <file>: ...`` naming the file, no "internal error", no traceback, no output
file.  Every 5th file also goes through ``nirc show``.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from click.testing import CliRunner

from corrupt_corpus import corpus
from nirc.cli import main


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that nirc's error handler lets it pass."""


def _alarm(signum, frame):
    raise Hang()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return corpus(tmp_path_factory.mktemp("corrupt"), seed=0)


def _check(args: list[str], path, what: str, out=None) -> str:
    try:
        return _run(args, path, what, out)
    except AssertionError as e:
        return "FAIL " + str(e).splitlines()[0][:300]


def _run(args: list[str], path, what: str, out=None) -> str:
    runner = CliRunner()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(20)
    try:
        result = runner.invoke(main, args)
    except Hang:
        return f"FAIL {what}: {args[0]} hangs (> 20 s)"
    finally:
        signal.alarm(0)
    text = result.stderr
    assert result.exit_code in (0, 1), f"{what}: exit {result.exit_code} {result.exception!r}"
    assert "internal error" not in text and "Traceback" not in text, f"{what}: {text}"
    if result.exit_code == 1:
        lines = text.strip().splitlines()
        assert lines and lines[-1].startswith(f"error: {path}"), f"{what}: {text!r}"
        assert len(lines[-1]) <= 600, f"{what}: {len(lines[-1])} characters"
        if out is not None:
            assert not out.exists(), f"{what}: output written on failure"
        return "error"
    return "ok"


def test_corpus_import_and_show_fail_cleanly(files, tmp_path):
    assert len(files) >= 500
    counts = Counter()
    for i, (path, what) in enumerate(files):
        out = tmp_path / f"{i}.mlir"
        counts["import " + _check(["import", str(path), "-o", str(out)], path, what, out)] += 1
        if i % 5 == 0:
            counts["show " + _check(["show", str(path)], path, what)] += 1
    failures = [k for k in counts if "FAIL" in k]
    print({k: v for k, v in counts.items() if "FAIL" not in k}, len(failures))
    assert not failures, "\n".join(failures[:40])
    assert counts["import ok"] + counts["import error"] == len(files)
