#!/usr/bin/env bash
# Create .venv (Python 3.11) and install EmbedLab with the offline model pack.
# Usage: scripts/setup.sh [requirements file]   (default requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3.11}"
requirements="${1:-requirements.txt}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r "$requirements"
.venv/bin/python -m pip install --quiet --no-deps -r requirements-offline.txt
