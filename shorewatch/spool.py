"""A bounded, crash-safe disk spool: append-only segment files, drained in order.

What a process has accepted but not yet handed on (ingest: batches the broker has not
acknowledged) is written here first, so a broker outage or a `kill -9` of the process does not
lose it. Each record is framed with its length, a CRC32, its sequence number and its append time;
on open, a torn or corrupt tail (a write cut by the kill) is detected, counted, logged and cut
off, and every record whose `append` returned is kept (it reached the OS page cache; `fsync`
decides whether it also survives a power cut).

Bounds: the bytes and the age of the records not yet acknowledged. When one is exceeded the
oldest records are dropped, counted and logged, never silently. Acknowledged records leave with
their segment once every record in it is acknowledged or dropped. The acknowledged position is
saved at most every `ack_save_interval_s`: after a crash the last few acknowledged records may
come out again, a duplicate the consumers absorb (their writes are idempotent).
"""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import structlog

from shorewatch.events import ProcessProblem

log = structlog.get_logger(__name__)
FsyncPolicy = Literal["always", "interval", "never"]
# length of what follows the header, CRC32 of seq+time+payload, seq, append time (epoch s)
_HEADER = struct.Struct("<IIQd")
_TAIL = struct.Struct("<Qd")
_SUFFIX = ".seg"
_ACK_FILE = "acked"
MAX_RECORD = 64 * 1024 * 1024


@dataclass(frozen=True)
class SpoolStats:
    records: int
    bytes: int
    oldest_age_s: float
    dropped: int
    torn: int


def spool_problems(stats: SpoolStats, backlog_after_s: float) -> list[ProcessProblem]:
    """For the heartbeat (and so `/healthz`): records lost to a bound, and a backlog older than
    `backlog_after_s` (the broker has not taken what ingest accepted for that long)."""
    problems = []
    if stats.dropped:
        problems.append(
            ProcessProblem(
                name="spool_dropped",
                detail=f"{stats.dropped} record(s) dropped since start: a spool bound was exceeded",
            )
        )
    if stats.records and stats.oldest_age_s > backlog_after_s:
        problems.append(
            ProcessProblem(
                name="spool_backlog",
                detail=(
                    f"{stats.records} record(s), {stats.bytes} bytes waiting for the broker; "
                    f"oldest {stats.oldest_age_s:.0f} s"
                ),
            )
        )
    return problems


@dataclass(frozen=True)
class _Entry:
    seq: int
    segment: int  # first seq of its segment (the file name)
    offset: int  # of the payload
    length: int
    at: float


