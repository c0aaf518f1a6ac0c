#!/usr/bin/env bash
# Create .venv (when missing) and install clarion into it, editable, with the given extras.
# Usage: bash scripts/setup_venv.sh EXTRAS      e.g. bash scripts/setup_venv.sh test
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$1]"
