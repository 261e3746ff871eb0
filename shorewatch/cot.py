"""Cursor-on-Target: alerts and zones as CoT events for TAK clients, and crews' CoT back in.

Pure text and bytes, no sockets, so the alerts stage (TAK out) and ingest (crews' positions in)
share one reading of the format. CoT is XML (`<event><point/><detail/></event>`); TAK servers
and clients also speak "TAK Protocol Version 1", the same event as protobuf (`takproto`): a
`0xbf` byte then a varint length on a stream, `0xbf 0x01 0xbf` on a mesh (UDP) datagram.
Types follow MIL-STD-2525 in CoT's atom notation: `a-h-S` hostile surface, `a-u-S` unknown
surface, `a-n-S` neutral surface (an identified AIS vessel with no alert), `u-d-f` a drawn free
shape.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import defusedxml.ElementTree as SafeET
import takproto
from shapely.geometry import MultiPolygon, Polygon

from shorewatch.events import Alert, Level, PictureTrack
from shorewatch.zones import Zone

HOW_MACHINE = "m-g"  # machine-generated, GPS-derived or computed
UNKNOWN = 9_999_999.0  # CoT's "not known" for ce, le and hae
LEVEL_TYPE = {
    Level.RED: "a-h-S",
    Level.ORANGE: "a-s-S",  # suspect
    Level.YELLOW: "a-u-S",
    Level.BLUE: "a-u-S",
}
KNOT_MPS = 1852.0 / 3600.0
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
ZONE_COLOURS = {"restricted": "-65536", "landing": "-256", "coastline": "-16776961"}


class Protocol(StrEnum):
    XML = "xml"
    STREAM = "stream"  # TAK protocol v1 over TCP/TLS
    MESH = "mesh"  # TAK protocol v1 over UDP / multicast


class CotError(ValueError):
    """Bytes that are not a CoT event with a position."""


@dataclass(frozen=True)
class CotPosition:
    uid: str
    type: str
    callsign: str | None
    time: datetime
    lat: float
    lon: float
    speed_mps: float | None
    course_deg: float | None


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def _event(uid: str, cot_type: str, now: datetime, stale_s: float) -> ET.Element:
    return ET.Element(
        "event",
        version="2.0",
        uid=uid,
        type=cot_type,
        how=HOW_MACHINE,
        time=_iso(now),
        start=_iso(now),
        stale=_iso(now + timedelta(seconds=stale_s)),
    )


def _point(event: ET.Element, lat: float, lon: float, ce: float = UNKNOWN) -> None:
    ET.SubElement(
        event,
        "point",
        lat=f"{lat:.6f}",
        lon=f"{lon:.6f}",
        hae=f"{UNKNOWN:.1f}",
        ce=f"{ce:.1f}",
        le=f"{UNKNOWN:.1f}",
    )


def alert_uid(alert: Alert) -> str:
    return f"shorewatch.alert.{alert.id}"


def alert_event(
    alert: Alert,
    now: datetime,
    *,
    stale_s: float,
    evidence: Sequence[str] = (),
    link_base: str | None = None,
) -> str:
    """One alert as a CoT marker: its level in the type and the callsign, its score factors
    in the remarks, links to its page and snapshots (absolute when `link_base` is given)."""
    event = _event(alert_uid(alert), LEVEL_TYPE[alert.level], now, stale_s)
    _point(event, alert.lat, alert.lon, ce=50.0)
    detail = ET.SubElement(event, "detail")
    ET.SubElement(
        detail, "contact", callsign=f"{alert.level.value.upper()} {alert.kind.value} {alert.target}"
    )
    factors = "; ".join(
        f"{f.name} {f.points:+.0f}" + (f" ({f.detail})" if f.detail else "") for f in alert.factors
    )
    ET.SubElement(detail, "remarks").text = (
        f"level {alert.level.value}, score {alert.score:.0f}, state {alert.state.value}, "
        f"kind {alert.kind.value}, target {alert.target}"
        + (f", zone {alert.zone}" if alert.zone else "")
        + (f"; {factors}" if factors else "")
    )
    base = (link_base or "").rstrip("/")
    links = [(f"/api/v1/alerts/{alert.id}", "alert")] + [(e, "snapshot") for e in evidence]
    for url, relation in links:
        ET.SubElement(detail, "link", url=base + url, relation="r-u", remarks=relation, mime="")
    ET.SubElement(
        detail,
        "shorewatch",
        level=alert.level.value,
        score=f"{alert.score:.1f}",
        alert=str(alert.id),
        state=alert.state.value,
    )
    return ET.tostring(event, encoding="unicode")


def track_uid(key: str) -> str:
    return f"shorewatch.track.{key}"


def track_event(
    track: PictureTrack, now: datetime, *, stale_s: float, level: Level | None = None
) -> str:
    """One target of the fused picture as a CoT marker: hostile/suspect/unknown by its open
    alert's `level`, neutral when AIS names it and nothing is open; course and speed in
    `track` (m/s, as CoT has them) so TAK clients draw its vector."""
    if level is not None:
        cot_type = LEVEL_TYPE[level]
    else:
        cot_type = "a-n-S" if track.mmsi is not None else "a-u-S"
    event = _event(track_uid(track.key), cot_type, now, stale_s)
    _point(event, track.lat, track.lon, ce=UNKNOWN)
    detail = ET.SubElement(event, "detail")
    ET.SubElement(detail, "contact", callsign=track.name or track.callsign or track.key)
    if track.cog_deg is not None or track.sog_kn is not None:
        ET.SubElement(
            detail,
            "track",
            course=f"{track.cog_deg or 0.0:.1f}",
            speed=f"{(track.sog_kn or 0.0) * KNOT_MPS:.2f}",
        )
    facts = [
        f"sources {'+'.join(s.value for s in track.sources)}",
        *([f"MMSI {track.mmsi}"] if track.mmsi is not None else []),
        *([f"type {track.ship_type_text}"] if track.ship_type_text else []),
        *([f"fused with {', '.join(track.associated)}"] if track.associated else []),
        *([f"alert {level.value}"] if level is not None else []),
        *(["watch list"] if track.watchlisted else []),
        f"last fix {_iso(track.last_seen)}",
    ]
    ET.SubElement(detail, "remarks").text = f"{track.key}: " + "; ".join(facts)
    return ET.tostring(event, encoding="unicode")


def zone_event(zone: Zone, now: datetime, *, stale_s: float) -> str:
    """A zone as a TAK drawing (closed shape of `link point`s); multipolygons: the largest."""
    geometry = zone.geometry
    if isinstance(geometry, MultiPolygon):
        geometry = max(geometry.geoms, key=lambda g: g.area)
    if not isinstance(geometry, Polygon):
        raise CotError(f"zone {zone.id}: not a polygon")
    event = _event(f"shorewatch.zone.{zone.id}", "u-d-f", now, stale_s)
    centre = geometry.centroid
    _point(event, centre.y, centre.x)
    detail = ET.SubElement(event, "detail")
    for lon, lat, *_ in geometry.exterior.coords:
        ET.SubElement(detail, "link", point=f"{lat:.6f},{lon:.6f}")
    ET.SubElement(detail, "contact", callsign=zone.name)
    ET.SubElement(detail, "strokeColor", value=ZONE_COLOURS.get(zone.kind, "-1"))
    ET.SubElement(detail, "remarks").text = f"{zone.kind} zone {zone.id}, {zone.points:g} points"
    return ET.tostring(event, encoding="unicode")


def encode(xml: str, protocol: Protocol) -> bytes:
    """The bytes to send: XML as is, or TAK protocol v1 (stream or mesh framing)."""
    if protocol is Protocol.XML:
        return (XML_DECLARATION + xml).encode()
    version = (
        takproto.TAKProtoVer.STREAM if protocol is Protocol.STREAM else takproto.TAKProtoVer.MESH
    )
    return bytes(takproto.xml2proto(xml, version))


def parse_position(data: bytes) -> CotPosition:
    """A CoT event in XML or TAK protocol v1 (mesh datagram or one stream frame)."""
    if data[:1] == b"\xbf":
        message = takproto.parse_proto(bytearray(data))
        if message is None:
            raise CotError("not a TAK protocol message")
        return _from_proto(message)
    try:
        event = SafeET.fromstring(data)  # crews' devices and relays: no entities, no DTDs
    except (ET.ParseError, ValueError) as exc:
        raise CotError(f"not XML: {exc}") from exc
    return _from_xml(event)


def _from_proto(message: Any) -> CotPosition:
    cot = message.cotEvent
    if not cot.uid or not cot.type:
        raise CotError("protobuf CoT without uid or type")
    detail = cot.detail
    track = detail.track if detail.HasField("track") else None
    return CotPosition(
        uid=cot.uid,
        type=cot.type,
        callsign=detail.contact.callsign or None if detail.HasField("contact") else None,
        time=datetime.fromtimestamp(cot.sendTime / 1000.0, UTC),
        lat=_lat(cot.lat),
        lon=_lon(cot.lon),
        speed_mps=track.speed if track is not None else None,
        course_deg=track.course if track is not None else None,
    )


def _from_xml(event: ET.Element) -> CotPosition:
    if event.tag != "event":
        raise CotError(f"root element {event.tag!r}, not event")
    point = event.find("point")
    uid, cot_type, time = event.get("uid"), event.get("type"), event.get("time")
    if point is None or not uid or not cot_type or not time:
        raise CotError("CoT event without uid, type, time or point")
    contact = event.find("detail/contact")
    track = event.find("detail/track")
    try:
        return CotPosition(
            uid=uid,
            type=cot_type,
            callsign=contact.get("callsign") if contact is not None else None,
            time=datetime.fromisoformat(time.replace("Z", "+00:00")),
            lat=_lat(float(point.get("lat", "nan"))),
            lon=_lon(float(point.get("lon", "nan"))),
            speed_mps=_optional(track, "speed"),
            course_deg=_optional(track, "course"),
        )
    except ValueError as exc:
        raise CotError(str(exc)) from exc


def _optional(element: ET.Element | None, attr: str) -> float | None:
    value = None if element is None else element.get(attr)
    return None if value is None else float(value)


def _lat(value: float) -> float:
    if not -90.0 <= value <= 90.0:
        raise CotError(f"latitude {value} out of range")
    return value


def _lon(value: float) -> float:
    if not -180.0 <= value <= 180.0:
        raise CotError(f"longitude {value} out of range")
    return value
