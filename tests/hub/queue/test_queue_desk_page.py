"""The queue desk page: a window paused with the reason its display shows (DEV-4), a promised
case finished (QUEUE-5), the queue's alerts worded (QUEUE-5, QUEUE-6)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from hub.queue import cases
from hub.queue.watch import QueueWatcher
from hub.users.accounts import Role
from models.commands import DisplayText
from tests.hub.ratings.test_followup_pages import client_as
from tests.support.auth import full_app

TZ = ZoneInfo("Asia/Shanghai")


def test_the_desk_pauses_with_a_reason_and_finishes_promised_cases(sqlite_engine: Engine) -> None:
    # rule DEV-4, QUEUE-5, QUEUE-6
    now = {"t": datetime(2026, 11, 23, 9, 0, tzinfo=TZ)}
    app = full_app(sqlite_engine, clock=lambda: now["t"])
    q = app.state.queues["demo"]
    lead = client_as(app, sqlite_engine, Role.WINDOW_LEAD)
    q.issue("property")
    q.act("w05", "next")
    q.act("w05", "finish")  # a promised case accepted (不动产登记, 5 working days)
    q.issue("social")
    form = {"csrf_token": lead.csrf, "action": "pause", "reason": "system_fault"}  # type: ignore[attr-defined]
    assert lead.post("/queue/desk/windows/w01", data=form).status_code == 303
    shown = [(d, b) for _h, d, b in q.sender.sent if isinstance(b, DisplayText) and d == "w01-led"]
    assert shown[-2:] == [
        ("w01-led", DisplayText(text="业务系统故障，请到2号窗口办理", line=1)),
        ("w01-led", DisplayText(text="暂停服务")),
    ]
    bad = lead.post("/queue/desk/windows/w02", data={**form, "reason": "lunch"})
    assert bad.status_code == 422 and "请选择暂停原因" in bad.text
    now["t"] += timedelta(minutes=15)
    QueueWatcher([q], lambda: now["t"]).tick()  # the pause is an early stop now (QUEUE-6)
    page = lead.get("/queue/desk").text
    assert "业务系统故障" in page and "提前停止服务" in page and "BDC" not in page
    (case,) = cases.list_cases(sqlite_engine, "demo", open_only=True)
    done = lead.post(
        f"/queue/desk/cases/{case['id']}", data={"csrf_token": lead.csrf, "note": "已出证"}
    )  # type: ignore[attr-defined]
    assert done.status_code == 303
    assert cases.list_cases(sqlite_engine, "demo", open_only=True) == []
    viewer = client_as(app, sqlite_engine, Role.VIEWER)
    refused = viewer.post("/queue/desk/windows/w01", data={**form, "csrf_token": viewer.csrf})  # type: ignore[attr-defined]
    assert refused.status_code == 403
