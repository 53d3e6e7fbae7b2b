"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from nirc.examples import write_examples


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> dict[str, Path]:
    """The shipped example graphs (``python -m nirc.examples``), by stem."""
    directory = tmp_path_factory.mktemp("examples")
    return {p.stem: p for p in write_examples(directory)}
