"""Pure sequence tracking: gaps open on a jump, count down on late seqs, fill at zero."""

from __future__ import annotations

from hub.ingest.sequence import DeviceTrack, Gap, advance, held_again


def test_in_order_seqs_open_no_gap() -> None:
    track = advance(DeviceTrack(last_seq=None), [1, 2, 3])
    assert track.last_seq == 3 and not track.new_gaps


def test_a_jump_opens_a_gap_of_the_skipped_range() -> None:
    track = advance(DeviceTrack(last_seq=3), [4, 8])
    assert track.last_seq == 8
    assert [(g.from_seq, g.to_seq, g.missing) for g in track.new_gaps] == [(5, 7, 3)]


def test_out_of_order_inside_one_batch_is_no_gap() -> None:
    track = advance(DeviceTrack(last_seq=3), [6, 5, 4])
    assert track.last_seq == 6 and not track.new_gaps


def test_first_fact_seen_late_opens_gap_from_one() -> None:
    track = advance(DeviceTrack(last_seq=None), [4])
    assert [(g.from_seq, g.to_seq) for g in track.new_gaps] == [(1, 3)]


def test_late_seqs_fill_a_stored_gap() -> None:
    gap = Gap(5, 7, 3, id=11)
    track = advance(DeviceTrack(last_seq=8, gaps=[gap]), [5, 7])
    assert gap.missing == 1 and gap.changed and not gap.filled
    assert track.late == 2 and track.filled == 0
    advance(track, [6])
    assert gap.filled and track.filled == 1 and track.last_seq == 8


def test_seq_one_again_is_a_reset_not_a_gap() -> None:
    track = advance(DeviceTrack(last_seq=40), [1, 2])
    assert track.resets == 1 and track.last_seq == 2 and not track.new_gaps


def test_repeated_seq_with_a_new_id_is_unexpected() -> None:
    track = advance(DeviceTrack(last_seq=40), [12])
    assert track.unexpected == 1 and track.last_seq == 40


def test_a_refused_fact_sent_again_is_held_already_unless_it_fills_a_gap() -> None:
    track = advance(DeviceTrack(last_seq=None), [1, 2, 5])  # gap 3..4 open
    assert held_again(track, 1) and held_again(track, 2) and held_again(track, 5)
    assert not held_again(track, 3) and not held_again(track, 6)
    assert not held_again(DeviceTrack(last_seq=None), 1)
