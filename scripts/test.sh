#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, browser tests included; prints the suite's wall time.
# Arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"` for the fast lane.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-test.txt
scripts/setup-infinity.sh  # the embeddings server the remote backend's tests start
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium for the browser tests (apt-get; a minute or two)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "the browser tests need Debian's chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
started=$SECONDS
status=0
.venv/bin/python -m pytest -ra "$@" || status=$?
elapsed=$((SECONDS - started))
printf '[test] pytest exited with %d after %dm%02ds (wall time of the test run, setup excluded)\n' \
  "$status" $((elapsed / 60)) $((elapsed % 60))
exit "$status"
