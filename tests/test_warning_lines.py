"""Python warnings as one-line diagnostics (nirc/warning_lines.py)."""

from __future__ import annotations

import warnings

from nirc import warning_lines


def test_a_warning_prints_once_and_resource_warnings_stay_silent(capsys):
    """A user-facing warning is one ``warning:`` line, printed once however often it is
    raised; a ResourceWarning (a file some library left open, reported whenever the
    garbage collector runs: it made a CLI test flaky) is not a diagnostic, as in Python's
    default filters."""
    with warning_lines.capture():
        for _ in range(2):
            warnings.warn("dt is coarse", UserWarning)
        warnings.warn("unclosed file <_io.FileIO name='x'>", ResourceWarning)
    assert capsys.readouterr().err == "warning: dt is coarse\n"
