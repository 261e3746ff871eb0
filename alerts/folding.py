"""Folding events into alerts in memory, against what a batch read from the store once.

The alerts worker reads, for a whole batch of events, the open alerts of every target they
speak of, those alerts' events and the silences in force, then folds the events here one after
another in arrival order: each sees the alerts as the events before it left them, exactly as if
each had been its own transaction. What changed is collected (the alerts' final rows, the audit
lines in order, the counts for /metrics) for the caller to write in a few multi-row statements.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from alerts.scoring import grade, score_factors
from alerts.silences import inhibiting, linked_targets, silencing, with_silence
from shorewatch.config.site import SiteConfig
from shorewatch.events import Alert, AlertState, Event, Level
from shorewatch.store.alerts_repo import HistoryRow
from shorewatch.store.silences_repo import Silence
from shorewatch.zones import Zone

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Folded:
    """What one event did: the alert it landed in (None: it changed no alert) and every alert
    it changed, in the order they changed."""

    host: Alert | None
    changed: list[Alert]


@dataclass
class Batch:
    """The store as the batch's events see it, kept up to date as they are folded."""

    silences: list[Silence]
    by_target: dict[str, dict[uuid.UUID, Alert]] = field(default_factory=dict)
    """Open alerts by target, as folded so far."""
    stored: dict[uuid.UUID, list[Event]] = field(default_factory=dict)
    """Rows of the events table by id (id and start are its key), for the events of those
    alerts and the batch's own."""
    written: dict[uuid.UUID, Alert] = field(default_factory=dict)
    """Alerts to write, in their final state, in the order they first changed."""
    history: list[HistoryRow] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    """Alert changes by action, counted on /metrics once the batch commits."""

    @classmethod
    def of(
        cls, open_alerts: Iterable[Alert], stored: Iterable[Event], silences: list[Silence]
    ) -> Batch:
        batch = cls(silences)
        for alert in open_alerts:
            batch.by_target.setdefault(alert.target, {})[alert.id] = alert
        for event in stored:
            batch.stored.setdefault(event.id, []).append(event)
        return batch

    def open_for(self, targets: Iterable[str]) -> list[Alert]:
        """Open alerts of these targets in id order, the order the store locks them in."""
        found = [a for t in targets for a in self.by_target.get(t, {}).values()]
        return sorted(found, key=lambda a: a.id)

    def events_of(self, alerts: Iterable[Alert]) -> list[Event]:
        ids = {i for a in alerts for i in a.event_ids}
        return [e for i in ids for e in self.stored.get(i, [])]

    def store_event(self, event: Event, is_new: bool) -> None:
        """The events table after this event's upsert: a new row, or the stored one updated as
        `EventsRepo.upsert` updates it (a closing re-publication)."""
        rows = self.stored.get(event.id)
        if is_new:
            self.stored.setdefault(event.id, []).append(event)
        elif rows is not None:
            update = {
                "end": event.end,
                "lat": event.lat,
                "lon": event.lon,
                "facts": event.facts,
                "evidence": event.evidence,
            }
            self.stored[event.id] = [
                r.model_copy(update=update) if r.start == event.start else r for r in rows
            ]

    def write(self, alert: Alert) -> None:
        self.by_target.setdefault(alert.target, {})[alert.id] = alert
        self.written[alert.id] = alert

    def record(
        self, alert: Alert, action: str, from_state: AlertState | None, note: str, at: datetime
    ) -> None:
        self.history.append(
            HistoryRow(
                alert_id=alert.id,
                actor=SYSTEM_ACTOR,
                action=action,
                from_state=from_state,
                to_state=alert.state,
                note=note,
                at=at,
            )
        )
        self.counts[action] += 1


