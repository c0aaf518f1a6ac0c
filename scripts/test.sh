#!/usr/bin/env bash
# Set up everything the test suite needs and run it: a virtualenv in .venv with clarion and its test
# dependencies, the system packages the report and Spark tests use (Chromium, poppler, Java), then pytest.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup_venv.sh test

for script in scripts/install_test_system_deps.sh scripts/install_java.sh; do
    if [ -f "$script" ]; then
        bash "$script"
    fi
done

# The sagemaker SDK v2 (a test-only reference for the Python API) lives in its own virtualenv.
.venv/bin/python tests/api_reference/make_sdk_configs.py --setup

exec .venv/bin/python -m pytest -q "$@"
