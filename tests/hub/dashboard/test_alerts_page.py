"""The alerts page: every area's alerts worded, filtered, counted and badged; acknowledged and
resolved with a comment by the duty side only (audited); the SSE stream says when they change."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.dashboard.live import alerts_version, changes
from hub.fleet.alerts import raise_alert
from hub.fleet.tables import Alert
from hub.users.accounts import Role, audit_entries
from tests.support.pages import leaks, visible_text

NOW = datetime.now(UTC)


def seed_alerts(engine: Engine) -> dict[str, int]:
    """A device offline, a POST-2 violation and a POST-4 notice for three recipients."""
    with Session(engine) as s:
        ids = {
            "offline": raise_alert(
                s,
                hall="demo",
                subject="w03-led",
                kind="offline",
                now=NOW,
                severity="error",
                message="device is offline",
            ).alert_id,
            "post2": raise_alert(
                s,
                hall="demo",
                subject="w07-a",
                kind="POST-2@t",
                now=NOW,
                source="compliance",
                words="violation.POST-2",
                values={"minutes": 1.1},
                rule="POST-2",
                window="w07",
                seat="w07-a",
                staff_id="S071",
                recipients=["operator", "staff:S071"],
            ).alert_id,
            "post4": raise_alert(
                s,
                hall="demo",
                subject="w04-a",
                kind="POST-4@t",
                now=NOW - timedelta(minutes=5),
                source="compliance",
                words="notice.POST-4",
                values={"window": 4, "ticket": "B007"},
                rule="POST-4",
                window="w04",
                seat="w04-a",
                staff_id="S041",
                recipients=["operator", "window:w03", "staff:S041"],
            ).alert_id,
        }
        s.commit()
    return ids


def test_alerts_are_worded_and_resolved_with_a_comment(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    from hub.demo.seed import seed_staff

    viewer, chief = browser_as(Role.VIEWER), browser_as(Role.DUTY_CHIEF)
    seed_staff(sqlite_engine, app.state.halls[0])
    ids = seed_alerts(sqlite_engine)
    page = viewer.get("/alerts").text
    text = visible_text(page)
    assert "离岗 1.1 分钟未放置暂停服务牌" in text and "设备离线" in text
    assert "4号窗口人员暂离" in text and "away" not in text and "offline" not in text
    row = visible_text(page.split(f'id="alert-{ids["post4"]}"')[1].split("</tr>")[0])
    assert "值班台" in row and "3号窗口" in row  # recipients on the one alert, by name
    assert 'href="/rules/POST-2"' in page and not leaks(page)
    assert "/resolve" not in page and re.search(r'id="nav-badge-alerts"[^>]*>3<', page)
    assert page.index(f'id="alert-{ids["post2"]}"') < page.index(f'id="alert-{ids["post4"]}"')
    assert (
        viewer.post(
            f"/alerts/{ids['post2']}/resolve", data={"csrf_token": viewer.csrf, "comment": "x"}
        ).status_code
        == 403
    )

    url = f"/alerts/{ids['post2']}/resolve"
    refused = chief.post(url, data={"csrf_token": chief.csrf, "comment": " "})
    assert refused.status_code == 422 and "请填写处理说明" in refused.text
    beside = refused.text.split(f'id="alert-{ids["post2"]}"')[1].split("</tr>")[0]
    assert 'id="err-alert-' in beside and "请填写处理说明" in beside  # beside its form
    for referer, back in (
        ("http://evil.example/alerts", "/alerts"),  # never off the site
        (f"http://testserver{url}", "/alerts"),  # not to the form's action (a GET: 405)
        ("http://testserver/alerts?state=all&source=fleet", "/alerts?state=all&source=fleet"),
    ):
        acked = chief.post(
            f"/alerts/{ids['post4']}/acknowledge",
            data={"csrf_token": chief.csrf, "comment": "已派人查看"},
            headers={"referer": referer},
        )
        assert acked.headers["location"] == back, referer
    ok = chief.post(
        f"/alerts/{ids['post4']}/acknowledge",
        data={"csrf_token": chief.csrf, "comment": "已通知3号窗口接待"},
    )
    assert ok.status_code == 303
    assert chief.post(url, data={"csrf_token": chief.csrf, "comment": "已回岗"}).status_code == 303
    with Session(sqlite_engine) as s:
        done = s.get(Alert, ids["post2"])
        assert done is not None and (done.state, done.resolved_by, done.resolve_comment) == (
            "resolved",
            "u-duty_chief",
            "已回岗",
        )
    entries = {(e.action, e.why) for e in audit_entries(sqlite_engine)}
    assert {("alert.acknowledge", "已通知3号窗口接待"), ("alert.resolve", "已回岗")} <= entries

    active = chief.get("/alerts").text
    assert f'id="alert-{ids["post2"]}"' not in active  # resolved leaves the active list
    assert re.search(r'id="nav-badge-alerts"[^>]*>1<', active)  # one not yet acknowledged
    assert "未处理 2 条，其中待确认 1 条" in active
    resolved = chief.get("/alerts?state=resolved").text
    assert f'id="alert-{ids["post2"]}"' in resolved and "已回岗" in resolved
    mine = chief.get("/alerts?state=all&source=compliance&severity=warning").text
    assert f'id="alert-{ids["offline"]}"' not in mine and f'id="alert-{ids["post4"]}"' in mine
    assert chief.get("/alerts?state=bogus&source=<x>").status_code == 200  # filters fall back
    english = chief.get("/alerts?lang=en").text
    assert "Device offline" in english and "Duty desk" in english


def test_the_stream_says_alerts_changed_when_one_is_raised(sqlite_engine: Engine) -> None:
    from hub.queue.broadcast import Broadcaster

    async def run() -> list[str]:
        async def version() -> object:
            return alerts_version(sqlite_engine)

        async def connected() -> bool:
            return False

        stream = changes([Broadcaster()], "demo", connected, idle_s=0.05, alert_version=version)
        events = [(await anext(stream))["event"]]
        with Session(sqlite_engine) as s:
            raise_alert(s, hall="demo", subject="w01-led", kind="offline", now=NOW)
            s.commit()
        events.append((await asyncio.wait_for(anext(stream), 5))["event"])
        await stream.aclose()
        return events

    assert asyncio.run(run()) == ["hello", "alerts"]