class Folder:
    """Scoring, inhibition, silences and jurisdiction for one event at a time (the rules of
    docs/alerts.md); it reads and writes only the `Batch`."""

    def __init__(
        self,
        site: SiteConfig,
        zones: Mapping[str, Zone],
        jurisdiction_of: Callable[[float, float], str | None],
    ) -> None:
        self._site = site
        self._zones = zones
        self._jurisdiction_of = jurisdiction_of

    def fold(self, batch: Batch, event: Event, is_new: bool, now: datetime) -> Folded:
        batch.store_event(event, is_new)
        open_alerts = batch.open_for(sorted(linked_targets(event)))
        if any(event.id in a.event_ids for a in open_alerts):
            return Folded(None, [])  # a known episode re-published (closed): row updated
        if not is_new:
            return Folded(None, [])  # replay of an event whose alert is already closed
        host, inhibited = self._host(event, open_alerts)
        target = host.target if host is not None else event.primary_target
        group = [a for a in open_alerts if a.target == target]
        evidence = [e for e in batch.events_of(group) if e.id != event.id] + [event]
        if host is None:
            base, action = self._new_alert(event, now), "created"
            note = f"{event.kind.value} on {event.primary_target}"
        else:
            base, action = self._merge(host, event, now), "inhibited" if inhibited else "updated"
            note = f"{event.kind.value} event {event.id} folded in"
        silence = silencing(batch.silences, base, base.zone, now)
        base = with_silence(base, silence is not None, now)
        alert = self._scored(base, evidence, silenced=silence is not None)
        batch.write(alert)
        if silence is not None:
            note += f"; silenced by {silence.id} ({silence.created_by}: {silence.reason})"
            batch.counts["silenced"] += 1
        batch.record(
            alert,
            action,
            host.state if host is not None else None,
            f"{note}; score {alert.score:.0f} {alert.level.value}",
            now,
        )
        changed = [alert]
        for sibling in group:
            if sibling.id != alert.id:
                rescored = self._rescore(batch, sibling, evidence, event, now)
                changed += [rescored] if rescored is not None else []
        return Folded(alert, changed)

    def _host(self, event: Event, open_alerts: list[Alert]) -> tuple[Alert | None, bool]:
        """The open alert the event belongs in, and whether an inhibition rule sent it there."""
        host = inhibiting(event, self._site.alerts.inhibit, open_alerts)
        if host is not None:
            return host, True
        same = (a for a in open_alerts if a.kind == event.kind and a.target == event.primary_target)
        return next(same, None), False

    def _scored(self, alert: Alert, evidence: list[Event], *, silenced: bool) -> Alert:
        config = self._site.alerts
        factors = score_factors(evidence, alert.event_count, config, self._zones)
        score, level = grade(factors, config, alert.escalations)
        return alert.model_copy(
            update={"factors": factors, "score": score, "level": level, "silenced": silenced}
        )

    def _rescore(
        self, batch: Batch, sibling: Alert, evidence: list[Event], event: Event, now: datetime
    ) -> Alert | None:
        """Another open alert of the same target, re-scored on the new evidence; None when
        its score and factors did not change."""
        alert = self._scored(sibling, evidence, silenced=sibling.silenced)
        if alert.factors == sibling.factors and alert.level == sibling.level:
            return None
        alert = alert.model_copy(update={"updated_at": now})
        batch.write(alert)
        batch.record(
            alert,
            "rescored",
            sibling.state,
            (
                f"{event.kind.value} event {event.id} on the same target; score "
                f"{sibling.score:.0f} {sibling.level.value} -> {alert.score:.0f} "
                f"{alert.level.value}"
            ),
            now,
        )
        return alert

    def _new_alert(self, event: Event, now: datetime) -> Alert:
        """Unscored: `_scored` fills in factors, score and level from the target's evidence."""
        latest, seen = self._areas(None, event)
        return Alert(
            id=uuid.uuid4(),
            kind=event.kind,
            target=event.primary_target,
            score=0.0,
            level=Level.BLUE,
            state=AlertState.NEW,
            lat=event.lat,
            lon=event.lon,
            zone=event.zone,
            jurisdiction=latest,
            jurisdictions=seen,
            event_ids=(event.id,),
            event_count=1,
            created_at=now,
            updated_at=now,
        )

    def _areas(self, current: Alert | None, event: Event) -> tuple[str | None, tuple[str, ...]]:
        """The event's jurisdiction (the latest), and it added to those the alert has been in."""
        latest = self._jurisdiction_of(event.lat, event.lon)
        seen = set() if current is None else set(current.all_jurisdictions())
        seen |= {latest} if latest is not None else set()
        return latest, tuple(sorted(seen))

    def _merge(self, current: Alert, event: Event, now: datetime) -> Alert:
        latest, seen = self._areas(current, event)
        return current.model_copy(
            update={
                "lat": event.lat,
                "lon": event.lon,
                "zone": event.zone or current.zone,
                "jurisdiction": latest,
                "jurisdictions": seen,
                "event_ids": (*current.event_ids, event.id),
                "event_count": current.event_count + 1,
                "updated_at": now,
            }
        )
