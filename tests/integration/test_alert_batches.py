"""Issue 12: the alerts worker folds a batch of events in a handful of statements. A batch must
leave exactly what handling its events one by one leaves (alerts, audit lines, event rows, what
is published), a redelivered batch must change nothing, and a bad event must not sink the rest.
Real PostgreSQL; both ways run in one database on targets of their own (`one:` and `batch:`).
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from shorewatch.events import Alert, Event, EventKind, FactValue
from tests.alerting import IN_A, IN_B, IN_C, NOON, Rig, event, running, site

MIN = timedelta(minutes=1)
DARK: dict[str, FactValue] = {"source": "radar", "dark_for_s": 130.0, "sog_kn": 12.0}
FAST: dict[str, FactValue] = {
    "sog_kn": 41.0,
    "source": "radar",
    "identified": False,
    "heading_to_shore": True,
}
Snapshot = tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]


@pytest.fixture
def rig(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Rig]:
    with running(site(), dsn, mqtt_url, topic_root) as rig:
        created = rig.api.post(
            "/api/v1/silences",
            json={
                "kind": "loitering",
                "reason": "fishing fleet on the bank",
                "ends_at": (NOON + timedelta(hours=6)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        yield rig


def scripted(p: str) -> list[Event]:
    """Several events per target, inhibition, a silenced kind, repeats and redeliveries."""
    dark = event(EventKind.DARK_TARGET, f"{p}:boat", DARK, at=NOON)
    again = event(EventKind.DARK_TARGET, f"{p}:boat", DARK, at=NOON + 3 * MIN, where=IN_B)
    fast = event(EventKind.HIGH_SPEED, f"{p}:boat", FAST, at=NOON + 4 * MIN)
    closed = again.model_copy(update={"end": NOON + 9 * MIN, "facts": {**DARK, "sog_kn": 33.0}})
    drift = event(EventKind.DARK_TARGET, f"{p}:drift", DARK, at=NOON)
    faster = drift.model_copy(update={"end": NOON + MIN, "facts": {**DARK, "sog_kn": 35.0}})
    return [
        drift,
        dark,
        event(EventKind.HIGH_SPEED, f"{p}:boat", FAST, at=NOON + MIN),
        event(
            EventKind.CAMERA_TARGET,
            f"{p}:cam-7",
            {"associated_with": f"{p}:boat", "source": "camera"},
            at=NOON + 2 * MIN,
        ),
        again,
        event(EventKind.LOITERING, f"{p}:slow", {"sog_kn": 0.4}, at=NOON + MIN, where=IN_C),
        event(EventKind.LOITERING, f"{p}:slow", {"sog_kn": 0.2}, at=NOON + 2 * MIN, where=IN_C),
        event(EventKind.ZONE_ENTRY, f"{p}:ais", {}, at=NOON, zone="restricted-a"),
        closed,  # a closing re-publication of an event already in an alert
        dark,  # a redelivery
        fast,
        fast,  # the same message twice in one batch
        event(EventKind.SPOOFING, f"{p}:ais", {"category": "identity_fault"}, at=NOON + 5 * MIN),
        faster,  # re-published faster: the next event of the target scores on the new facts
        event(EventKind.SPOOFING, f"{p}:drift", {}, at=NOON + 2 * MIN),
    ]


def randomised(p: str, seed: int) -> list[Event]:
    """Many events over few targets, in a random order, with redeliveries among them."""
    rng = random.Random(seed)
    kinds = [EventKind.DARK_TARGET, EventKind.HIGH_SPEED, EventKind.LOITERING, EventKind.SPOOFING]
    out: list[Event] = []
    for n in range(150):
        boat = f"{p}:boat-{rng.randrange(8)}"
        at = NOON + timedelta(seconds=rng.randrange(3600))
        where = rng.choice([IN_A, IN_B, IN_C])
        roll = rng.random()
        if out and roll < 0.1:
            out.append(rng.choice(out))
        elif roll < 0.25:
            facts: dict[str, FactValue] = {"associated_with": boat, "source": "camera"}
            out.append(event(EventKind.CAMERA_TARGET, f"{p}:cam-{n}", facts, at=at, where=where))
        else:
            facts = {"sog_kn": float(rng.randrange(50)), "source": "radar"}
            out.append(event(rng.choice(kinds), boat, facts, at=at, where=where))
    return out


def snapshot(rig: Rig, p: str, events: list[Event]) -> Snapshot:
    """Alerts, each alert's audit lines and event rows of the `p:` targets, ids and prefix
    replaced by the event's place in `events`, so that both ways compare."""
    index = {str(e.id): f"#{events.index(e)}" for e in events}
    name = {**index, p + ":": ""}

    def plain(value: object) -> object:
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, uuid.UUID | str):
            return re.sub("|".join(map(re.escape, name)), lambda m: name[m.group(0)], str(value))
        return value

    like = f"{p}:%"
    with rig.service.pool.connection() as conn:
        alerts = conn.execute(
            "SELECT kind, target, score, level, factors, state, lat, lon, zone, jurisdiction, "
            "jurisdictions, event_ids, event_count, silenced, escalations, created_at, "
            "updated_at, unsilenced_at FROM alerts WHERE target LIKE %s ORDER BY kind, target",
            (like,),
        ).fetchall()
        audit = conn.execute(
            "SELECT a.kind, a.target, h.at, h.actor, h.action, h.from_state, h.to_state, h.note "
            "FROM alert_history h JOIN alerts a ON a.id = h.alert_id WHERE a.target LIKE %s "
            "ORDER BY a.kind, a.target, h.id",  # alerts' ids, random, order their rescores
            (like,),
        ).fetchall()
        rows = conn.execute(
            'SELECT id, kind, start, "end", lat, lon, targets, zone, facts, evidence '
            "FROM events WHERE targets[1] LIKE %s ORDER BY start, kind, targets, facts::text",
            (like,),
        ).fetchall()
    return (
        [tuple(plain(v) for v in r) for r in alerts],
        [tuple(plain(v) for v in r) for r in audit],
        [tuple(plain(v) for v in r) for r in rows],
    )


