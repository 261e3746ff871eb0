"""Issue 14, acceptance 4 (TAK and exports): alerts go out as Cursor-on-Target to a TAK endpoint
(here a TCP listener the test runs, decoding TAK protocol v1 frames with `takproto`, and a UDP
socket for XML), a crew's own CoT position comes in as a unit position, and the export
endpoint's GeoJSON is valid to shapely and its KML parses.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import httpx
import numpy as np
import pytest
import takproto
from shapely.geometry import shape

from app.composition import Service
from detectors.evidence import SnapshotWriter
from shorewatch.config.site import parse_config
from shorewatch.events import (
    Event,
    EventKind,
    Observation,
    PictureTrack,
    PictureUpdate,
    Source,
)
from tests.waiting import wait_for

TOKEN = "tak-test-token-0123456789abcdef"
ZONE = "[[11.25, 58.15], [11.35, 58.15], [11.35, 58.25], [11.25, 58.25], [11.25, 58.15]]"
KML = "{http://www.opengis.net/kml/2.2}"


class TakListener:
    """A TAK server's streaming input: accepts one client, splits TAK protocol v1 frames
    (0xbf, varint length, protobuf) and parses each with takproto."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        plain = socket.create_server(("127.0.0.1", 0))
        self.sock = plain if tls is None else tls.wrap_socket(plain, server_side=True)
        self.port = int(self.sock.getsockname()[1])
        self.peer_subject: Any = None
        self.messages: list[Any] = []
        self.raw = b""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:  # closed, or a TLS client the server refused
            return
        if isinstance(conn, ssl.SSLSocket):
            certificate = conn.getpeercert()
            self.peer_subject = None if certificate is None else certificate["subject"]
        conn.settimeout(0.2)
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                self.raw += chunk
                self._split()

    def _split(self) -> None:
        while self.raw:
            assert self.raw[0] == 0xBF, self.raw[:16]
            length, shift, pos = 0, 0, 1
            while True:
                if pos >= len(self.raw):
                    return
                byte = self.raw[pos]
                length |= (byte & 0x7F) << shift
                pos += 1
                if not byte & 0x80:
                    break
                shift += 7
            if len(self.raw) < pos + length:
                return
            frame, self.raw = self.raw[: pos + length], self.raw[pos + length :]
            self.messages.append(takproto.parse_proto(bytearray(frame)))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[TakListener]:
    server = TakListener()
    yield server
    server.close()


