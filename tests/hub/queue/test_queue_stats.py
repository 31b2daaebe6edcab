"""Queue statistics: waiting, service, no-show rate by group; the 即办件 30-minute limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.queue.engine import CounterDef, QueueEngine, QueueSettings, ServiceDef
from hub.queue.stats import compute, records

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def at(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


def scenario() -> QueueEngine:
    q = QueueEngine(
        [
            ServiceDef("social", "社保业务", "A"),
            ServiceDef("property", "不动产登记", "C", immediate=False),
        ],
        [CounterDef("w01", 1, {"social": 1.0}), CounterDef("w05", 5, {"property": 1.0})],
        QueueSettings(tz=TZ, max_recalls=0),
    )
    q.issue("social", at(0))  # A001: wait 10, served 5
    q.issue("social", at(2))  # A002: no-show
    q.issue("social", at(4))  # A003: served 40 min (over the 即办件 limit)
    q.issue("property", at(61))  # C001: served 45 min, not immediate
    q.call_next("w01", at(10), staff="s01")
    q.start("w01", at(10))
    q.finish("w01", at(15))
    q.call_next("w01", at(16), staff="s01")
    q.skip("w01", at(17))  # recalls used up -> no-show
    q.call_next("w01", at(18), staff="s02")
    q.start("w01", at(20))
    q.finish("w01", at(60))
    q.call_next("w05", at(65))
    q.start("w05", at(65))
    q.finish("w05", at(110))
    return q


def test_records_follow_each_ticket() -> None:
    rs = {r.number: r for r in records(scenario().events, TZ)}
    assert rs["A001"].wait_s == 600 and rs["A001"].service_s == 300
    assert rs["A002"].no_show and rs["A002"].finished_at is None
    assert rs["A003"].staff == "s02"


def test_groups_and_no_show_rate() -> None:
    # rule QUEUE-5
    st = compute(scenario().events, TZ, immediate={"social"}, now=at(200))
    assert (st.total.tickets, st.total.served, st.total.no_shows) == (4, 3, 1)
    assert st.total.no_show_rate == 0.25
    social = next(g for g in st.by_service if g.key == "social")
    assert social.mean_wait_s == round((600 + 840 + 840) / 3, 1)
    assert social.no_show_rate == round(1 / 3, 4)
    assert [(g.key, g.served) for g in st.by_staff] == [("s01", 1), ("s02", 1)]
    assert [g.key for g in st.by_window] == ["w01", "w05"]
    assert [(g.key, g.tickets) for g in st.by_hour] == [
        ("2026-11-23 09:00", 3),
        ("2026-11-23 10:00", 1),
    ]


def test_immediate_cases_over_30_minutes_are_listed() -> None:
    # rule QUEUE-5: 即办件 within 30 minutes of acceptance; C001 is not immediate
    st = compute(scenario().events, TZ, immediate={"social"}, now=at(200))
    assert [(o.ticket, o.minutes, o.finished) for o in st.over_limit] == [("A003", 40.0, True)]


def test_an_open_immediate_case_counts_against_the_limit_too() -> None:
    # rule QUEUE-5
    q = QueueEngine(
        [ServiceDef("social", "社保业务", "A")],
        [CounterDef("w01", 1, {"social": 1})],
        QueueSettings(tz=TZ),
    )
    q.issue("social", at(0))
    q.call_next("w01", at(1))
    q.start("w01", at(2))
    assert compute(q.events, TZ, immediate={"social"}, now=at(30)).over_limit == []
    late = compute(q.events, TZ, immediate={"social"}, now=at(33)).over_limit
    assert [(o.ticket, o.finished) for o in late] == [("A001", False)]
