"""What a bench sets up around the service processes it starts: a database of its own on the
server (created, and dropped however the bench ends), and the CPU time those processes spent."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo


@contextlib.contextmanager
def fresh_database(server: str, prefix: str = "sw_bench") -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(server, dbname=name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU seconds of the servers on this machine (by process name: PostgreSQL, Mosquitto),
    their exited children included (a PostgreSQL backend's CPU moves to the postmaster's
    children's count when it exits). The processes are found once, at creation: reading only
    theirs keeps each sample cheap (a bench samples while it measures); 0 for a server that
    does not run here."""

    def __init__(self, names: tuple[str, ...] = ("postgres", "mosquitto")) -> None:
        self._pids: dict[str, list[Path]] = {name: [] for name in names}
        for entry in Path("/proc").iterdir():
            stat = _stat(entry) if entry.name.isdigit() else None
            if stat is not None and stat[0] in self._pids:
                self._pids[stat[0]].append(entry)

    def seconds(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        totals = {}
        for name, entries in self._pids.items():
            stats = (_stat(entry) for entry in entries)
            totals[name] = sum(sum(s[1][11:15]) for s in stats if s is not None) / tick
        return totals


def _stat(process: Path) -> tuple[str, list[int]] | None:
    """A process's name and its numeric stat fields after the name; None once it is gone."""
    try:
        text = (process / "stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    return name, [int(f) if f.lstrip("-").isdigit() else 0 for f in text.rsplit(")", 1)[1].split()]
