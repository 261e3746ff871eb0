"""AIS NMEA 0183 lines to schema messages: a pure decoder on pyais, one line at a time.

Pure (no I/O, no sockets, no clock reads): the caller passes each line with the time it arrived,
so a replayed capture decodes exactly as it did live. Every input line is counted exactly once,
as a `LineOutcome` or a `Rejection`, so `stats` accounts for the whole feed; the lines of a
multi-sentence message are counted when it completes, or as incomplete when evicted or flushed.
pyais does the 6-bit decoding, but for the common position reports (ingest/ais_bits.py); this
module decides what each line means for ShoreWatch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pyais import messages as pyais_messages
from pyais.messages import NMEAMessage, TagBlock
from pydantic import ValidationError

from ingest.ais_bits import PositionBits, PositionValues, StaticBits, read_common, single_line
from ingest.ais_lines import MAX_LINE_BYTES, NOT_PRINTABLE, is_static, scan_lines
from ingest.ais_reports import ReportBuilder
from ingest.nmea_checksum import stated_and_computed
from ingest.nmea_time import (
    gatehouse_time,
    rmc_time,
    split_trailing_time,
    unix_time,
    zda_time,
)
from shorewatch.events import Observation, VesselStatic

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 19, 24})
DECODED_TYPES = POSITION_TYPES | STATIC_TYPES
MAX_SENSOR_ID = 64  # Observation.sensor_id's limit, checked once here instead of per message
# The last field read from each pyais class. A payload ending before it is truncated: pyais
# would decode the partial bits of that field as a wrong value rather than as None.
LAST_FIELD_READ = {
    "MessageType1": "heading",
    "MessageType2": "heading",
    "MessageType3": "heading",
    "MessageType18": "heading",
    "MessageType19": "to_starboard",
    "MessageType27": "course",
    "MessageType5": "to_starboard",
    "MessageType24PartA": "shipname",
    "MessageType24PartB": "to_starboard",
    "MessageType24PartBAuxiliaryCraft": "callsign",
}

Message = Observation | VesselStatic


class LineOutcome(StrEnum):
    POSITION = "position"
    STATIC = "static"
    FRAGMENT = "fragment"  # non-final part of a completed multi-sentence message
    METADATA = "metadata"  # timestamp-only lines ($PGHP, RMC/ZDA with gnss_clock): context


class Rejection(StrEnum):
    CHECKSUM = "checksum"
    MALFORMED = "malformed"
    NOT_AIS = "not_ais"  # other NMEA sentences, comments, blank lines
    UNSUPPORTED_TYPE = "unsupported_type"
    NO_POSITION = "no_position"  # lat 91 / lon 181 (not available) or out of range
    OVERSIZED = "oversized"
    GARBAGE = "garbage"  # bytes outside printable ASCII
    INCOMPLETE_MULTIPART = "incomplete_multipart"
    INVALID_VALUE = "invalid_value"  # decoded, but the schema refused a value


OutcomeCallback = Callable[[LineOutcome | Rejection, int, str], None]
RejectionCallback = Callable[[Rejection, int, str], None]


class _Rejected(Exception):
    """Internal: the line is refused for `reason`; `detail` says why, for the log."""

    def __init__(self, reason: Rejection, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class _Group:
    """The parts so far of one multi-sentence message, in order."""

    parts: list[NMEAMessage]
    received_at: datetime  # of the first part: what ages the group out
    fallback_time: datetime  # event time from PGHP / RMC / arrival at the first part
    tag_time: datetime | None  # first tag block `c:` among its parts (satellite: part 1 only)


def _bits_through(class_name: str, last: str) -> int:
    """Payload bits up to and including field `last`, from pyais' own field widths."""
    total = 0
    for spec in getattr(pyais_messages, class_name).fields():
        total += int(spec.metadata["width"])
        if spec.name == last:
            return total
    raise LookupError(f"{class_name} has no field {last}")


BITS_NEEDED = {
    getattr(pyais_messages, name): _bits_through(name, last)
    for name, last in LAST_FIELD_READ.items()
}


