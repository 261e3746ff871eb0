"""`shorewatch evaluate`: the matching rules, the scores, and the inputs refused clearly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main
from app.evaluate.matching import evaluate
from app.evaluate.records import EventRecord, Label, RecordError, read_labels

T = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)


def label(
    kind: str = "dark_target", target: str = "radar:r-1", at: float = 0.0, **kw: object
) -> Label:
    return Label.model_validate(
        {"kind": kind, "target": target, "start": T + timedelta(seconds=at), **kw}
    )


def event(
    kind: str = "dark_target",
    targets: tuple[str, ...] = ("radar:r-1",),
    at: float = 0.0,
    **kw: object,
) -> EventRecord:
    return EventRecord.model_validate(
        {"kind": kind, "targets": targets, "start": T + timedelta(seconds=at), **kw}
    )


def test_a_hit_needs_kind_target_and_time() -> None:
    truth = [label()]
    assert len(evaluate(truth, [event(at=120)])["dark_target"].hits) == 1
    for wrong in (event(kind="high_speed"), event(targets=("radar:r-2",)), event(at=301)):
        scores = evaluate(truth, [wrong])
        assert len(scores["dark_target"].misses) == 1, wrong
        assert sum(len(s.false_alarms) for s in scores.values()) == 1


def test_the_time_window_spans_the_label_and_the_tolerance() -> None:
    truth = [label(at=0, end=(T + timedelta(seconds=600)).isoformat())]
    assert evaluate(truth, [event(at=850)])["dark_target"].hits  # 250 s after its end
    assert not evaluate(truth, [event(at=950)])["dark_target"].hits
    assert evaluate(truth, [event(at=950)], tolerance_s=400)["dark_target"].hits
    # An event that began before the label and is still going covers it.
    long_event = event(at=-2000, end=(T + timedelta(seconds=100)).isoformat())
    assert evaluate(truth, [long_event])["dark_target"].hits


def test_zone_and_pair_targets() -> None:
    truth = [label("encounter", "ais:1"), label("zone_entry", "ais:2", zone="cove")]
    events = [event("encounter", ("ais:1", "ais:9")), event("zone_entry", ("ais:2",), zone="port")]
    scores = evaluate(truth, events)
    assert len(scores["encounter"].hits) == 1  # either vessel of a pair
    assert len(scores["zone_entry"].misses) == 1  # the wrong zone
    assert len(scores["zone_entry"].false_alarms) == 1


def test_one_to_one_and_the_nearest_start_wins() -> None:
    truth = [label(at=0), label(at=200)]
    events = [event(at=190), event(at=10), event(at=100)]
    s = evaluate(truth, events)["dark_target"]
    assert sorted((h.label.start - T).total_seconds() for h in s.hits) == [0, 200]
    assert {(h.event.start - T).total_seconds() for h in s.hits} == {10, 190}
    assert [(e.start - T).total_seconds() for e in s.false_alarms] == [100]
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == 1.0
    assert s.f1 == pytest.approx(0.8)


def test_undefined_ratios_are_none_not_zero() -> None:
    scores = evaluate([label()], [event("spoofing", ("ais:5",))])
    assert scores["dark_target"].precision is None  # raised nothing
    assert scores["dark_target"].recall == 0.0
    assert scores["spoofing"].recall is None  # nothing labelled
    assert scores["spoofing"].precision == 0.0


def test_bad_labels_are_refused_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"kind": "dark_target", "target": "radar:r-1", "start": "2026-11-20T22:00:00Z"}\n'
        '{"kind": "darkness", "target": "radar:r-1", "start": "2026-11-20T22:00:00Z"}\n'
    )
    with pytest.raises(RecordError, match=r"labels.jsonl:2: kind: .*unknown kind 'darkness'"):
        read_labels(path)
    path.write_text('{"kind": "dark_target", "target": "x", "start": "2026-11-20", "by": 1}\n')
    with pytest.raises(RecordError, match="by: Extra inputs are not permitted"):
        read_labels(path)


def test_command_prints_scores_lists_misses_and_writes_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth, events = tmp_path / "truth.jsonl", tmp_path / "events.jsonl"
    truth.write_text(
        "".join(
            json.dumps(x.model_dump(mode="json")) + "\n"
            for x in (label(), label("loitering", "ais:7", note="drifting off the cove"))
        )
    )
    events.write_text(
        json.dumps({"kind": "dark_target", "start": "2026-11-20T22:01:00Z", "end": None,
                    "targets": ["radar:r-1"], "lat": 58.0, "lon": 11.0, "facts": {},
                    "zone": None, "id": "x", "config_version": "v", "evidence": []}) + "\n"
    )  # fmt: skip
    out = tmp_path / "report"
    scores = tmp_path / "scores.json"
    argv = ["evaluate", "--truth", str(truth), "--events", str(events), "--report", str(out)]
    assert main([*argv, "--json", str(scores)]) == 0
    text = capsys.readouterr().out
    assert "miss         loitering          ais:7 at 2026-11-20T22:00:00Z (drifting off" in text
    assert json.loads(scores.read_text())["dark_target"]["precision"] == 1.0
    page = (out / "report.html").read_text()
    assert "drifting off the cove" in page
    assert (out / "evaluate.png").stat().st_size > 10_000
    assert main(["evaluate", "--truth", str(tmp_path / "none"), "--events", str(events)]) == 1
