"""The disk spool: order, acknowledgement, bounds (counted drops), torn tails, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shorewatch.spool import Spool


def make(path: Path, **kw: object) -> Spool:
    args: dict[str, object] = {"max_bytes": 10_000_000, "max_age_s": 3600.0, "fsync": "never"}
    args.update(kw)
    return Spool(path, **args)  # type: ignore[arg-type]  # test helper: typed by Spool


def test_records_come_out_in_order_and_leave_when_acknowledged(tmp_path: Path) -> None:
    spool = make(tmp_path, segment_bytes=200)  # several segments
    seqs = [spool.append(f"r{i}".encode() * 20) for i in range(30)]
    assert seqs == sorted(seqs)
    assert [p for _, p in spool.read_after(0, 3)] == [b"r0" * 20, b"r1" * 20, b"r2" * 20]
    assert len(list(tmp_path.glob("*.seg"))) > 3
    for seq in seqs[:20]:
        spool.ack(seq)
    assert spool.stats().records == 10
    assert spool.read_after(0, 1)[0][1] == b"r20" * 20
    spool.close()

    reopened = make(tmp_path, segment_bytes=200)
    assert [p for _, p in reopened.read_after(0, 100)] == [
        f"r{i}".encode() * 20 for i in range(20, 30)
    ]
    assert reopened.append(b"next") > seqs[-1]  # numbering goes on, never reused
    reopened.close()


def test_out_of_order_acks_move_the_floor_only_over_contiguous_ones(tmp_path: Path) -> None:
    spool = make(tmp_path)
    a, b, c = (spool.append(x) for x in (b"a", b"b", b"c"))
    spool.ack(b)
    assert spool.floor == 0
    assert [p for _, p in spool.read_after(0, 10)] == [b"a", b"c"]
    spool.ack(a)
    assert spool.floor == b
    spool.ack(c)
    assert spool.stats().records == 0
    spool.close()


def test_byte_bound_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    spool = make(tmp_path, max_bytes=1000, segment_bytes=300)
    for i in range(25):
        spool.append(bytes([i]) * 100)
    stats = spool.stats()
    assert stats.bytes <= 1000
    assert stats.records == 10
    assert stats.dropped == 15
    assert spool.read_after(0, 1)[0][1] == bytes([15]) * 100  # the newest are kept
    spool.close()
    disk = sum(p.stat().st_size for p in tmp_path.glob("*.seg"))
    assert disk < 1000 + 2 * 300 + 25 * 24  # dropped segments are deleted


def test_age_bound_drops_what_is_too_old(tmp_path: Path) -> None:
    now = [1000.0]
    spool = make(tmp_path, max_age_s=60.0, clock=lambda: now[0])
    spool.append(b"old")
    now[0] += 30
    spool.append(b"young")
    now[0] += 40  # "old" is 70 s old
    stats = spool.stats()
    assert (stats.records, stats.dropped) == (1, 1)
    assert stats.oldest_age_s == pytest.approx(40.0)
    assert spool.read_after(0, 5)[0][1] == b"young"
    spool.close()


def test_a_torn_tail_is_detected_cut_off_and_the_rest_kept(tmp_path: Path) -> None:
    spool = make(tmp_path)
    for i in range(5):
        spool.append(b"x%d" % i)
    spool.close()
    segment = next(tmp_path.glob("*.seg"))
    good = segment.stat().st_size
    with open(segment, "ab") as handle:
        handle.write(b"\x10\x00\x00\x00garbage")  # a header cut short
    reopened = make(tmp_path)
    assert reopened.stats().torn == 1
    assert segment.stat().st_size == good
    assert [p for _, p in reopened.read_after(0, 10)] == [b"x%d" % i for i in range(5)]
    reopened.append(b"after")
    reopened.close()
    assert [p for _, p in make(tmp_path).read_after(0, 10)][-1] == b"after"


def test_a_corrupt_record_is_not_handed_out(tmp_path: Path) -> None:
    spool = make(tmp_path)
    spool.append(b"first")
    spool.append(b"second")
    spool.close()
    segment = next(tmp_path.glob("*.seg"))
    data = bytearray(segment.read_bytes())
    data[-1] ^= 0xFF  # flip a bit of the last payload: its CRC no longer matches
    segment.write_bytes(bytes(data))
    reopened = make(tmp_path)
    assert [p for _, p in reopened.read_after(0, 10)] == [b"first"]
    assert reopened.stats().torn == 1
    reopened.close()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from shorewatch.spool import Spool

    spool = Spool(Path(sys.argv[1]), max_bytes=1 << 34, max_age_s=1e9, fsync="never",
                  segment_bytes=4 << 20)
    i = 0
    while True:
        seq = spool.append(str(i).encode() * 50_000)  # ~300 KB: a kill lands mid-write
        print(seq, i, flush=True)
        i += 1
    """
)


@pytest.mark.parametrize("round_", range(3))
def test_kill_9_mid_write_keeps_every_returned_append(tmp_path: Path, round_: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    returned: dict[int, int] = {}
    while len(returned) < 40 + 7 * round_:
        seq_text, index_text = proc.stdout.readline().split()
        returned[int(seq_text)] = int(index_text)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # What the child had fully reported: a line cut by the kill (no newline) was not.
    complete = proc.stdout.read().split("\n")[:-1]
    returned.update((int(s), int(i)) for s, i in (line.split() for line in complete))

    spool = make(tmp_path)
    kept = dict(spool.read_after(0, 10_000))
    for seq, index in returned.items():
        assert kept[seq] == str(index).encode() * 50_000
    assert len(kept) - len(returned) <= 1  # at most the one append that had not returned
    spool.append(b"goes on")
    spool.close()


def test_depth_age_and_drops_are_on_metrics(tmp_path: Path) -> None:
    from shorewatch.metrics import Metrics

    spool = make(tmp_path, max_bytes=250)
    for _ in range(3):
        spool.append(b"y" * 100)
    metrics = Metrics()
    metrics.watch_spool("ingest", spool.stats)
    text = metrics.exposition().decode()
    assert 'shorewatch_spool_records{spool="ingest"} 2.0' in text
    assert 'shorewatch_spool_bytes{spool="ingest"} 200.0' in text
    assert 'shorewatch_spool_dropped_total{spool="ingest"} 1.0' in text
    assert "shorewatch_spool_oldest_age_seconds" in text
    spool.close()


def test_drops_and_an_old_backlog_are_reported_as_problems() -> None:
    """The heartbeat names what the spool knows is wrong, and nothing when all is well."""
    from shorewatch.spool import SpoolStats, spool_problems

    assert spool_problems(SpoolStats(0, 0, 0.0, 0, 0), backlog_after_s=60) == []
    assert spool_problems(SpoolStats(5, 900, 30.0, 0, 0), backlog_after_s=60) == []
    names = [p.name for p in spool_problems(SpoolStats(5, 900, 61.0, 3, 0), backlog_after_s=60)]
    assert names == ["spool_dropped", "spool_backlog"]