def test_an_alert_reaches_a_tak_server_as_cot_with_its_level_factors_and_snapshot(
    listener: TakListener, dsn: str, mqtt_url: str, topic_root: str, tmp_path: Path
) -> None:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(15)
    site = parse_config(
        f"""
version: test-tak
zones:
  - {{id: restricted-a, name: Restricted A, kind: restricted, points: 30, polygon: {ZONE}}}
tak:
  outputs:
    - {{url: "tcp://127.0.0.1:{listener.port}", protocol: stream, min_level: blue,
       link_base: "https://shorewatch.example"}}
    - {{url: "udp://127.0.0.1:{udp.getsockname()[1]}", protocol: xml, min_level: blue}}
""",
        "tak.yaml",
        Path(),
    )
    svc = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, roles=("alerts",), topic_root=topic_root,
        data_dir=tmp_path,
    )  # fmt: skip
    svc.start()
    try:
        event_id = uuid.uuid4()
        frame = np.full((48, 64, 3), 90, dtype=np.uint8)
        snapshot = SnapshotWriter(svc.snapshot_store).save(event_id, frame, (8, 8, 40, 30), "x")
        svc.publish_event(
            Event(
                id=event_id, kind=EventKind.DARK_TARGET, start=datetime.now(UTC), lat=58.20,
                lon=11.30, targets=("radar:mast-9",), zone="restricted-a",
                facts={"source": "radar", "sog_kn": 38.0}, config_version="test-tak",
                evidence=(snapshot,),
            )
        )  # fmt: skip
        alerts = wait_for(
            lambda: [m for m in listener.messages if m.cotEvent.uid.startswith("shorewatch.alert")],
            20,
        )
        datagram, _ = udp.recvfrom(65536)
        with svc.pool.connection() as conn:
            row = conn.execute("SELECT id, level, score FROM alerts").fetchone()
    finally:
        svc.stop()
        udp.close()
    zones = [m for m in listener.messages if m.cotEvent.uid == "shorewatch.zone.restricted-a"]
    assert zones, "the zones go out on connection"
    assert zones[0].cotEvent.type == "u-d-f"
    assert zones[0].cotEvent.detail.xmlDetail.count("<link point=") == 5

    cot = alerts[0].cotEvent
    assert row is not None
    alert_id, level, score = row
    assert cot.uid == f"shorewatch.alert.{alert_id}"
    assert cot.type == {"red": "a-h-S", "orange": "a-s-S"}.get(level, "a-u-S")
    assert (cot.lat, cot.lon) == (pytest.approx(58.20), pytest.approx(11.30))
    assert cot.staleTime - cot.sendTime == 600_000
    assert cot.detail.contact.callsign == f"{level.upper()} dark_target radar:mast-9"
    detail = cot.detail.xmlDetail
    assert f"level {level}, score {score:.0f}" in detail
    assert "no_ais +" in detail  # the factors, as the alert explains itself
    assert "restricted_zone" in detail or "zone restricted-a" in detail
    assert f'url="https://shorewatch.example/api/v1/events/{event_id}/snapshot"' in detail
    assert f'url="https://shorewatch.example/api/v1/alerts/{alert_id}"' in detail

    # The UDP output is plain CoT XML; takproto reads that too.
    parsed = takproto.parse_proto(bytearray(datagram))
    assert parsed is not None
    assert parsed.cotEvent.uid in (f"shorewatch.alert.{alert_id}", "shorewatch.zone.restricted-a")


