"""Area filtering for rows that carry a position but no stored jurisdiction (events, track
points, vessels' last positions): each position is located in the site's jurisdictions and
shown only when the caller sees that jurisdiction (`Principal.sees`).

Filtering happens after the query, so pages are filled by reading on in batches; `offset`
counts visible rows. A restricted caller's scan stops after `MAX_SCAN` rows, which bounds what
one request can cost when almost nothing in the store is theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from api.principal import Principal
from shorewatch.jurisdictions import Jurisdictions

T = TypeVar("T")
BATCH = 500
MAX_SCAN = 50_000
PositionFilter = Callable[[float, float], bool]


def position_filter(caller: Principal, jurisdictions: Jurisdictions) -> PositionFilter | None:
    """None when the caller sees everything (no filtering needed)."""
    if caller.areas is None:
        return None
    return lambda lat, lon: caller.sees(jurisdictions.locate(lat, lon))


def visible_page(
    fetch: Callable[[int, int], Sequence[T]],
    keep: Callable[[T], bool] | None,
    *,
    limit: int,
    offset: int,
    max_scan: int = MAX_SCAN,
) -> list[T]:
    """`fetch(limit, offset)` reads the store in its order; `keep` says what the caller sees."""
    if keep is None:
        return list(fetch(limit, offset))
    found: list[T] = []
    skipped = scanned = 0
    while scanned < max_scan:
        rows = fetch(BATCH, scanned)
        for row in rows:
            if not keep(row):
                continue
            if skipped < offset:
                skipped += 1
                continue
            found.append(row)
            if len(found) == limit:
                return found
        scanned += len(rows)
        if len(rows) < BATCH:
            break
    return found
