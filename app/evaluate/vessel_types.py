"""How well movement alone tells vessel types apart, measured on real AIS captures.

For every vessel in a capture that declares a usable ship type (messages 5/19/24) and has
enough positions, the class judged from kinematics alone (detectors/vessel_type.py, no
declaration, no dimensions) is set against the declared class: a confusion matrix and the
accuracy where movement gave an answer, and the share where it did not. The figures in
docs/detection.md come from `python -m app.evaluate.vessel_types ../shared/data/ais/*`.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.replay.inputs import AisFeeder, read_lines
from app.replay.timed_lines import timed_lines
from detectors.track import Fix
from detectors.vessel_type import (
    VesselClass,
    classify_kinematics,
    declared_class,
    judge,
    kinematics,
)
from shorewatch.events import Observation, VesselStatic

CLASSES = tuple(VesselClass)


@dataclass
class Matrix:
    """counts[(declared, judged)]; judged UNKNOWN means movement gave no answer."""

    counts: Counter[tuple[VesselClass, VesselClass]]

    @property
    def judged(self) -> int:
        return sum(n for (_, j), n in self.counts.items() if j is not VesselClass.UNKNOWN)

    @property
    def correct(self) -> int:
        return sum(n for (d, j), n in self.counts.items() if d is j)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.judged if self.judged else None

    def table(self) -> str:
        rows = sorted({d for d, _ in self.counts}, key=CLASSES.index)
        cols = list(CLASSES)
        header = "| declared \\ judged | " + " | ".join(c.value for c in cols) + " |"
        lines = [header, "|---" * (len(cols) + 1) + "|"]
        for d in rows:
            cells = " | ".join(str(self.counts[(d, c)] or "") for c in cols)
            lines.append(f"| {d.value} | {cells} |")
        return "\n".join(lines)


def vessels(path: Path) -> tuple[dict[int, list[Fix]], dict[int, VesselStatic]]:
    """Every vessel's fixes (in time order) and its latest identity, decoded as replay does."""
    feeder = AisFeeder("capture")
    tracks: dict[int, list[Fix]] = defaultdict(list)
    statics: dict[int, VesselStatic] = {}
    for line in timed_lines(read_lines(path)):
        for message in feeder.feed(line.data, line.time):
            if isinstance(message, Observation) and message.target_ref.isdigit():
                tracks[int(message.target_ref)].append(Fix.from_observation(message))
            elif isinstance(message, VesselStatic):
                statics[message.mmsi] = message
    for fixes in tracks.values():
        fixes.sort(key=lambda f: f.time)
    return tracks, statics


def confusion(paths: Iterable[Path], *, with_length: bool = False) -> Matrix:
    """Declared class against movement alone, or (`with_length`) movement plus the hull length
    the AIS dimensions give, the declared type itself still withheld."""
    counts: Counter[tuple[VesselClass, VesselClass]] = Counter()
    for path in paths:
        tracks, statics = vessels(path)
        for mmsi, fixes in tracks.items():
            static = statics.get(mmsi)
            declared = None if static is None else declared_class(static.ship_type, static.length_m)
            if declared is None:
                continue
            length = static.length_m if static is not None else None
            if with_length and length is not None:
                judged = judge(fixes, None, length).vessel_class
            else:
                judged, _, _ = classify_kinematics(kinematics(fixes))
            counts[(declared, judged)] += 1
    return Matrix(counts)


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    for title, with_length in (("kinematics alone", False), ("kinematics + length", True)):
        matrix = confusion(paths, with_length=with_length)
        print(f"{title}\n\n{matrix.table()}")
        accuracy = "—" if matrix.accuracy is None else f"{matrix.accuracy:.1%}"
        print(
            f"\n{matrix.total} vessels with a declared type; judged {matrix.judged} "
            f"({matrix.judged / max(matrix.total, 1):.0%}); accuracy where judged {accuracy}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
