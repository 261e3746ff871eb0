"""Incidents: the open alerts grouped one row per target, as the alert desk shows them.

One boat raises one alert per kind (`dark_target`, `high_speed`, `zone_entry` …); the operator
works the boat. Alerts group by the target they name, and a radar or camera track fused with an
AIS vessel groups with the vessel (from the live picture). Rows come highest level first, then
the one waiting longest first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict

from api.deps import Caller, Connection, Context
from api.picture import SEVERITY
from shorewatch.events import OPEN_STATES, Alert, AlertState, EventKind, Level
from shorewatch.store.alerts_repo import AlertsRepo

router = APIRouter(prefix="/incidents", tags=["alerts"])
MAX_ALERTS = 5000
_ORDER = {state: i for i, state in enumerate(AlertState)}


class Incident(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str
    """The target as the map draws it (a fused echo's alerts are under its vessel's key)."""
    targets: list[str]
    """Every target key the alerts name."""
    name: str | None
    mmsi: int | None
    kinds: list[EventKind]
    level: Level
    """The highest level among the alerts."""
    score: float
    state: AlertState
    """The least advanced state among them (a new alert makes the incident new)."""
    jurisdiction: str | None
    lat: float
    lon: float
    """Position of the most recently updated alert."""
    created_at: AwareDatetime
    """When its first alert opened."""
    updated_at: AwareDatetime
    age_s: float
    alert_ids: list[str]
    """Highest level first."""
    alerts: list[Alert]


def group(alerts: list[Alert], target_of: dict[str, str], now: datetime) -> list[Incident]:
    """One incident per target, highest level first, then the oldest first."""
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(target_of.get(alert.target, alert.target), []).append(alert)
    incidents = []
    for target, members in groups.items():
        members.sort(key=lambda a: (SEVERITY[a.level], -a.score, a.created_at, str(a.id)))
        top, latest = members[0], max(members, key=lambda a: a.updated_at)
        created = min(a.created_at for a in members)
        incidents.append(
            Incident(
                target=target,
                targets=sorted({a.target for a in members}),
                name=None,
                mmsi=None,
                kinds=sorted({a.kind for a in members}, key=list(EventKind).index),
                level=top.level,
                score=max(a.score for a in members),
                state=min((a.state for a in members), key=_ORDER.__getitem__),
                jurisdiction=top.jurisdiction,
                lat=latest.lat,
                lon=latest.lon,
                created_at=created,
                updated_at=latest.updated_at,
                age_s=round((now - created).total_seconds(), 1),
                alert_ids=[str(a.id) for a in members],
                alerts=members,
            )
        )
    incidents.sort(key=lambda i: (SEVERITY[i.level], i.created_at, i.target))
    return incidents


@router.get("", response_model=list[Incident])
def list_incidents(
    caller: Caller,
    conn: Connection,
    context: Context,
    state: Annotated[
        list[AlertState] | None, Query(description="Alert states to include; default: open.")
    ] = None,
    level: Annotated[list[Level] | None, Query()] = None,
    kind: EventKind | None = None,
) -> list[Incident]:
    """The caller's open alerts (those in its areas) as incidents, one row per target."""
    alerts = AlertsRepo().search(
        conn,
        states=state or sorted(OPEN_STATES, key=_ORDER.__getitem__),
        levels=level,
        kind=kind,
        limit=MAX_ALERTS,
        areas=caller.areas,
    )
    drawn = {a.target: context.picture.target_of(a.target) for a in alerts}
    target_of = {key: t.key for key, t in drawn.items() if t is not None}
    incidents = group(alerts, target_of, datetime.now(UTC))
    return [
        i.model_copy(update={"name": t.name, "mmsi": t.mmsi})
        if (t := context.picture.target_of(i.target)) is not None
        else i
        for i in incidents
    ]
