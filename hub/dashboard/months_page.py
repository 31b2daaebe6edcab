"""Month close and reopen (rule ATT-8, point 18.3): the supervision office closes a finished
month, freezing its attendance; reopening needs a reason; both audited by the attendance area
(its workflow's close_month / reopen_month); and the links to every export of the month."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.dashboard.routes import DashDep, PageOp
from hub.dashboard.views import local_day, month_of
from hub.dashboard.web import render
from hub.users.accounts import Role, audit
from hub.users.security import check_csrf

router = APIRouter(include_in_schema=False)
OFFICE = (Role.ADMIN, Role.SUPERVISOR)  # 督查考核科 (rule ATT-8)
Month = Annotated[str, Form(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


def recent_months(today: date, n: int = 12) -> list[str]:
    """This month and the n-1 before it, newest first (YYYY-MM)."""
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def span(month: str) -> dict[str, date]:
    """The first and last day of a YYYY-MM month."""
    y, m = (int(p) for p in month.split("-"))
    first = date(y, m, 1)
    nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return {"first": first, "last": nxt - timedelta(days=1)}


def _workflow(dash: Any) -> Any:
    if dash.attendance is None:
        raise HTTPException(404, "error.no_attendance")
    return dash.attendance.workflow


@router.get("/months", response_class=HTMLResponse)
def months_page(request: Request, op: PageOp, dash: DashDep) -> HTMLResponse:
    """The last twelve months: closed or open, the buttons, and each month's exports."""
    wf = _workflow(dash)
    hall = dash.hall(None)
    today = local_day(dash.clock(), hall)
    months = [
        {"month": m, "closed": wf.month_closed(m), "over": m < month_of(today), **span(m)}
        for m in recent_months(today)
    ]
    context = {"months": months, "can_close": op.role in OFFICE, "hall": hall}
    return render(request, "months.html", op, context)


def _change(request: Request, op: Any, dash: Any, month: str, why: str, close: bool) -> Any:
    check_csrf(request, getattr(request.state, "csrf_form", None))
    if op.role not in OFFICE:
        raise HTTPException(403, "forbidden.months")
    wf = _workflow(dash)
    if close:  # a WorkflowError (not over, closed already) is worded by the error page
        days = wf.close_month(actor=op.username, month=month, why=why)
    else:
        days = wf.reopen_month(actor=op.username, month=month, why=why)
    action = "month.close" if close else "month.reopen"
    audit(
        request.app.state.engine,
        actor=op.username,
        action=action,
        entity="month",
        entity_id=month,
        why=why,
        after={"days": days},
    )
    return RedirectResponse(f"/months?done={month}", status_code=303)


@router.post("/months/{month}/close")
def close_month(
    request: Request,
    op: PageOp,
    dash: DashDep,
    month: str,
    why: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Close a finished month: judged once more from its facts, then frozen (ATT-8)."""
    request.state.csrf_form = csrf_token
    result: RedirectResponse = _change(request, op, dash, month, why, close=True)
    return result


@router.post("/months/{month}/reopen")
def reopen_month(
    request: Request,
    op: PageOp,
    dash: DashDep,
    month: str,
    why: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Reopen a closed month (a reason is required; audited)."""
    request.state.csrf_form = csrf_token
    result: RedirectResponse = _change(request, op, dash, month, why, close=False)
    return result
