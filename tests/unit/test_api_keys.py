"""API keys: the token's shape, salted hashing and its verification."""

from __future__ import annotations

import pytest

from api.principal import Role
from shorewatch.api_keys import hash_secret, new_key, parse_token, verify_secret
from shorewatch.store.auth_repo import ROLE_NAMES, NewUser


def test_new_key_parses_back_and_verifies() -> None:
    key = new_key()
    parsed = parse_token(key.token)
    assert parsed is not None
    key_id, secret = parsed
    assert key_id == key.id
    assert secret not in key.hash, "only the hash is stored"
    assert verify_secret(secret, key.hash)
    assert not verify_secret(secret[:-1] + ("A" if secret[-1] != "A" else "B"), key.hash)


def test_same_secret_hashes_differently_per_salt() -> None:
    assert hash_secret("s" * 43) != hash_secret("s" * 43)
    fixed = b"0123456789abcdef"
    assert hash_secret("s" * 43, fixed) == hash_secret("s" * 43, fixed)


def test_keys_are_unique() -> None:
    keys = [new_key() for _ in range(5)]
    assert len({k.id for k in keys}) == len({k.token for k in keys}) == 5


@pytest.mark.parametrize(
    "token",
    [
        "",
        "swk",
        "swk__",
        "Bearer swk_0123456789abcdef_" + "a" * 43,
        "xyz_0123456789abcdef_" + "a" * 43,
        "swk_0123456789ABCDEF_" + "a" * 43,
        "swk_0123456789abcde_" + "a" * 43,
        "swk_0123456789abcdef_" + "a" * 42,
        "swk_0123456789abcdef_" + "a" * 42 + "!",
        "swk_0123456789abcdef_" + "a" * 43 + "\n",
        "swk_0123456789abcdef_" + "a" * 10_000,
    ],
)
def test_malformed_tokens_do_not_parse(token: str) -> None:
    assert parse_token(token) is None


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "scrypt",
        "bcrypt$n=16384,r=8,p=1$AAAA$AAAA",
        "scrypt$n=16384,r=8$AAAA$AAAA",
        "scrypt$n=abc,r=8,p=1$AAAA$AAAA",
        "scrypt$n=16384,r=8,p=1$!!!!$AAAA",
        "scrypt$n=1073741824,r=8,p=1$AAAA$AAAA",
        "scrypt$n=0,r=8,p=1$AAAA$AAAA",
    ],
)
def test_malformed_hashes_never_verify(encoded: str) -> None:
    assert not verify_secret("a" * 43, encoded)


def test_store_roles_are_the_api_roles() -> None:
    assert set(ROLE_NAMES) == {r.value for r in Role}


@pytest.mark.parametrize("name", ["system", "service-token", "Service-Token", "", "a b", "-x"])
def test_reserved_or_malformed_user_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"reserved|pattern|at least"):
        NewUser(name=name, role="operator")
