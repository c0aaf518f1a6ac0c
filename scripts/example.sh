#!/usr/bin/env bash
# Set up clarion in .venv and run the bundled example analysis on the UCI Adult data.
# Results: out/adult/analysis.json and out/adult/report.{html,pdf,ipynb}.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[all]'
.venv/bin/clarion run examples/adult/analysis_config.json --output out/adult "$@"
echo "Open out/adult/report.html in a browser; the numbers are in out/adult/analysis.json."
