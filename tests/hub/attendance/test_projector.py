"""Live re-judging of each punch, late punches included; stored records equal a recompute."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy.engine import Engine

from hub.attendance.engine import Judge
from hub.attendance.policy import load_policy
from hub.attendance.projector import AttendanceProjector
from hub.attendance.store import day_rows, read_days
from hub.attendance.workflow import AttendanceWorkflow
from hub.ingest.hooks import IngestBatch
from tests.hub.attendance.dbhelpers import add_staff, punch_env
from tests.hub.attendance.helpers import at

DAY = "2025-06-03"


def stored(engine: Engine, start: date, end: date) -> list[dict]:
    with engine.connect() as conn:
        return [{k: v for k, v in r.items()} for r in read_days(conn, start, end)]


def recomputed(policy_name: str, envs, start: date, end: date) -> list[dict]:
    from hub.attendance.engine import PunchFact

    facts = [PunchFact(e.body.staff_id, e.ts) for e in envs]
    records = Judge(load_policy(policy_name)).judge(punches=facts, start=start, end=end)
    return [row for rec in records for row in day_rows(rec)]


def normal(rows: list[dict]) -> list[tuple]:
    return [
        (
            r["staff_id"],
            r["day"],
            r["checkpoint"],
            r["status"],
            r["minutes"],
            r["punch_at"],
            r["corrected"],
        )
        for r in rows
    ]


def test_each_punch_rejudges_its_staff_day(engine: Engine):
    projector = AttendanceProjector(None)
    assert projector.name == "attendance"
    projector.project(engine, IngestBatch(events=[punch_env("s1", at(DAY, "08:40"), 1)]))
    rows = stored(engine, date(2025, 6, 3), date(2025, 6, 3))
    assert [(r["checkpoint"], r["status"], r["minutes"]) for r in rows] == [
        ("AM_IN", "late", 10),
        ("AM_OUT", "missing", 0),
        ("PM_IN", "absent", 0),
        ("PM_OUT", "absent", 0),
    ]
    # a punch that arrives hours late (offline terminal) is judged by its device time
    projector.project(engine, IngestBatch(events=[punch_env("s1", at(DAY, "08:20"), 2)]))
    rows = stored(engine, date(2025, 6, 3), date(2025, 6, 3))
    assert (rows[0]["status"], rows[0]["punch_at"]) == ("ok", at(DAY, "08:20"))


def test_live_records_equal_full_recompute_in_any_arrival_order(engine: Engine):
    envs = []
    seq = 0
    for sid in ("s1", "s2", "s3"):
        for day in ("2025-06-03", "2025-06-04", "2025-06-05"):
            for t in (f"08:2{seq % 10}", "12:01", f"14:1{seq % 7}", f"17:5{seq % 9}"):
                seq += 1
                envs.append(punch_env(sid, at(day, t), seq))
    rng = random.Random(5)
    shuffled = envs[:]
    rng.shuffle(shuffled)
    projector = AttendanceProjector(load_policy("wenshang-2021"))
    for i in range(0, len(shuffled), 5):  # batches of various staff-days, out of order
        projector.project(engine, IngestBatch(events=shuffled[i : i + 5]))
    # a repeated delivery (same event ids) changes nothing
    projector.project(engine, IngestBatch(events=shuffled[:7]))
    first, last = date(2025, 6, 3), date(2025, 6, 5)
    assert normal(stored(engine, first, last)) == normal(
        recomputed("wenshang-2021", envs, first, last)
    )


def test_closed_month_is_frozen_until_reopened(engine: Engine):
    add_staff(engine, ("s1", "tax", "w01"))
    projector = AttendanceProjector(load_policy("wenshang-2021"))
    wf = AttendanceWorkflow(engine, projector)
    projector.project(engine, IngestBatch(events=[punch_env("s1", at(DAY, "08:40"), 1)]))
    wf.close_month(actor="office", month="2025-06", why="monthly report sent")
    # rule ATT-8: the late fact is stored but the closed month keeps its record
    projector.project(engine, IngestBatch(events=[punch_env("s1", at(DAY, "08:10"), 2)]))
    rows = stored(engine, date(2025, 6, 3), date(2025, 6, 3))
    assert rows[0]["status"] == "late"
    wf.reopen_month(actor="office", month="2025-06", why="offline terminal delivered punches")
    rows = stored(engine, date(2025, 6, 3), date(2025, 6, 3))
    assert (rows[0]["status"], rows[0]["punch_at"]) == ("ok", at(DAY, "08:10"))
    assert [a["action"] for a in wf.audit_log("month")] == ["close", "reopen"]
