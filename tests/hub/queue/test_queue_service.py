"""The queue projector: kiosk and keypad envelopes in, stored events and device commands out.

Tests that depend on the store run on SQLite and PostgreSQL; the others on SQLite only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.commands import RecordingSender
from hub.dashboard.i18n import text
from hub.fleet.tables import Alert
from hub.ingest.hooks import IngestBatch
from hub.queue.engine import TicketState
from hub.queue.service import QueueProjector
from hub.queue.stale import StaleWatch
from hub.queue.tables import QueueEventRow, QueueTicketRow
from models.commands import Announce, DisplayText, PrintTicket
from models.envelope import Envelope, make_envelope
from models.events import CallAction, CallRequest, EventBody, TicketIssued
from models.layout import load_hall

HALL = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
_seq = {"n": 0}
_now = {"t": T0}


def clock() -> datetime:
    """The hub's clock in these tests: the time of the latest envelope made."""
    return _now["t"]


def env(device: str, body: EventBody, minutes: float) -> Envelope:
    _seq["n"] += 1
    _now["t"] = T0 + timedelta(minutes=minutes)
    return make_envelope(
        hall="demo",
        device=device,
        seq=_seq["n"],
        ts=T0 + timedelta(minutes=minutes),
        synced=True,
        body=body,
    )


def feed(p: QueueProjector, db: Engine, *envs: Envelope) -> None:
    p.project(db, IngestBatch(events=envs))


def test_kiosk_ticket_is_numbered_stored_and_printed(engine: Engine) -> None:
    # rule QUEUE-1, QUEUE-5
    sender = RecordingSender()
    p = QueueProjector(engine, sender, HALL)
    p.clock = clock
    feed(
        p,
        engine,
        env("hall-kiosk", TicketIssued(service="medical"), 0),
        env("hall-kiosk", TicketIssued(service="medical", green_channel=True), 1),
    )
    prints = [(d, b) for _, d, b in sender.sent if isinstance(b, PrintTicket)]
    assert [(d, b.ticket, b.service_name, b.ahead) for d, b in prints] == [
        ("hall-printer", "B001", "医保业务", 0),
        ("hall-printer", "B002", "医保业务", 0),
    ]
    with Session(engine) as s:
        rows = s.exec(select(QueueTicketRow).order_by(QueueTicketRow.number)).all()
        assert [(r.number, r.state, r.green) for r in rows] == [
            ("B001", "waiting", False),
            ("B002", "waiting", True),
        ]


def test_keypad_next_shows_on_the_counter_the_hall_and_speaks(sqlite_engine: Engine) -> None:
    # rule QUEUE-2, QUEUE-4
    sender = RecordingSender()
    p = QueueProjector(sqlite_engine, sender, HALL, clock=clock)
    feed(
        p,
        sqlite_engine,
        env("hall-kiosk", TicketIssued(service="medical"), 0),
        env("hall-kiosk", TicketIssued(service="medical", green_channel=True), 1),
    )
    sender.sent.clear()
    # the keypad's own window comes from the layout, whatever the body says
    feed(p, sqlite_engine, env("w03-keypad", CallRequest(window="w01", action=CallAction.NEXT), 2))
    assert sender.sent == [
        ("demo", "w03-led", DisplayText(text="B002 请到3号窗口")),
        ("demo", "hall-screen", DisplayText(text="B002 请到3号窗口")),
        ("demo", "hall-voice", Announce(text="请B002号到3号窗口办理")),
    ]
    snap = p.snapshot()
    assert snap["calls"][0]["text"] == "B002 请到3号窗口"
    assert {w["service"]: w["waiting"] for w in snap["waiting"]}["medical"] == 1


def test_duplicate_envelope_changes_nothing(engine: Engine) -> None:
    sender = RecordingSender()
    p = QueueProjector(engine, sender, HALL, clock=clock)
    e = env("hall-kiosk", TicketIssued(service="social"), 0)
    feed(p, engine, e)
    feed(p, engine, e)
    assert [t for t in p.queue.tickets] == ["A001"]
    with Session(engine) as s:
        assert len(s.exec(select(QueueEventRow)).all()) == 2  # day_reset + issued