class Spool:
    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        max_age_s: float,
        segment_bytes: int = 8 * 1024 * 1024,
        fsync: FsyncPolicy = "interval",
        fsync_interval_s: float = 0.2,
        ack_save_interval_s: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self._max_bytes = max_bytes
        self._max_age_s = max_age_s
        self._segment_bytes = segment_bytes
        self._fsync = fsync
        self._fsync_interval_s = fsync_interval_s
        self._ack_save_interval_s = ack_save_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: deque[_Entry] = deque()  # not yet acknowledged, in seq order
        self._acked_above: set[int] = set()  # acknowledged out of order, above the floor
        self._floor = 0  # every seq <= floor is acknowledged or dropped
        self._saved_floor = 0
        self._saved_at = 0.0
        self._synced_at = 0.0
        self._dirty = False
        self._pending_bytes = 0
        self._segments: dict[int, int] = {}  # first seq -> records in it not yet gone
        self._dropped = 0
        self._torn = 0
        self._next_seq = 1
        self._current_segment = 0
        directory.mkdir(parents=True, exist_ok=True)
        self._recover()
        self._file = self._open_segment() if not self._segments else self._reopen_last()
        self._closed = threading.Event()
        self._syncer: threading.Thread | None = None
        if fsync == "interval":
            self._syncer = threading.Thread(target=self._sync_loop, name="spool-sync", daemon=True)
            self._syncer.start()

    # -- writing ---------------------------------------------------------------------------

    def append(self, payload: bytes) -> int:
        """Write one record; returns its sequence number. Once this returns, the record
        survives a crash of this process (and, with fsync "always", of the machine)."""
        if len(payload) > MAX_RECORD:
            raise ValueError(f"spool record of {len(payload)} bytes > {MAX_RECORD}")
        with self._lock:
            if self._file.tell() >= self._segment_bytes:
                self._rotate()
            seq = self._next_seq
            at = self._clock()
            tail = _TAIL.pack(seq, at)
            crc = zlib.crc32(payload, zlib.crc32(tail))
            offset = self._file.tell()
            self._file.write(_HEADER.pack(len(payload), crc, seq, at) + payload)
            self._file.flush()  # into the OS: survives kill -9 from here on
            self._next_seq += 1
            segment = self._current_segment
            self._segments[segment] += 1
            self._pending.append(_Entry(seq, segment, offset + _HEADER.size, len(payload), at))
            self._pending_bytes += len(payload)
            self._dirty = True
            if self._fsync == "always":
                os.fsync(self._file.fileno())
                self._dirty = False
            self._enforce_bounds()
            return seq

    # -- reading and acknowledging ---------------------------------------------------------

    def read_after(self, seq: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to `limit` pending records with a sequence number above `seq`, in order."""
        with self._lock:
            return [(e.seq, self._read(e)) for e in self._pending_after(seq, limit)]

    def ack(self, seq: int) -> None:
        """The record `seq` is handed on. The floor moves over contiguous acknowledgements."""
        with self._lock:
            if seq <= self._floor or seq >= self._next_seq:
                return
            self._acked_above.add(seq)
            while self._pending and self._pending[0].seq in self._acked_above:
                entry = self._pending.popleft()
                self._acked_above.discard(entry.seq)
                self._gone(entry)
            self._maybe_save_floor()

    @property
    def floor(self) -> int:
        with self._lock:
            return self._floor

    def stats(self) -> SpoolStats:
        with self._lock:
            self._enforce_bounds()
            oldest = self._clock() - self._pending[0].at if self._pending else 0.0
            return SpoolStats(
                len(self._pending), self._pending_bytes, max(oldest, 0.0), self._dropped, self._torn
            )

    def close(self) -> None:
        self._closed.set()
        if self._syncer is not None:
            self._syncer.join(timeout=2)
        with self._lock:
            self._file.flush()
            if self._fsync != "never":
                os.fsync(self._file.fileno())
            self._save_floor()
            self._file.close()

    # -- internals (under the lock) --------------------------------------------------------

    def _pending_after(self, seq: int, limit: int) -> list[_Entry]:
        # The pending records are contiguous in seq (they leave only from the front).
        out: list[_Entry] = []
        index = max(0, seq + 1 - self._pending[0].seq) if self._pending else 0
        while index < len(self._pending) and len(out) < limit:
            entry = self._pending[index]
            if entry.seq not in self._acked_above:
                out.append(entry)
            index += 1
        return out

    def _read(self, entry: _Entry) -> bytes:
        if entry.segment == self._current_segment:
            self._file.flush()
        with open(self._path(entry.segment), "rb") as handle:
            handle.seek(entry.offset)
            return handle.read(entry.length)

    def _gone(self, entry: _Entry) -> None:
        """A record acknowledged or dropped: off the books, and its segment with its last."""
        self._pending_bytes -= entry.length
        self._floor = max(self._floor, entry.seq)
        left = self._segments[entry.segment] - 1
        self._segments[entry.segment] = left
        if left == 0 and entry.segment != self._current_segment:
            del self._segments[entry.segment]
            self._path(entry.segment).unlink(missing_ok=True)

    def _enforce_bounds(self) -> None:
        now = self._clock()
        dropped = 0
        while self._pending and (
            self._pending_bytes > self._max_bytes or now - self._pending[0].at > self._max_age_s
        ):
            entry = self._pending.popleft()
            self._acked_above.discard(entry.seq)
            self._gone(entry)
            dropped += 1
        if dropped:
            self._dropped += dropped
            log.warning(
                "spool bound exceeded: oldest records dropped",
                spool=str(self.directory),
                dropped=dropped,
                dropped_total=self._dropped,
                max_bytes=self._max_bytes,
                max_age_s=self._max_age_s,
            )
            self._maybe_save_floor()

    def _maybe_save_floor(self) -> None:
        if self._floor != self._saved_floor and (
            self._clock() - self._saved_at >= self._ack_save_interval_s
        ):
            self._save_floor()

    def _save_floor(self) -> None:
        tmp = self.directory / (_ACK_FILE + ".tmp")
        tmp.write_text(str(self._floor))
        os.replace(tmp, self.directory / _ACK_FILE)
        self._saved_floor = self._floor
        self._saved_at = self._clock()

    def _sync_loop(self) -> None:
        while not self._closed.wait(self._fsync_interval_s):
            with self._lock:
                if self._dirty and not self._file.closed:
                    os.fsync(self._file.fileno())
                    self._dirty = False
                self._maybe_save_floor()

    def _path(self, segment: int) -> Path:
        return self.directory / f"{segment:020d}{_SUFFIX}"

    def _open_segment(self) -> io.BufferedWriter:
        self._current_segment = self._next_seq
        self._segments[self._current_segment] = 0
        handle = open(self._path(self._current_segment), "ab")  # noqa: SIM115  # kept open
        if self._fsync != "never":
            _fsync_dir(self.directory)
        return handle

    def _rotate(self) -> None:
        self._file.flush()
        if self._fsync != "never":
            os.fsync(self._file.fileno())
        self._file.close()
        if self._segments.get(self._current_segment) == 0:
            del self._segments[self._current_segment]
            self._path(self._current_segment).unlink(missing_ok=True)
        self._file = self._open_segment()

    def _reopen_last(self) -> io.BufferedWriter:
        self._current_segment = max(self._segments)
        return open(self._path(self._current_segment), "ab")  # kept open

    def _recover(self) -> None:
        """Rebuild the pending list from the files; cut a torn tail off the last segment."""
        ack_file = self.directory / _ACK_FILE
        if ack_file.exists():
            text = ack_file.read_text().strip()
            self._floor = int(text) if text.isdigit() else 0
        self._saved_floor = self._floor
        names = sorted(p for p in self.directory.glob("*" + _SUFFIX) if p.stem.isdigit())
        for index, path in enumerate(names):
            segment = int(path.stem)
            good_end, entries = _scan(path, segment)
            size = path.stat().st_size
            if good_end < size:
                self._torn += 1
                log.warning(
                    "spool: torn or corrupt record cut off",
                    segment=path.name,
                    kept_bytes=good_end,
                    cut_bytes=size - good_end,
                )
                if index == len(names) - 1:
                    with open(path, "r+b") as handle:
                        handle.truncate(good_end)
            live = [e for e in entries if e.seq > self._floor]
            if entries:
                self._next_seq = max(self._next_seq, entries[-1].seq + 1)
            if not live:
                path.unlink()
                continue
            self._segments[segment] = len(live)
            self._pending.extend(live)
            self._pending_bytes += sum(e.length for e in live)
        self._next_seq = max(self._next_seq, self._floor + 1)
        if self._pending:
            log.info("spool reopened", spool=str(self.directory), records=len(self._pending))


def _scan(path: Path, segment: int) -> tuple[int, list[_Entry]]:
    """The records of one segment file, up to the first one that is torn or corrupt."""
    entries: list[_Entry] = []
    with open(path, "rb") as handle:
        data = handle.read()
    offset = 0
    last_seq = segment - 1
    while offset + _HEADER.size <= len(data):
        length, crc, seq, at = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        end = start + length
        if length > MAX_RECORD or end > len(data) or seq <= last_seq:
            break
        payload = data[start:end]
        if zlib.crc32(payload, zlib.crc32(_TAIL.pack(seq, at))) != crc:
            break
        entries.append(_Entry(seq, segment, start, length, at))
        last_seq = seq
        offset = end
    return offset, entries


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
