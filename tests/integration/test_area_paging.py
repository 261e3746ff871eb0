"""Area filtering pages correctly when a caller's area holds few of many rows (issue 15,
defect 8): the filter is part of the query, so `limit` / `offset` count what the caller sees,
with no batch scan that gives up (and silently answers short) after 100 pages of others'
rows. Real PostgreSQL and API; 60,000 out-of-area events and alerts, bulk-inserted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from shorewatch.events import EventKind, FactValue
from tests.alerting import IN_A, NOON, Rig, event, running, site, user_headers

OTHERS = 60_000  # > 100 pages of 500: past the old scan limit of 50,000 rows
DARK: dict[str, FactValue] = {"source": "radar", "dark_for_s": 130.0, "sog_kn": 12.0}


@pytest.fixture
def rig(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Rig]:
    with running(site(), dsn, mqtt_url, topic_root) as rig:
        yield rig


def flood_town_b(rig: Rig) -> None:
    """OTHERS events and alerts in town B, all newer than town A's three."""
    with rig.service.pool.connection() as conn, conn.transaction():
        conn.execute(
            "INSERT INTO events (id, kind, start, lat, lon, targets, facts, config_version) "
            "SELECT gen_random_uuid(), 'dark_target', %s + i * interval '10 ms', 58.2, 11.6, "
            "ARRAY['radar:b-' || i], '{}'::jsonb, 'test-alerting' "
            "FROM generate_series(1, %s) AS i",
            (NOON, OTHERS),
        )
        conn.execute(
            "INSERT INTO alerts (id, kind, target, score, level, factors, state, lat, lon, "
            "jurisdiction, jurisdictions, event_ids, event_count, created_at, updated_at) "
            "SELECT gen_random_uuid(), 'dark_target', 'radar:b-' || i, 40, 'yellow', '[]', "
            "'resolved', 58.2, 11.6, 'town-b', ARRAY['town-b'], ARRAY[gen_random_uuid()], 1, "
            "%s, %s + i * interval '10 ms' FROM generate_series(1, %s) AS i",
            (NOON, NOON, OTHERS),
        )


def test_a_small_area_pages_through_its_own_rows_among_many_others(rig: Rig) -> None:
    town_a = user_headers(rig, "op-a", "operator", "town-a")
    mine = []
    for minutes in (30, 20, 10):  # before the flood: the last rows in newest-first order
        earlier = NOON - timedelta(minutes=minutes)
        new = event(EventKind.DARK_TARGET, f"radar:a-{minutes}", DARK, at=earlier, where=IN_A)
        rig.clock.now = earlier
        assert rig.alerts.handle(new) is not None
        mine.append(new)
    flood_town_b(rig)
    newest_first = [str(e.id) for e in reversed(mine)]

    def page(path: str, offset: int) -> list[str]:
        params = {"limit": 2, "offset": offset}
        response = rig.api.get(path, params=params, headers=town_a)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    assert page("/api/v1/events", 0) == newest_first[:2]
    assert page("/api/v1/events", 2) == newest_first[2:]
    assert page("/api/v1/events", 3) == []
    alerts = page("/api/v1/alerts", 0) + page("/api/v1/alerts", 2)
    assert len(alerts) == 3
    assert page("/api/v1/alerts", 3) == []
    # An unrestricted caller pages through everything, the newest first.
    everything = rig.api.get("/api/v1/events", params={"limit": 1}).json()
    assert everything[0]["targets"] == [f"radar:b-{OTHERS}"]
