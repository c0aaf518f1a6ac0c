#!/usr/bin/env bash
# Set up everything the test suite needs and run it: a virtualenv in .venv with clarion and its test
# dependencies, the system packages the report and Spark tests use (Chromium, poppler, Java), then pytest.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

for script in scripts/install_test_system_deps.sh scripts/install_java.sh; do
    if [ -f "$script" ]; then
        bash "$script"
    fi
done

# The sagemaker SDK v2 (a test-only reference for the Python API) lives in its own virtualenv.
.venv/bin/python tests/api_reference/make_sdk_configs.py --setup

exec .venv/bin/python -m pytest -q "$@"
