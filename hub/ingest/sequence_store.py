"""Per-device sequence bookkeeping in the database: advance, open and fill gaps, stored-up-to.

The pure logic is hub.ingest.sequence; this reads and writes `device_sequence` and
`sequence_gap` inside the store transaction (hub.ingest.store).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.events.tables import DeviceSequence, SequenceGap
from hub.ingest.dbsql import db_ts, dialect_insert
from hub.ingest.sequence import DeviceTrack, Gap, advance, claim_tail, held_again
from models.envelope import Envelope

if TYPE_CHECKING:
    from hub.ingest.store import StoreResult

logger = logging.getLogger(__name__)

SEQ = DeviceSequence.__table__  # type: ignore[attr-defined]
GAP = SequenceGap.__table__  # type: ignore[attr-defined]
TRACK_COLUMNS = ("last_seq", "facts", "gaps_open", "gaps_total", "missing_open", "resets")
"""The counters of a `device_sequence` row, in the order `_select_tracks` reads them."""


Tracks = dict[tuple[str, str], tuple[DeviceTrack, dict[str, Any]]]
"""Per (hall, device): its sequence track and the counters of its stored row."""


def _select_tracks(conn: Connection, keys: list[tuple[str, str]], tracks: Tracks) -> None:
    """Read (and on PostgreSQL lock, in key order) the sequence rows of `keys` that exist."""
    sqlite_style = conn.dialect.name == "sqlite"
    mark = "?" if sqlite_style else "%s"
    lock = "" if sqlite_style else " FOR UPDATE"
    by_hall: dict[str, list[str]] = defaultdict(list)
    for hall, device in keys:
        by_hall[hall].append(device)
    for hall in sorted(by_hall):
        devices = by_hall[hall]
        sql = (
            f"SELECT device, {', '.join(TRACK_COLUMNS)} FROM device_sequence "
            f"WHERE hall = {mark} AND device IN ({','.join([mark] * len(devices))}) "
            f"ORDER BY device{lock}"
        )
        for device, *values in conn.exec_driver_sql(sql, (hall, *devices)):
            row = dict(zip(TRACK_COLUMNS, values, strict=True))
            known = row["facts"] or row["resets"] or row["gaps_total"]  # a tail claimed too
            last = row["last_seq"] if known else None
            tracks[(hall, device)] = (DeviceTrack(last_seq=last), row)


def _load_tracks(conn: Connection, keys: list[tuple[str, str]], now: datetime) -> Tracks:
    """Lock (PostgreSQL) and read the sequence rows of `keys`, creating the missing ones."""
    tracks: Tracks = {}
    _select_tracks(conn, keys, tracks)
    missing = [k for k in keys if k not in tracks]
    if missing:  # a device's first facts: create its row (another worker may race us to it)
        stmt = dialect_insert(conn, SEQ).on_conflict_do_nothing(index_elements=["hall", "device"])
        zero = dict.fromkeys(TRACK_COLUMNS, 0)
        rows = [{"hall": h, "device": d, **zero, "updated_at": now} for h, d in missing]
        conn.execute(stmt, rows)
        _select_tracks(conn, missing, tracks)
    return tracks


def _load_gaps(conn: Connection, keys: list[tuple[str, str]], tracks: Tracks) -> None:
    """Read the open gaps of devices whose batch reaches back below their highest seq."""
    if not keys:
        return
    query = (
        sa.select(GAP)
        .where(sa.tuple_(GAP.c.hall, GAP.c.device).in_(keys), GAP.c.filled_at.is_(None))
        .order_by(GAP.c.from_seq)
    )
    for row in conn.execute(query).mappings():
        tracks[(row["hall"], row["device"])][0].gaps.append(
            Gap(row["from_seq"], row["to_seq"], row["missing"], id=row["id"])
        )


def update_sequences(
    conn: Connection,
    facts: Sequence[Envelope],
    now: datetime,
    result: StoreResult,
    claims: Mapping[tuple[str, str], int] | None = None,
    *,
    refused: Sequence[tuple[str, str, int]] = (),
) -> dict[tuple[str, str], int]:
    """Advance each device's sequence with its new facts; open and fill gaps.

    Returns, per device it advanced that has no open gap now, the seq up to which every
    fact of it is held (its last seq): `contiguous_upto` needs no query for those.

    `claims`: per device, the latest fact seq its heartbeats in the batch name; beyond what
    the hub holds it is a lost tail, opened as a gap (hub.ingest.sequence.claim_tail).
    `refused`: (hall, device, seq) of facts dead-lettered in this batch: held (as dead
    letters), so they advance the sequence like stored facts but are not counted as facts;
    one the hub already holds changes nothing (hub.ingest.sequence.held_again).
    """
    seqs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for env in facts:
        seqs[(env.hall, env.device)].append(env.seq)
    refused_seqs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for hall, device, seq in refused:
        refused_seqs[(hall, device)].append(seq)
    tails = {k: s for k, s in (claims or {}).items() if s > 0}
    if not seqs and not tails and not refused_seqs:
        return {}
    keys = sorted(set(seqs) | set(tails) | set(refused_seqs))
    tracks = _load_tracks(conn, keys, now)
    reaching_back = [
        k
        for k in keys
        if tracks[k][0].last_seq is not None
        and (seqs.get(k) or refused_seqs.get(k))
        and min([*seqs.get(k, ()), *refused_seqs.get(k, ())]) <= (tracks[k][0].last_seq or 0)
    ]
    _load_gaps(conn, reaching_back, tracks)
    new_gaps: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    seq_rows: list[tuple[Any, ...]] = []
    held_upto: dict[tuple[str, str], int] = {}
    updated_at = db_ts(conn.dialect.name == "sqlite")(now)
    for key in keys:
        track, row = tracks[key]
        held = [s for s in refused_seqs.get(key, ()) if not held_again(track, s)]
        advance(track, [*seqs.get(key, ()), *held])
        if key in tails:
            claim_tail(track, tails[key])
        hall, device = key
        new_gaps += [
            {
                "hall": hall,
                "device": device,
                "from_seq": g.from_seq,
                "to_seq": g.to_seq,
                "missing": g.missing,
                "detected_at": now,
                "filled_at": None,
            }
            for g in track.new_gaps
        ]
        changed += [
            {"gap_id": g.id, "missing": max(g.missing, 0), "filled_at": now if g.filled else None}
            for g in track.gaps
            if g.changed
        ]
        last_seq = track.last_seq if track.last_seq is not None else 0
        gaps_open = row["gaps_open"] + len(track.new_gaps) - track.filled
        if not gaps_open:
            held_upto[key] = last_seq
        seq_rows.append(
            (  # TRACK_COLUMNS, updated_at, then the key
                last_seq,
                row["facts"] + len(seqs.get(key, ())),
                gaps_open,
                row["gaps_total"] + len(track.new_gaps),
                row["missing_open"] + sum(g.missing for g in track.new_gaps) - track.late,
                row["resets"] + track.resets,
                updated_at,
                hall,
                device,
            )
        )
        result.gaps_opened += len(track.new_gaps)
        result.gaps_filled += track.filled
        result.unexpected_seqs += track.unexpected
        for g in track.new_gaps:
            logger.warning(
                "sequence gap on %s/%s: seqs %d..%d missing", hall, device, g.from_seq, g.to_seq
            )
        if track.unexpected:
            logger.warning(
                "%s/%s sent %d repeated seqs with new event ids", hall, device, track.unexpected
            )
    if new_gaps:
        conn.execute(sa.insert(GAP), new_gaps)
    if changed:
        conn.execute(
            GAP.update()
            .where(GAP.c.id == sa.bindparam("gap_id"))
            .values(missing=sa.bindparam("missing"), filled_at=sa.bindparam("filled_at")),
            changed,
        )
    sqlite_style = conn.dialect.name == "sqlite"
    mark = "?" if sqlite_style else "%s"
    assigns = ", ".join(f"{c} = {mark}" for c in (*TRACK_COLUMNS, "updated_at"))
    conn.exec_driver_sql(
        f"UPDATE device_sequence SET {assigns} WHERE hall = {mark} AND device = {mark}",
        seq_rows,
    )
    return held_upto


def contiguous_upto(
    conn: Connection,
    keys: Sequence[tuple[str, str]],
    known: Mapping[tuple[str, str], int] | None = None,
) -> dict[tuple[str, str], int]:
    """Per device: the highest seq up to which every fact is stored (below its first open gap).

    `known`: what `update_sequences` of this transaction already knows (a device without an
    open gap holds every fact up to its last seq); only the other devices are read.
    """
    wanted = sorted(set(keys))
    out = {k: known[k] for k in wanted if k in known} if known else {}
    keys = [k for k in wanted if k not in out]
    if not keys:
        return out
    first_open = (
        sa.select(sa.func.min(GAP.c.from_seq))
        .where(GAP.c.hall == SEQ.c.hall, GAP.c.device == SEQ.c.device, GAP.c.filled_at.is_(None))
        .scalar_subquery()
    )
    query = sa.select(SEQ.c.hall, SEQ.c.device, SEQ.c.last_seq, SEQ.c.gaps_open, first_open).where(
        sa.tuple_(SEQ.c.hall, SEQ.c.device).in_(keys)
    )
    for hall, device, last_seq, gaps_open, gap_from in conn.execute(query):
        upto = int(last_seq)
        if gaps_open and gap_from is not None:
            upto = min(upto, int(gap_from) - 1)
        out[(hall, device)] = upto
    return out
