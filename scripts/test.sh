#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs (with the vision stack, ~6 GB; as root also
# the Debian packages the RTSP and browser tests need, scripts/system-deps.sh), builds the
# console, then lint, type-check, the import-layer contract (import-linter), the console's
# TypeScript check and tests.
# Uses PostgreSQL / MQTT from SHOREWATCH_TEST_DATABASE_URL / SHOREWATCH_TEST_MQTT_URL when set,
# embedded ones otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/system-deps.sh
bash scripts/bootstrap.sh dev,vision
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
(cd console && npx --no-install tsc --noEmit -p .)
.venv/bin/python -m pytest -ra "$@"
