"""A real RTSP server for the camera tests: GStreamer's gst-rtsp-server (Debian packages) run
by the system Python in a subprocess, streaming the real maritime clip, with fixtures."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SERVER_SCRIPT = REPO / "tests" / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"
CLIP = "video/liangsmfish_ship_at_sea_320x240.mp4"
CLIP_FRAMES = 295  # samples in the MP4; its edit list shows the first 279 (18.7 s)
CLIP_SHOWN = 279
INSTALL_HINT = (
    "the RTSP tests need GStreamer's RTSP server and the system Python's gi bindings: "
    "apt-get install -y --no-install-recommends python3-gi gir1.2-gst-rtsp-server-1.0 "
    "gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad"
)
GST_CHECK = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
    "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
    "missing = [e for e in ('qtdemux', 'h264parse', 'rtph264pay', 'appsrc', 'appsink') "
    "if Gst.ElementFactory.find(e) is None]; assert not missing, missing"
)


class RtspServer:
    """gst-rtsp-server in a subprocess; stop() and start() again on the same port."""

    def __init__(self, clip: Path, log: Path) -> None:
        self.clip = clip
        self.log = log
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/ship"

    def start(self) -> None:
        # GStreamer's warnings go to a file: an unread pipe could fill and stall the server.
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(SERVER_SCRIPT), str(self.clip), "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=self.log.open("ab"),
            text=True,
        )
        stdout = self.proc.stdout
        assert stdout is not None
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(15)
        if not line or not line[0].startswith("READY "):
            self.stop()
            detail = self.log.read_text(errors="replace")[-500:]
            pytest.fail(f"RTSP server did not start: {line!r} {detail}; {INSTALL_HINT}")
        self.port = int(line[0].split()[1])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def freeze(self) -> None:
        """The server process stops answering but keeps its sockets: a hung camera."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


@pytest.fixture(scope="session")
def clip(shared_data: Path) -> Path:
    path = shared_data / CLIP
    if not path.is_file():
        pytest.fail(f"real clip missing: {path}")
    return path


@pytest.fixture(scope="session")
def gstreamer() -> None:
    if not Path(SYSTEM_PYTHON).is_file():
        pytest.fail(f"{SYSTEM_PYTHON} not found; {INSTALL_HINT}")
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", GST_CHECK], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        pytest.fail(
            f"GStreamer RTSP server unusable ({probe.stderr.strip()[-300:]}); {INSTALL_HINT}"
        )


@pytest.fixture
def rtsp_server(gstreamer: None, clip: Path, tmp_path: Path) -> Iterator[RtspServer]:
    server = RtspServer(clip, tmp_path / "rtsp-server.log")
    server.start()
    yield server
    server.stop()
