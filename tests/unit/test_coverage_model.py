"""Receiver coverage (issue 13, item 2): configured areas, the learned grid, and how they join."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from shorewatch.config.coverage import (
    CoverageConfig,
    LearnedCoverageConfig,
    ReceiverCoverageConfig,
)
from shorewatch.coverage import Cell, CoverageModel, LearnedCell, LearnedGrid

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SQUARE = [(11.0, 58.0), (11.5, 58.0), (11.5, 58.3), (11.0, 58.3), (11.0, 58.0)]


def model(
    *receivers: ReceiverCoverageConfig, min_reports: int = 2, min_cells: int = 1
) -> CoverageModel:
    learned = LearnedCoverageConfig(cell_deg=0.05, min_reports=min_reports, min_cells=min_cells)
    return CoverageModel(CoverageConfig(receivers=list(receivers), learned=learned))


def test_cells_floor_both_axes() -> None:
    assert Cell.of(58.101, 11.249, 0.05) == Cell(1162, 224)
    assert Cell.of(-0.01, -0.01, 0.05) == Cell(-1, -1)
    assert Cell(1162, 224).south(0.05) == pytest.approx(58.10)


def test_range_and_polygon_areas() -> None:
    m = model(
        ReceiverCoverageConfig(id="mast", lat=58.0, lon=11.0, range_km=10),
        ReceiverCoverageConfig(id="island", polygon=SQUARE),
    )
    assert m.receiver_covers("mast", 58.08, 11.0)  # 8.9 km north
    assert not m.receiver_covers("mast", 58.10, 11.0)  # 11.1 km
    assert m.receiver_covers("island", 58.2, 11.2)
    assert not m.receiver_covers("island", 58.4, 11.2)
    assert m.modelled() == ["island", "mast"]


def test_learned_cell_counts_once_heard_enough() -> None:
    m = model(min_reports=3)
    for i in range(2):
        m.hear("rx", 58.11, 11.21, T0 + timedelta(seconds=i))
    assert not m.receiver_covers("rx", 58.11, 11.21)
    assert m.modelled() == []  # nothing known: the caller falls back to the zones
    m.hear("rx", 58.12, 11.22, T0 + timedelta(seconds=5))  # same 0.05-degree cell
    assert m.receiver_covers("rx", 58.105, 11.245)
    assert not m.receiver_covers("rx", 58.16, 11.21)  # the next cell north
    assert not m.receiver_covers("other", 58.11, 11.21)
    assert m.modelled() == ["rx"]


def test_a_grid_counts_only_when_mature() -> None:
    m = model(min_reports=1, min_cells=3)
    m.hear("rx", 58.11, 11.21, T0)
    m.hear("rx", 58.16, 11.21, T0)
    assert m.modelled() == []
    m.hear("rx", 58.21, 11.21, T0)
    assert m.modelled() == ["rx"]


def test_satellite_and_opted_out_receivers_learn_nothing() -> None:
    m = model(
        ReceiverCoverageConfig(id="sat", satellite=True),
        ReceiverCoverageConfig(id="quiet", learn=False),
        min_reports=1,
    )
    m.hear("sat", 58.11, 11.21, T0)
    m.hear("quiet", 58.11, 11.21, T0)
    assert m.grid.receivers() == []
    assert m.is_satellite("sat")
    assert not m.is_satellite("quiet")


def test_judge_names_receivers_covering_every_position() -> None:
    m = model(
        ReceiverCoverageConfig(id="mast", lat=58.0, lon=11.0, range_km=10),
        ReceiverCoverageConfig(id="island", polygon=SQUARE),
    )
    inside = m.judge("mast", [(58.02, 11.05), (58.05, 11.05)])
    assert inside is not None
    assert inside.covered
    assert inside.expected == ("island", "mast")
    leaving = m.judge("island", [(58.25, 11.2), (58.35, 11.2)])  # north out of both
    assert leaving is not None
    assert not leaving.covered
    assert leaving.expected == ("island",)


def test_satellite_judged_on_its_footprint_only() -> None:
    m = model(ReceiverCoverageConfig(id="sat", satellite=True))
    verdict = m.judge("sat", [(-30.0, 150.0)])
    assert verdict is not None
    assert verdict.covered
    assert verdict.basis == "satellite"
    fenced = model(ReceiverCoverageConfig(id="sat", satellite=True, polygon=SQUARE))
    outside = fenced.judge("sat", [(58.1, 11.1), (59.0, 11.1)])
    assert outside is not None
    assert not outside.covered


def test_drain_restore_and_load_round_trip_in_memory() -> None:
    grid = LearnedGrid(0.05, 2)
    grid.hear("rx", 58.11, 11.21, T0)
    grid.hear("rx", 58.11, 11.21, T0 + timedelta(minutes=1))
    (delta,) = grid.drain()
    assert delta == LearnedCell("rx", Cell(1162, 224), 2, T0, T0 + timedelta(minutes=1))
    assert grid.drain() == []
    grid.restore([delta])  # a flush that failed: pending again
    assert grid.drain() == [delta]
    fresh = LearnedGrid(0.05, 2)
    assert fresh.load([delta]) == 1
    assert fresh.covers("rx", 58.11, 11.21)
    assert fresh.covered_cells("rx") == 1
    assert fresh.drain() == []  # loaded counts are not written back


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "a", "range_km": 10},  # range without a position
        {"id": "a", "lat": 58, "lon": 11, "range_km": 10, "polygon": SQUARE},
        {"id": "a", "polygon": [*SQUARE[:-1], (11.1, 58.1)]},  # not closed
        {"id": "a", "range": 10},  # unknown key
    ],
)
def test_bad_receiver_config_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ReceiverCoverageConfig.model_validate(fields)


def test_duplicate_receivers_refused() -> None:
    with pytest.raises(ValidationError, match="duplicate receiver"):
        CoverageConfig(receivers=[ReceiverCoverageConfig(id="a"), ReceiverCoverageConfig(id="a")])


def test_a_satellite_receiver_does_not_cover_terrestrial_vessels() -> None:
    """A satellite footprint is everywhere; a vessel heard by a shore mast is still judged on
    the shore receivers' coverage."""
    m = model(
        ReceiverCoverageConfig(id="sat", satellite=True),
        ReceiverCoverageConfig(id="mast", lat=58.0, lon=11.0, range_km=10),
    )
    assert m.modelled() == ["mast"]
    verdict = m.judge("mast", [(58.5, 11.0)])
    assert verdict is not None
    assert not verdict.covered
