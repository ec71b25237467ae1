#!/usr/bin/env bash
# Create .venv-infinity (Python 3.11) with the infinity-emb embeddings server, for the remote backend's
# tests and benchmark (tests/support/remoteservers.py starts it). Its own environment, because its pins clash with
# EmbedLab's (see scripts/requirements-infinity.txt). Once installed, .venv-infinity/.setup.sha256 records
# the requirements and later runs skip pip until they change; delete that file to make pip run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3.11}"
requirements=scripts/requirements-infinity.txt
venv=.venv-infinity
step() { printf '[setup-infinity] %s\n' "$*"; }

if [ ! -x "$venv/bin/python" ]; then
  step "creating $venv with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
fi
stamp="$venv/.setup.sha256"
wanted=$( { "$venv/bin/python" --version; cat "$requirements"; } | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  step "$venv already has $requirements (delete $stamp to reinstall)"
  exit 0
fi
step "installing $requirements (the server, CPU torch, transformers 4): a few minutes on a fresh machine"
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on -r "$requirements"
"$venv/bin/infinity_emb" --help >/dev/null
echo "$wanted" > "$stamp"
step "done: $venv/bin/infinity_emb is ready"
