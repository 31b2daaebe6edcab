"""Month reports per staff, window and unit; penalties (ATT-9); CSV/XLSX; the duty chief's day."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from hub.attendance.engine import PunchFact, judge
from hub.attendance.exports import BOM, to_csv, to_xlsx
from hub.attendance.policy import load_policy
from hub.attendance.projector import AttendanceProjector
from hub.attendance.reports import day_list, group, month_report, summarise
from hub.attendance.store import day_rows
from hub.attendance.workflow import AttendanceWorkflow
from hub.dashboard.i18n import translator
from hub.ingest.hooks import IngestBatch
from tests.hub.attendance.dbhelpers import add_staff, punch_env
from tests.hub.attendance.helpers import at, punches

CLINIC = load_policy("clinic-4x")


def month_of(facts: list[PunchFact], roster: list[str]) -> list[dict]:
    records = judge(
        CLINIC, punches=facts, start=date(2025, 6, 1), end=date(2025, 6, 30), roster=roster
    )
    return [r for rec in records for r in day_rows(rec)]


def test_penalties_per_clinic_policy():
    # rule ATT-9: 10 yuan per late or early; absence: that day's pay + 50; lates reaching 6: 500
    days = ["2025-06-03", "2025-06-04", "2025-06-05", "2025-06-06", "2025-06-09", "2025-06-10"]
    facts = []
    for d in days:  # six lates (08:05) and otherwise on time
        facts += punches("late", d, "08:05", "11:00", "12:55", "16:00")
    facts += punches("early", "2025-06-03", "08:00", "10:50", "12:55", "16:00")
    rows = {
        r.key: r
        for r in summarise(
            month_of(facts, ["late", "early"]),
            CLINIC,
            {"late": {"unit": "tax", "window": "w01"}, "early": {"unit": "tax", "window": "w02"}},
            {"late": 180.0},
        )
    }
    late = rows["late"]
    assert late.workdays == 20  # June 2025: Dragon Boat holiday on 2 June
    assert (late.late, late.late_minutes) == (6, 30)
    # the other 14 workdays have no punches at all: 28 absent half-days on 14 days, and their
    # missing punches are those absences, not forgotten sign-ins (ATT-9)
    assert late.absent_half_days == 28 and late.forgotten_signins == 0 and late.missing == 0
    assert late.penalty_yuan == 6 * 10 + 14 * 50 + 500
    assert (late.days_pay_days, late.days_pay_yuan) == (14, 14 * 180.0)
    assert [(line.item, line.count, line.yuan) for line in late.lines] == [
        ("late", 6, 60),
        ("absent", 14, 700),
        ("monthly_late", 6, 500),
    ]
    early = rows["early"]
    assert (early.early, early.early_minutes) == (1, 10)
    assert early.penalty_yuan == 10 + 19 * 50  # no limit reached: 0 forgotten sign-ins
    assert (early.days_pay_days, early.days_pay_yuan) == (19, None)  # no wage set: 19 days' pay
    by_window = group(list(rows.values()), "window")
    assert [g.key for g in by_window] == ["w01", "w02"]
    by_unit = group(list(rows.values()), "unit")
    assert by_unit[0].staff == 2 and by_unit[0].late == 6 and by_unit[0].early == 1
    assert by_unit[0].penalty_yuan == late.penalty_yuan + early.penalty_yuan


def test_no_penalties_without_a_penalty_section():
    rows = summarise(
        month_of(punches("a", "2025-06-03", "08:05"), ["a"]), load_policy("wenshang-2021")
    )
    assert rows[0].penalty_yuan == 0


def test_month_report_from_the_database(engine: Engine):
    add_staff(engine, ("s1", "tax", "w01"), ("s2", "social", "w02"))
    projector = AttendanceProjector(load_policy("wenshang-2021"))
    clock = {"now": datetime(2025, 6, 4, 2, 0, tzinfo=UTC)}  # 10:00 on 4 June in the hall
    wf = AttendanceWorkflow(engine, projector, lambda: clock["now"])
    day = "2025-06-03"
    projector.project(
        engine,
        IngestBatch(
            events=[
                punch_env("s1", at(day, t), i) for i, t in enumerate(("08:40", "12:00", "14:00"), 1)
            ]
        ),
    )
    lid = wf.request_leave(
        actor="clerk",
        staff_id="s2",
        kind="annual",
        start=at(day, "00:00"),
        end=at("2025-06-04", "23:59"),
    )
    wf.add_substitute(
        actor="head",
        window="w02",
        staff_id="s2",
        substitute_id="x1",
        start=at(day, "00:00"),
        end=at("2025-06-05", "00:00"),
    )
    wf.decide_leave(actor="head", leave_id=lid, stage="department", approve=True)
    wf.decide_leave(actor="office", leave_id=lid, stage="office", approve=True)
    fix = wf.file_correction(
        actor="clerk", staff_id="s1", at=at(day, "18:05"), reason="forgot", checkpoint="PM_OUT"
    )
    wf.review_correction(actor="chief", correction_id=fix, approve=True)
    now = clock["now"]
    rep = month_report(engine, projector, "2025-06", now)
    s1, s2 = rep.staff
    assert (s1.key, s1.window, s1.late, s1.late_minutes, s1.corrections) == ("s1", "w01", 1, 10, 1)
    assert s2.leave_by_kind == {"annual": 4} and s2.leave_half_days == 4
    assert not rep.closed and rep.to_date == date(2025, 6, 4)
    # to date (issue 18): on 4 June at 10:00 only 3 and 4 June are judged; s1 has not come in
    # on the 4th, and its checkpoints are not yet due (未到), never absent
    assert s1.workdays == 2 and s1.absent_half_days == 0 and s1.not_due == 4
    zh, en = translator("zh-CN"), translator("en")
    text = to_csv(rep.staff, zh)
    assert text.startswith(BOM)
    table = list(csv.DictReader(io.StringIO(text[1:])))
    assert table[1]["年假(半天)"] == "4" and table[0]["迟到(分钟)"] == "10"
    assert next(iter(csv.reader(io.StringIO(to_csv(rep.staff, en)[1:]))))[:2] == ["Id", "Name"]
    names = projector.policy.checkpoint_names()
    book = load_workbook(io.BytesIO(to_xlsx(rep, zh, projector.judge.zone, names)))
    assert book.sheetnames == ["人员汇总", "窗口汇总", "单位汇总", "每日明细", "扣款明细", "说明"]
    assert book["人员汇总"]["A2"].value == "s1"
    assert [c.value for c in book["单位汇总"]["A"]][1:] == ["social", "tax"]
    per_day = [[c.value for c in row] for row in book["每日明细"].iter_rows()]
    assert per_day[0][:6] == ["编号", "姓名", "窗口", "日期", "上午到岗 时间", "上午到岗 结果"]
    assert per_day[1][3:6] == ["2025-06-03", "08:40", "迟到 10分钟"]
    assert per_day[1][-1] == "已补卡" or per_day[1][-1].endswith("已补卡")
    assert per_day[2][5] == "未到"  # s1 on 4 June
    # the duty chief's list for the day, by window
    people = day_list(engine, projector, date(2025, 6, 3), now)
    assert [p["staff_id"] for p in people] == ["s1", "s2"]
    assert people[0]["checkpoints"][0] == {
        "checkpoint": "AM_IN",
        "status": "late",
        "minutes": 10,
        "time": "08:40",
        "corrected": False,
        "leave_kind": None,
        "rule": "ATT-2",
        "early_punch": False,
    }
    assert people[0]["checkpoints"][3]["corrected"] is True
    # a closed month reports its frozen records
    clock["now"] = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
    wf.close_month(actor="office", month="2025-06")
    assert month_report(engine, projector, "2025-06", clock["now"]).closed
    assert month_report(engine, projector, "2025-06", clock["now"]).staff[0].late == 1


def test_staff_are_judged_from_their_first_day_to_their_last(engine: Engine):
    # issue 18: staff added today are not absent since the 1st; a leaver is not judged after
    import sqlalchemy as sa

    from hub.attendance.store import STAFF

    add_staff(engine, ("old", "tax", "w01"))
    now = datetime(2025, 6, 12, 2, 0, tzinfo=UTC)  # 10:00 on Thursday 12 June in the hall
    with engine.begin() as conn:
        conn.execute(
            sa.insert(STAFF).values(
                staff_id="new",
                hall="demo",
                name="new",
                unit="tax",
                window="w02",
                active=True,
                created_at=datetime(2025, 6, 11, 17, 0, tzinfo=UTC),  # 01:00 on 12 June locally
            )
        )
        conn.execute(
            sa.update(STAFF)
            .where(STAFF.c.staff_id == "old")
            .values(active=False, leave_date=date(2025, 6, 5))
        )
    projector = AttendanceProjector(load_policy("wenshang-2021"))
    rows = {r.key: r for r in month_report(engine, projector, "2025-06", now).staff}
    assert (rows["new"].workdays, rows["new"].absent_half_days, rows["new"].not_due) == (1, 0, 4)
    assert rows["old"].workdays == 3 and rows["old"].absent_half_days == 6  # 3 to 5 June
    assert month_report(engine, projector, "2025-07", now).staff == []  # July has not come
