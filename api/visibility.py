"""Area filtering for rows that carry a position but no stored jurisdiction (events, track
points, vessels' last positions): each position is located in the site's jurisdictions and
shown only when the caller sees that jurisdiction (`Principal.sees`).

Lists filter in the query (`area_of`, `shorewatch/store/areas.py`), so `limit` and `offset`
count what the caller sees and nothing is cut off; one row already read is checked in Python
(`position_filter`), by the same rule.
"""

from __future__ import annotations

from collections.abc import Callable

from api.principal import Principal
from shorewatch.jurisdictions import Jurisdictions
from shorewatch.store.areas import AreaFilter, area_filter

PositionFilter = Callable[[float, float], bool]


def area_of(caller: Principal, jurisdictions: Jurisdictions) -> AreaFilter | None:
    """The query condition for the caller's areas; None when they see everything."""
    return None if caller.areas is None else area_filter(jurisdictions, caller.areas)


def position_filter(caller: Principal, jurisdictions: Jurisdictions) -> PositionFilter | None:
    """None when the caller sees everything (no filtering needed)."""
    if caller.areas is None:
        return None
    return lambda lat, lon: caller.sees(jurisdictions.locate(lat, lon))
