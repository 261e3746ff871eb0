"""AIS ship-type codes (ITU-R M.1371, message 5 field "type of ship and cargo") as words, for
people reading a map rather than a code table."""

from __future__ import annotations

_EXACT = {
    30: "Fishing",
    31: "Towing",
    32: "Towing (large)",
    33: "Dredging or underwater operations",
    34: "Diving operations",
    35: "Military operations",
    36: "Sailing",
    37: "Pleasure craft",
    50: "Pilot vessel",
    51: "Search and rescue",
    52: "Tug",
    53: "Port tender",
    54: "Anti-pollution",
    55: "Law enforcement",
    58: "Medical transport",
    59: "Non-combatant ship",
}
_DECADES = {
    2: "Wing in ground",
    4: "High-speed craft",
    6: "Passenger",
    7: "Cargo",
    8: "Tanker",
    9: "Other",
}


def ship_type_text(code: int | None) -> str | None:
    """The words for a code; None for no code, 0 ("not available") and reserved codes."""
    if code is None:
        return None
    if code in _EXACT:
        return _EXACT[code]
    return _DECADES.get(code // 10) if 20 <= code <= 99 else None
