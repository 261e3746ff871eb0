"""`shorewatch user ...` / `shorewatch token ...` against real PostgreSQL: a key is printed once,
stored only hashed, works until revoked, and a disabled user's keys stop working."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from app.cli import main
from shorewatch.store.auth_repo import AuthRepo

SITE = """
version: "test-auth-cli"
jurisdictions:
  - {id: county, name: County, level: county,
     polygon: [[11.2, 58.1], [11.7, 58.1], [11.7, 58.4], [11.2, 58.4], [11.2, 58.1]]}
  - {id: town-a, name: Town A, level: town, parent: county,
     polygon: [[11.2, 58.1], [11.45, 58.1], [11.45, 58.4], [11.2, 58.4], [11.2, 58.1]]}
"""
Run = Callable[..., tuple[int, str, str]]
"""`shorewatch --config site.yaml ARGS...`: exit code, stdout, stderr."""


@pytest.fixture
def run(
    dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    config = tmp_path / "site.yaml"
    config.write_text(SITE, encoding="utf-8")
    monkeypatch.setenv("SHOREWATCH_DATABASE_URL", dsn)
    assert main(["--config", str(config), "migrate"]) == 0
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--config", str(config), *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _authenticate(dsn: str, token: str) -> str | None:
    with psycopg.connect(dsn) as conn:
        user = AuthRepo().authenticate(conn, token)
    return None if user is None else f"{user.name}/{user.role}/{user.jurisdiction}"


def test_user_and_token_lifecycle(run: Run, dsn: str) -> None:
    code, out, _ = run("user", "add", "kim", "--role", "dispatcher", "--jurisdiction", "town-a")
    assert code == 0
    assert out.split() == ["kim", "dispatcher", "town-a"]
    assert run("user", "add", "chief", "--role", "admin")[0] == 0

    code, token, err = run("token", "create", "kim")
    assert code == 0
    token = token.strip()
    assert token.startswith("swk_")
    assert "shown once" in err
    assert _authenticate(dsn, token) == "kim/dispatcher/town-a"
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT id, hash FROM api_keys").fetchall()
    assert len(rows) == 1
    key_id, stored = rows[0]
    assert token.split("_", 2)[2] not in stored, "only the hash is stored"

    code, listing, _ = run("user", "list")
    assert listing.splitlines() == ["chief\tadmin\t(all areas)", "kim\tdispatcher\ttown-a"]

    assert run("token", "revoke", key_id)[0] == 0
    assert _authenticate(dsn, token) is None
    assert run("token", "revoke", key_id)[:1] == (1,)

    second = run("token", "create", "kim")[1].strip()
    assert _authenticate(dsn, second) == "kim/dispatcher/town-a"
    assert run("user", "disable", "kim")[0] == 0
    assert _authenticate(dsn, second) is None
    code, _, err = run("token", "create", "kim")
    assert code == 1
    assert "no enabled user 'kim'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("user", "add", "x", "--role", "operator", "--jurisdiction", "atlantis"), "unknown"),
        (("user", "add", "system", "--role", "operator"), "reserved"),
        (("user", "add", "bad name", "--role", "operator"), "should match pattern"),
        (("token", "create", "nobody"), "no enabled user 'nobody'"),
        (("user", "disable", "nobody"), "no enabled user 'nobody'"),
    ],
)
def test_refusals_exit_1_with_a_reason(run: Run, args: tuple[str, ...], message: str) -> None:
    code, _, err = run(*args)
    assert code == 1
    assert message in err


def test_duplicate_user_is_refused(run: Run) -> None:
    assert run("user", "add", "kim", "--role", "operator")[0] == 0
    code, _, err = run("user", "add", "kim", "--role", "engineer")
    assert code == 1
    assert "already exists" in err


def test_unknown_role_is_a_usage_error(run: Run) -> None:
    with pytest.raises(SystemExit) as exited:
        run("user", "add", "kim", "--role", "captain")
    assert exited.value.code == 2


def test_an_unmigrated_store_says_to_migrate(
    dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOREWATCH_DATABASE_URL", dsn)
    assert main(["user", "list"]) == 1
    assert "run `shorewatch migrate`" in capsys.readouterr().err