def _unsupported(ais_id: int) -> _Rejected:
    return _Rejected(*_unsupported_reason(ais_id))


def _unsupported_reason(ais_id: int) -> tuple[Rejection, str]:
    if 1 <= ais_id <= 27:
        return Rejection.UNSUPPORTED_TYPE, f"type {ais_id}"
    return Rejection.MALFORMED, f"no AIS message type {ais_id}"


def _no_position(ais_id: int) -> _Rejected:
    return _Rejected(Rejection.NO_POSITION, f"type {ais_id} without a position")


def _utc(received_at: datetime) -> datetime:
    if received_at.tzinfo is UTC:  # receivers' clocks: no conversion needed
        return received_at
    if received_at.tzinfo:
        return received_at.astimezone(UTC)
    return received_at.replace(tzinfo=UTC)


def _refusal(exc: Exception) -> tuple[Rejection, str]:
    """Why a line that raised `exc` while decoding is refused, and the detail for the log."""
    if isinstance(exc, _Rejected):
        return exc.reason, exc.detail
    if isinstance(exc, ValidationError):
        errors = exc.errors()[:2]
        return Rejection.INVALID_VALUE, "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors
        )
    # pyais and int()/float() errors: the line is not well formed
    return Rejection.MALFORMED, f"{type(exc).__name__}: {exc}"[:200]


def _check_sentence(sentence: bytes) -> None:
    """Checked before parsing, so a corrupt line counts as CHECKSUM, not as what it became."""
    checksums = stated_and_computed(sentence)  # one '*': two glued sentences fail
    if checksums is None:
        raise _Rejected(Rejection.MALFORMED, "no single *hh checksum at the end")
    expected, actual = checksums
    if actual != expected:
        raise _Rejected(Rejection.CHECKSUM, f"*{expected:02X} but computed {actual:02X}")


