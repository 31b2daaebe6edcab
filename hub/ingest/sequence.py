"""Pure per-device sequence tracking: detect gaps in fact seqs, and fill them when late seqs come.

A device numbers its facts 1, 2, 3, ... (heartbeats repeat the latest seq and are not counted).
The hub keeps the highest seq it has seen; a jump past `last + 1` opens a gap for the skipped
range, and each skipped seq that arrives later (an outbox replay, a QoS 1 redelivery) counts
down the gap's `missing`; at zero the gap is filled. The seqs of one batch are taken in order,
so a gap opened and closed inside one committed batch never shows.

The first fact the hub sees from a device is checked against seq 1: starting at seq 50 opens
gap 1..49 (the hub really does not hold them). A new fact with seq 1 (or 0) below the highest
seq, in no open gap, means the device restarted its numbering (its outbox was wiped): that is
counted as a reset, not as a gap. Any other repeated seq with a new event id is counted as
`unexpected` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Gap:
    """A skipped range of one device's seqs; `id` is None until it is stored."""

    from_seq: int
    to_seq: int
    missing: int
    id: int | None = None
    changed: bool = False

    @property
    def filled(self) -> bool:
        """Every seq of the range has arrived."""
        return self.missing <= 0

    def covers(self, seq: int) -> bool:
        """`seq` lies inside this gap's range."""
        return self.from_seq <= seq <= self.to_seq


@dataclass(slots=True)
class DeviceTrack:
    """What the hub knows of one device's numbering, updated by `advance`."""

    last_seq: int | None
    gaps: list[Gap] = field(default_factory=list)
    new_gaps: list[Gap] = field(default_factory=list)
    resets: int = 0
    unexpected: int = 0
    late: int = 0
    filled: int = 0

    @property
    def open_gaps(self) -> list[Gap]:
        """Gaps (stored or new) still missing some seqs."""
        return [g for g in (*self.gaps, *self.new_gaps) if not g.filled]


def claim_tail(track: DeviceTrack, seq: int) -> DeviceTrack:
    """A heartbeat says the device's latest fact is `seq` (changed in place).

    Beyond the highest seq the hub holds, that is a lost tail: a gap up to `seq` itself, as
    if the facts were skipped, so each that still comes counts it down and fills it.
    """
    last = track.last_seq or 0
    if seq > last:
        track.new_gaps.append(Gap(last + 1, seq, seq - last))
        track.last_seq = seq
    return track


def held_again(track: DeviceTrack, seq: int) -> bool:
    """`seq` is one the hub already holds: at or below the highest, in no open gap.

    A refused fact sent again (its dead letter is kept each time) must neither count as
    `unexpected` nor, at seq 1, as a restart of the device's numbering.
    """
    last = track.last_seq
    if last is None or seq > last:
        return False
    return not any(g.covers(seq) for g in track.open_gaps)


def advance(track: DeviceTrack, seqs: Iterable[int]) -> DeviceTrack:
    """Take the seqs of one batch's new facts of a device into `track` (changed in place)."""
    for seq in sorted(set(seqs)):
        last = track.last_seq
        if last is None and seq <= 1:
            track.last_seq = seq
            continue
        expected = 1 if last is None else last + 1
        if seq >= expected:
            if seq > expected:
                track.new_gaps.append(Gap(expected, seq - 1, seq - expected))
            track.last_seq = seq
            continue
        gap = next((g for g in track.open_gaps if g.covers(seq)), None)
        if gap is not None:
            gap.missing -= 1
            gap.changed = True
            track.late += 1
            track.filled += int(gap.filled)
        elif seq <= 1:
            track.resets += 1
            track.last_seq = seq
        else:
            track.unexpected += 1
    return track
