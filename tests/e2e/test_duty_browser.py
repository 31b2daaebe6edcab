"""The duty pages in headless Chromium against a real hub (private Mosquitto, SQLite), as the
supervision office and the duty chief use them (rules DUTY-1, DUTY-2, DEV-1, POST-8, POST-7):
download the roster template, a refused file told line by line in Chinese, a roster filed after
the month began (flagged late), a cell edited and cleared in the dashboard (each a new version,
audited), the day's ledger, the rotation set, the opening check acknowledged and a duty check
recorded by the duty chief; English on request.

Screenshots go to test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.fleet.engine import FleetPolicy
from hub.fleet.service import run_opening_check
from hub.server import HubServer
from hub.users.accounts import Role
from hub.users.tables import AuditEntry
from tests.e2e.browser import form_login, running_hub
from tests.e2e.browser import shot as browser_shot
from tests.hub.duty.support import HD, TZ, Clock, seed_people
from tests.support.auth import make_user
from tests.support.broker import Broker

pytestmark = pytest.mark.browser


def latest_workday() -> date:
    """The hall's latest workday up to today (duty checks are planned on workdays only)."""
    day = datetime.now(TZ).date()
    while not HD.is_workday(day):
        day -= timedelta(days=1)
    return day


TODAY = latest_workday()
MONTH = f"{TODAY:%Y-%m}"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.combine(TODAY, time(10, 0), TZ))


@pytest.fixture
def hub(broker: Broker, tmp_path: Path, clock: Clock, migrated_hub_db: str) -> Iterator[HubServer]:
    """The whole hub on the hall's clock: the latest workday, 10:00."""
    with running_hub(broker, tmp_path, clock=clock, tick_s=3600.0) as server:
        yield server


@pytest.fixture
def page_width() -> int:
    return 1400  # the roster grid: a column per seat


def upload(page: Any, tmp: Path, name: str, text: str) -> None:
    """Choose a roster file in the import form and send it."""
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    page.set_input_files("#roster-import input[name=file]", str(path))
    page.fill("#roster-import input[name=why]", "月度排班")
    page.click("#roster-import button[type=submit]")


def shot(page: Any, name: str) -> None:
    browser_shot(page, f"duty-{name}")


