"""Operators see what ingest refused and can rebuild an area (issue 14, points 4 and 6).

`hallkeeper hub dead-letters`, the dead-letter page (Chinese, no code or JSON), the Prometheus
dead-letter counter, the alert feed naming a refusing device, and `hallkeeper hub reproject`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from hub.cli.main import app as cli
from hub.fleet.raised import FleetAlerts
from hub.ingest.authorize import grants_for
from hub.ingest.pipeline import IngestPolicy, handle_batch
from hub.ingest.refusals import RefusalAlerts
from hub.users.accounts import Role
from models.events import EventType
from tests.hub.dashboard.conftest import app, browser_as  # noqa: F401 - fixtures
from tests.hub.ingest.conftest import evt_topic, punch
from tests.hub.ingest.killrig import DEMO
from tests.hub.ingest.test_authorize import HALL, envelope
from tests.support.pages import leaks


def refuse_some(engine: Engine) -> None:
    """Two forged punches from the rating pad, a sign for another seat, a broken message."""
    forged = [envelope("w01-rate", EventType.PUNCH).model_copy(update={"seq": n}) for n in (1, 2)]
    other_seat = envelope("w01-a-sign", EventType.AWAY_SIGN_PLACED, seat="w02-a")
    good = envelope("ent-face1", EventType.PUNCH)
    msgs = [(evt_topic(e), e.to_json()) for e in (*forged, other_seat, good)]
    msgs.append(("hk/v1/demo/w02-led/evt", b'{"v": 1, "id": "x"}'))
    policy = IngestPolicy(grants=grants_for([HALL]))
    outcome = handle_batch(engine, msgs, datetime.now(UTC), give_up=bool, policy=policy)
    assert (outcome.stored, outcome.dead_letters) == (1, 4)
    RefusalAlerts(FleetAlerts(engine)).note(outcome.refused)


def test_the_cli_lists_dead_letters_by_device_and_as_json(sqlite_engine: Engine) -> None:
    refuse_some(sqlite_engine)
    db = ["--db", sqlite_engine.url.render_as_string(hide_password=False)]
    plain = CliRunner().invoke(cli, ["hub", "dead-letters", *db])
    assert plain.exit_code == 0, plain.output
    lines = plain.output.strip().splitlines()
    assert len(lines) == 4 and "not_authorised" in lines[0] and "w01-rate" in lines[0]
    only = CliRunner().invoke(cli, ["hub", "dead-letters", *db, "--device", "w02-led", "--json"])
    (item,) = [json.loads(line) for line in only.output.strip().splitlines()]
    assert (item["device"], item["code"]) == ("w02-led", "invalid")
    assert bytes.fromhex(item["payload_hex"]) == b'{"v": 1, "id": "x"}'
    later = CliRunner().invoke(cli, ["hub", "dead-letters", *db, "--since", "2999-01-01"])
    assert later.output.strip() == "no dead letters"
    bad = CliRunner().invoke(cli, ["hub", "dead-letters", *db, "--since", "yesterday"])
    assert bad.exit_code == 2 and "give a day" in bad.output


def test_the_page_shows_refusals_in_chinese_and_the_feed_names_the_device(
    sqlite_engine: Engine,
    app: Any,  # noqa: F811
    browser_as: Callable[[Role], TestClient],  # noqa: F811
) -> None:
    refuse_some(sqlite_engine)
    viewer = browser_as(Role.VIEWER)
    page = viewer.get("/dead-letters")
    assert page.status_code == 200
    assert "设备无权发送此类事实（类型或位置不符）：3" in page.text
    assert "字段不符合通信约定" in page.text and "w01-a-sign" in page.text
    assert leaks(page.text) == []  # no English, no bare code, no JSON on the Chinese page
    assert "not authorised" not in page.text and '"id"' not in page.text
    one = viewer.get("/dead-letters?device=w02-led")
    assert "w01-rate" not in one.text and "w02-led" in one.text
    assert "Not this device" in viewer.get("/dead-letters?lang=en").text
    feed = viewer.get("/alerts?lang=zh-CN").text
    assert "设备 w01-rate 的消息被拒收 2 条，最近一条：设备无权发送此类事实" in feed
    assert "w01-a-sign" in feed
    assert leaks(feed) == []
    metrics = viewer.get("/metrics").text
    assert 'hallkeeper_refused_messages_total{reason="not_authorised"} 3.0' in metrics
    assert 'hallkeeper_refused_messages_total{reason="invalid"} 1.0' in metrics


def test_reproject_rebuilds_an_area_from_the_facts_and_says_what_changed(
    sqlite_engine: Engine,
) -> None:
    punches = [punch(device="ent-face1", seq=n, staff="S001") for n in (1, 2)]
    msgs = [(evt_topic(e), e.to_json()) for e in punches]
    handle_batch(sqlite_engine, msgs, datetime.now(UTC), give_up=bool)  # no projector ran
    args = [
        "hub",
        "reproject",
        "--area",
        "attendance",
        "--db",
        sqlite_engine.url.render_as_string(hide_password=False),
        "--hall",
        str(DEMO),
    ]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "2 fact(s) applied again, 0 failed" in first.output
    assert "att_punch: 0 -> 2 rows; 2 added" in first.output
    assert "records changed" in first.output
    again = CliRunner().invoke(cli, args)
    assert "att_punch: 2 -> 2 rows; 0 added, 0 removed, 0 changed" in again.output
    assert "no record changed" in again.output
    wrong = CliRunner().invoke(cli, [*args[:3], "fleet", *args[4:]])
    assert wrong.exit_code == 2 and "attendance, compliance, queue, ratings" in wrong.output
