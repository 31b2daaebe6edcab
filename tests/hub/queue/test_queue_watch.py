"""The queue's live alerts and the citizen desk on the real databases (SQLite and PostgreSQL):
promised cases stored and finished, alerts raised once (QUEUE-5, QUEUE-6), and what the kiosk
and the hall screen are told when the printer fails (DEV-4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from hub.commands import RecordingSender
from hub.ingest.hooks import DeviceState, IngestBatch
from hub.queue import cases
from hub.queue.service import QueueProjector
from hub.queue.watch import QueueWatcher
from models.commands import DisplayText, PrintTicket, ShowTicket
from models.envelope import Envelope, make_envelope
from models.events import CommandResult, DeviceFault, EventBody, TicketIssued
from models.layout import load_hall

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
HALL = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")


class Clock:
    """The hub's clock in these tests, moved by hand."""

    def __init__(self) -> None:
        self.t = T0
        self.seq = 0

    def __call__(self) -> datetime:
        return self.t

    def env(self, device: str, body: EventBody) -> Envelope:
        self.seq += 1
        return make_envelope(
            hall="demo", device=device, seq=self.seq, ts=self.t, synced=True, body=body
        )


def make_rig(engine: Engine) -> tuple[QueueProjector, RecordingSender, Clock]:
    clock = Clock()
    sender = RecordingSender()
    return QueueProjector(engine, sender, HALL, clock=clock), sender, clock


@pytest.fixture
def rig(engine: Engine) -> tuple[QueueProjector, RecordingSender, Clock]:
    """On SQLite and PostgreSQL: what the tests store and read back."""
    return make_rig(engine)


@pytest.fixture
def sqlite_rig(sqlite_engine: Engine) -> tuple[QueueProjector, RecordingSender, Clock]:
    """On SQLite only: what the tests keep in memory (the desk)."""
    return make_rig(sqlite_engine)


def test_a_finished_promised_case_is_stored_due_in_working_days_and_finished(
    rig: tuple[QueueProjector, RecordingSender, Clock],
) -> None:
    # rule QUEUE-5: 不动产登记 is promised within 5 working days of acceptance
    p, _, clock = rig
    p.issue("property")
    p.act("w05", "next")
    clock.t += timedelta(minutes=2)
    p.act("w05", "start")
    p.link_case("C001", "BDC-2026-0042")
    clock.t += timedelta(minutes=20)
    p.act("w05", "finish")
    (case,) = cases.list_cases(p.db, "demo", open_only=True)
    assert (case["ticket"], case["service"], case["window"]) == ("C001", "property", "w05")
    assert case["case_no"] == "BDC-2026-0042"
    assert case["accepted_at"] == T0 + timedelta(minutes=2)
    assert case["due_at"].astimezone(TZ) == datetime(2026, 12, 1, 0, 0, tzinfo=TZ)  # Mon + 5
    done = cases.complete_case(p.db, "demo", case["id"], "lead", clock.t, "材料已出证")
    assert done["completed_by"] == "lead" and done["completed_at"] == clock.t
    with pytest.raises(cases.CaseError):
        cases.complete_case(p.db, "demo", case["id"], "lead", clock.t)
    with pytest.raises(KeyError):
        cases.complete_case(p.db, "demo", 999, "lead", clock.t)
    p.issue("social")
    p.act("w01", "next")
    p.act("w01", "finish")
    assert cases.list_cases(p.db, "demo", open_only=True) == []  # 即办件 open no case


def test_live_alerts_are_raised_once_each(
    rig: tuple[QueueProjector, RecordingSender, Clock],
) -> None:
    # rule QUEUE-5, QUEUE-6
    p, _, clock = rig
    watcher = QueueWatcher([p], clock)
    p.issue("social")
    p.issue("social")
    p.act("w01", "next")
    p.act("w01", "start")
    p.act("w02", "pause", reason="staff_away")
    clock.t += timedelta(minutes=5)
    assert watcher.tick() == []
    clock.t += timedelta(minutes=26)  # 31 minutes into the service, 31 paused
    raised = watcher.tick()
    assert sorted((a.kind, a.window) for a in raised) == [
        ("early_stop", "w02"),
        ("immediate_over_limit", "w01"),
    ]
    clock.t += timedelta(minutes=1)
    assert watcher.tick() == []  # once each
    stored = cases.list_alerts(p.db, "demo")
    assert sorted((a["kind"], a["rule"]) for a in stored) == [
        ("early_stop", "QUEUE-6"),
        ("immediate_over_limit", "QUEUE-5"),
    ]
    assert all(a["at"] == T0 + timedelta(minutes=31) for a in stored)


def test_promised_case_alerts_before_and_after_its_due_time(
    rig: tuple[QueueProjector, RecordingSender, Clock],
) -> None:
    # rule QUEUE-5
    p, _, clock = rig
    watcher = QueueWatcher([p], clock)
    p.issue("property")
    p.act("w05", "next")
    p.act("w05", "finish")
    (case,) = cases.list_cases(p.db, "demo", open_only=True)
    clock.t = case["due_at"] - timedelta(hours=3)
    assert [a.kind for a in watcher.tick()] == ["promise_due_soon"]
    clock.t = case["due_at"] + timedelta(minutes=1)
    assert [a.kind for a in watcher.tick()] == ["promise_overdue"]


def feed(p: QueueProjector, *envs: Envelope, states: tuple[DeviceState, ...] = ()) -> None:
    p.project(p.db, IngestBatch(events=envs, states=states))


