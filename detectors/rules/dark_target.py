"""Dark target: a radar or camera track that no AIS report vouches for, for longer than
`after_s` of its own observed life. Closes when an AIS vessel is associated, or the track ends."""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track
from shorewatch.episodes import closed, new_event
from shorewatch.events import Event, EventKind, Source

SCOPE = "dark_target"


def dark_target(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    if track.source is Source.AIS:
        return []
    open_event = track.episodes.get(SCOPE)
    if open_event is not None:
        if track.associated is None and not track.ended:
            return []
        del track.episodes[SCOPE]
        extra = (
            {"closed_by": "associated", "associated_with": track.associated}
            if track.associated
            else {"closed_by": "track_lost"}
        )
        return [closed(open_event, track.last_seen if track.ended else now, extra)]
    t = ctx.thresholds.dark_target
    since = track.marks.get("unassociated")
    if since is None or track.associated is not None or track.ended:
        return []
    dark_s = (track.last_seen - since).total_seconds()
    speed = track.speed_kn
    if dark_s < t.after_s or len(track.fixes) < t.min_fixes or (speed or 0.0) < t.min_speed_kn:
        return []
    fix = track.last
    facts: dict[str, float | int | str | bool] = {
        "dark_for_s": round(dark_s, 1),
        "source": track.source.value,
        "sensor_id": fix.sensor_id,
        "fixes": len(track.fixes),
    }
    if speed is not None:
        facts["sog_kn"] = round(speed, 1)
    if fix.cog_deg is not None:
        facts["cog_deg"] = fix.cog_deg
    event = new_event(
        EventKind.DARK_TARGET, (track.key,), since, fix.lat, fix.lon, facts, ctx.config_version
    )
    track.episodes[SCOPE] = event
    return [event]


RULE = Rule("dark_target", on_report=dark_target, on_tick=dark_target)
