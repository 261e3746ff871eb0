#!/usr/bin/env bash
# Debian packages the tests need beyond Python, installed when missing (as root, with apt-get;
# otherwise it says what is missing and goes on): a real RTSP server for the camera tests
# (GStreamer's, run by the system python3) and Chromium plus CJK fonts for the console's
# browser tests, and gcc for ShoreWatch's one C extension. Run by scripts/test.sh and .ci/run;
# safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
if ! /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); gi.require_version('Gst', '1.0'); from gi.repository import Gst, GstRtspServer" 2>/dev/null; then
    missing+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
        gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
fi
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v gcc >/dev/null || missing+=(gcc)  # builds the AIS line scan (ingest/_ais_lines.c)
if ! { command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .; }; then
    missing+=(fonts-noto-cjk)
fi
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "missing Debian packages (run as root to install): ${missing[*]}" >&2
fi
