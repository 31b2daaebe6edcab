"""Heartbeats are not facts (issue 21): no event row; a heartbeat's seq past what the hub
holds opens a gap for the lost tail; fleet keeps the latest and a downsampled history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.fleet.engine import FleetPolicy
from hub.fleet.projector import FleetProjector
from hub.fleet.tables import DeviceHealth, HeartbeatSample
from hub.ingest.hooks import IngestBatch
from hub.ingest.pipeline import handle_batch
from hub.ingest.sequence import DeviceTrack, Gap, advance, claim_tail
from models.envelope import Envelope, make_envelope
from models.events import Heartbeat
from models.topics import Channel, build_topic
from tests.hub.ingest.conftest import HALL, evt_topic, punch

DEVICE = "w01-face"
SAMPLE = HeartbeatSample.__table__  # type: ignore[attr-defined]
HEALTH = DeviceHealth.__table__  # type: ignore[attr-defined]


def beat(seq: int, device: str = DEVICE, ts: datetime | None = None) -> Envelope:
    """A heartbeat naming `seq` as the device's latest fact."""
    return make_envelope(
        hall=HALL,
        device=device,
        seq=seq,
        ts=ts or datetime.now(UTC),
        synced=True,
        body=Heartbeat(
            uptime_s=1.0,
            agent_version="0.1.0",
            contract_version=1,
            outbox_depth=0,
            outbox_capacity=100,
            clock_synced=True,
        ),
    )


def hb_topic(env: Envelope) -> str:
    return build_topic(env.hall, env.device, Channel.HB)


def store(engine: Engine, envs: list[Envelope]) -> object:
    messages = [(hb_topic(e) if not e.is_fact else evt_topic(e), e.to_json()) for e in envs]
    outcome = handle_batch(engine, messages, datetime.now(UTC), give_up=lambda d: True)
    assert outcome.committed
    return outcome


def rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_a_heartbeat_past_the_last_fact_is_a_lost_tail() -> None:
    track = advance(DeviceTrack(last_seq=None), [1, 2, 3])
    claim_tail(track, 5)
    assert [(g.from_seq, g.to_seq, g.missing) for g in track.new_gaps] == [(4, 5, 2)]
    claim_tail(track, 5)  # the next heartbeat says the same: no second gap
    claim_tail(track, 2)  # behind: nothing
    assert len(track.new_gaps) == 1 and track.last_seq == 5
    track.gaps, track.new_gaps = [Gap(4, 5, 2, id=1)], []
    advance(track, [4, 5])  # the tail arrives after all: the gap fills
    assert track.gaps[0].filled and track.filled == 1


def test_heartbeats_are_no_event_rows_and_a_lost_tail_is_a_gap(sqlite_engine: Engine) -> None:
    outcome = store(sqlite_engine, [punch(seq=s) for s in (1, 2, 3)] + [beat(5)])
    assert [e.seq for e in outcome.heartbeats] == [5]  # type: ignore[attr-defined]
    assert rows(sqlite_engine, "SELECT type, count(*) FROM event GROUP BY type") == [("punch", 3)]
    gaps = "SELECT from_seq, to_seq, missing, filled_at IS NULL FROM sequence_gap"
    assert rows(sqlite_engine, gaps) == [(4, 5, 2, 1)]
    assert outcome.stored_upto == {(HALL, DEVICE): 3}  # type: ignore[attr-defined]
    store(sqlite_engine, [beat(5), beat(0, device="w02-face")])  # repeated; a device w/o facts
    assert rows(sqlite_engine, gaps) == [(4, 5, 2, 1)]
    store(sqlite_engine, [punch(seq=4), punch(seq=5)])  # the tail came after all
    assert rows(sqlite_engine, gaps) == [(4, 5, 0, 0)]
    assert rows(sqlite_engine, "SELECT count(*) FROM event WHERE type = 'heartbeat'") == [(0,)]
    store(sqlite_engine, [beat(5)])  # a heartbeat-only batch changes nothing more
    assert rows(sqlite_engine, "SELECT count(*) FROM sequence_gap") == [(1,)]
    assert rows(sqlite_engine, "SELECT last_seq FROM device_sequence") == [(5,)]


def test_a_device_whose_only_news_is_a_heartbeat_gets_its_tail_gap(sqlite_engine: Engine) -> None:
    store(sqlite_engine, [beat(3)])  # facts 1..3 never arrived (lost on the way)
    gaps = "SELECT from_seq, to_seq, missing FROM sequence_gap"
    assert rows(sqlite_engine, gaps) == [(1, 3, 3)]
    store(sqlite_engine, [punch(seq=1), punch(seq=2), punch(seq=3), punch(seq=4)])
    assert rows(sqlite_engine, gaps) == [(1, 3, 0)]
    assert rows(sqlite_engine, "SELECT last_seq FROM device_sequence") == [(4,)]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_fleet_keeps_the_latest_heartbeat_and_a_downsampled_history(
    sqlite_engine: Engine,
) -> None:
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    policy = FleetPolicy(heartbeat_sample_s=900, heartbeat_retention_days=1)
    fleet = FleetProjector(policy, clock=Clock(t0))
    received = [t0 + timedelta(seconds=30 * n) for n in range(62)]  # 31 minutes of heartbeats
    for at in received:
        fleet.clock = Clock(at)
        fleet.project(sqlite_engine, IngestBatch(received_at=at, heartbeats=(beat(0, ts=at),)))
    with Session(sqlite_engine) as s:
        kept = [r.at.replace(tzinfo=UTC) for r in s.exec(sa.select(SAMPLE)).all()]  # type: ignore[call-overload]
        latest = s.exec(sa.select(HEALTH.c.heartbeat_at)).one()[0]  # type: ignore[call-overload]
    assert kept == [t0, t0 + timedelta(minutes=15), t0 + timedelta(minutes=30)]
    assert latest.replace(tzinfo=UTC) == received[-1]  # the latest is the device's health
    later = t0 + timedelta(days=1, minutes=20)  # past the retention: the old ones go
    fleet = FleetProjector(policy, clock=Clock(later))
    fleet.project(sqlite_engine, IngestBatch(received_at=later, heartbeats=(beat(0),)))
    with Session(sqlite_engine) as s:
        left = [r.at.replace(tzinfo=UTC) for r in s.exec(sa.select(SAMPLE)).all()]  # type: ignore[call-overload]
    assert left == [t0 + timedelta(minutes=30), later]
