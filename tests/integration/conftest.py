"""Fixtures shared by the integration tests."""

from tests.rtsp import clip, gstreamer, rtsp_server

__all__ = ["clip", "gstreamer", "rtsp_server"]
