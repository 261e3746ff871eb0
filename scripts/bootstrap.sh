#!/usr/bin/env bash
# Creates .venv (Python >= 3.11) and installs ShoreWatch with the extras named in $1 (default
# "dev"; the test suite asks for "dev,vision"). Run by scripts/demo.sh and scripts/test.sh;
# safe to run again (pip skips what is there).
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