def test_the_fused_picture_reaches_tak_alerted_targets_coloured_by_their_alert(
    listener: TakListener, dsn: str, mqtt_url: str, topic_root: str
) -> None:
    """With `tracks: alerted` (the default) the dark speedboat with an open alert goes out as a
    hostile marker with its vector, fused echo and all; the fishing vessel with no alert does
    not. A target the picture drops is no longer re-sent. The red band is lowered to the
    speedboat's daytime score (no_ais 40 + speed 30; night adds 10 after dusk): red, and so
    hostile, whatever the hour the test runs at."""
    site = parse_config(
        f"""
version: test-tak-tracks
alerts:
  levels: {{red: 70, orange: 60, yellow: 40}}
tak:
  outputs:
    - {{url: "tcp://127.0.0.1:{listener.port}", protocol: stream, min_level: blue,
       tracks_every_s: 0.3}}
""",
        "tak-tracks.yaml",
        Path(),
    )
    svc = Service(site, dsn=dsn, mqtt_url=mqtt_url, roles=("alerts",), topic_root=topic_root)
    svc.start()
    now = datetime.now(UTC)
    boat = PictureTrack(
        key="radar:mast-9-17", sources=(Source.RADAR,), lat=58.20, lon=11.30, sog_kn=38.0,
        cog_deg=95.0, last_seen=now,
    )  # fmt: skip
    fisher = PictureTrack(
        key="ais:265000001", sources=(Source.AIS,), mmsi=265000001, name="FISKAREN",
        lat=58.21, lon=11.31, sog_kn=4.0, cog_deg=10.0, last_seen=now,
    )  # fmt: skip
    try:
        svc.publish_event(
            Event(
                id=uuid.uuid4(), kind=EventKind.DARK_TARGET, start=now, lat=58.20, lon=11.30,
                targets=("radar:mast-9-17",), facts={"source": "radar", "sog_kn": 38.0},
                config_version="test-tak-tracks",
            )
        )  # fmt: skip
        tak = svc.tak_out
        assert tak is not None
        wait_for(lambda: "radar:mast-9-17" in tak.tracks.alerted_targets(), 20)
        svc.publish_picture(PictureUpdate(tile="t", time=now, tracks=(boat, fisher)))
        marker = wait_for(
            lambda: [m for m in listener.messages if m.cotEvent.uid.startswith("shorewatch.track")],
            20,
        )[-1]
        svc.publish_picture(PictureUpdate(tile="t", time=now, removed=("radar:mast-9-17",)))
        wait_for(lambda: tak.tracks.keys() == {"ais:265000001"}, 10)
        time.sleep(0.4)  # a period for a send that had already begun
        count = len(listener.messages)
        time.sleep(1.0)  # three periods more: no marker for it
        later = listener.messages[count:]
    finally:
        svc.stop()
    sent = {m.cotEvent.uid for m in listener.messages}
    assert "shorewatch.track.ais:265000001" not in sent  # no alert: not for this output
    assert not [m for m in later if m.cotEvent.uid.startswith("shorewatch.track")]
    cot = marker.cotEvent
    assert cot.uid == "shorewatch.track.radar:mast-9-17"
    assert cot.type == "a-h-S"  # the dark target's alert is red
    assert (cot.lat, cot.lon) == (pytest.approx(58.20), pytest.approx(11.30))
    assert cot.detail.track.course == pytest.approx(95.0)
    assert cot.detail.track.speed == pytest.approx(38.0 * 1852 / 3600, abs=0.01)
    assert cot.staleTime - cot.sendTime == pytest.approx(900, abs=2)  # three periods
    assert "alert red" in cot.detail.xmlDetail


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _certificates(folder: Path) -> dict[str, Path]:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate (TAK
    servers ask their clients for one), made with the openssl command line."""
    files = {name: folder / name for name in ("ca.pem", "ca.key", "server.pem", "server.key",
                                              "client.pem", "client.key")}  # fmt: skip
    ca_key, ca = str(files["ca.key"]), str(files["ca.pem"])
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=test TAK CA", "-keyout", ca_key, "-out", ca)  # fmt: skip
    for who, extension in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "")):
        csr = folder / f"{who}.csr"
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=shorewatch {who}",
                 "-keyout", str(files[f"{who}.key"]), "-out", str(csr))  # fmt: skip
        ext = folder / f"{who}.ext"
        ext.write_text(extension + "\n" if extension else "basicConstraints=CA:FALSE\n")
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(files["ca.pem"]), "-CAkey",
                 str(files["ca.key"]), "-CAcreateserial", "-days", "1", "-extfile", str(ext),
                 "-out", str(files[f"{who}.pem"]))  # fmt: skip
    return files


def test_an_alert_reaches_a_tak_server_over_tls_with_a_client_certificate(
    dsn: str, mqtt_url: str, topic_root: str, tmp_path: Path
) -> None:
    files = _certificates(tmp_path)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(files["server.pem"], files["server.key"])
    server.load_verify_locations(files["ca.pem"])
    server.verify_mode = ssl.CERT_REQUIRED  # as a TAK server's streaming TLS input does
    listener = TakListener(server)
    site = parse_config(
        f"""
version: test-tak-tls
tak:
  outputs:
    - {{url: "tls://127.0.0.1:{listener.port}", protocol: stream, min_level: blue,
       ca_file: "{files["ca.pem"]}", cert_file: "{files["client.pem"]}",
       key_file: "{files["client.key"]}"}}
