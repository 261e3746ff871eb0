"""Silences and inhibition: the two ways an alert is kept quiet without losing its evidence.

A silence (set by a person, with an expiry and a reason) mutes notification the way
Alertmanager does: the event is stored, the alert is opened or updated and counted as usual,
but it is marked `silenced` and not pushed to the bus, the live feed or the escalation sweep.
Whether an alert is silenced is decided again at each of its events, against the silences in
force at that moment (the service's clock), so an alert wakes up with its first event after the
silence ends.

An inhibition rule (site YAML) folds an event into another open alert of the same target
instead of letting it raise its own: a camera sighting of a dark target adds evidence to that
alert rather than a second line for the same boat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from shorewatch.config.alerts import InhibitRule
from shorewatch.events import Alert, Event
from shorewatch.store.silences_repo import Silence

_LINK_FACTS = ("associated_with", "track")


def silencing(
    silences: Iterable[Silence],
    alert: Alert,
    zone: str | None,
    at: datetime,
) -> Silence | None:
    """The first silence in force at `at` that matches the alert (in `zone`, where its latest
    event happened), or None."""
    return next(
        (
            s
            for s in silences
            if s.active(at) and s.matches(alert.kind, alert.target, zone, alert.jurisdiction)
        ),
        None,
    )


def linked_targets(event: Event) -> frozenset[str]:
    """The targets an event speaks of: its own, and a track it names as the same object
    (a camera track fused with a radar track says so in `associated_with`)."""
    linked = {v for k in _LINK_FACTS if isinstance(v := event.facts.get(k), str)}
    return frozenset(event.targets) | linked


def inhibiting(
    event: Event, rules: Sequence[InhibitRule], open_alerts: Sequence[Alert]
) -> Alert | None:
    """The open alert that this event folds into under the first matching rule, or None."""
    targets = linked_targets(event)
    for rule in rules:
        if rule.event != event.kind:
            continue
        host = next((a for a in open_alerts if a.kind == rule.into and a.target in targets), None)
        if host is not None:
            return host
    return None