def test_the_kiosk_says_the_printer_is_out_and_still_gives_the_number(
    sqlite_rig: tuple[QueueProjector, RecordingSender, Clock],
) -> None:
    # rule DEV-4
    p, sender, clock = sqlite_rig
    feed(p, clock.env("hall-kiosk", TicketIssued(service="social")))
    (printed,) = [(d, b) for _, d, b in sender.sent if isinstance(b, PrintTicket)]
    assert printed[0] == "hall-printer" and printed[1].ticket == "A001"
    cid = next(iter(p.desk.pending))
    result = CommandResult(command_id=cid, ok=False, detail="printer_out_of_paper")
    fault = DeviceFault(code="printer_out_of_paper", message="ticket printer is out of paper")
    feed(p, clock.env("hall-printer", result), clock.env("hall-printer", fault))
    (shown,) = [b for _, d, b in sender.sent if d == "hall-kiosk" and isinstance(b, ShowTicket)]
    assert (shown.ticket, shown.printed, shown.fault) == ("A001", False, "printer_out_of_paper")
    assert shown.title == "您的号码 A001" and shown.speech and "A001" in shown.speech
    assert "A001" in shown.qr and "社保业务" in shown.qr
    # rule DEV-4: a hall-wide fault is a notice on the hall screen
    notice = "取号机打印纸已用完：取号后请记下屏幕上的号码"
    assert p.snapshot()["notices"] == [notice]
    assert ("hall-screen", DisplayText(text=notice, line=1)) in [(d, b) for _, d, b in sender.sent]
    loaded = DeviceFault(code="printer_out_of_paper", message="paper loaded", active=False)
    feed(p, clock.env("hall-printer", loaded))
    assert p.snapshot()["notices"] == []
    assert sender.sent[-1][1:] == ("hall-screen", DisplayText(text="", line=1))
    # a printer that answers: the kiosk says take the ticket, and says nothing aloud
    feed(p, clock.env("hall-kiosk", TicketIssued(service="social")))
    cid = next(iter(p.desk.pending))
    feed(p, clock.env("hall-printer", CommandResult(command_id=cid, ok=True, detail="printed")))
    last = [b for _, d, b in sender.sent if d == "hall-kiosk"][-1]
    assert isinstance(last, ShowTicket) and last.printed and last.speech is None


def test_a_silent_or_offline_printer_is_told_too(
    sqlite_rig: tuple[QueueProjector, RecordingSender, Clock],
) -> None:
    # rule DEV-4
    p, sender, clock = sqlite_rig
    watcher = QueueWatcher([p], clock)
    feed(p, clock.env("hall-kiosk", TicketIssued(service="medical")))
    clock.t += timedelta(seconds=2)
    watcher.tick(alerts=False)
    assert not [b for _, d, b in sender.sent if isinstance(b, ShowTicket)]
    clock.t += timedelta(seconds=3)
    watcher.tick(alerts=False)
    (shown,) = [b for _, d, b in sender.sent if isinstance(b, ShowTicket)]
    assert (shown.ticket, shown.fault) == ("B001", "printer_no_answer")
    assert p.desk.pending == {}
    # the printer's agent went away: its LWT is a hall notice
    feed(p, states=(DeviceState("demo", "hall-printer", False, clock.t),))
    assert p.snapshot()["notices"] == ["取号机暂时无法出票：取号后请记下屏幕上的号码"]
    again = QueueProjector(p.db, RecordingSender(), HALL, clock=clock)
    assert again.snapshot()["notices"] == []  # the fleet's health is the record on restart


def test_a_forged_result_for_an_unknown_command_changes_nothing(
    sqlite_rig: tuple[QueueProjector, RecordingSender, Clock],
) -> None:
    # rule DEV-4: only the result of a print the desk sent is taken
    p, sender, clock = sqlite_rig
    feed(p, clock.env("hall-printer", CommandResult(command_id="nope", ok=False, detail="x")))
    feed(p, clock.env("w01-led", DeviceFault(code="display_no_answer", message="silent")))
    assert not [b for _, _, b in sender.sent if isinstance(b, ShowTicket)]
    assert p.snapshot()["notices"] == []  # a counter display is no hall-wide device


def test_a_rating_device_that_fails_is_told_on_its_windows_display(
    sqlite_rig: tuple[QueueProjector, RecordingSender, Clock],
) -> None:
    # rule DEV-4: the citizen is told where they are, and where else to be heard
    p, sender, clock = sqlite_rig
    feed(p, clock.env("w02-rate", DeviceFault(code="rating_port_error", message="read failed")))
    line2 = [(d, b) for _, d, b in sender.sent if isinstance(b, DisplayText) and b.line == 2]
    assert line2 == [
        ("w02-led", DisplayText(text="评价器暂停使用，可扫码投诉建议或到咨询台评价", line=2))
    ]
    feed(p, states=(DeviceState("demo", "w02-rate", False, clock.t),))  # also offline: said once
    feed(
        p, clock.env("w02-rate", DeviceFault(code="rating_port_error", message="ok", active=False))
    )
    assert len([b for _, _, b in sender.sent if isinstance(b, DisplayText) and b.line == 2]) == 1
    feed(p, states=(DeviceState("demo", "w02-rate", True, clock.t),))
    assert sender.sent[-1][1:] == ("w02-led", DisplayText(text="", line=2))
    feed(p, clock.env("w02-rate", DeviceFault(code="rating_garbled_frame", message="noise")))
    assert sender.sent[-1][1:] == ("w02-led", DisplayText(text="", line=2))  # noise: still rates