""",
        "tak-tls.yaml",
        Path(),
    )
    svc = Service(site, dsn=dsn, mqtt_url=mqtt_url, roles=("alerts",), topic_root=topic_root)
    svc.start()
    try:
        svc.publish_event(
            Event(
                id=uuid.uuid4(), kind=EventKind.DARK_TARGET, start=datetime.now(UTC), lat=58.20,
                lon=11.30, targets=("radar:mast-9",), facts={"source": "radar", "sog_kn": 38.0},
                config_version="test-tak-tls",
            )
        )  # fmt: skip
        alerts = wait_for(
            lambda: [m for m in listener.messages if m.cotEvent.uid.startswith("shorewatch.alert")],
            20,
        )
    finally:
        svc.stop()
        listener.close()
    assert alerts[0].cotEvent.detail.contact.callsign.endswith("dark_target radar:mast-9")
    assert listener.peer_subject == ((("commonName", "shorewatch client"),),)


def cot_xml(uid: str, callsign: str, lat: float, lon: float, at: datetime) -> bytes:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    stale = (at + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><event version="2.0" uid="{uid}" type="a-f-S-X" '
        f'how="m-g" time="{stamp}" start="{stamp}" stale="{stale}"><point lat="{lat}" '
        f'lon="{lon}" hae="0" ce="5" le="9999999"/><detail><contact callsign="{callsign}"/>'
        '<track speed="10.29" course="215.0"/><__group name="Cyan" role="Team Member"/></detail>'
        "</event>"
    ).encode()


def test_a_crews_cot_position_becomes_a_unit_position(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    site = parse_config(
        """
version: test-tak-in
units:
  - {id: rib-1, name: "Smögen RIB", kind: sea, unit_type: rib, home_lat: 58.354,
     home_lon: 11.226, max_speed_kn: 45}
tak:
  inputs: [{id: tak-mesh, host: 127.0.0.1, port: 0}]
  units: {ANDROID-5f2a9c: rib-1, "SMOGEN RIB": rib-1}
""",
        "tak-in.yaml",
        Path(),
    )
    svc = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, roles=("ingest", "recorder"), topic_root=topic_root
    )
    svc.start()
    try:
        port = svc.udp_ports["tak-mesh"]
        now = datetime.now(UTC).replace(microsecond=0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            # An XML report by uid, a protobuf (mesh) one by callsign, a stranger, garbage.
            out.sendto(cot_xml("ANDROID-5f2a9c", "RIB", 58.30, 11.25, now), ("127.0.0.1", port))
            later = now + timedelta(seconds=10)
            mesh = takproto.xml2proto(
                cot_xml("ANDROID-other", "SMOGEN RIB", 58.31, 11.26, later).decode(),
                takproto.TAKProtoVer.MESH,
            )
            out.sendto(bytes(mesh), ("127.0.0.1", port))
            out.sendto(cot_xml("ANDROID-x", "FISHER", 58.0, 11.0, now), ("127.0.0.1", port))
            out.sendto(b"<event><unclosed>", ("127.0.0.1", port))

        def fixes() -> list[tuple[Any, ...]]:
            with svc.pool.connection() as conn:
                return conn.execute(
                    "SELECT time, lat, lon, sog_kn, cog_deg FROM unit_positions "
                    "WHERE unit_id = 'rib-1' ORDER BY time"
                ).fetchall()

        rows = wait_for(lambda: len(fixes()) >= 2 and fixes(), 15)
        receiver = svc.tak_receivers["tak-mesh"]
        wait_for(lambda: receiver.counts["invalid"] >= 1, 5)
    finally:
        svc.stop()
    assert rows[0][0] == now
    assert (rows[0][1], rows[0][2]) == (pytest.approx(58.30), pytest.approx(11.25))
    assert rows[0][3] == pytest.approx(20.0, abs=0.01)  # 10.29 m/s
    assert rows[0][4] == pytest.approx(215.0)
    assert rows[1][0] == later
    assert (rows[1][1], rows[1][2]) == (pytest.approx(58.31), pytest.approx(11.26))
    assert receiver.counts == {"position": 2, "unknown_sender": 1, "invalid": 1}
    counted = svc.metrics.registry.get_sample_value(
        "shorewatch_ingest_lines_total",
        {"source": "tak", "sensor": "tak-mesh", "outcome": "unknown_sender"},
    )
    assert counted == 1


def test_export_gives_valid_geojson_and_kml_of_tracks_alerts_and_zones(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    site = parse_config(
        f"""
version: test-export
zones:
  - {{id: restricted-a, name: Restricted A, kind: restricted, points: 30, polygon: {ZONE}}}
  - {{id: far-away, name: Far, kind: restricted,
     polygon: [[14, 60], [14.1, 60], [14.1, 60.1], [14, 60]]}}
