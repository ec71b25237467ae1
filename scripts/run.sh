#!/usr/bin/env bash
# Set up (first time) and start the dashboard on the offline pair at http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-local.txt
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}"
exec .venv/bin/python app.py
