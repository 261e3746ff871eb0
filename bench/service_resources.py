"""What a bench sets up around the service processes it starts: a database of its own on the
server (created, and dropped however the bench ends), and the CPU time those processes spent."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

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
    fields = _parse_stat(Path(f"/proc/{pid}/stat").read_text()).fields
    return (fields[11] + fields[12]) / os.sysconf("SC_CLK_TCK")


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
            if stat is not None and stat.name in self._pids:
                self._pids[stat.name].append(entry)

    def seconds(self) -> dict[str, float]:
        """User + system CPU seconds, the reaped children's included (fields 14-17 of stat)."""
        tick = os.sysconf("SC_CLK_TCK")
        totals = {}
        for name, entries in self._pids.items():
            stats = (_stat(entry) for entry in entries)
            totals[name] = sum(sum(s.fields[11:15]) for s in stats if s is not None) / tick
        return totals


class ProcStat(NamedTuple):
    name: str
    fields: list[int]
    """The numeric fields after the name (`proc(5)`'s third onward: utime is index 11)."""


def _stat(process: Path) -> ProcStat | None:
    """A process's stat; None once it is gone."""
    try:
        return _parse_stat((process / "stat").read_text())
    except OSError:
        return None


def _parse_stat(text: str) -> ProcStat:
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = [int(f) if f.lstrip("-").isdigit() else 0 for f in text.rsplit(")", 1)[1].split()]
    return ProcStat(name, fields)
