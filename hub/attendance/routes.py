"""The routes of the attendance API (prefix /api/attendance); see hub.attendance.api.

Leave and its two approvals, corrections and their review, revocations, substitutes, months,
daily wages, judged days and why, month reports (JSON, CSV, XLSX) and the duty chief's day.
A refusal of the rules answers with its reason in the reader's words (AttendanceRoute).
"""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from hub.api.public import FILE
from hub.attendance.api import (
    Actor,
    AttendanceContext,
    CorrectionIn,
    DecisionIn,
    LeaveIn,
    MonthStr,
    ReviewIn,
    Role,
    RowId,
    SubstituteIn,
    WageIn,
    WhyIn,
    jsonable,
    lang_of,
)
from hub.attendance.public import (
    AttendanceAuditPublic,
    CorrectionPublic,
    DayListPublic,
    DayRowPublic,
    DayWhyPublic,
    LeavePublic,
    MonthChanged,
    MonthPublic,
    MonthReportPublic,
    SubstituteCreated,
    SubstitutePublic,
    WagePublic,
)
from hub.attendance.reports import day_list, explain_staff_day, month_report, month_rows

Hall = Annotated[str | None, Query(max_length=63, description="A hall this hub serves")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"text/csv": FILE, XLSX: FILE},
        "description": "The report: JSON, or the file with format=csv|xlsx",
    }
}


