#!/usr/bin/env bash
# Creates .venv (Python >= 3.11) and installs ShoreWatch with the extras named in $1 (default
# "dev"; the test suite asks for "dev,vision"), then builds the operator console (console/ ->
# console/dist, served by the API at /) with Node and npm, installed from Debian when missing.
# Run by scripts/demo.sh and scripts/test.sh; safe to run again (pip, npm and the build skip
# what is already there).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pick_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    echo "ShoreWatch needs Python 3.11 or newer" >&2; return 1
}
if [ ! -x .venv/bin/python ]; then
    "$(pick_python)" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
extras=${1:-dev}
.venv/bin/python -m pip install -q -e ".[$extras]"
# ultralytics (vision extra) requires opencv-python, whose cv2 would replace the headless one
# in the same folder and then need a desktop's libGL: keep the headless build only.
if .venv/bin/python -m pip show -q opencv-python >/dev/null 2>&1; then
    headless=$(.venv/bin/python -m pip show opencv-python-headless | sed -n 's/^Version: //p')
    .venv/bin/python -m pip uninstall -q -y opencv-python
    .venv/bin/python -m pip install -q --force-reinstall --no-deps "opencv-python-headless==$headless"
fi

# The operator console: pinned npm dependencies (package-lock.json), bundled by esbuild.
if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
    else
        echo "the console needs Node.js and npm: install them (apt-get install nodejs npm)" >&2
        exit 1
    fi
fi
cd console
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -f dist/index.html ] ||
    [ -n "$(find src index.html build.mjs package-lock.json -newer dist/index.html -print -quit)" ]; then
    npm run --silent build
fi