class AisDecoder:
    """One receiver's AIS feed; keeps the multi-part and event-time context between lines."""

    def __init__(
        self,
        sensor_id: str,
        *,
        on_outcome: OutcomeCallback | None = None,
        on_rejection: RejectionCallback | None = None,
        max_pending_groups: int = 256,
        multipart_max_age_s: float = 60.0,
        gnss_clock: bool = False,
        validate_reports: bool = False,
    ) -> None:
        """`validate_reports`: decode every sentence with pyais and build every report
        through full pydantic validation, instead of the fast paths (ingest/ais_bits.py, the
        hand-checked construction): the same reports, slower; the reference in tests."""
        if not 1 <= len(sensor_id) <= MAX_SENSOR_ID:
            raise ValueError(f"sensor_id must be 1..{MAX_SENSOR_ID} characters: {sensor_id!r}")
        if max_pending_groups < 1 or not multipart_max_age_s > 0:
            raise ValueError("max_pending_groups and multipart_max_age_s must be positive")
        self.sensor_id = sensor_id
        self.gnss_clock = gnss_clock
        self.stats: Counter[str] = Counter()
        self.callback_failures = 0  # on_outcome calls that raised (and were ignored)
        self._on_outcome = on_outcome
        self._on_rejection = on_rejection  # rejections only: no call for the lines that decode
        self._max_pending = max_pending_groups
        self._max_age = timedelta(seconds=multipart_max_age_s)
        self._pending: dict[tuple[object, ...], _Group] = {}  # insertion order = oldest first
        self._pghp: datetime | None = None  # set by a $PGHP, consumed by the very next line
        self._gnss_time: datetime | None = None  # latest valid RMC date and time
        self._reports = ReportBuilder(sensor_id, validate=validate_reports)
        self._whole_lines = not validate_reports  # the one-step read of the commonest line

    def feed(self, line: bytes | str, received_at: datetime) -> tuple[Message, ...]:
        """Decode one line; never raises: every failure is counted as a `Rejection`.

        Event time, first found: tag block `c:`, a unix time after the checksum, the `$PGHP`
        just before, the latest valid RMC or ZDA (with `gnss_clock`), else `received_at`.
        """
        now = _utc(received_at)
        if self._pending:
            self._expire(now)
        pghp, self._pghp = self._pghp, None
        try:
            result = self._line(line, now, pghp)
        except Exception as exc:  # counted, never raised: see `_refusal`
            reason, detail = _refusal(exc)
            self._count(reason, 1, detail)
            return ()
        if result is None:  # a fragment waiting for the rest of its message
            return ()
        if isinstance(result, LineOutcome):
            self._count(result, 1, "")
            return ()
        # A position, when there is one, comes first (type 19: position, then static).
        positional = isinstance(result[0], Observation)
        self._count(LineOutcome.POSITION if positional else LineOutcome.STATIC, 1, "")
        return result

    def feed_lines(self, lines: Sequence[bytes], clock: Callable[[], datetime]) -> list[Message]:
        """`feed` on each line in turn, each stamped with `clock()` where it needs an arrival
        time: the same messages, counts and refusals. A read's lines are scanned together in C
        (ingest/ais_lines.py); one-sentence position and static reports (most of a feed),
        refused types, sentences that are not AIS and $PGHP clocks are finished here without
        the per-line layers of `feed`; every other line goes through `feed`."""
        messages: list[Message] = []
        if not self._whole_lines:  # the validated reference: every line its own way
            for line in lines:
                messages += self.feed(line, clock())
            return messages
        per_line = self._on_outcome is not None  # else counted once, at the end
        positions = statics = clocks = 0
        if self._pending:  # the read arrived at once: its age is checked once, here
            self._expire(_utc(clock()))
        build = self._reports.position_from_bits
        stamp_text, stamp = b"", datetime.min  # a read's lines often share one unix time
        for line, read in zip(lines, scan_lines(lines), strict=True):
            if read is None or (type(read) is int and read in DECODED_TYPES):
                messages += self.feed(line, clock())  # not a position of the common shape
                continue
            if isinstance(read, datetime):  # a Gatehouse $PGHP: the next line's clock
                self._pghp = read
                if per_line:
                    self._count(LineOutcome.METADATA, 1, "")
                else:
                    clocks += 1
                continue
            pghp, self._pghp = self._pghp, None
            if isinstance(read, int):  # a one-sentence message of a type not decoded
                reason, detail = _unsupported_reason(read)
                self._count(reason, 1, detail)
                continue
            if isinstance(read, bytes):  # another sentence than AIS: its address
                self._count(Rejection.NOT_AIS, 1, read.decode())
                continue
            try:
                trailing = read.line_time
                if trailing:
                    if trailing != stamp_text:
                        stamp_text, stamp = trailing, unix_time(trailing)
                    when = stamp
                else:
                    when = pghp or (self._gnss_time if self.gnss_clock else None) or _utc(clock())
                if is_static(read):
                    messages.append(self._reports.static(read, when))
                    if per_line:
                        self._count(LineOutcome.STATIC, 1, "")
                    else:
                        statics += 1
                    continue
                position = build(read, when)
                if position is None:
                    raise _no_position(read.ais_id)
            except Exception as exc:  # counted, never raised, as in `feed`
                reason, detail = _refusal(exc)
                self._count(reason, 1, detail)
                continue
            messages.append(position)
            if per_line:
                self._count(LineOutcome.POSITION, 1, "")
            else:
                positions += 1
        if positions:
            self._count(LineOutcome.POSITION, positions, "")
        if statics:
            self._count(LineOutcome.STATIC, statics, "")
        if clocks:
            self._count(LineOutcome.METADATA, clocks, "")
        return messages

    def flush(self) -> None:
        """End of input: every still-pending fragment line counts as INCOMPLETE_MULTIPART."""
        for key in list(self._pending):
            self._evict(key, "flushed before the message completed")
        self._pghp = None

    def _count(self, outcome: LineOutcome | Rejection, lines: int, detail: str) -> None:
        self.stats[outcome._value_] += lines  # `.value` is a Python-level property: per line
        if self._on_outcome is not None:
            # A failing logger or metric must not stop the feed or break the accounting.
            # (try/except rather than contextlib.suppress: this runs for every line.)
            try:
                self._on_outcome(outcome, lines, detail)
            except Exception:
                self.callback_failures += 1
        if self._on_rejection is not None and type(outcome) is Rejection:
            try:
                self._on_rejection(outcome, lines, detail)
            except Exception:
                self.callback_failures += 1

    def _line(
        self, line: bytes | str, now: datetime, pghp: datetime | None
    ) -> tuple[Message, ...] | LineOutcome | None:
        if self._whole_lines and type(line) is bytes:
            # The commonest lines in one step (ingest/ais_bits.py `single_line`): the checks
            # below and the sentence's split are what its one regular expression matched.
            single = single_line(line)
            if single is not None:
                own_time = unix_time(single.trailing_time) if single.trailing_time else None
                gnss = self._gnss_time if self.gnss_clock else None
                read = self._from_bits(single.report, own_time or pghp or gnss or now)
                if read is not None:
                    return read
        if type(line) is bytes:  # what receivers hand over: no conversion
            data = line
        else:
            data = line.encode("utf-8", "replace") if isinstance(line, str) else bytes(line)
        text = data.strip()
        if len(text) > MAX_LINE_BYTES:
            raise _Rejected(Rejection.OVERSIZED, f"{len(text)} bytes > {MAX_LINE_BYTES}")
        if not text or text.startswith(b"#"):
            raise _Rejected(Rejection.NOT_AIS, "blank line or comment")
        bad = NOT_PRINTABLE.search(text)
        if bad is not None:
            raise _Rejected(Rejection.GARBAGE, f"byte 0x{text[bad.start()]:02x} at {bad.start()}")
        tag: TagBlock | None = None
        if text.startswith(b"\\"):
            end = text.find(b"\\", 1)
            if end < 0:
                raise _Rejected(Rejection.MALFORMED, "unterminated tag block")
            tag, text = TagBlock(text[1:end]), text[end + 1 :]
            tag.init()
        address = text.split(b",", 1)[0]
        if address[:1] not in (b"!", b"$"):
            raise _Rejected(Rejection.MALFORMED, "not an NMEA sentence")
        is_ais = len(address) == 6 and address[3:] in (b"VDM", b"VDO")
        is_rmc = self.gnss_clock and address[:1] == b"$" and address[3:] in (b"RMC", b"ZDA")
        if not (is_ais or is_rmc or address == b"$PGHP"):
            raise _Rejected(Rejection.NOT_AIS, address.decode()[:16])
        own_time = None
        if is_ais and text[-3:-2] != b"*":  # not ending at its checksum: a unix time after it?
            text, own_time = split_trailing_time(text)
        _check_sentence(text)
        if address == b"$PGHP":
            self._pghp = gatehouse_time(text)
            if self._pghp is None:
                raise _Rejected(Rejection.NOT_AIS, "Gatehouse sentence without a time")
            return LineOutcome.METADATA
        if is_rmc:
            clock = rmc_time(text) if address[3:] == b"RMC" else zda_time(text)
            self._gnss_time = clock or self._gnss_time
            return LineOutcome.METADATA
        return self._sentence(text, tag, now, own_time or pghp)

    def _sentence(
        self, text: bytes, tag: TagBlock | None, now: datetime, context: datetime | None
    ) -> tuple[Message, ...] | None:
        """`context`: the line's own trailing time, else the $PGHP just before it."""
        tag_time = None
        if tag is not None:
            # AMSA's feed writes the placeholder *00 on every tag block (see the 2014 capture):
            # taken as "not checksummed". Any other mismatch is corruption.
            if tag.expected_checksum < 0:
                raise _Rejected(Rejection.MALFORMED, "tag block without checksum")
            if not tag.is_valid and tag.expected_checksum != 0:
                raise _Rejected(Rejection.CHECKSUM, "tag block checksum")
            if tag.receiver_timestamp:
                tag_time = unix_time(tag.receiver_timestamp)
        fallback = context or (self._gnss_time if self.gnss_clock else None) or now
        common = None if self._reports.validate else read_common(text)
        if common is not None:  # the common shape, without pyais' objects (ingest/ais_bits.py)
            read = self._from_bits(common, tag_time or fallback)
            if read is not None:
                return read
        msg = NMEAMessage(text)
        msg.tag_block = tag
        if not msg.payload:
            raise _Rejected(Rejection.MALFORMED, "empty payload")
        if msg.frag_cnt == 1:
            return self._map(msg, tag_time or fallback)
        return self._fragment(msg, tag, tag_time, fallback, now)

    def _fragment(
        self,
        msg: NMEAMessage,
        tag: TagBlock | None,
        tag_time: datetime | None,
        fallback: datetime,
        now: datetime,
    ) -> tuple[Message, ...] | None:
        """Parts must arrive in order (IEC 61162-1 sends them back to back); a gap is a loss."""
        group_id = tag.group.group_id if tag is not None and tag.group is not None else None
        key = (msg.talker_id, msg.type, msg.channel, msg.seq_id, msg.frag_cnt, group_id)
        group = self._pending.get(key)
        if msg.frag_num == 1:
            if group is not None:
                self._evict(key, "a new first part with the same key replaced it")
            elif len(self._pending) >= self._max_pending:
                self._evict(next(iter(self._pending)), "too many pending messages")
            self._pending[key] = _Group([msg], now, fallback, tag_time)
            return None
        if group is None or len(group.parts) != msg.frag_num - 1:
            if group is not None:
                self._evict(key, f"part {msg.frag_num} came after {len(group.parts)} parts")
            raise _Rejected(
                Rejection.INCOMPLETE_MULTIPART,
                f"part {msg.frag_num}/{msg.frag_cnt} without the parts before it",
            )
        group.parts.append(msg)
        group.tag_time = group.tag_time or tag_time
        if len(group.parts) < msg.frag_cnt:
            return None
        del self._pending[key]
        self._count(LineOutcome.FRAGMENT, len(group.parts) - 1, "")
        assembled = NMEAMessage.assemble_from_iterable(group.parts)
        return self._map(assembled, group.tag_time or group.fallback_time)

    def _expire(self, now: datetime) -> None:
        """Age by arrival time: satellite event times jump back and forth by weeks."""
        limit = now - self._max_age
        while self._pending:
            key, group = next(iter(self._pending.items()))
            if group.received_at >= limit:
                return
            self._evict(key, f"rest not received within {self._max_age.total_seconds():g} s")

    def _evict(self, key: tuple[object, ...], why: str) -> None:
        group = self._pending.pop(key)
        self._count(Rejection.INCOMPLETE_MULTIPART, len(group.parts), why)

    def _from_bits(
        self, report: PositionBits | StaticBits | int, when: datetime
    ) -> tuple[Message, ...] | None:
        """The report read from a one-sentence payload's bits (`read_common`), or its type
        refused; None for a type ShoreWatch decodes in a shape the bits are not read for
        (pyais reads it)."""
        if isinstance(report, PositionBits):
            return self._position(report, when)
        if not isinstance(report, int):  # type 5 or 24, static data
            return (self._reports.static(report, when),)
        if report not in DECODED_TYPES:
            raise _unsupported(report)
        return None

    def _position(self, bits: PositionValues, when: datetime) -> tuple[Message, ...]:
        position = self._reports.position_from_bits(bits, when)
        if position is None:
            raise _no_position(bits.ais_id)
        return (position,)

    def _map(self, msg: NMEAMessage, when: datetime) -> tuple[Message, ...]:
        """A position, a static report, or both (type 19), position first."""
        ais_id = msg.ais_id
        if ais_id not in DECODED_TYPES:
            raise _unsupported(ais_id)
        fields: Any = msg.decode()
        needed = BITS_NEEDED[type(fields)]
        if len(msg.bv) < needed:
            raise _Rejected(
                Rejection.MALFORMED, f"type {ais_id}: {len(msg.bv)} bits, needs {needed}"
            )
        if ais_id not in POSITION_TYPES:
            return (self._reports.static(fields, when),)
        position = self._reports.position(ais_id, fields, when)
        if ais_id != 19:
            if position is None:
                raise _no_position(ais_id)
            return (position,)
        static = self._reports.static(fields, when)  # 19: name and size, with or without fix
        return (static,) if position is None else (position, static)
