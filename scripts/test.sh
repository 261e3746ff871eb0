#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs (with the vision stack, ~6 GB), then lint,
# type-check, the import-layer contract (import-linter) and tests.
# Uses PostgreSQL / MQTT from SHOREWATCH_TEST_DATABASE_URL / SHOREWATCH_TEST_MQTT_URL when set,
# embedded ones otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh dev,vision
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest -ra "$@"