def add_routes(r: APIRouter, bound: Callable[[Request], AttendanceContext]) -> None:
    """Add the attendance routes to `r`, each finding its context with `bound`."""
    Ctx = Annotated[AttendanceContext, Depends(bound)]

    @r.post("/leaves", status_code=201, response_model=LeavePublic)
    def post_leave(body: LeaveIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Request leave (pending until department head and 督查考核科 approve)."""
        leave_id = ctx.workflow.request_leave(actor=actor, **body.model_dump())
        return ctx.workflow.get_leave(leave_id)

    @r.get("/leaves", response_model=list[LeavePublic])
    def get_leaves(ctx: Ctx, staff_id: str | None = None) -> list[dict[str, Any]]:
        """Leave requests, newest first."""
        return ctx.workflow.list_leaves(staff_id)

    @r.get("/leaves/{leave_id}", response_model=LeavePublic)
    def get_leave(leave_id: RowId, ctx: Ctx) -> dict[str, Any]:
        """One leave request."""
        return ctx.workflow.get_leave(leave_id)

    @r.post("/leaves/{leave_id}/decision", response_model=LeavePublic)
    def decide(
        leave_id: RowId, body: DecisionIn, ctx: Ctx, actor: Actor, role: Role
    ) -> dict[str, Any]:
        """Approve or refuse at one stage (department first, then office; two accounts)."""
        return ctx.workflow.decide_leave(
            actor=actor, leave_id=leave_id, role=role, **body.model_dump()
        )

    @r.post("/leaves/{leave_id}/revoke", response_model=LeavePublic)
    def revoke_leave(leave_id: RowId, body: WhyIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Withdraw a leave (e.g. obtained by deceit, rule ATT-6); needs a reason."""
        return ctx.workflow.revoke_leave(actor=actor, leave_id=leave_id, why=body.why)

    @r.post("/corrections", status_code=201, response_model=CorrectionPublic)
    def post_correction(body: CorrectionIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """File a correction (补卡) for review: its checkpoint, a past time, within the deadline."""
        fix_id = ctx.workflow.file_correction(actor=actor, **body.model_dump())
        return jsonable(ctx.workflow.get_correction(fix_id))

    @r.get("/corrections", response_model=list[CorrectionPublic])
    def get_corrections(ctx: Ctx, staff_id: str | None = None) -> list[dict[str, Any]]:
        """Corrections, newest first."""
        return [jsonable(c) for c in ctx.workflow.list_corrections(staff_id)]

    @r.post("/corrections/{correction_id}/review", response_model=CorrectionPublic)
    def review(
        correction_id: RowId, body: ReviewIn, ctx: Ctx, actor: Actor, role: Role
    ) -> dict[str, Any]:
        """The supervision office approves or refuses a correction (not its filer, not its own)."""
        return jsonable(
            ctx.workflow.review_correction(
                actor=actor, correction_id=correction_id, role=role, **body.model_dump()
            )
        )

    @r.post("/corrections/{correction_id}/revoke", response_model=CorrectionPublic)
    def revoke_correction(
        correction_id: RowId, body: WhyIn, ctx: Ctx, actor: Actor
    ) -> dict[str, Any]:
        """Withdraw a correction; needs a reason."""
        return jsonable(
            ctx.workflow.revoke_correction(actor=actor, correction_id=correction_id, why=body.why)
        )

    @r.put("/wages/{staff_id}", response_model=WagePublic)
    def put_wage(staff_id: str, body: WageIn, ctx: Ctx, actor: Actor, role: Role) -> dict[str, Any]:
        """Set a staff member's daily wage (the supervision office)."""
        if role is not None and role not in ("admin", "supervisor"):
            raise HTTPException(403, "forbidden.wage")  # a key: worded by the app
        ctx.workflow.set_daily_wage(
            actor=actor, staff_id=staff_id, yuan=body.daily_wage_yuan, why=body.why
        )
        return {"staff_id": staff_id, "daily_wage_yuan": body.daily_wage_yuan}

    @r.post("/substitutes", status_code=201, response_model=SubstituteCreated)
    def post_substitute(body: SubstituteIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Record a substitute on post (rule ATT-7)."""
        sub_id = ctx.workflow.add_substitute(actor=actor, **body.model_dump())
        hall = ctx.workflow.substitute_hall(sub_id)  # given, or the staff member's
        return {"id": sub_id, **body.model_dump(mode="json"), "hall": hall}

    @r.get("/substitutes", response_model=list[SubstitutePublic])
    def get_substitutes(
        ctx: Ctx, window: str | None = None, hall: str | None = None
    ) -> list[dict[str, Any]]:
        """Substitutes (at one window, of one hall), newest first."""
        return ctx.workflow.list_substitutes(window, hall)

    @r.get("/months/{month}", response_model=MonthPublic)
    def get_month(month: MonthStr, ctx: Ctx) -> dict[str, Any]:
        """Whether a month is closed."""
        return {"month": month, "closed": ctx.workflow.month_closed(month)}

    @r.post("/months/{month}/close", response_model=MonthChanged)
    def close(month: MonthStr, body: WhyIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Close (freeze) a month that is over."""
        n = ctx.workflow.close_month(actor=actor, month=month, why=body.why)
        return {"month": month, "closed": True, "days": n}

    @r.post("/months/{month}/reopen", response_model=MonthChanged)
    def reopen(month: MonthStr, body: WhyIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Reopen a closed month (audited; needs a reason)."""
        n = ctx.workflow.reopen_month(actor=actor, month=month, why=body.why)
        return {"month": month, "closed": False, "days": n}

    @r.get("/days", response_model=list[DayRowPublic])
    def get_days(
        month: MonthStr, ctx: Ctx, staff_id: str | None = None, hall: Hall = None
    ) -> list[dict[str, Any]]:
        """Judged checkpoints of a month to date (frozen when the month is closed), of one
        hall's staff with ?hall= (every hall's without)."""
        hall = None if hall is None else ctx.projector.report_hall(hall)
        wf = ctx.workflow
        rows, _closed = month_rows(wf.engine, ctx.projector, month, wf.now(), hall)
        return [jsonable(r) for r in rows if staff_id is None or r["staff_id"] == staff_id]

    @r.get(
        "/explain/{staff_id}/{day}",
        response_model=DayWhyPublic,
        response_model_exclude_unset=True,  # deadline or stop_time, gap_from, stored: as judged
    )
    def explain(staff_id: str, day: date, ctx: Ctx) -> dict[str, Any]:
        """Why each checkpoint of a staff member's day got its verdict (punches, window, rule)."""
        found = explain_staff_day(
            ctx.workflow.engine, ctx.projector, staff_id, day, ctx.workflow.now()
        )
        if found is None:
            raise HTTPException(404, "att.err.not_judged")  # a key: the URL is not echoed
        return found

    @r.get("/report/{month}", response_model=MonthReportPublic, responses=REPORT_RESPONSES)
    def report(
        month: MonthStr,
        ctx: Ctx,
        request: Request,
        format: Literal["json", "csv", "xlsx"] = Query("json"),
        by: Literal["staff", "window", "unit"] = Query("staff"),
        hall: Hall = None,
    ) -> Any:
        """A hall's month report to date (rules ATT-8, ATT-9) as JSON, CSV (?by=) or XLSX: its
        own staff and windows (?hall=, default the first hall)."""
        from hub.attendance.exports import to_csv, to_xlsx
        from hub.dashboard.i18n import translator

        wf = ctx.workflow
        rep = month_report(wf.engine, ctx.projector, month, wf.now(), wf.seats, hall)
        rows = {"staff": rep.staff, "window": rep.windows, "unit": rep.units}[by]
        t = translator(lang_of(request))
        halls = getattr(request.app.state, "halls", None) or []
        own = [h for h in halls if h.id == rep.hall] or (halls if len(halls) == 1 else [])
        windows: dict[str, str] = own[0].window_names() if own else {}  # that hall's w02
        stem = f"attendance-{rep.hall}-{month}" if rep.hall else f"attendance-{month}"
        if format == "csv":
            return Response(
                to_csv(rows, t, windows).encode("utf-8"),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{stem}-{by}.csv"'},
            )
        if format == "xlsx":
            judge = ctx.projector.judge_of(rep.hall)
            names = judge.policy.checkpoint_names()
            return Response(
                to_xlsx(rep, t, judge.zone, names, windows),
                media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
            )
        return {
            "month": rep.month,
            "hall": rep.hall,
            "policy": rep.policy,
            "closed": rep.closed,
            "to_date": rep.to_date.isoformat() if rep.to_date else None,
            "rows": [r.as_json() for r in rows],
        }

    @r.get("/day-list/{day}", response_model=list[DayListPublic])
    def duty_day_list(day: date, ctx: Ctx, hall: Hall = None) -> list[dict[str, Any]]:
        """The duty chief's (值班长) list of a hall's staff's checkpoints on one day (?hall=,
        default the first hall)."""
        wf = ctx.workflow
        return day_list(wf.engine, ctx.projector, day, wf.now(), wf.seats, hall)

    @r.get("/audit", response_model=list[AttendanceAuditPublic])
    def audit(
        ctx: Ctx, entity: str | None = None, entity_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Audit entries: who changed what, when and why."""
        return ctx.workflow.audit_log(entity, entity_id)
