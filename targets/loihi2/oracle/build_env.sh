#!/usr/bin/env bash
# Build the Loihi 2 test oracle: a private venv with lava-nc 0.10.0 + lava-dl 0.6.0 on Python 3.11.
#
#   bash build_env.sh VENV_DIR
#
# Lava is not a dependency of nirc: it lives only in VENV_DIR and is used through files
# (run_lava.py).  Both packages declare Requires-Python <3.11 and lava-dl pins torch 2.3 /
# torchvision 0.18, so they are installed with --no-deps --ignore-requires-python on top of an
# explicit pinned dependency list, and two one-line patches are applied inside VENV_DIR (see
# README.md).  Safe to rerun: each step checks whether it is already done.  Exits non-zero
# with a message on the first failure.
set -euo pipefail

. "$(cd "$(dirname "$0")" && pwd)/../../oracle_env.sh"

[ $# -eq 1 ] || die "usage: bash build_env.sh VENV_DIR"
VENV=$1
PY=${PYTHON:-python3.11}
START=$SECONDS

# Everything the oracle imports, pinned (pip freeze of a working build).  numpy/scipy <2 are
# lava's own bounds; networkx<=2.8.7 is lava-nc's; torch==2.13.0 is the only torch allowed here
# (a local CPU wheel) instead of lava-dl's torch 2.3; matplotlib because lava.lib.dl.slayer
# imports it at module level.  Not installed on purpose: torchvision (PyPI's Linux wheels are
# CUDA builds that fail to load against the CPU torch; patched out below), opencv, ninja,
# pytest, unittest2 (object detection, CUDA JIT and lava-dl's own tests only).
PINS=(
  numpy==1.26.4 scipy==1.13.1 h5py==3.11.0
  asteval==0.9.33 networkx==2.8.7 scikit-learn==1.5.2 joblib==1.6.0 threadpoolctl==3.8.0
  torch==2.13.0 filelock==4.2.11 typing_extensions==4.16.0 sympy==1.14.0 mpmath==1.3.0
  Jinja2==3.1.6 MarkupSafe==3.0.4 fsspec==2026.9.0
  matplotlib==3.8.4 contourpy==1.3.3 cycler==0.12.1 fonttools==4.68.0 kiwisolver==1.5.1
  packaging==26.3 pillow==10.4.0 pyparsing==3.3.3 python-dateutil==4.0.0 tzdata==2026.6
  cloudpickle==3.1.2 setuptools==84.2.1
)
LAVA=(lava-nc==0.10.0 lava-dl==0.6.0)

# 1. venv -------------------------------------------------------------------------------
make_venv "$VENV" "$PY"
"$VPY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || die "$VENV is not a Python 3.11 venv (the patches below are for 3.11)"

# 2. pinned dependencies -----------------------------------------------------------------
if have "${PINS[@]}"; then
  say "pinned dependencies already installed"
else
  say "installing ${#PINS[@]} pinned dependencies (torch from the local CPU wheel)"
  "$VPY" -m pip install "${PINS[@]}" 2>&1 | grep -v "is ignored: it is neither" \
    || true
  have "${PINS[@]}" || die "pip install of the pinned dependencies failed"
fi

# 3. lava-nc, lava-dl: ignore Requires-Python <3.11 and lava-dl's torch/torchvision pins ----
if have "${LAVA[@]}"; then
  say "lava-nc 0.10.0 and lava-dl 0.6.0 already installed"
else
  say "installing ${LAVA[*]} with --no-deps --ignore-requires-python"
  "$VPY" -m pip install --no-deps --ignore-requires-python "${LAVA[@]}" 2>&1 \
    | grep -v "is ignored: it is neither" || true
  have "${LAVA[@]}" || die "pip install of lava-nc/lava-dl failed"
fi

# 4. patches (idempotent; each replaces one line, inside VENV only) ------------------------
#  a) lava-nc: Python 3.11's dataclasses reject a default whose class is unhashable
#     ("mutable default ... ByteEncoder ... use default_factory"), raised on
#     `import lava.magma.compiler...`.  unsafe_hash=True adds __hash__ and nothing else, so the
#     shared default instance behaves exactly as on Python 3.10.
#  b) lava-dl: lava.lib.dl.slayer/__init__ imports object_detection, which imports torchvision
#     (not installable here, see above); netx needs slayer but not object detection, so the
#     import is made optional (slayer.obd is None when torchvision is missing).
say "applying patches"
"$VPY" - <<'EOF' || die "patching failed"
import pathlib, sysconfig
site = pathlib.Path(sysconfig.get_paths()["purelib"])
patches = [
    ("lava/magma/compiler/var_model.py",
     "@dataclass\nclass ByteEncoder:",
     "@dataclass(unsafe_hash=True)  # nirc patch: py3.11 rejects unhashable defaults\n"
     "class ByteEncoder:"),
    ("lava/lib/dl/slayer/__init__.py",
     "from . import object_detection as obd\n",
     "try:  # nirc patch: object_detection needs torchvision, not installed in the oracle\n"
     "    from . import object_detection as obd\n"
     "except Exception:  # noqa: BLE001\n"
     "    obd = None\n"),
]
for rel, old, new in patches:
    path = site / rel
    text = path.read_text()
    if new in text:
        print(f"build_env.sh:   already patched: {rel}")
    elif text.count(old) == 1:
        path.write_text(text.replace(old, new))
        print(f"build_env.sh:   patched: {rel}")
    else:
        raise SystemExit(f"cannot patch {rel}: expected text not found exactly once")
EOF

# 5. smoke check ---------------------------------------------------------------------------
say "smoke check: import lava, lava.lib.dl.netx"
"$VPY" - <<'EOF' || die "smoke check failed"
import lava, lava.magma.core.run_configs, lava.proc.lif.models, lava.proc.dense.models
import lava.lib.dl.netx
from lava.lib.dl.netx.hdf5 import Network  # noqa: F401
from importlib.metadata import version
print("build_env.sh:   ok: lava-nc", version("lava-nc"), "lava-dl", version("lava-dl"),
      "torch", version("torch"), "numpy", version("numpy"))
EOF
say "done in $((SECONDS - START)) s; oracle python: $VPY ($(du -sh "$VENV" | cut -f1))"
