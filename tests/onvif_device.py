"""A small real ONVIF camera for the PTZ tests: SOAP 1.2 over HTTP on 127.0.0.1, answering the
device, media and PTZ operations the `onvif-zeep-async` client calls (GetServices,
GetCapabilities, GetProfiles, AbsoluteMove, RelativeMove, GetStatus) the way a camera does,
and checking the WS-Security UsernameToken digest on every call (a wrong password gets the
`ter:NotAuthorized` fault a camera sends). It records each move, can lack AbsoluteMove (the
`ter:ActionNotSupported` fault) and can hang (a camera that stops answering).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TT = "http://www.onvif.org/ver10/schema"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"


@dataclass
class Move:
    operation: str
    profile: str
    x: float
    y: float
    zoom: float


@dataclass
class DeviceState:
    user: str
    password: str
    absolute_move: bool = True
    hang_s: float = 0.0
    x: float = 0.0
    y: float = 0.0
    zoom: float = 0.0
    moves: list[Move] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{SOAP}" xmlns:tt="{TT}" '
        f'xmlns:tds="{TDS}" xmlns:trt="{TRT}" xmlns:tptz="{TPTZ}"><s:Body>{body}</s:Body>'
        "</s:Envelope>"
    ).encode()


def _fault(subcode: str, reason: str) -> bytes:
    return _envelope(
        "<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode>"
        f'<s:Value xmlns:ter="http://www.onvif.org/ver10/error">ter:{subcode}</s:Value>'
        f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">{reason}</s:Text></s:Reason>'
        "</s:Fault>"
    )


def _digest_ok(header: ET.Element | None, user: str, password: str) -> bool:
    """WS-Security UsernameToken profile: Base64(SHA-1(nonce + created + password))."""
    if header is None:
        return False
    token = header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is None:
        return False
    name = token.findtext(f"{{{WSSE}}}Username")
    sent = token.findtext(f"{{{WSSE}}}Password")
    nonce = token.findtext(f"{{{WSSE}}}Nonce")
    created = token.findtext(f"{{{WSU}}}Created")
    if None in (name, sent, nonce, created):
        return False
    assert nonce is not None
    assert created is not None
    raw = base64.b64decode(nonce) + created.encode() + password.encode()
    return name == user and sent == base64.b64encode(hashlib.sha1(raw).digest()).decode()


def _float(element: ET.Element | None, attr: str, default: float) -> float:
    return float(element.get(attr, default)) if element is not None else default


class _Handler(BaseHTTPRequestHandler):
    server: _DeviceServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        envelope = ET.fromstring(self.rfile.read(length))
        body = envelope.find(f"{{{SOAP}}}Body")
        assert body is not None
        request = body[0]
        operation = request.tag.rsplit("}", 1)[-1]
        with state.lock:
            state.calls.append(operation)
        if state.hang_s:
            time.sleep(state.hang_s)
        if not _digest_ok(envelope.find(f"{{{SOAP}}}Header"), state.user, state.password):
            with state.lock:
                state.refused += 1
            self._send(400, _fault("NotAuthorized", "Sender not Authorized"))
            return
        handler = {
            "GetServices": self._get_services,
            "GetCapabilities": self._get_capabilities,
            "GetProfiles": self._get_profiles,
            "AbsoluteMove": self._absolute_move,
            "RelativeMove": self._relative_move,
            "GetStatus": self._get_status,
        }.get(operation)
        if handler is None:
            self._send(400, _fault("ActionNotSupported", f"{operation} not supported"))
            return
        status, reply = handler(request, state)
        self._send(status, reply)

    def _send(self, status: int, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the hanging-camera case)

    def _base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/onvif"

    def _get_services(self, _request: ET.Element, _state: DeviceState) -> tuple[int, bytes]:
        services = "".join(
            f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{self._base()}/{path}"
            "</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor></tds:Version>"
            "</tds:Service>"
            for ns, path in ((TDS, "device_service"), (TRT, "media_service"), (TPTZ, "ptz_service"))
        )
        return 200, _envelope(f"<tds:GetServicesResponse>{services}</tds:GetServicesResponse>")

    def _get_capabilities(self, _request: ET.Element, _state: DeviceState) -> tuple[int, bytes]:
        base = self._base()
        return 200, _envelope(
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Media><tt:XAddr>{base}/media_service</tt:XAddr></tt:Media>"
            f"<tt:PTZ><tt:XAddr>{base}/ptz_service</tt:XAddr></tt:PTZ>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )

    def _get_profiles(self, _request: ET.Element, _state: DeviceState) -> tuple[int, bytes]:
        return 200, _envelope(
            '<trt:GetProfilesResponse><trt:Profiles token="mainstream" fixed="true">'
            "<tt:Name>mainstream</tt:Name>"
            '<tt:PTZConfiguration token="ptz0"><tt:Name>ptz</tt:Name><tt:UseCount>1</tt:UseCount>'
            "<tt:NodeToken>node0</tt:NodeToken></tt:PTZConfiguration>"
            "</trt:Profiles></trt:GetProfilesResponse>"
        )

    def _absolute_move(self, request: ET.Element, state: DeviceState) -> tuple[int, bytes]:
        if not state.absolute_move:
            return 400, _fault("ActionNotSupported", "AbsoluteMove not supported")
        position = request.find(f"{{{TPTZ}}}Position")
        pan_tilt = None if position is None else position.find(f"{{{TT}}}PanTilt")
        zoom = None if position is None else position.find(f"{{{TT}}}Zoom")
        with state.lock:
            state.x = _float(pan_tilt, "x", state.x)
            state.y = _float(pan_tilt, "y", state.y)
            state.zoom = _float(zoom, "x", state.zoom)
            state.moves.append(self._move("AbsoluteMove", request, state))
        return 200, _envelope("<tptz:AbsoluteMoveResponse/>")

    def _relative_move(self, request: ET.Element, state: DeviceState) -> tuple[int, bytes]:
        translation = request.find(f"{{{TPTZ}}}Translation")
        pan_tilt = None if translation is None else translation.find(f"{{{TT}}}PanTilt")
        zoom = None if translation is None else translation.find(f"{{{TT}}}Zoom")
        with state.lock:
            state.x = max(-1.0, min(1.0, state.x + _float(pan_tilt, "x", 0.0)))
            state.y = max(-1.0, min(1.0, state.y + _float(pan_tilt, "y", 0.0)))
            state.zoom = max(0.0, min(1.0, state.zoom + _float(zoom, "x", 0.0)))
            state.moves.append(self._move("RelativeMove", request, state))
        return 200, _envelope("<tptz:RelativeMoveResponse/>")

    def _get_status(self, _request: ET.Element, state: DeviceState) -> tuple[int, bytes]:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with state.lock:
            x, y, zoom = state.x, state.y, state.zoom
        return 200, _envelope(
            "<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position>"
            f'<tt:PanTilt x="{x}" y="{y}"/><tt:Zoom x="{zoom}"/></tt:Position>'
            "<tt:MoveStatus><tt:PanTilt>IDLE</tt:PanTilt><tt:Zoom>IDLE</tt:Zoom></tt:MoveStatus>"
            f"<tt:UtcTime>{now}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>"
        )

    @staticmethod
    def _move(operation: str, request: ET.Element, state: DeviceState) -> Move:
        profile = request.findtext(f"{{{TPTZ}}}ProfileToken") or ""
        return Move(operation, profile, state.x, state.y, state.zoom)


class _DeviceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: DeviceState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class OnvifDevice:
    """One fake camera on its own port; `state` is what it has been asked and where it looks."""

    def __init__(self, user: str = "operator", password: str = "s3cret-pass") -> None:
        self.state = DeviceState(user, password)
        self._server = _DeviceServer(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.state.hang_s = 0.0
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def onvif_devices() -> Iterator[list[OnvifDevice]]:
    """Two cameras on 127.0.0.1, stopped after the test."""
    devices = [OnvifDevice(), OnvifDevice()]
    for device in devices:
        device.start()
    yield devices
    for device in devices:
        device.stop()
