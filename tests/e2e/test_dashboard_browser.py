"""The dashboard in headless Chromium against a real hub (private Mosquitto, SQLite): log in,
watch the hall map change by SSE when a device event arrives, approve a leave, export a report.

Screenshots go to test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from sqlmodel import Session

from hub.compliance.tables import SeatAssignment
from hub.server import HubServer
from hub.users.accounts import Role
from models.envelope import make_envelope
from models.events import AwaySign, EventType
from models.topics import Channel, build_topic
from tests.e2e.browser import SHOTS, form_login, shot
from tests.hub.attendance.dbhelpers import add_staff
from tests.support.auth import make_user
from tests.support.broker import Broker

pytestmark = pytest.mark.browser


def publish_event(broker: Broker, envelope: Any) -> None:
    """Send one event as a device would (QoS 1), waiting for the broker's PUBACK."""
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"e2e-dev-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        topic = build_topic(envelope.hall, envelope.device, Channel.EVT)
        client.publish(topic, envelope.to_json(), qos=1).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def test_operator_flow_in_chromium(hub: HubServer, broker: Broker, page: Any) -> None:
    engine = hub.engine
    assert engine is not None
    make_user(engine, "zhang", Role.ADMIN)
    make_user(engine, "li", Role.SUPERVISOR)
    add_staff(engine, ("s1", "税务局", "w01"), ("s2", "税务局", "w01"))  # rule ATT-7: not alone
    with Session(engine) as s:
        s.add(SeatAssignment(hall="demo", seat="w01-a", window="w01", staff_id="s1", role="A"))
        s.commit()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    attendance = hub_attendance(hub)
    leave_id = attendance.request_leave(
        actor="clerk",
        staff_id="s1",
        kind="sick",
        start=start,
        end=start + timedelta(hours=4),
        certificate="县人民医院 2026-117",
    )

    # log in (the page asks for it first)
    page.goto(hub.api_url + "/")
    assert "/login" in page.url
    shot(page, "01-login")
    form_login(page, hub.api_url, "zhang")
    page.wait_for_selector("#hallmap")
    page.wait_for_function("() => document.querySelector('[sse-connect]') !== null")
    seat = page.locator("#seat-w01-a")
    assert seat.get_attribute("data-state") == "unknown"
    shot(page, "02-hallmap")

    # a device event arrives: the map changes by SSE, without a reload
    page.evaluate("() => { window.__noReload = true; }")
    sign = make_envelope(
        hall="demo",
        device="w01-a-sign",
        seq=1,
        ts=datetime.now(UTC),
        synced=True,
        body=AwaySign(seat="w01-a"),
        type=EventType.AWAY_SIGN_PLACED,
    )
    publish_event(broker, sign)
    page.wait_for_selector("#seat-w01-a[data-state=away]")
    assert page.evaluate("() => window.__noReload") is True
    assert "暂停服务牌" in page.locator("#seat-w01-a").inner_text()
    shot(page, "03-hallmap-away-sign")

    # approve the leave: department head stage, then 督查考核科 with another account (ATT-5)
    page.goto(hub.api_url + "/attendance")
    row = page.locator(f"#leave-{leave_id}")
    assert row.get_attribute("data-status") == "pending"
    row.locator("form.decide input[name=why]").fill("病历已交")
    row.locator("button.approve").click()
    page.wait_for_selector(f"#leave-{leave_id}[data-status=dept_approved]")
    assert page.locator(f"#leave-{leave_id} button.approve").count() == 0  # not zhang again
    form_login(page, hub.api_url, "li", path="/attendance")
    page.wait_for_selector(f"#leave-{leave_id}")
    page.locator(f"#leave-{leave_id} button.approve").click()
    page.wait_for_selector(f"#leave-{leave_id}[data-status=approved]")
    assert attendance.get_leave(leave_id)["dept_by"] == "zhang"
    assert attendance.get_leave(leave_id)["office_by"] == "li"
    shot(page, "04-attendance-leave-approved")

    # export the month report (a download through the logged-in session)
    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS.parent / download.suggested_filename
    download.save_as(str(target))
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows and rows[0][:2] == ["编号", "姓名"]
    assert download.suggested_filename.startswith("attendance-")

    # the other pages, for the record; English too
    for name, path in (
        ("05-devices", "/devices"),
        ("06-compliance", "/compliance"),
        ("07-queue", "/queue"),
        ("08-alerts", "/alerts"),
        ("09-ratings", "/ratings"),
        ("10-audit", "/audit"),
        ("11-hallmap-en", "/?lang=en"),
    ):
        response = page.goto(hub.api_url + path)
        assert response is not None and response.status == 200, path
        shot(page, name)
    assert "Live hall" in page.content()
    # the duty side runs the opening check (rule DEV-1) from the devices page
    page.goto(hub.api_url + "/devices?lang=zh-CN")
    page.click("#run-opening-check")
    page.wait_for_selector("#opening-check-demo")
    assert "问题" in page.locator("#opening-check-demo").inner_text()  # devices never came up
    shot(page, "12-devices-opening-check")
    audit_text = page.goto(hub.api_url + "/audit")
    assert audit_text is not None
    assert "批准请假" in page.content() and "病历已交" in page.content()

    # logging out ends the session: pages send the browser back to the login form
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto(hub.api_url + "/devices")
    assert "/login" in page.url


def hub_attendance(hub: HubServer) -> Any:
    """An attendance workflow on the hub's database, judging with the demo hall's policy."""
    from hub.attendance.policy import load_policy
    from hub.attendance.projector import AttendanceProjector
    from hub.attendance.workflow import AttendanceWorkflow

    hall = hub.halls[0]
    policy = load_policy(hall.attendance_policy, timezone=hall.timezone)
    assert hub.engine is not None
    return AttendanceWorkflow(hub.engine, AttendanceProjector(policy))
