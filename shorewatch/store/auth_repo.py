"""Users and API keys as rows in PostgreSQL.

Nothing is deleted: users are disabled and keys revoked, so every name in the audit trail stays
resolvable. Verification reads the key and its user in one query, so revoking a key or
disabling a user takes effect on the next request; the caller hashes the presented secret
after giving the connection back (`find_key`, then `KeyRecord.verify`), so a pooled
connection is never held through scrypt.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shorewatch.api_keys import NewKey, new_key, parse_token, verify_secret
from shorewatch.config.jurisdictions import JURISDICTION_ID
from shorewatch.store.timeseries import Conn

RoleName = Literal["operator", "dispatcher", "engineer", "admin"]
ROLE_NAMES: tuple[RoleName, ...] = ("operator", "dispatcher", "engineer", "admin")
# Actors the service itself writes into the audit trail; no user may take their names.
RESERVED_NAMES = frozenset({"service-token", "system"})
_COLUMNS = ("name", "role", "jurisdiction", "created_at", "disabled_at")


class AuthError(ValueError):
    """A user or key operation that cannot be done, said in words for the admin."""


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
    role: RoleName
    jurisdiction: str | None = Field(
        default=None, pattern=JURISDICTION_ID, description="None: every area (national)."
    )

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.lower() in RESERVED_NAMES:
            raise ValueError(f"{value!r} is reserved for the service")
        return value


class User(NewUser):
    created_at: AwareDatetime
    disabled_at: AwareDatetime | None = None


def _user(row: tuple[object, ...]) -> User:
    return User.model_validate(dict(zip(_COLUMNS, row, strict=True)))


class AuthRepo:
    def add_user(self, conn: Conn, user: NewUser) -> User:
        row = conn.execute(
            "INSERT INTO users (name, role, jurisdiction) VALUES (%s, %s, %s) "
            f"ON CONFLICT (name) DO NOTHING RETURNING {', '.join(_COLUMNS)}",
            (user.name, user.role, user.jurisdiction),
        ).fetchone()
        if row is None:
            raise AuthError(f"user {user.name!r} already exists")
        return _user(row)

    def get_user(self, conn: Conn, name: str) -> User | None:
        row = conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM users WHERE name = %s", (name,)
        ).fetchone()
        return _user(row) if row else None

    def users(self, conn: Conn) -> list[User]:
        rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM users ORDER BY name").fetchall()
        return [_user(row) for row in rows]

    def disable_user(self, conn: Conn, name: str) -> bool:
        """False when there is no such enabled user."""
        row = conn.execute(
            "UPDATE users SET disabled_at = now() WHERE name = %s AND disabled_at IS NULL "
            "RETURNING name",
            (name,),
        ).fetchone()
        return row is not None

    def create_key(self, conn: Conn, user_name: str) -> NewKey:
        """A new key for an enabled user; its token is in the result and nowhere else."""
        user = self.get_user(conn, user_name)
        if user is None or user.disabled_at is not None:
            raise AuthError(f"no enabled user {user_name!r}")
        key = new_key()
        conn.execute(
            "INSERT INTO api_keys (id, user_name, hash) VALUES (%s, %s, %s)",
            (key.id, user_name, key.hash),
        )
        return key

    def revoke_key(self, conn: Conn, key_id: str) -> bool:
        """False when there is no such unrevoked key."""
        row = conn.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL "
            "RETURNING id",
            (key_id,),
        ).fetchone()
        return row is not None

    def find_key(self, conn: Conn, token: str) -> KeyRecord | None:
        """The unrevoked key this token names, of an enabled user, not yet verified; None
        for a malformed token (no query) or an unknown, revoked or disabled one."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        columns = ", ".join(f"u.{c}" for c in _COLUMNS)
        row = conn.execute(
            f"SELECT k.hash, {columns} FROM api_keys k JOIN users u ON u.name = k.user_name "
            "WHERE k.id = %s AND k.revoked_at IS NULL AND u.disabled_at IS NULL",
            (key_id,),
        ).fetchone()
        return None if row is None else KeyRecord(key_id, secret, str(row[0]), _user(row[1:]))

    def stamp_use(self, conn: Conn, key_id: str) -> None:
        """`last_used_at` now, at most once a minute per key."""
        conn.execute(
            "UPDATE api_keys SET last_used_at = now() WHERE id = %s "
            "AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
            (key_id,),
        )

    def authenticate(self, conn: Conn, token: str) -> User | None:
        """The enabled user owning this unrevoked key, or None, hashing while `conn` is held:
        for the CLI and tests; the API uses `find_key` and verifies with no connection held."""
        record = self.find_key(conn, token)
        if record is None or not record.verify():
            return None
        self.stamp_use(conn, record.key_id)
        return record.user


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    secret: str
    """As presented; checked against `hash` by `verify`."""
    hash: str
    user: User

    def verify(self) -> bool:
        """The presented secret hashes to the stored hash (scrypt: tens of milliseconds)."""
        return verify_secret(self.secret, self.hash)


class UseStamps:
    """Which keys are due a `last_used_at` stamp from this process (once a minute each), so
    that a request takes a second connection for it only that often. Thread-safe."""

    def __init__(self, every_s: float = 60.0) -> None:
        self._every_s = every_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, key_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key_id)
            if last is not None and now - last < self._every_s:
                return False
            if len(self._last) > 10_000:  # forget the idle keys rather than grow
                self._last = {k: t for k, t in self._last.items() if now - t < self._every_s}
            self._last[key_id] = now
            return True
