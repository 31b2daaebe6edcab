"""HTTP API of attendance (prefix /api/attendance): leave, corrections, substitutes, months,
judged days, month reports (JSON, CSV, XLSX) and the duty chief's day list.

The router reads `request.app.state.engine`; it uses `app.state.attendance` (an
AttendanceContext) when the hub sets one, else builds one with the default policy. The acting
operator comes from `request.state.user` (set by the hub's auth) or the `X-Actor` header;
override `get_actor` to plug other auth in.
"""

from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, Field

from hub.attendance.calendar import CalendarError
from hub.attendance.projector import AttendanceProjector
from hub.attendance.reports import day_list, month_report, month_rows, to_csv, to_xlsx
from hub.attendance.workflow import AttendanceWorkflow, NotFound, WorkflowError

OFFICE_ROLES = frozenset({"supervisor", "admin"})
"""Operator roles (hub.users) that decide the supervision office's stage (rule ATT-5)."""
MonthStr = Annotated[str, Field(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")]


class AttendanceRoute(APIRoute):
    """A route whose days outside the national calendar's years answer 422 with the reason."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler: a CalendarError is the caller's bad date, never a server error."""
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except CalendarError as exc:  # rule ATT-10: an unknown year is an error, not a guess
                raise HTTPException(422, str(exc)) from None

        return route


class AttendanceContext:
    """What the attendance routes work with: the projector (policy, judge) and the workflow."""

    def __init__(self, workflow: AttendanceWorkflow) -> None:
        """Wrap a workflow (which holds the engine and the projector)."""
        self.workflow = workflow
        self.projector: AttendanceProjector = workflow.projector


def get_context(request: Request) -> AttendanceContext:
    """The app's attendance context, built on first use from app.state.engine if none is set."""
    ctx: AttendanceContext | None = getattr(request.app.state, "attendance", None)
    if ctx is None:
        clock = getattr(request.app.state, "clock", None)
        projector = AttendanceProjector()
        wf = (
            AttendanceWorkflow(request.app.state.engine, projector, clock)
            if clock
            else AttendanceWorkflow(request.app.state.engine, projector)
        )
        ctx = AttendanceContext(wf)
        request.app.state.attendance = ctx
    return ctx


def get_actor(request: Request, x_actor: Annotated[str | None, Header()] = None) -> str:
    """Who is acting: the hub's authenticated user, else the X-Actor header."""
    user = getattr(request.state, "user", None)
    name = getattr(user, "username", None) or getattr(user, "name", None) or x_actor
    if not name:
        raise HTTPException(401, "attendance changes need an identified operator (X-Actor)")
    return str(name)


Actor = Annotated[str, Depends(get_actor)]


class LeaveIn(BaseModel):
    """A leave request (rule ATT-5)."""

    staff_id: str = Field(min_length=1, max_length=64)
    kind: str
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(default="", max_length=500)
    extends_id: int | None = None


class DecisionIn(BaseModel):
    """A department head's or the supervision office's decision on a leave request."""

    stage: Literal["department", "office"]
    approve: bool
    why: str = Field(default="", max_length=500)


class WhyIn(BaseModel):
    """The reason for a revocation, closing or reopening."""

    why: str = Field(default="", max_length=500)


class CorrectionIn(BaseModel):
    """An approved correction (补卡, rule ATT-6)."""

    staff_id: str = Field(min_length=1, max_length=64)
    at: AwareDatetime
    reason: str = Field(min_length=1, max_length=500)
    approver: str = Field(min_length=1, max_length=64)
    checkpoint: str | None = None


class SubstituteIn(BaseModel):
    """A substitute (替岗) on post (rule ATT-7)."""

    window: str = Field(min_length=1, max_length=63)
    staff_id: str = Field(min_length=1, max_length=64)
    substitute_id: str = Field(min_length=1, max_length=64)
    start: AwareDatetime
    end: AwareDatetime
    leave_id: int | None = None
    sent_by_unit: bool = False
    filed_at: AwareDatetime | None = None
    why: str = Field(default="", max_length=500)


def _fail(exc: WorkflowError) -> HTTPException:
    if isinstance(exc, NotFound):
        return HTTPException(404, str(exc))
    return HTTPException(409, str(exc))


def make_router(context: AttendanceContext | None = None) -> APIRouter:
    """A fresh attendance router bound to `context` (else the app's, see get_context)."""
    r = APIRouter(prefix="/api/attendance", tags=["attendance"], route_class=AttendanceRoute)

    def bound_context(request: Request) -> AttendanceContext:
        return context if context is not None else get_context(request)

    Ctx = Annotated[AttendanceContext, Depends(bound_context)]

    @r.post("/leaves", status_code=201)
    def post_leave(body: LeaveIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Request leave (pending until department head and 督查考核科 approve)."""
        try:
            leave_id = ctx.workflow.request_leave(actor=actor, **body.model_dump())
            return ctx.workflow.get_leave(leave_id)
        except WorkflowError as exc:
            raise _fail(exc) from None

    @r.get("/leaves")
    def get_leaves(ctx: Ctx, staff_id: str | None = None) -> list[dict[str, Any]]:
        """Leave requests, newest first."""
        return ctx.workflow.list_leaves(staff_id)

    @r.get("/leaves/{leave_id}")
    def get_leave(leave_id: int, ctx: Ctx) -> dict[str, Any]:
        """One leave request."""
        try:
            return ctx.workflow.get_leave(leave_id)
        except WorkflowError as exc:
            raise _fail(exc) from None

    @r.post("/leaves/{leave_id}/decision")
    def decide(
        leave_id: int, body: DecisionIn, ctx: Ctx, actor: Actor, request: Request
    ) -> dict[str, Any]:
        """Approve or refuse at one stage (department first, then office)."""
        role = getattr(getattr(request.state, "user", None), "role", None)
        if body.stage == "office" and role is not None and str(role) not in OFFICE_ROLES:
            raise HTTPException(403, "only the supervision office (督查考核科) decides this stage")
        try:
            return ctx.workflow.decide_leave(actor=actor, leave_id=leave_id, **body.model_dump())
        except WorkflowError as exc:
            raise _fail(exc) from None

    @r.post("/leaves/{leave_id}/revoke")
    def revoke_leave(leave_id: int, body: WhyIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Withdraw an approved leave (e.g. obtained by deceit, rule ATT-6)."""
        try:
            return ctx.workflow.revoke_leave(actor=actor, leave_id=leave_id, why=body.why)
        except WorkflowError as exc:
            raise _fail(exc) from None

    @r.post("/corrections", status_code=201)
    def post_correction(body: CorrectionIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Enter an approved correction (补卡)."""
        try:
            fix_id = ctx.workflow.add_correction(actor=actor, **body.model_dump())
        except WorkflowError as exc:
            raise _fail(exc) from None
        return {"id": fix_id, **body.model_dump(mode="json")}

    @r.post("/corrections/{correction_id}/revoke")
    def revoke_correction(
        correction_id: int, body: WhyIn, ctx: Ctx, actor: Actor
    ) -> dict[str, Any]:
        """Withdraw a correction."""
        try:
            ctx.workflow.revoke_correction(actor=actor, correction_id=correction_id, why=body.why)
        except WorkflowError as exc:
            raise _fail(exc) from None
        return {"id": correction_id, "revoked": True}

    @r.post("/substitutes", status_code=201)
    def post_substitute(body: SubstituteIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Record a substitute on post (rule ATT-7)."""
        try:
            sub_id = ctx.workflow.add_substitute(actor=actor, **body.model_dump())
        except WorkflowError as exc:
            raise _fail(exc) from None
        return {"id": sub_id, **body.model_dump(mode="json")}

    @r.get("/substitutes")
    def get_substitutes(ctx: Ctx, window: str | None = None) -> list[dict[str, Any]]:
        """Substitutes, newest first."""
        return ctx.workflow.list_substitutes(window)

    @r.get("/months/{month}")
    def get_month(month: MonthStr, ctx: Ctx) -> dict[str, Any]:
        """Whether a month is closed."""
        return {"month": month, "closed": ctx.workflow.month_closed(month)}

    @r.post("/months/{month}/close")
    def close(month: MonthStr, body: WhyIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Close (freeze) a month."""
        try:
            n = ctx.workflow.close_month(actor=actor, month=month, why=body.why)
        except WorkflowError as exc:
            raise _fail(exc) from None
        return {"month": month, "closed": True, "days": n}

    @r.post("/months/{month}/reopen")
    def reopen(month: MonthStr, body: WhyIn, ctx: Ctx, actor: Actor) -> dict[str, Any]:
        """Reopen a closed month (audited; needs a reason)."""
        try:
            n = ctx.workflow.reopen_month(actor=actor, month=month, why=body.why)
        except WorkflowError as exc:
            raise _fail(exc) from None
        return {"month": month, "closed": False, "days": n}

    @r.get("/days")
    def get_days(month: MonthStr, ctx: Ctx, staff_id: str | None = None) -> list[dict[str, Any]]:
        """Judged checkpoints of a month (frozen when the month is closed)."""
        rows, _closed = month_rows(ctx.workflow.engine, ctx.projector, month)
        return [_jsonable(r) for r in rows if staff_id is None or r["staff_id"] == staff_id]

    @r.get("/report/{month}", response_model=None)
    def report(
        month: MonthStr,
        ctx: Ctx,
        format: Literal["json", "csv", "xlsx"] = Query("json"),
        by: Literal["staff", "window", "unit"] = Query("staff"),
    ) -> Any:
        """The month report (rules ATT-8, ATT-9) as JSON, CSV (?by=) or XLSX."""
        rep = month_report(ctx.workflow.engine, ctx.projector, month)
        rows = {"staff": rep.staff, "window": rep.windows, "unit": rep.units}[by]
        if format == "csv":
            return Response(
                to_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="attendance-{month}-{by}.csv"'
                },
            )
        if format == "xlsx":
            return Response(
                to_xlsx(rep),
                media_type=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                headers={"Content-Disposition": f'attachment; filename="attendance-{month}.xlsx"'},
            )
        return {
            "month": rep.month,
            "policy": rep.policy,
            "closed": rep.closed,
            "rows": [r.flat() for r in rows],
        }

    @r.get("/day-list/{day}")
    def duty_day_list(day: date, ctx: Ctx) -> list[dict[str, Any]]:
        """The duty chief's (值班长) list of everyone's checkpoints on one day."""
        return day_list(ctx.workflow.engine, ctx.projector, day)

    @r.get("/audit")
    def audit(
        ctx: Ctx, entity: str | None = None, entity_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Audit entries: who changed what, when and why."""
        return ctx.workflow.audit_log(entity, entity_id)

    return r


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for k, v in out.items():
        if isinstance(v, (date, datetime)):
            out[k] = v.isoformat()
    return out


router = make_router()
"""The attendance router; mount with app.include_router(router)."""
