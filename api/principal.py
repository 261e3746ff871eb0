"""Who is calling: a role and the areas they may see. Every route and the live feed decide
from this, never from the raw token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    """Watches the live picture, acknowledges alerts, adds field reports."""
    DISPATCHER = "dispatcher"
    """Everything an operator does, plus dispatching units and resolving alerts."""
    ENGINEER = "engineer"
    """Tunes detection: zones, watch list, silences, replay results; reads everything."""
    ADMIN = "admin"
    """Users, tokens, jurisdictions; everything."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    areas: frozenset[str] | None
    """Jurisdiction ids this caller may see (its own and those below it); None: all of them."""
    jurisdiction: str | None = None
    """The user's own jurisdiction (None: national, or the service token)."""

    def sees(self, jurisdiction: str | None) -> bool:
        """An alert, unit or event outside every jurisdiction is visible only to callers
        with no area restriction (the national / top-level centre)."""
        return self.areas is None or (jurisdiction is not None and jurisdiction in self.areas)

    def sees_any(self, jurisdictions: Iterable[str]) -> bool:
        """An alert is seen in every area its target has been in while it was open
        (`Alert.all_jurisdictions`): one of them in the caller's areas is enough."""
        return self.areas is None or not self.areas.isdisjoint(jurisdictions)

    def has(self, *roles: Role) -> bool:
        return self.role is Role.ADMIN or self.role in roles