def test_restart_rebuilds_the_queue_from_stored_events(engine: Engine) -> None:
    sender = RecordingSender()
    p = QueueProjector(engine, sender, HALL, clock=clock)
    feed(p, engine, *(env("hall-kiosk", TicketIssued(service="social"), m) for m in range(3)))
    feed(
        p,
        engine,
        env("w01-keypad", CallRequest(window="w01", action=CallAction.NEXT), 4),
        env("w01-keypad", CallRequest(window="w01", action=CallAction.START), 5),
        env("w02-keypad", CallRequest(window="w02", action=CallAction.PAUSE), 5),
    )
    again = QueueProjector(engine, RecordingSender(), HALL, clock=clock)
    assert again.queue.tickets == p.queue.tickets
    assert again.queue.tickets["A001"].state is TicketState.SERVING
    assert again.queue.counters["w02"].paused
    feed(again, engine, env("hall-kiosk", TicketIssued(service="social"), 6))
    assert "A004" in again.queue.tickets
    assert again.snapshot()["calls"][0]["ticket"] == "A001"


def test_refusals_show_on_the_counter_and_the_queue_goes_on(sqlite_engine: Engine) -> None:
    # rule DEV-4
    sender = RecordingSender()
    p = QueueProjector(sqlite_engine, sender, HALL, clock=clock)
    feed(p, sqlite_engine, env("w05-keypad", CallRequest(window="w05", action=CallAction.NEXT), 0))
    feed(
        p, sqlite_engine, env("w05-keypad", CallRequest(window="w05", action=CallAction.RECALL), 1)
    )
    feed(p, sqlite_engine, env("w05-keypad", CallRequest(window="w05", action=CallAction.PAUSE), 2))
    feed(p, sqlite_engine, env("w05-keypad", CallRequest(window="w05", action=CallAction.NEXT), 3))
    shown = [
        (b.line, b.text) for _, d, b in sender.sent if d == "w05-led" and isinstance(b, DisplayText)
    ]
    # rule DEV-4: 暂停服务, and the open window serving the same cases to go to instead
    paused = [(1, "请到6号窗口办理"), (0, "暂停服务")]
    assert shown == [(0, "暂无等候"), (0, "操作无效"), *paused, *paused]
    assert p.refusals == 2


def test_a_failing_sender_does_not_stop_the_queue(sqlite_engine: Engine) -> None:
    # rule DEV-4
    class Broken:
        def send(self, hall: str, device: str, body: object) -> str:
            raise ConnectionError("broker down")

    p = QueueProjector(sqlite_engine, Broken(), HALL, clock=clock)
    feed(
        p,
        sqlite_engine,
        env("hall-kiosk", TicketIssued(service="social"), 0),
        env("w01-keypad", CallRequest(window="w01", action=CallAction.NEXT), 1),
    )
    assert p.queue.tickets["A001"].state is TicketState.CALLED


def test_a_stale_key_press_is_not_replayed(sqlite_engine: Engine) -> None:
    sender = RecordingSender()
    p = QueueProjector(sqlite_engine, sender, HALL, clock=clock)
    feed(p, sqlite_engine, env("hall-kiosk", TicketIssued(service="social"), 0))
    old = env("w01-keypad", CallRequest(window="w01", action=CallAction.NEXT), 1)
    _now["t"] = T0 + timedelta(minutes=10)  # it reaches the hub 9 minutes late
    feed(p, sqlite_engine, old)
    assert p.queue.tickets["A001"].state is TicketState.WAITING
    assert p.refusals == 1
    # rule DEV-4: the counter's staff see it, in the catalogue's words (zh-CN), not a log line
    shown = [(d, b.line, b.text) for _, d, b in sender.sent if isinstance(b, DisplayText)]
    assert shown == [("w01-led", 0, "按键超时未执行，请重按")]


def stale_alerts(engine: Engine) -> list[Alert]:
    """The alert desk's stale-press incidents."""
    with Session(engine) as s:
        return list(s.exec(select(Alert).where(Alert.kind == "stale_presses")).all())