def test_roster_and_duty_chief_in_chromium(
    hub: HubServer, page: Any, clock: Clock, tmp_path: Path
) -> None:
    engine = hub.engine
    assert engine is not None
    seed_people(engine)
    make_user(engine, "office", Role.SUPERVISOR)
    make_user(engine, "chief", Role.DUTY_CHIEF)

    # DUTY-1: the template, then a file with an unknown staff member refused with its line
    form_login(page, hub.api_url, "office", path=f"/duty/roster?month={MONTH}")
    assert page.locator("#roster-none").count() == 1
    with page.expect_download() as info:
        page.click("#template-csv")
    template = tmp_path / info.value.suggested_filename
    info.value.save_as(str(template))
    assert template.read_text(encoding="utf-8-sig").splitlines()[0].startswith("工号")
    day = TODAY.isoformat()
    upload(
        page, tmp_path, "bad.csv", f"工号,日期,岗位,岗别\nS021,{day},w02-a,A\nS999,{day},w01-a,A\n"
    )
    page.wait_for_selector("#duty-problems")
    problems = page.locator("#duty-problems").inner_text()
    assert "S999" in problems and "3" in problems, problems  # the line of the unknown staff
    shot(page, "01-roster-refused")

    # a good file, filed after the month began: flagged late (DUTY-1)
    page.goto(hub.api_url + f"/duty/roster?month={MONTH}")
    rows = [("S021", "w02-a", "A"), ("S901", "w02-a", "B"), ("S011", "w01-a", "A")]
    text = "工号,日期,岗位,岗别\n" + "".join(f"{s},{day},{seat},{r}\n" for s, seat, r in rows)
    upload(page, tmp_path, "roster.csv", text)
    page.wait_for_selector("#roster-filed")
    assert page.locator("#version-1").count() == 1
    assert "逾期报送" in page.locator("#version-1").inner_text()  # filed after the 1st
    cell = page.locator(f"#cell-{day}-w02-a")
    assert cell.get_attribute("data-a") == "S021" and cell.get_attribute("data-b") == "S901"
    shot(page, "02-roster-filed")

    # edit in the dashboard: a click on the cell fills the form; B becomes S902 (version 2)
    page.select_option("#roster-cell select[name=role]", "B")
    cell.click()
    form = page.locator("#roster-cell")
    assert form.locator("input[name=day]").input_value() == day
    assert form.locator("select[name=seat]").input_value() == "w02-a"
    assert form.locator("select[name=staff_id]").input_value() == "S901"
    form.locator("select[name=staff_id]").select_option("S902")
    form.locator("input[name=why]").fill("孙丽 调岗")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#version-2")
    assert page.locator(f"#cell-{day}-w02-a").get_attribute("data-b") == "S902"
    # ... and cleared (version 3): the seat keeps its A, has no B
    page.select_option("#roster-cell select[name=role]", "B")
    page.locator(f"#cell-{day}-w02-a").click()
    form.locator("select[name=staff_id]").select_option("")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#version-3")
    cleared = page.locator(f"#cell-{day}-w02-a")
    assert cleared.get_attribute("data-a") == "S021" and cleared.get_attribute("data-b") == ""
    shot(page, "03-roster-edited")
    with engine.connect() as conn:
        audit = AuditEntry.__table__  # type: ignore[attr-defined]
        audited = conn.execute(
            sa.select(audit.c.actor, audit.c.why)
            .where(audit.c.action == "roster.file")
            .order_by(audit.c.id)
        ).all()
    assert [tuple(r) for r in audited] == [
        ("office", "月度排班"),
        ("office", "孙丽 调岗"),
        ("office", ""),
    ]  # three filings, each audited

    # DUTY-2: the office sets the rotation; the day's duty chief is shown
    page.goto(hub.api_url + "/duty/chief")
    monday = TODAY - timedelta(days=TODAY.weekday())
    page.fill("#rotation-form input[name=anchor]", monday.isoformat())
    page.fill("#rotation-form input[name=order]", "S011,S031")
    page.click("#rotation-form button[type=submit]")
    page.wait_for_selector("#chief-today")
    assert "S011" in page.locator("#terms").inner_text()
    shot(page, "04-duty-chief")

    # the day's ledger: the rostered A holds w02-a (nobody punched yet: unknown is not absent)
    page.goto(hub.api_url + "/duty")
    holder = page.locator("#holder-w02-a")
    assert (holder.get_attribute("data-staff"), holder.get_attribute("data-basis")) == (
        "S021",
        "A",
    )
    assert page.locator("#holder-w04-a").get_attribute("data-basis") == "vacant"  # not rostered

    # DEV-1 and POST-8: the duty chief acknowledges the opening check and records a check
    hall = hub.halls[0]
    run_opening_check(engine, hall, datetime.combine(TODAY, time(8, 20), TZ), FleetPolicy())
    clock.at = datetime.combine(TODAY, time(18, 30), TZ)  # every check of the day is due
    form_login(page, hub.api_url, "chief", path="/duty")
    assert "S011" in page.locator("#duty-chief-today").inner_text()
    page.fill("#opening-ack input[name=note]", "设备已查看")
    page.click("#ack-button")
    page.wait_for_selector("#ack-done")
    assert "chief" in page.locator("#ack-done").inner_text()
    forms = page.locator("form[id^=check-form-]")
    assert forms.count() >= 1  # planned by the hub's background work this morning
    first = forms.first
    slot = str(first.get_attribute("id")).rsplit("-", 1)[1]
    first.locator("input[name='w02-a.badge']").uncheck()
    first.locator("input[name='w02-a.note']").fill("未佩戴工作牌")
    first.locator("button[type=submit]").click()
    page.wait_for_selector(f"#check-{slot} .badge.ok")
    assert "✗" in page.locator(f"#check-{slot}").inner_text()  # the badge finding kept
    shot(page, "05-duty-today-chief")

    # English on request; the duty chief sees the roster but no edit form (office only)
    page.goto(hub.api_url + f"/duty/roster?month={MONTH}&lang=en")
    assert "Filings" in page.locator("#roster-versions").inner_text()
    assert page.locator("#roster-cell").count() == 0
    shot(page, "06-roster-en")
