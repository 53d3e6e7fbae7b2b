# Shared steps of the oracle venv build scripts (targets/*/oracle/build_env.sh); sourced.
#
#   make_venv VENV PYTHON   create VENV with PYTHON unless it exists; sets VPY
#   have SPEC...            exit 0 iff every "name==version" is installed in VPY exactly
#                           (a local version label such as torch's "+cpu" is ignored)
#   die MSG, say MSG        messages prefixed "build_env.sh:" (die exits 1)

die() { echo "build_env.sh: ERROR: $*" >&2; exit 1; }
say() { echo "build_env.sh: $*"; }

make_venv() {
  if [ -x "$1/bin/python" ]; then
    say "venv exists: $1"
  else
    command -v "$2" >/dev/null || die "$2 not found (set PYTHON=/path/to/python3.11)"
    say "creating venv $1 with $2"
    "$2" -m venv "$1" || die "venv creation failed"
  fi
  VPY=$1/bin/python
  export PIP_DISABLE_PIP_VERSION_CHECK=1
}

have() {
  "$VPY" - "$@" <<'PYEOF'
import sys
from importlib.metadata import version, PackageNotFoundError
missing = []
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        got = version(name).split("+")[0]
    except PackageNotFoundError:
        got = None
    if got != want:
        missing.append(f"{spec} (have {got})")
if missing:
    print("  missing: " + ", ".join(missing))
    sys.exit(1)
PYEOF
}
