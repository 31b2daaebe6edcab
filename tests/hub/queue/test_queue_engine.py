"""The pure queue engine: order, green channel, recalls, skips, transfers, closing, reset."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.queue.engine import (
    CounterDef,
    EventKind,
    QueueEngine,
    QueueError,
    QueueSettings,
    ServiceDef,
    TicketState,
)

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make(**kw: object) -> QueueEngine:
    services = [
        ServiceDef("social", "社保业务", "A"),
        ServiceDef("medical", "医保业务", "B"),
        ServiceDef("property", "不动产登记", "C", immediate=False),
    ]
    counters = [
        CounterDef("w01", 1, {"social": 1.0}),
        CounterDef("w03", 3, {"medical": 1.0}),
        CounterDef("w08", 8, {"social": 1.0, "medical": 1.0}),
    ]
    return QueueEngine(services, counters, QueueSettings(tz=TZ, **kw))  # type: ignore[arg-type]


def issued(q: QueueEngine, service: str, m: float, green: bool = False) -> str:
    evs = q.issue(service, at(m), green=green)
    assert evs[-1].kind is EventKind.ISSUED
    return evs[-1].ticket or ""


def called(q: QueueEngine, window: str, m: float) -> str | None:
    evs = q.call_next(window, at(m))
    calls = [e for e in evs if e.kind is EventKind.CALLED]
    return calls[0].ticket if calls else None


def test_numbers_use_the_service_prefix_and_count_per_service() -> None:
    # rule QUEUE-1
    q = make()
    assert [issued(q, "social", 0), issued(q, "social", 1), issued(q, "medical", 2)] == [
        "A001",
        "A002",
        "B001",
    ]


def test_first_come_first_served() -> None:
    # rule QUEUE-1
    q = make()
    a1, a2 = issued(q, "social", 0), issued(q, "social", 1)
    assert called(q, "w01", 2) == a1
    assert called(q, "w01", 3) == a2
    assert q.tickets[a1].state is TicketState.DONE  # next finishes the previous ticket
    assert called(q, "w01", 4) is None


def test_green_channel_goes_first() -> None:
    # rule QUEUE-2
    q = make()
    a1 = issued(q, "social", 0)
    g = issued(q, "social", 5, green=True)
    assert called(q, "w01", 6) == g
    assert called(q, "w01", 7) == a1


def test_mixed_counter_serves_the_longest_wait_scaled_by_weight() -> None:
    q = make()
    b1 = issued(q, "medical", 0)
    a1 = issued(q, "social", 1)
    assert called(q, "w08", 2) == b1
    assert called(q, "w08", 3) == a1
    q2 = make()
    q2.counters["w08"].spec.services["social"] = 10.0  # a heavy weight on social
    b = issued(q2, "medical", 0)
    a = issued(q2, "social", 1)
    assert called(q2, "w08", 2) == a
    assert called(q2, "w08", 3) == b


def test_recall_up_to_the_limit_then_skip_makes_a_no_show_and_reactivation() -> None:
    q = make(max_recalls=2)
    a1 = issued(q, "social", 0)
    issued(q, "social", 1)
    called(q, "w01", 2)
    assert q.recall("w01", at(3))[0].kind is EventKind.RECALLED
    q.recall("w01", at(4))
    with pytest.raises(QueueError, match="recalled 2 times"):
        q.recall("w01", at(5))
    assert q.skip("w01", at(6))[0].kind is EventKind.NO_SHOW
    assert q.tickets[a1].state is TicketState.NO_SHOW
    assert q.current("w01") is None
    q.reactivate(a1, at(7))
    assert q.tickets[a1].state is TicketState.WAITING
    assert [t.number for t in q.waiting("social")] == ["A002", a1]  # back of the line


def test_skip_with_recalls_left_sends_the_ticket_to_the_back() -> None:
    q = make(max_recalls=1)
    a1, a2 = issued(q, "social", 0), issued(q, "social", 1)
    called(q, "w01", 2)
    assert q.skip("w01", at(3))[0].kind is EventKind.SKIPPED
    assert called(q, "w01", 4) == a2
    assert called(q, "w01", 5) == a1
    assert q.skip("w01", at(6))[0].kind is EventKind.NO_SHOW  # the skip used its last chance


def test_transfer_to_another_service_keeps_the_original_place() -> None:
    # rule QUEUE-3
    q = make()
    a1 = issued(q, "social", 0)
    b1, b2 = issued(q, "medical", 1), issued(q, "medical", 2)
    assert called(q, "w01", 3) == a1
    q.transfer("w01", at(4), to_service="medical")
    assert q.current("w01") is None
    assert [t.number for t in q.waiting("medical")] == [a1, b1, b2]
    assert called(q, "w03", 5) == a1


def test_transfer_to_a_counter_is_served_there_first() -> None:
    # rule QUEUE-3
    q = make()
    a1 = issued(q, "social", 0)
    b1 = issued(q, "medical", 0.5)
    called(q, "w01", 1)
    q.transfer("w01", at(2), to_window="w03")
    assert called(q, "w08", 3) == b1  # not another counter's ticket
    assert called(q, "w03", 4) == a1


def test_park_and_call_back_by_number() -> None:
    q = make()
    a1, a2 = issued(q, "social", 0), issued(q, "social", 1)
    called(q, "w01", 2)
    q.park("w01", at(3))
    assert q.tickets[a1].state is TicketState.PARKED
    assert called(q, "w01", 4) == a2
    evs = q.call("w01", a1, at(5))
    assert [e.kind for e in evs] == [EventKind.FINISHED, EventKind.CALLED]
    assert q.current("w01") is q.tickets[a1]


def test_start_and_finish_record_every_time() -> None:
    # rule QUEUE-5
    q = make()
    a1 = issued(q, "social", 0)
    called(q, "w01", 2)
    q.start("w01", at(3))
    q.finish("w01", at(10))
    t = q.tickets[a1]
    assert (t.issued_at, t.called_at, t.started_at, t.finished_at) == (at(0), at(2), at(3), at(10))
    assert [e.kind for e in q.events if e.ticket == a1] == [
        EventKind.ISSUED,
        EventKind.CALLED,
        EventKind.STARTED,
        EventKind.FINISHED,
    ]
    assert all(e.at.tzinfo is not None for e in q.events)


def test_paused_window_does_not_call() -> None:
    q = make()
    issued(q, "social", 0)
    q.pause("w01", at(1))
    with pytest.raises(QueueError, match="paused"):
        q.call_next("w01", at(2))
    q.resume("w01", at(3))
    assert called(q, "w01", 4) == "A001"


def test_closing_time_refuses_new_tickets_but_serves_those_taken() -> None:
    # rule QUEUE-6
    q = make(closing_time=time(17, 0))
    a1 = q.issue("social", datetime(2026, 11, 23, 16, 59, tzinfo=TZ))[-1].ticket
    with pytest.raises(QueueError, match="17:00"):
        q.issue("social", datetime(2026, 11, 23, 17, 0, tzinfo=TZ))
    evs = q.call_next("w01", datetime(2026, 11, 23, 17, 20, tzinfo=TZ))
    assert evs[-1].ticket == a1


def test_daily_reset_in_hall_time_expires_leftovers_and_restarts_numbers() -> None:
    q = make()
    a1 = issued(q, "social", 0)
    # 16:30 UTC is 00:30 next day in Shanghai
    evs = q.issue("social", datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    assert [e.kind for e in evs] == [EventKind.EXPIRED, EventKind.DAY_RESET, EventKind.ISSUED]
    assert evs[0].ticket == a1
    assert evs[-1].ticket == "A001"
    assert q.day is not None and q.day.isoformat() == "2026-11-24"


def test_estimated_wait_uses_people_ahead_and_open_counters() -> None:
    q = make(default_service_s=300.0)
    for m in range(4):
        issued(q, "social", m)
    # social has w01 and w08 open: 4 ahead x 300 s / 2 = 600 s
    assert q.estimated_wait("social") == timedelta(seconds=600)
    q.pause("w08", at(5))
    assert q.estimated_wait("social") == timedelta(seconds=1200)
    assert q.ahead("A003") == 2


def test_replay_rebuilds_the_same_state() -> None:
    q = make()
    issued(q, "social", 0)
    issued(q, "social", 1, green=True)
    issued(q, "medical", 2)
    called(q, "w01", 3)
    q.start("w01", at(4))
    q.transfer("w01", at(5), to_service="medical")
    q.pause("w08", at(6))
    fresh = make()
    fresh.replay(reversed(q.events))
    assert fresh.tickets == q.tickets
    assert {w: (c.paused, c.current) for w, c in fresh.counters.items()} == {
        w: (c.paused, c.current) for w, c in q.counters.items()
    }
    assert issued(fresh, "social", 7) == issued(q, "social", 7) == "A003"


def test_refusals_are_plain() -> None:
    q = make()
    with pytest.raises(QueueError, match="unknown service"):
        q.issue("nope", at(0))
    with pytest.raises(QueueError, match="unknown window"):
        q.call_next("w99", at(0))
    with pytest.raises(QueueError, match="no ticket to act on"):
        q.recall("w01", at(0))
    with pytest.raises(QueueError, match="timezone-aware"):
        q.pause("w01", datetime(2026, 1, 1))


def test_calling_a_no_show_by_number_reactivates_it_at_the_counter() -> None:
    q = make(max_recalls=0)
    a1 = issued(q, "social", 0)
    called(q, "w01", 1)
    q.skip("w01", at(2))
    assert q.tickets[a1].state is TicketState.NO_SHOW
    evs = q.call("w01", a1, at(5))
    assert [e.kind for e in evs] == [EventKind.REACTIVATED, EventKind.CALLED]
    assert q.current("w01") is q.tickets[a1]
    q.finish("w01", at(6))
    with pytest.raises(QueueError, match="done"):
        q.call("w01", a1, at(7))
