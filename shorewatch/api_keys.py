"""API keys: how they look, how their secrets are stored (salted scrypt) and verified.

A key reads `swk_<id>_<secret>`. The id is not secret: the store finds the key by it, so a
request costs one hash, and an unknown id costs none. Only a salted hash of the secret is
stored, with its parameters, so a leaked table does not give working keys and the cost can be
raised later without invalidating keys already issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "swk"
_ID = re.compile(r"[0-9a-f]{16}")
_SECRET = re.compile(r"[A-Za-z0-9_\-]{43}")
# scrypt's interactive-login cost (about 30 ms, 16 MiB). The secret has 256 random bits, so
# the cost guards a stolen table, not guessing; higher would tax every request.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_MAX_N = 2**20


@dataclass(frozen=True)
class NewKey:
    id: str
    token: str
    """The whole key, shown to its owner once and never stored."""
    hash: str


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=2 * 128 * n * r * p
    )


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """`scrypt$n=..,r=..,p=..$<salt>$<hash>`, base64; a fresh 16-byte salt unless given."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    params = f"n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}"
    return f"scrypt${params}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """True when `secret` hashes to `encoded`; False for anything malformed."""
    try:
        scheme, params, salt_b64, digest_b64 = encoded.split("$")
        values = dict(item.split("=", 1) for item in params.split(","))
        n, r, p = int(values["n"]), int(values["r"]), int(values["p"])
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt" or not (1 < n <= _MAX_N and 0 < r <= 32 and 0 < p <= 16):
        return False
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p), expected)


def new_key() -> NewKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, f"{PREFIX}_{key_id}_{secret}", hash_secret(secret))


def parse_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key; None for anything else."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    key_id, secret = parts[1], parts[2]
    if not _ID.fullmatch(key_id) or not _SECRET.fullmatch(secret):
        return None
    return key_id, secret
