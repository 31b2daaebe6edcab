"""Complaints and call-backs on SQLite and PostgreSQL: taken with a reference, stepped and
audited, the contact sealed and erased once answered (PRIV-1), the status link, overdue
alerts once, and the month's counts for the assessment (DUTY-5, DUTY-6, DEV-4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.attendance.calendar import WorkCalendar
from hub.complaints import callbacks, store
from hub.complaints.assessment import complaint_counts
from hub.complaints.rules import ComplaintError, ComplaintInputError
from models.contact import new_keypair, seal, seal_text

TZ = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
CAL = WorkCalendar().is_workday


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    private, public = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    return public


def take(engine: Engine, **kw: object) -> store.Taken:
    new = store.NewComplaint(
        **{"channel": "phone", "subject": "态度", "text": "窗口人员态度生硬", **kw}
    )  # type: ignore[arg-type]
    return store.take(engine, "demo", new, actor="desk", now=MON, tz=TZ, is_workday=CAL)


def test_a_complaint_is_answered_told_and_its_contact_erased(engine: Engine, key: str) -> None:
    # rule DUTY-6, PRIV-1
    first = take(
        engine,
        window="w03",
        name=seal_text(key, "张三"),
        contact=seal(key, "13912345678"),
    )
    second = take(engine, channel="box")
    assert (first.ref, second.ref) == ("TS20261123-0001", "TS20261123-0002")
    c = store.get(engine, first.id)
    assert c["has_contact"] and c["has_name"] and "contact" not in c and c["state"] == "open"
    assert c["answer_due"] == datetime(2026, 12, 1, tzinfo=TZ)  # 24, 25, 26, 27, 30 Nov
    with engine.connect() as conn:
        raw = str(conn.execute(sa.select(store.COMPLAINT)).all())
    assert "13912345678" not in raw and "张三" not in raw  # sealed at rest
    assert store.reveal(engine, first.id, "chief", MON) == {"name": "张三", "phone": "13912345678"}
    with pytest.raises(ComplaintError):
        store.act(
            engine,
            first.id,
            "answer",
            "chief",
            MON,
            note="x",
            finding="unfounded",
            told_how="phone",
        )
    store.act(engine, first.id, "assign", "chief", MON, assignee="li")
    store.act(engine, first.id, "investigate", "li", MON, staff_id="S0012", note="看了录像")
    with pytest.raises(ComplaintInputError):
        store.act(
            engine,
            first.id,
            "answer",
            "li",
            MON,
            note="已批评教育",
            finding="yes",
            told_how="phone",
        )
    with pytest.raises(ComplaintInputError):  # told on a status page it has none of
        store.act(
            engine,
            first.id,
            "answer",
            "li",
            MON,
            note="已批评教育",
            finding="substantiated",
            told_how="status_page",
        )
    done = store.act(
        engine,
        first.id,
        "answer",
        "li",
        MON + timedelta(hours=2),
        note="已批评教育并致歉",
        finding="substantiated",
        told_how="phone",
    )
    assert done["state"] == "answered" and done["answer"] == "已批评教育并致歉"
    assert not done["has_contact"] and done["contact_erased_at"] == MON + timedelta(hours=2)
    with pytest.raises(ComplaintError):
        store.reveal(engine, first.id, "chief", MON)
    closed = store.act(engine, first.id, "close", "office", MON)
    assert [e["action"] for e in closed["log"]] == [
        "take",
        "reveal",
        "assign",
        "investigate",
        "answer",
        "close",
    ]
    assert closed["window"] == "w03" and closed["staff_id"] == "S0012"  # linked (DUTY-6)


def test_the_status_link_shows_the_answer_to_its_holder_only(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    # rule DUTY-6: the outcome is told to the complainant
    new = store.NewComplaint("public_page", "等太久", "取号后等了两个小时没人叫号")
    taken = store.take(
        engine, "demo", new, actor="citizen", now=MON, tz=TZ, is_workday=CAL, with_status_link=True
    )
    assert taken.status_token
    seen = store.public_status(engine, "demo", taken.ref, taken.status_token)
    assert seen is not None and seen["state"] == "open" and seen["answer"] == ""
    assert store.public_status(engine, "demo", taken.ref, "guess") is None
    assert store.public_status(engine, "demo", "TS20261123-9999", taken.status_token) is None
    store.act(engine, taken.id, "investigate", "li", MON)
    store.act(
        engine,
        taken.id,
        "answer",
        "li",
        MON,
        note="当日系统故障，已加开窗口",
        finding="partly",
        told_how="status_page",
    )
    seen = store.public_status(engine, "demo", taken.ref, taken.status_token)
    assert seen is not None and seen["answer"] == "当日系统故障，已加开窗口"
    with engine.connect() as conn:
        stored = conn.execute(sa.select(store.COMPLAINT.c.status_token)).scalar()
    assert stored != taken.status_token and len(stored) == 64  # only its hash is kept


def test_callbacks_end_when_the_citizen_is_reached_and_lose_the_number(
    sqlite_engine: Engine, key: str
) -> None:
    engine = sqlite_engine
    # rule DEV-4: asked for a number to be called back; PRIV-1
    cid = callbacks.open_callback(
        engine,
        "demo",
        source="hall-kiosk",
        service="social",
        note="社保系统故障",
        contact=seal(key, "13800138000"),
        now=MON,
        tz=TZ,
        is_workday=CAL,
    )
    (cb,) = callbacks.callbacks(engine, "demo", open_only=True)
    assert cb["has_contact"] and cb["due_at"] == datetime(2026, 11, 25, tzinfo=TZ)
    assert callbacks.reveal_callback(engine, cid) == "13800138000"
    tried = callbacks.callback_step(engine, cid, "desk", MON, result="no_answer")
    assert tried["state"] == "open" and tried["attempts"] == 1
    done = callbacks.callback_step(
        engine, cid, "desk", MON, result="reached", outcome="已约明天办理"
    )
    assert done["state"] == "done" and not done["has_contact"] and done["contact_erased_at"]
    with pytest.raises(ComplaintError):
        callbacks.callback_step(engine, cid, "desk", MON, result="reached")
    with pytest.raises(ComplaintError):
        callbacks.reveal_callback(engine, cid)


def test_missed_deadlines_are_alerted_once(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    # rule DUTY-6, DEV-4
    take(engine)
    callbacks.open_callback(
        engine,
        "demo",
        source="hall-kiosk",
        service=None,
        note="n",
        contact=None,
        now=MON,
        tz=TZ,
        is_workday=CAL,
    )
    assert callbacks.check_overdue(engine, MON + timedelta(hours=5)) == 0
    assert callbacks.check_overdue(engine, datetime(2026, 11, 25, 9, tzinfo=TZ)) == 2
    assert callbacks.check_overdue(engine, datetime(2026, 11, 25, 10, tzinfo=TZ)) == 0
    assert callbacks.check_overdue(engine, datetime(2026, 12, 1, 0, 1, tzinfo=TZ)) == 1  # answer
    kinds = sorted(a["kind"] for a in callbacks.alerts(engine, "demo"))
    assert kinds == ["acknowledge_overdue", "answer_overdue", "callback_overdue"]
    assert all("期限" in a["text"] for a in callbacks.alerts(engine, "demo"))


def test_the_months_counts_for_the_assessment(engine: Engine) -> None:
    # rule DUTY-5: complaints feed each staff member's and window's assessment
    a = take(engine, window="w01", staff_id="S0012")
    b = take(engine, window="w01", staff_id="S0012")
    take(engine, window="w03")
    take(engine)
    for cid, finding in ((a.id, "substantiated"), (b.id, "unfounded")):
        store.act(engine, cid, "investigate", "li", MON)
        store.act(
            engine, cid, "answer", "li", MON, note="已答复", finding=finding, told_how="phone"
        )
    got = complaint_counts(engine, "demo", "2026-11", now=datetime(2026, 12, 2, tzinfo=TZ))
    s = got.by_staff["S0012"]
    assert (s.received, s.substantiated, s.unfounded, s.against, s.open) == (2, 1, 1, 1, 0)
    w1, w3 = got.by_window["w01"], got.by_window["w03"]
    assert (w1.received, w1.against, w3.received, w3.open, w3.overdue) == (2, 1, 1, 1, 1)
    assert got.unattributed.received == 1
    assert complaint_counts(engine, "demo", "2026-12").by_staff == {}
