"""`shorewatch user ...` and `shorewatch token ...`: the admin's commands for people and keys.

`token create` prints the key on stdout, alone, once (it is stored only hashed), so it can be
piped into a secret store. Exit status: 0 done, 1 refused (unknown user, duplicate name...),
2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from pydantic import ValidationError

from shorewatch.config.site import SiteConfig
from shorewatch.settings import Settings
from shorewatch.store.auth_repo import ROLE_NAMES, AuthError, AuthRepo, NewUser, User
from shorewatch.store.timeseries import Conn

COMMANDS = ("user", "token")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registers `user` and `token` among the `shorewatch` subcommands."""
    user = sub.add_parser("user", help="add, disable or list API users")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = user_sub.add_parser("add", help="add a user with a role and a jurisdiction")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLE_NAMES)
    add.add_argument(
        "--jurisdiction",
        default=None,
        help="jurisdiction id from the site YAML; the user sees it and every area below it "
        "(leave out for no area restriction)",
    )
    disable = user_sub.add_parser("disable", help="disable a user; their keys stop working")
    disable.add_argument("name")
    user_sub.add_parser("list", help="list users")

    token = sub.add_parser("token", help="create or revoke API keys")
    token_sub = token.add_subparsers(dest="action", required=True)
    create = token_sub.add_parser("create", help="create a key for a user and print it once")
    create.add_argument("name")
    revoke = token_sub.add_parser("revoke", help="revoke a key by its id (swk_<id>_...)")
    revoke.add_argument("key_id")


def run(site: SiteConfig, settings: Settings, args: argparse.Namespace) -> int:
    import psycopg

    from shorewatch.store.db import StoreError, open_pool

    err = sys.stderr
    if settings.database_url is None:
        print("shorewatch: set SHOREWATCH_DATABASE_URL", file=err)
        return 2
    try:
        pool = open_pool(settings.database_url)
    except StoreError as exc:
        print(f"shorewatch: {exc}", file=err)
        return 1
    try:
        with pool.connection() as conn, conn.transaction():
            return _act(AuthRepo(), conn, site, args, sys.stdout, err)
    except AuthError as exc:
        print(f"shorewatch {args.command} {args.action}: {exc}", file=err)
        return 1
    except psycopg.errors.UndefinedTable:
        print("shorewatch: the store has no users table yet: run `shorewatch migrate`", file=err)
        return 1
    finally:
        pool.close()


def _act(
    repo: AuthRepo,
    conn: Conn,
    site: SiteConfig,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
) -> int:
    match (args.command, args.action):
        case ("user", "add"):
            known = {j.id for j in site.jurisdictions}
            if args.jurisdiction is not None and args.jurisdiction not in known:
                choices = ", ".join(sorted(known)) or "none configured"
                raise AuthError(f"unknown jurisdiction {args.jurisdiction!r} ({choices})")
            try:
                new = NewUser(name=args.name, role=args.role, jurisdiction=args.jurisdiction)
            except ValidationError as exc:
                raise AuthError(exc.errors()[0]["msg"]) from exc
            print(_describe(repo.add_user(conn, new)), file=out)
        case ("user", "disable"):
            if not repo.disable_user(conn, args.name):
                raise AuthError(f"no enabled user {args.name!r}")
            print(f"disabled {args.name}; their keys no longer work", file=out)
        case ("user", "list"):
            for user in repo.users(conn):
                print(_describe(user), file=out)
        case ("token", "create"):
            key = repo.create_key(conn, args.name)
            print(key.token, file=out)
            print(f"key {key.id} for {args.name}: shown once, stored only hashed", file=err)
        case ("token", "revoke"):
            if not repo.revoke_key(conn, args.key_id):
                raise AuthError(f"no active key {args.key_id!r}")
            print(f"revoked key {args.key_id}", file=out)
        case _:
            raise AssertionError(f"unhandled {args.command} {args.action}")
    return 0


def _describe(user: User) -> str:
    area = user.jurisdiction or "(all areas)"
    state = " disabled" if user.disabled_at else ""
    return f"{user.name}\t{user.role}\t{area}{state}"
