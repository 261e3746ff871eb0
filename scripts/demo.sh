#!/usr/bin/env bash
# The demo on a fresh machine: installs, then runs everything embedded with simulated traffic.
# Extra arguments go to `shorewatch demo` (e.g. --for 60).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec .venv/bin/shorewatch demo "$@"
