"""Where a target's oracle venv is (a peer toolchain in its own venv, used through files:
targets/loihi2/oracle, targets/speck/oracle)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def oracle_python(env_var: str, venv: str) -> str | None:
    """The oracle venv's python: ``$env_var`` if set (an empty value disables the oracle),
    else ../<venv>/bin/python next to the repository root (where .ci/run builds it), else
    /tmp/<venv>/bin/python (a developer's); None if there is none."""
    if env_var in os.environ:
        value = os.environ[env_var]
        return value if value and os.access(value, os.X_OK) else None
    for path in (REPO_ROOT.parent / venv / "bin" / "python", Path("/tmp") / venv / "bin" / "python"):
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None
