#!/usr/bin/env bash
# Set up everything the test suite needs and run it: a virtualenv in .venv with clarion and its test
# dependencies, the system packages the report and Spark tests use (Chromium, poppler, Java), then pytest.
# Usage: bash scripts/test.sh [pytest arguments]   (e.g. -m "not slow" for the fast inner loop)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup_venv.sh test

for script in scripts/install_test_system_deps.sh scripts/install_java.sh; do
    if [ -f "$script" ]; then
        bash "$script"
    fi
done

# The test-only references, each in its own virtualenv: the sagemaker SDK v2 and smclarify.
.venv/bin/python tests/reference_tools.py --setup

# Lint, format and types before the tests (settings in pyproject.toml).
.venv/bin/python -m ruff check src tests
.venv/bin/python -m ruff format --check src tests
.venv/bin/python -m mypy

exec .venv/bin/python -m pytest -q --durations=15 "$@"