def test_a_keypad_that_keeps_sending_stale_presses_is_named_on_the_alert_desk(
    engine: Engine,
) -> None:
    """Rule DEV-4: one stale press is shown at the counter; a device that keeps sending them (a
    clock or network problem) is one incident on the hall's alert desk, counted, worded from
    the catalogue, and resolved once its presses come in time again."""
    p = QueueProjector(
        engine, RecordingSender(), HALL, clock=clock, stale=StaleWatch(alert_after=3, quiet_s=0)
    )
    feed(p, engine, env("hall-kiosk", TicketIssued(service="social"), 0))
    late = timedelta(minutes=5)  # each press reaches the hub five minutes after it was made
    for minute in (1, 2):
        press = env("w01-keypad", CallRequest(window="w01", action=CallAction.RECALL), minute)
        _now["t"] += late
        feed(p, engine, press)
    other = env("w02-keypad", CallRequest(window="w02", action=CallAction.NEXT), 3)
    _now["t"] += late
    feed(p, engine, other)  # another counter's one stale press: shown, no alert
    assert stale_alerts(engine) == []
    for minute in (4, 5):
        press = env("w01-keypad", CallRequest(window="w01", action=CallAction.RECALL), minute)
        _now["t"] += late
        feed(p, engine, press)
    (alert,) = stale_alerts(engine)
    assert (alert.hall, alert.device, alert.state, alert.occurrences) == (
        "demo",
        "w01-keypad",
        "open",
        2,
    )
    assert alert.words == "alert.stale_presses"
    assert alert.word_values == {"device": "w01-keypad", "count": 4, "age": 300}
    assert text("zh-CN", alert.words, **alert.word_values) == (
        "窗口按键器 w01-keypad 的按键多次晚到、未执行（4 次，最近一次晚到 300 秒）："
        "请检查设备时钟和网络"
    )
    assert p.stale.total == {"w01-keypad": 4, "w02-keypad": 1}
    assert p.queue.tickets["A001"].state is TicketState.WAITING  # none acted on
    feed(p, engine, env("w01-keypad", CallRequest(window="w01", action=CallAction.NEXT), 30))
    assert p.queue.tickets["A001"].state is TicketState.CALLED  # in time again
    (alert,) = stale_alerts(engine)
    assert (alert.state, alert.resolved_by) == ("resolved", "auto")


def test_a_key_press_that_reached_the_hub_in_time_is_decided_however_late(
    sqlite_engine: Engine,
) -> None:
    """Issue 14: the hub's own delay (a catch-up after a crash, a busy worker) never makes a
    press stale; its age is taken when it reached the hub (the batch's receipt time)."""
    p = QueueProjector(sqlite_engine, RecordingSender(), HALL, clock=clock)
    feed(p, sqlite_engine, env("hall-kiosk", TicketIssued(service="social"), 0))
    press = env("w01-keypad", CallRequest(window="w01", action=CallAction.NEXT), 1)
    received = _now["t"]
    _now["t"] = T0 + timedelta(minutes=10)  # decided 9 minutes after it reached the hub
    p.project(sqlite_engine, IngestBatch(events=(press,), received={press.id: received}))
    assert p.queue.tickets["A001"].state is TicketState.CALLED
    assert p.refusals == 0


def test_a_hub_clock_behind_the_receipt_times_the_press_by_its_own_clock(
    sqlite_engine: Engine,
) -> None:
    """The fleet simulator replays a past day on the hub's clock while the ingest worker stamps
    receipts with the wall clock: a press made a minute ago by the hub's clock is decided
    (its age is never taken against a receipt ahead of the hub's clock)."""
    p = QueueProjector(sqlite_engine, RecordingSender(), HALL, clock=clock)
    feed(p, sqlite_engine, env("hall-kiosk", TicketIssued(service="social"), 0))
    press = env("w01-keypad", CallRequest(window="w01", action=CallAction.NEXT), 1)
    _now["t"] = T0 + timedelta(minutes=2)
    wall = T0 + timedelta(days=3)  # the receipt, days after the replayed day
    p.project(sqlite_engine, IngestBatch(events=(press,), received={press.id: wall}))
    assert p.queue.tickets["A001"].state is TicketState.CALLED
    assert p.refusals == 0


def test_the_halls_closing_time_stops_new_tickets_and_serves_those_taken(
    sqlite_engine: Engine,
) -> None:
    # rule QUEUE-6
    hall = HALL.model_copy(update={"closing_time": "17:00"})
    sender = RecordingSender()
    p = QueueProjector(sqlite_engine, sender, hall, clock=clock)
    late = datetime(2026, 11, 23, 16, 59, tzinfo=TZ)
    _now["t"] = late
    assert p.issue("social").refused is None
    _now["t"] = late + timedelta(minutes=2)
    refused = p.issue("social")
    assert refused.refused is not None and "17:00" in refused.refused
    _now["t"] = late + timedelta(minutes=30)
    assert [e.ticket for e in p.act("w01", "next").events] == ["A001"]


def test_a_new_day_starts_with_a_clean_hall_screen(engine: Engine) -> None:
    p = QueueProjector(engine, RecordingSender(), HALL, clock=clock)
    feed(p, engine, env("hall-kiosk", TicketIssued(service="social"), 0))
    feed(p, engine, env("w01-keypad", CallRequest(window="w01", action=CallAction.NEXT), 1))
    assert p.snapshot()["calls"][0]["ticket"] == "A001"
    feed(p, engine, env("hall-kiosk", TicketIssued(service="social"), 24 * 60))
    snap = p.snapshot()
    assert snap["calls"] == [] and snap["day"] == "2026-11-24"
    assert p.queue.tickets["A001"].issued_at == T0 + timedelta(days=1)
