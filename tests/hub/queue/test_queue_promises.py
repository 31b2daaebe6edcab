"""The queue's promises, pure: seasonal closing, pause reasons, case numbers, the 30-minute
limit of immediate cases, promised cases' due times and early stops (QUEUE-5, QUEUE-6, DEV-4)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.attendance.calendar import WorkCalendar
from hub.queue.engine import (
    CounterDef,
    EventKind,
    QueueEngine,
    QueueError,
    QueueSettings,
    ServiceDef,
)
from hub.queue.halls import closing_times
from hub.queue.model import ClosingTimes
from hub.queue.notices import hall_notices, pause_lines, ticket_words
from hub.queue.promises import (
    PromisedCase,
    early_stops,
    immediate_overruns,
    promise_alerts,
    promise_due,
)
from models.layout import load_hall

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday in winter
CAL = WorkCalendar()
HALL = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")


def at(minutes: float, start: datetime = T0) -> datetime:
    return start + timedelta(minutes=minutes)


def make(**kw: object) -> QueueEngine:
    services = [
        ServiceDef("social", "社保业务", "A"),
        ServiceDef("property", "不动产登记", "C", immediate=False, promised_days=5),
    ]
    counters = [CounterDef("w01", 1, {"social": 1.0}), CounterDef("w02", 2, {"social": 1.0})]
    return QueueEngine(services, counters, QueueSettings(tz=TZ, **kw))  # type: ignore[arg-type]


def test_seasonal_closing_comes_from_the_halls_attendance_policy() -> None:
    # rule QUEUE-6: wenshang-2021 stops at 18:00 in summer, 17:30 in winter (ATT-2)
    hall = HALL.model_copy(update={"seasonal_closing": True})
    closing = closing_times(hall)
    assert closing.on(date(2026, 7, 15)) == time(18, 0)
    assert closing.on(date(2026, 11, 23)) == time(17, 30)
    assert closing.on(date(2026, 5, 1)) == time(18, 0)  # the season's first day
    assert closing.on(date(2026, 10, 1)) == time(17, 30)
    fixed = HALL.model_copy(update={"closing_time": "16:00", "seasonal_closing": True})
    assert closing_times(fixed).on(date(2026, 7, 15)) == time(16, 0)  # a fixed time wins
    assert closing_times(HALL).on(date(2026, 7, 15)) is None  # the demo publishes none


def test_the_winter_closing_refuses_a_ticket_the_summer_one_still_takes() -> None:
    # rule QUEUE-6
    q = make(closing=ClosingTimes(summer=time(18, 0), winter=time(17, 30)))
    with pytest.raises(QueueError, match="17:30"):
        q.issue("social", datetime(2026, 11, 23, 17, 45, tzinfo=TZ))
    summer = make(closing=ClosingTimes(summer=time(18, 0), winter=time(17, 30)))
    assert summer.issue("social", datetime(2026, 7, 15, 17, 45, tzinfo=TZ))[-1].ticket == "A001"


def test_a_pause_keeps_its_reason_and_a_new_reason_is_a_new_event() -> None:
    # rule DEV-4
    q = make()
    ev = q.pause("w01", at(0), "system_fault")
    assert ev[0].data == {"reason": "system_fault"}
    c = q.counters["w01"]
    assert c.paused and c.paused_at == at(0) and c.pause_reason == "system_fault"
    assert q.pause("w01", at(1)) == []  # paused already, nothing new said
    assert q.pause("w01", at(2), "staff_away")[0].data["reason"] == "staff_away"
    q.resume("w01", at(3))
    assert (c.paused, c.paused_at, c.pause_reason) == (False, None, None)


def test_pause_lines_say_why_and_where_to_go() -> None:
    # rule DEV-4
    assert pause_lines("system_fault", 2) == ("暂停服务", "业务系统故障，请到2号窗口办理")
    assert pause_lines(None, None) == ("暂停服务", "请稍候")
    assert pause_lines("no-such-code", None) == ("暂停服务", "暂停受理，请稍候")


def test_a_case_number_is_bound_to_a_called_ticket_only() -> None:
    # rule RATE-1: ratings carry the case number (办件编号)
    q = make()
    a1 = q.issue("social", at(0))[-1].ticket or ""
    with pytest.raises(QueueError, match="not been called"):
        q.link_case(a1, "SB-2026-0001", at(1))
    q.call_next("w01", at(2))
    ev = q.link_case(a1, "SB-2026-0001", at(3))
    assert ev[0].kind is EventKind.CASE_LINKED and q.tickets[a1].case_no == "SB-2026-0001"
    assert q.link_case(a1, "SB-2026-0001", at(4)) == []
    again = make()
    again.replay(q.events)
    assert again.tickets[a1].case_no == "SB-2026-0001"


def test_an_immediate_case_past_30_minutes_of_acceptance_is_alerted_while_served() -> None:
    # rule QUEUE-5
    q = make()
    q.issue("social", at(0))
    q.issue("property", at(0))
    q.call_next("w01", at(1))
    q.start("w01", at(2))
    assert immediate_overruns(q, {"social"}, at(32), 30) == []
    (alert,) = immediate_overruns(q, {"social"}, at(33), 30)
    assert (alert.kind, alert.rule, alert.ticket, alert.window) == (
        "immediate_over_limit",
        "QUEUE-5",
        "A001",
        "w01",
    )
    assert alert.minutes == 1.0 and "超过30分钟" in alert.text
    q.finish("w01", at(34))
    assert immediate_overruns(q, {"social"}, at(60), 30) == []  # finished: the stats tell it


def test_a_promised_case_is_due_after_its_working_days_skipping_the_national_holiday() -> None:
    # rule QUEUE-5: accepted Wednesday 30 Sep 2026; 1-7 Oct is the national holiday and
    # Saturday 10 Oct a make-up workday (调休): the 5 working days are 8, 9, 10, 12, 13 Oct
    accepted = datetime(2026, 9, 30, 10, 0, tzinfo=TZ)
    due = promise_due(accepted, 5, TZ, CAL.is_workday)
    assert due == datetime(2026, 10, 14, 0, 0, tzinfo=TZ)
    assert CAL.workdays(date(2026, 10, 1), date(2026, 10, 13)) == [
        date(2026, 10, d) for d in (8, 9, 10, 12, 13)
    ]


def test_promised_cases_warn_before_their_due_time_then_are_overdue() -> None:
    # rule QUEUE-5
    due = datetime(2026, 11, 28, 0, 0, tzinfo=TZ)
    case = PromisedCase(7, "2026-11-23", "C001", "property", "w05", T0, due, "BDC-77")
    assert promise_alerts([case], due - timedelta(hours=5), 4.0, TZ) == []
    (soon,) = promise_alerts([case], due - timedelta(hours=3), 4.0, TZ)
    assert (soon.kind, soon.ref, soon.ticket) == ("promise_due_soon", "case:7", "C001")
    assert "BDC-77" in soon.text and "11-27 23:59" in soon.text
    (late,) = promise_alerts([case], due + timedelta(minutes=1), 4.0, TZ)
    assert late.kind == "promise_overdue" and late.rule == "QUEUE-5"


def test_a_window_paused_past_the_grace_with_citizens_waiting_stopped_early() -> None:
    # rule QUEUE-6
    settings = QueueSettings(tz=TZ, closing=ClosingTimes(fixed=time(17, 30)))
    q = QueueEngine(
        [ServiceDef("social", "社保业务", "A")],
        [CounterDef("w01", 1, {"social": 1.0}), CounterDef("w02", 2, {"social": 1.0})],
        settings,
    )
    q.issue("social", at(0))
    q.pause("w01", at(1))
    assert early_stops(q, at(11), settings) == []  # a short leave (POST-1) is no stop
    (stop,) = early_stops(q, at(12), settings)
    assert (stop.kind, stop.rule, stop.window) == ("early_stop", "QUEUE-6", "w01")
    assert "17:30前暂停服务" in stop.text and "1人等候" in stop.text
    q.call_next("w02", at(13))  # nobody waits any more
    assert early_stops(q, at(20), settings) == []


def test_after_closing_a_stopped_window_with_numbers_taken_before_is_still_flagged() -> None:
    # rule QUEUE-6: numbers taken before closing are served
    settings = QueueSettings(tz=TZ, closing=ClosingTimes(fixed=time(17, 30)))
    q = QueueEngine([ServiceDef("social", "社保业务", "A")], [CounterDef("w01", 1, {"social": 1})])
    q.settings = settings
    evening = datetime(2026, 11, 23, 17, 20, tzinfo=TZ)
    q.issue("social", evening)
    q.pause("w01", evening + timedelta(minutes=5))
    (stop,) = early_stops(q, evening + timedelta(minutes=20), settings)
    assert "17:30前取号的1人仍在等候" in stop.text


def test_kiosk_words_and_hall_notices() -> None:
    # rule DEV-4
    ok = ticket_words("A012", "社保业务", 3, None)
    assert ok.speech is None and "A012" in ok.title
    out = ticket_words("A012", "社保业务", 3, "printer_out_of_paper")
    assert out.title == "您的号码 A012" and "取号纸已用完" in out.detail
    assert out.speech == "取号纸已用完，您的号码是A012，请记下屏幕上的号码"
    notices = hall_notices(
        [("ticket_printer", "printer_out_of_paper"), ("ticket_printer", "offline"), ("w", "x")]
    )
    assert notices == [
        "取号机打印纸已用完：取号后请记下屏幕上的号码",
        "取号机暂时无法出票：取号后请记下屏幕上的号码",
    ]
