"""A real RTSP server for the camera tests: GStreamer's gst-rtsp-server streaming a video file.

Runs under the system Python (`/usr/bin/python3`), whose `gi` bindings come from Debian's
packages (python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
gstreamer1.0-plugins-good gstreamer1.0-plugins-bad); the project's venv has no GStreamer.

The clip's H.264 is sent as it is (no decoding or encoding: almost no CPU) and loops forever.
Each client's media is a live `appsrc`; a feeder pipeline per client reads the file in real
time and pushes its access units there, and at the end seeks back to the start and carries
on with timestamps that continue where the last pass ended, as a camera's would. (A `concat`
of the file several times over was tried first: its prepare hung now and then in 1.22.)

    /usr/bin/python3 tests/rtsp_server.py CLIP [--host 127.0.0.1] [--port 0] [--mount /ship]

Prints `READY <port>` once it listens, then serves until killed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import gi  # type: ignore[import-not-found,unused-ignore]

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[import-not-found,unused-ignore]  # noqa: E402

H264_AU = "video/x-h264,stream-format=byte-stream,alignment=au"
MEDIA = (
    f'( appsrc name=src is-live=true format=time do-timestamp=false caps="{H264_AU}" '
    "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)
FALLBACK_FRAME_NS = 66_666_667  # 15 fps, should a buffer come without a duration


class Feeder:
    """Plays the clip in real time, forever, into one media's appsrc."""

    def __init__(self, clip: Path, appsrc: Any) -> None:
        location = str(clip).replace('"', '\\"')
        self._appsrc = appsrc
        self._offset = 0
        self._end = 0
        self._pipeline = Gst.parse_launch(
            f'filesrc location="{location}" ! qtdemux ! h264parse config-interval=-1 '
            f"! {H264_AU} ! appsink name=sink sync=true max-buffers=8 emit-signals=true"
        )
        self._pipeline.get_by_name("sink").connect("new-sample", self._on_sample)
        bus = self._pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self._on_message)

    def start(self) -> None:
        self._pipeline.set_state(Gst.State.PLAYING)

    def stop(self) -> None:
        self._pipeline.get_bus().remove_signal_watch()
        self._pipeline.set_state(Gst.State.NULL)

    def _on_sample(self, sink: Any) -> Any:
        buffer = sink.emit("pull-sample").get_buffer().copy()  # a copy may be re-stamped
        buffer.pts += self._offset
        buffer.dts = buffer.pts  # no B-frames in the clip
        duration = buffer.duration if buffer.duration != Gst.CLOCK_TIME_NONE else FALLBACK_FRAME_NS
        self._end = buffer.pts + duration
        self._appsrc.emit("push-buffer", buffer)
        return Gst.FlowReturn.OK

    def _on_message(self, _bus: Any, message: Any) -> None:
        if message.type == Gst.MessageType.EOS:
            self._offset = self._end
            self._pipeline.seek_simple(
                Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0
            )
        elif message.type == Gst.MessageType.ERROR:
            error, _debug = message.parse_error()
            print(f"feeder error: {error.message}", file=sys.stderr, flush=True)


def serve(clip: Path, host: str, port: int, mount: str) -> int:
    Gst.init(None)
    feeders: dict[int, Feeder] = {}

    def on_media_configure(_factory: Any, media: Any) -> None:
        feeder = Feeder(clip, media.get_element().get_by_name("src"))
        key = hash(media)
        feeders[key] = feeder
        media.connect("unprepared", lambda _media: feeders.pop(key).stop())
        feeder.start()

    server = GstRtspServer.RTSPServer()
    server.set_address(host)
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(MEDIA)
    factory.connect("media-configure", on_media_configure)
    server.get_mount_points().add_factory(mount, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on {host}:{port}", file=sys.stderr)
        return 1
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("clip", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mount", default="/ship")
    args = parser.parse_args()
    if not args.clip.is_file():
        print(f"no such clip: {args.clip}", file=sys.stderr)
        return 2
    return serve(args.clip.resolve(), args.host, args.port, args.mount)


if __name__ == "__main__":
    sys.exit(main())