def last_published(rig: Rig, p: str, events: list[Event]) -> dict[tuple[str, str], object]:
    """Each alert's last published state, ids and prefix replaced as in `snapshot`."""
    index = {e.id: n for n, e in enumerate(events)}
    found: dict[tuple[str, str], object] = {}
    for alert in rig.published:
        if alert.target.startswith(p + ":"):
            body = alert.model_dump(exclude={"id", "target", "event_ids"})
            body["events"] = [index[i] for i in alert.event_ids]
            found[(alert.kind.value, alert.target.removeprefix(p + ":"))] = body
    return found


def hosts(results: list[Alert | None], p: str) -> list[tuple[str, str] | None]:
    return [None if a is None else (a.kind.value, a.target.removeprefix(p + ":")) for a in results]


@pytest.mark.parametrize(
    "make", [scripted, lambda p: randomised(p, 7), lambda p: randomised(p, 12)]
)
def test_a_batch_leaves_what_one_by_one_leaves(
    rig: Rig, make: Callable[[str], list[Event]]
) -> None:
    one, batch = make("one"), make("batch")
    one_hosts = [rig.alerts.handle(e) for e in one]
    batch_hosts = rig.alerts.handle_many(batch)
    assert hosts(batch_hosts, "batch") == hosts(one_hosts, "one")
    expected = snapshot(rig, "one", one)
    assert expected[0], "the events opened alerts"
    assert expected[1]
    got = snapshot(rig, "batch", batch)
    assert got[2] == expected[2]
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert last_published(rig, "batch", batch) == last_published(rig, "one", one)
    silenced = [a for a in expected[0] if a[13]]
    assert silenced, "a silenced alert is among them"
    assert all(a.kind != EventKind.LOITERING for a in rig.published), "silenced: not published"


def test_a_redelivered_batch_changes_nothing(rig: Rig) -> None:
    events = scripted("again")
    rig.alerts.handle_many(events)
    before = snapshot(rig, "again", events)
    published = len(rig.published)
    rig.clock.advance(60)
    assert rig.alerts.handle_many(events) == [None] * len(events)
    assert snapshot(rig, "again", events) == before
    assert len(rig.published) == published


def test_a_bad_event_is_left_out_and_the_rest_stored(rig: Rig) -> None:
    good = [event(EventKind.DARK_TARGET, f"ok:{n}", DARK) for n in range(3)]
    bad = event(EventKind.DARK_TARGET, "bad:nul", {"note": "a\x00b"})  # jsonb refuses NUL
    results = rig.alerts.handle_many([good[0], bad, good[1], good[2]])
    assert [r is not None for r in results] == [True, False, True, True]
    with rig.service.pool.connection() as conn:
        stored = conn.execute("SELECT count(*) FROM events WHERE targets[1] LIKE 'ok:%'")
        assert stored.fetchone() == (3,)
        assert conn.execute("SELECT count(*) FROM events WHERE id = %s", (bad.id,)).fetchone() == (
            0,
        )
        opened = conn.execute("SELECT count(*) FROM alerts WHERE target LIKE 'ok:%'").fetchone()
        assert opened == (3,)
    assert {a.target for a in rig.published} == {"ok:0", "ok:1", "ok:2"}
    refused = rig.api.get("/metrics").text
    assert re.search(r"shorewatch_store_rejected_total\{reason=\"\w+\"\} 1\.0", refused)