store: {{flush_interval_s: 0.1}}
""",
        "export.yaml",
        Path(),
    )
    svc = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, roles=("recorder", "alerts", "api"),
        api_token=TOKEN, api_port=0, topic_root=topic_root,
    )  # fmt: skip
    svc.start()
    try:
        now = datetime.now(UTC)
        publish = svc.publish_observation("rx-1")
        for step in range(4):
            publish(
                Observation(
                    source=Source.AIS, sensor_id="rx-1", target_ref="265000001",
                    time=now - timedelta(seconds=60 - 10 * step), lat=58.20 + 0.001 * step,
                    lon=11.30, sog_kn=6.0, cog_deg=0.0,
                )
            )  # fmt: skip
        svc.publish_event(
            Event(
                id=uuid.uuid4(), kind=EventKind.ZONE_ENTRY, start=now, lat=58.21, lon=11.31,
                targets=("ais:265000001",), zone="restricted-a", config_version="test-export",
            )
        )  # fmt: skip
        with httpx.Client(
            base_url=f"http://127.0.0.1:{svc.api_port}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ) as api:
            params = {"bbox": "11.0,58.0,11.6,58.4"}

            def geojson() -> dict[str, Any]:
                got = api.get("/api/v1/export", params={**params, "format": "geojson"})
                assert got.status_code == 200, got.text
                assert got.headers["content-type"] == "application/geo+json"
                body: dict[str, Any] = got.json()
                return body

            def complete() -> dict[str, Any] | None:
                """All three layers, and the track with all four fixes stored."""
                body = geojson()
                layers = {f["properties"]["layer"] for f in body["features"]}
                points = [f["properties"].get("points") for f in body["features"]]
                whole = layers == {"tracks", "alerts", "zones"} and 4 in points
                return body if whole else None

            collection = wait_for(complete, 15)
            kml = api.get("/api/v1/export", params={**params, "format": "kml"})
            only_zones = api.get("/api/v1/export", params={**params, "layers": "zones"}).json()
            bad = api.get("/api/v1/export", params={"bbox": "11,58,20,59"})
    finally:
        svc.stop()

    assert collection["type"] == "FeatureCollection"
    by_layer: dict[str, list[dict[str, Any]]] = {}
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, feature
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature)
    (track,) = by_layer["tracks"]
    assert track["id"] == "ais:265000001"
    assert shape(track["geometry"]).geom_type == "LineString"
    assert len(shape(track["geometry"]).coords) == 4
    (alert,) = by_layer["alerts"]
    assert alert["properties"]["kind"] == "zone_entry"
    assert shape(alert["geometry"]).within(shape(by_layer["zones"][0]["geometry"]))
    assert [z["id"] for z in by_layer["zones"]] == ["restricted-a"]  # far-away is outside
    assert shape(by_layer["zones"][0]["geometry"]).area == pytest.approx(0.01)
    assert {f["properties"]["layer"] for f in only_zones["features"]} == {"zones"}
    assert bad.status_code == 422

    assert kml.status_code == 200
    assert kml.headers["content-type"] == "application/vnd.google-earth.kml+xml"
    root = SafeET.parse(BytesIO(kml.content)).getroot()
    assert root.tag == f"{KML}kml"
    folders = {
        f.findtext(f"{KML}name"): f.findall(f"{KML}Placemark") for f in root.iter(f"{KML}Folder")
    }
    assert {k: len(v) for k, v in folders.items()} == {"tracks": 1, "alerts": 1, "zones": 1}
    line = folders["tracks"][0].find(f"{KML}LineString/{KML}coordinates")
    assert line is not None
    assert line.text is not None
    assert len(line.text.split()) == 4
    ring = folders["zones"][0].find(f".//{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates")
    assert isinstance(ring, ET.Element)
    assert ring.text is not None
    assert ring.text.split()[0] == "11.250000,58.150000"
