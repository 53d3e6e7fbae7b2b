#!/usr/bin/env bash
# Build the Speck test oracle: a private venv with sinabs 3.1.3 (and torch) on Python 3.11.
#
#   bash build_env.sh VENV_DIR
#
# sinabs is not a dependency of nirc: it lives only in VENV_DIR and is used through files
# (run_sinabs.py, driven by sinabs_oracle.py).  torch==2.13.0 first (the only torch allowed
# here: a local CPU wheel), then sinabs with --no-deps (it requires samna, SynSense's device
# library, whose PyPI versions are stubs that download from an unreachable host: NEVER
# installed; run_sinabs.py makes every samna import an empty package instead, and it pins
# nir<=1.0.4, while 1.0.8 works for what the oracle uses), then what sinabs imports, pinned
# (pip freeze of a working build).  Safe to rerun: each step checks whether it is done.
# Exits non-zero with a message on the first failure.
set -euo pipefail

. "$(cd "$(dirname "$0")" && pwd)/../../oracle_env.sh"

[ $# -eq 1 ] || die "usage: bash build_env.sh VENV_DIR"
VENV=$1
PY=${PYTHON:-python3.11}
START=$SECONDS

TORCH=(torch==2.13.0 filelock==4.3.1 typing_extensions==4.16.0 sympy==1.14.0 mpmath==1.3.0
       networkx==3.6.1 Jinja2==3.1.6 MarkupSafe==3.0.4 fsspec==2026.9.0 numpy==2.4.6)
SINABS=(sinabs==3.1.3)
DEPS=(pbr==7.1.3 nir==1.0.8 nirtorch==2.6 h5py==3.16.0
      matplotlib==3.11.2 contourpy==1.3.3 cycler==0.12.1 fonttools==4.68.0 kiwisolver==1.5.1
      packaging==26.4 pillow==13.0.0 pyparsing==3.3.3 python-dateutil==4.0.0 tzdata==2026.6)

# 1. venv -------------------------------------------------------------------------------
make_venv "$VENV" "$PY"

install() {  # install() LABEL PIP-ARGS... -- SPECS...
  local label=$1; shift
  local args=()
  while [ "$1" != "--" ]; do args+=("$1"); shift; done; shift
  if have "$@"; then
    say "$label already installed"
  else
    say "installing $label"
    "$VPY" -m pip install "${args[@]}" "$@" 2>&1 | grep -v "is ignored: it is neither" || true
    have "$@" || die "pip install of $label failed"
  fi
}

# 2. torch first, 3. sinabs without its dependencies, 4. what sinabs imports --------------
install "torch 2.13.0 (local CPU wheel)" -- "${TORCH[@]}"
install "sinabs 3.1.3 (--no-deps: no samna)" --no-deps -- "${SINABS[@]}"
install "sinabs' imports (pinned)" -- "${DEPS[@]}"
"$VPY" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("samna") is not None)' \
  || die "samna is installed in $VENV: remove it (nirc's oracle never uses it)"

# 5. smoke check: import sinabs through the samna stub ------------------------------------
say "smoke check: import sinabs.backend.dynapcnn with the samna stub"
HERE=$(cd "$(dirname "$0")" && pwd)
"$VPY" - "$HERE" <<'PYEOF' || die "smoke check failed"
import sys
sys.path.insert(0, sys.argv[1])
from run_sinabs import install_samna_stub
install_samna_stub()
import sinabs
from sinabs.backend.dynapcnn import DynapcnnNetwork  # noqa: F401
from importlib.metadata import version
print("build_env.sh:   ok: sinabs", version("sinabs"), "torch", version("torch"),
      "nir", version("nir"), "nirtorch", version("nirtorch"))
PYEOF
say "done in $((SECONDS - START)) s; oracle python: $VPY ($(du -sh "$VENV" | cut -f1))"
