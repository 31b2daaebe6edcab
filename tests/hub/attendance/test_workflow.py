"""Leave with two approvals, corrections, substitutes, month close/reopen; all audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from hub.attendance.policy import load_policy
from hub.attendance.projector import AttendanceProjector
from hub.attendance.store import read_days
from hub.attendance.workflow import (
    AttendanceWorkflow,
    FieldError,
    Forbidden,
    NotFound,
    WorkflowError,
)
from hub.ingest.hooks import IngestBatch
from tests.hub.attendance.dbhelpers import add_staff, punch_env
from tests.hub.attendance.helpers import at

DAY = "2025-06-03"
NOW = datetime(2025, 6, 5, 1, 0, tzinfo=UTC)  # 09:00 on Thursday 5 June in the hall


def setup(engine: Engine) -> tuple[AttendanceProjector, AttendanceWorkflow]:
    add_staff(
        engine,
        ("s1", "tax", "w01"),
        ("s2", "tax", "w01"),
        ("s3", "social", "w02"),
        ("s4", "social", ""),
    )
    projector = AttendanceProjector(load_policy("wenshang-2021"))
    return projector, AttendanceWorkflow(engine, projector, clock=lambda: NOW)


def day_status(engine: Engine, staff_id: str, day: str = DAY) -> list[str]:
    d = date.fromisoformat(day)
    with engine.connect() as conn:
        return [r["status"] for r in read_days(conn, d, d, staff_id)]


def test_leave_needs_department_then_office(engine: Engine):
    projector, wf = setup(engine)
    projector.project(
        engine,
        IngestBatch(
            events=[punch_env("s1", at(DAY, "08:00"), 1), punch_env("s1", at(DAY, "12:00"), 2)]
        ),
    )
    assert day_status(engine, "s1") == ["ok", "ok", "absent", "absent"]
    leave_id = wf.request_leave(
        actor="s1",
        staff_id="s1",
        kind="sick",
        start=at(DAY, "13:00"),
        end=at(DAY, "18:30"),
        reason="fever",
        certificate="县人民医院 2025-0603-117",
    )
    # rule ATT-5: the office cannot approve before the department head
    with pytest.raises(WorkflowError, match="department head first"):
        wf.decide_leave(actor="office", leave_id=leave_id, stage="office", approve=True)
    wf.decide_leave(actor="head", leave_id=leave_id, stage="department", approve=True)
    assert day_status(engine, "s1")[2:] == ["absent", "absent"]  # not yet approved
    lv = wf.decide_leave(
        actor="office", leave_id=leave_id, stage="office", approve=True, why="certificate seen"
    )
    assert (lv["status"], lv["dept_by"], lv["office_by"]) == ("approved", "head", "office")
    assert day_status(engine, "s1")[2:] == ["leave", "leave"]
    audit = wf.audit_log("leave", str(leave_id))
    assert [(a["actor"], a["action"]) for a in audit] == [
        ("s1", "request"),
        ("head", "approve"),
        ("office", "approve"),
    ]
    assert audit[2]["why"] == "certificate seen" and audit[2]["at"] == NOW


def test_refused_and_revoked_leave_is_absence(engine: Engine):
    _projector, wf = setup(engine)
    leave_id = wf.request_leave(
        actor="s4", staff_id="s4", kind="personal", start=at(DAY, "00:00"), end=at(DAY, "23:59")
    )
    lv = wf.decide_leave(
        actor="head", leave_id=leave_id, stage="department", approve=False, why="busy week"
    )
    assert lv["status"] == "refused"
    with pytest.raises(WorkflowError):
        wf.decide_leave(actor="office", leave_id=leave_id, stage="office", approve=True)
    # rule ATT-6: leave obtained by deceit, revoked by an operator
    lid = wf.request_leave(
        actor="s4",
        staff_id="s4",
        kind="sick",
        start=at("2025-06-04", "00:00"),
        end=at("2025-06-04", "23:59"),
        certificate="C-1",
    )
    wf.decide_leave(actor="head", leave_id=lid, stage="department", approve=True)
    wf.decide_leave(actor="office", leave_id=lid, stage="office", approve=True)
    assert day_status(engine, "s4", "2025-06-04") == ["leave"] * 4
    with pytest.raises(WorkflowError, match="reason"):
        wf.revoke_leave(actor="office", leave_id=lid, why=" ")
    wf.revoke_leave(actor="office", leave_id=lid, why="certificate was forged")
    assert day_status(engine, "s4", "2025-06-04") == ["absent"] * 4


def test_extension_and_bad_requests(engine: Engine):
    _projector, wf = setup(engine)
    with pytest.raises(WorkflowError, match="unknown leave kind"):
        wf.request_leave(
            actor="s4", staff_id="s4", kind="holiday", start=at(DAY, "08:00"), end=at(DAY, "12:00")
        )
    with pytest.raises(WorkflowError, match="end after"):
        wf.request_leave(
            actor="s4", staff_id="s4", kind="personal", start=at(DAY, "12:00"), end=at(DAY, "08:00")
        )
    with pytest.raises(NotFound):
        wf.get_leave(999)
    lid = wf.request_leave(
        actor="s4",
        staff_id="s4",
        kind="sick",
        start=at(DAY, "08:00"),
        end=at(DAY, "18:30"),
        certificate="C-2",
    )
    with pytest.raises(WorkflowError, match="only that can be extended"):
        wf.request_leave(
            actor="s4",
            staff_id="s4",
            kind="sick",
            start=at(DAY, "18:30"),
            end=at("2025-06-04", "18:30"),
            extends_id=lid,
            certificate="C-2",
        )
    wf.decide_leave(actor="head", leave_id=lid, stage="department", approve=True)
    wf.decide_leave(actor="office", leave_id=lid, stage="office", approve=True)
    ext = wf.request_leave(
        actor="s4",
        staff_id="s4",
        kind="sick",
        start=at(DAY, "18:30"),
        end=at("2025-06-04", "18:30"),
        extends_id=lid,
        certificate="C-2",
    )
    assert wf.get_leave(ext)["extends_id"] == lid


def test_substitute_required_for_a_sole_window_or_a_second_leaver(engine: Engine):
    _projector, wf = setup(engine)

    def approve(staff_id: str) -> int:
        lid = wf.request_leave(
            actor=staff_id,
            staff_id=staff_id,
            kind="annual",
            start=at(DAY, "08:00"),
            end=at(DAY, "18:30"),
        )
        wf.decide_leave(actor="head", leave_id=lid, stage="department", approve=True)
        return lid

    # rule ATT-7: s3 is the only staff of w02
    lid = approve("s3")
    with pytest.raises(WorkflowError, match="ATT-7"):
        wf.decide_leave(actor="office", leave_id=lid, stage="office", approve=True)
    with pytest.raises(WorkflowError, match="filed with 督查考核科 in advance"):
        wf.add_substitute(
            actor="head",
            window="w02",
            staff_id="s3",
            substitute_id="x9",
            start=at(DAY, "07:50"),
            end=at(DAY, "18:40"),
            sent_by_unit=True,
        )
    wf.add_substitute(
        actor="head",
        window="w02",
        staff_id="s3",
        substitute_id="x9",
        start=at(DAY, "07:50"),
        end=at(DAY, "18:40"),
        sent_by_unit=True,
        filed_at=at(DAY, "07:50") - timedelta(days=1),
        leave_id=lid,
    )
    assert (
        wf.decide_leave(actor="office", leave_id=lid, stage="office", approve=True)["status"]
        == "approved"
    )
    # w01 has two staff: the first may go without a substitute, the second may not
    first = approve("s1")
    wf.decide_leave(actor="office", leave_id=first, stage="office", approve=True)
    second = approve("s2")
    with pytest.raises(WorkflowError, match="second staff member"):
        wf.decide_leave(actor="office", leave_id=second, stage="office", approve=True)
    assert wf.list_substitutes("w02")[0]["substitute_id"] == "x9"


def test_corrections_are_reviewed_audited_and_frozen_months_refuse_changes(engine: Engine):
    projector, wf = setup(engine)
    projector.project(
        engine,
        IngestBatch(
            events=[
                punch_env("s1", at(DAY, "12:00"), 1),
                punch_env("s1", at(DAY, "14:00"), 2),
                punch_env("s1", at(DAY, "18:00"), 3),
            ]
        ),
    )
    assert day_status(engine, "s1")[0] == "missing"
    with pytest.raises(FieldError, match="reason") as refused:
        wf.file_correction(
            actor="clerk", staff_id="s1", at=at(DAY, "08:20"), reason="", checkpoint="AM_IN"
        )
    assert refused.value.field == "reason"
    fix = wf.file_correction(
        actor="clerk",
        staff_id="s1",
        at=at(DAY, "08:20"),
        reason="terminal offline",
        checkpoint="AM_IN",
    )
    assert day_status(engine, "s1")[0] == "missing"  # rule ATT-6: filed is not yet approved
    # rule ATT-6: never approved by the person it corrects, nor by the account that filed it
    with pytest.raises(Forbidden) as own:
        wf.review_correction(actor="s1", correction_id=fix, approve=True)
    assert own.value.key == "att.err.own_correction"
    with pytest.raises(Forbidden, match="another account"):
        wf.review_correction(actor="clerk", correction_id=fix, approve=True)
    with pytest.raises(Forbidden):  # a window lead is not the supervision office
        wf.review_correction(actor="lead", correction_id=fix, approve=True, role="window_lead")
    wf.review_correction(actor="chief", correction_id=fix, approve=True, role="supervisor")
    with engine.connect() as conn:
        row = read_days(conn, date(2025, 6, 3), date(2025, 6, 3), "s1")[0]
    assert (row["status"], row["corrected"]) == ("ok", True)
    with pytest.raises(WorkflowError, match="nothing to review"):
        wf.review_correction(actor="office", correction_id=fix, approve=False)
    wf.close_month(actor="office", month="2025-05")
    with pytest.raises(WorkflowError, match="not over yet"):  # 5 June: June is not over
        wf.close_month(actor="office", month="2025-06")
    wf.clock = lambda: NOW + timedelta(days=30)
    wf.close_month(actor="office", month="2025-06")
    with pytest.raises(WorkflowError, match="closed"):
        wf.revoke_correction(actor="clerk", correction_id=fix, why="wrong person")
    with pytest.raises(WorkflowError, match="reason"):
        wf.reopen_month(actor="office", month="2025-06", why="")
    wf.reopen_month(actor="office", month="2025-06", why="correction came late")
    wf.revoke_correction(actor="clerk", correction_id=fix, why="entered for the wrong person")
    assert day_status(engine, "s1")[0] == "missing"
    actions = [(a["entity"], a["action"]) for a in wf.audit_log()]
    assert actions == [
        ("correction", "file"),
        ("correction", "approve"),
        ("month", "close"),
        ("month", "close"),
        ("month", "reopen"),
        ("correction", "revoke"),
    ]
    assert wf.get_correction(fix)["approver"] == "chief"


def test_corrections_name_a_checkpoint_lie_in_the_past_and_come_in_time(engine: Engine):
    _projector, wf = setup(engine)  # the hall's clock: 09:00 on 5 June

    def file(when: str, checkpoint: str = "AM_IN", staff_id: str = "s1") -> int:
        day, hhmm = when.split(" ")
        return wf.file_correction(
            actor="clerk", staff_id=staff_id, at=at(day, hhmm), reason="x", checkpoint=checkpoint
        )

    with pytest.raises(FieldError) as e:
        file("2025-06-04 08:20", checkpoint="")
    assert (e.value.field, e.value.key) == ("checkpoint", "att.err.checkpoint")
    with pytest.raises(FieldError) as e:
        file("2025-06-04 08:20", checkpoint="LUNCH")
    assert e.value.key == "att.err.checkpoint_unknown"
    with pytest.raises(FieldError) as e:  # 17 days ahead (issue 18's nonsense)
        file("2025-06-22 08:20")
    assert (e.value.field, e.value.key) == ("at", "att.err.future")
    with pytest.raises(FieldError):  # later today is still to come
        file("2025-06-05 12:00", checkpoint="AM_OUT")
    # rule ATT-6 (003): filed within 2 days; for 2 June the deadline was 4 June
    with pytest.raises(FieldError) as e:
        file("2025-06-02 08:20")
    assert e.value.key == "att.err.correction_late" and e.value.values["deadline"] == "2025-06-04"
    assert file("2025-06-03 08:20") > 0  # 3 June: due by 5 June, today
    with pytest.raises(FieldError) as e:
        file("2025-06-04 08:20", staff_id="nobody")
    assert (e.value.field, e.value.key) == ("staff_id", "att.err.unknown_staff")


def test_leave_forms_refuse_nonsense_and_own_approvals(engine: Engine):
    _projector, wf = setup(engine)

    def ask(start: str, end: str, staff_id: str = "s4", kind: str = "personal", **kw) -> int:
        d0, t0 = start.split(" ")
        d1, t1 = end.split(" ")
        return wf.request_leave(
            actor="clerk", staff_id=staff_id, kind=kind, start=at(d0, t0), end=at(d1, t1), **kw
        )

    with pytest.raises(FieldError) as e:
        ask("2025-06-09 08:00", "2025-06-09 18:00", staff_id="ghost")
    assert (e.value.field, e.value.key) == ("staff_id", "att.err.unknown_staff")
    with pytest.raises(FieldError) as e:  # a leave from 1999 to 2099
        ask("1999-01-01 08:00", "2099-12-31 18:00")
    assert (e.value.field, e.value.key) == ("start", "att.err.leave_too_early")
    with pytest.raises(FieldError) as e:
        ask("2027-01-04 08:00", "2027-01-04 18:00")
    assert e.value.key == "att.err.leave_too_late"
    with pytest.raises(FieldError) as e:  # the policy's maximum: 180 days
        ask("2025-06-09 08:00", "2025-12-31 18:00")
    assert (e.value.field, e.value.values["days"]) == ("end", 180)
    with pytest.raises(FieldError) as e:  # rule ATT-5 (003): sick leave names its certificate
        ask("2025-06-09 08:00", "2025-06-09 18:00", kind="sick")
    assert e.value.field == "certificate"
    for kind, day in (("home", "2025-06-09"), ("paid_annual", "2025-06-11")):  # rule ATT-5
        assert ask(f"{day} 08:00", f"{day} 18:00", kind=kind) > 0  # 探亲假, 带薪休假
    lid = ask("2025-06-10 08:00", "2025-06-10 18:00")
    with pytest.raises(Forbidden) as e:  # rule ATT-5: nobody approves their own leave
        wf.decide_leave(actor="s4", leave_id=lid, stage="department", approve=True)
    assert e.value.key == "att.err.own_leave"
    with pytest.raises(Forbidden):  # a viewer does not decide
        wf.decide_leave(actor="v", leave_id=lid, stage="department", approve=True, role="viewer")
    wf.decide_leave(actor="lead", leave_id=lid, stage="department", approve=True)
    with pytest.raises(Forbidden) as e:  # two stages, two different accounts
        wf.decide_leave(actor="lead", leave_id=lid, stage="office", approve=True)
    assert e.value.key == "att.err.same_approver"
    with pytest.raises(Forbidden):  # the department head's role is not the office's
        wf.decide_leave(
            actor="chief2", leave_id=lid, stage="office", approve=True, role="duty_chief"
        )
    lv = wf.decide_leave(
        actor="office", leave_id=lid, stage="office", approve=True, role="supervisor"
    )
    assert lv["status"] == "approved"
    wf.revoke_leave(actor="office", leave_id=lid, why="asked by deceit")
    with pytest.raises(WorkflowError, match="nothing to revoke"):
        wf.revoke_leave(actor="office", leave_id=lid, why="again")
