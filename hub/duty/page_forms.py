"""The duty pages' forms: each checks the CSRF token and the operator's role, changes through
the same functions the API uses (audited there), and returns to its page, or shows every
reason in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from hub.dashboard.routes import redirect_with
from hub.dashboard.web import lang_of
from hub.duty.api_common import CHIEF_ROLES
from hub.duty.checks import CheckRefused, record_check
from hub.duty.chief_store import ChiefRefused, chief_on
from hub.duty.hallctx import audit_in, load_duty_policy, save_duty_policy
from hub.duty.opening import AckRefused, acknowledge
from hub.duty.pages import OFFICE_ROLES, HallPage, PageOp, page
from hub.duty.policy import CHECK_ITEMS, Points
from hub.duty.roster import RosterIssue, issue
from hub.duty.roster_desk import RosterRefused, edit_roster, import_roster
from hub.duty.roster_store import OVERTIME
from hub.duty.visits import VisitRefused
from hub.duty.words import say
from hub.users.accounts import Operator, Role
from hub.users.security import check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str | None, Form()]


def allow_role(op: Operator, roles: frozenset[Role]) -> None:
    if op.role not in roles:
        raise HTTPException(403, "forbidden")


def _problems(request: Request, op: Operator, issues: Iterable[RosterIssue], back: str) -> Response:
    lang = lang_of(request)
    texts = [say(lang, i.key, **i.params()) for i in issues]
    return page(request, "duty_problem.html", op, {"texts": texts, "back": back})


def run_change(
    request: Request, op: Operator, back: str, work: Callable[[], Any], ok: Response
) -> Response:
    """Do the change; a refusal of the rules becomes the problem page."""
    try:
        work()
    except RosterRefused as exc:
        return _problems(request, op, exc.issues, back)
    except ChiefRefused as exc:
        return _problems(request, op, [RosterIssue(exc.key, 0, tuple(exc.values.items()))], back)
    except (CheckRefused, AckRefused, VisitRefused) as exc:
        return _problems(request, op, [issue(str(exc))], back)
    except KeyError:
        raise HTTPException(404, "error.404") from None
    return ok


@router.post("/duty/roster/import", response_model=None)
async def roster_import(
    request: Request,
    op: PageOp,
    hd: HallPage,
    file: Annotated[UploadFile, File()],
    month: Annotated[str, Form(max_length=7)] = "",
    why: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """File a month's roster from an uploaded CSV/XLSX (rule DUTY-1)."""
    check_csrf(request, csrf_token)
    allow_role(op, OFFICE_ROLES)
    data = await file.read(2 * 1024 * 1024 + 1)
    back = f"/duty/roster?month={month}" if month else "/duty/roster"
    if len(data) > 2 * 1024 * 1024:
        return _problems(request, op, [issue("roster_err_size")], back)
    engine, now = request.app.state.engine, request.app.state.clock()
    filed: dict[str, Any] = {}

    def work() -> None:
        got = import_roster(
            engine,
            hd,
            data,
            filename=file.filename or "",
            actor=op.username,
            now=now,
            month=month or None,
            why=why,
        )
        filed["month"] = got.version["month"]

    response = run_change(request, op, back, work, Response())
    if filed:
        return redirect_with("/duty/roster", month=filed["month"], result="filed")
    return response


@router.post("/duty/roster/cell")
def roster_cell(
    request: Request,
    op: PageOp,
    hd: HallPage,
    day: Annotated[date, Form()],
    seat: Annotated[str, Form(max_length=63)],
    role: Annotated[str, Form(max_length=8)],
    staff_id: Annotated[str, Form(max_length=64)] = "",
    why: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Set or clear one cell of the roster: a new version (rule DUTY-1)."""
    check_csrf(request, csrf_token)
    allow_role(op, OFFICE_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    month = f"{day.year:04d}-{day.month:02d}"
    return run_change(
        request,
        op,
        f"/duty/roster?month={month}",
        lambda: edit_roster(
            engine,
            hd,
            day=day,
            seat=seat,
            role=role,
            staff_id=staff_id or None,
            actor=op.username,
            now=now,
            why=why,
        ),
        redirect_with("/duty/roster", month=month, result="filed"),
    )


@router.post("/duty/overtime/{overtime_id}")
def overtime_decide(
    request: Request,
    overtime_id: int,
    op: PageOp,
    hd: HallPage,
    approve: Annotated[str, Form()] = "1",
    month: Annotated[str, Form(max_length=7)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Approve or refuse holiday overtime (加班)."""
    check_csrf(request, csrf_token)
    allow_role(op, OFFICE_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    status = "approved" if approve == "1" else "refused"
    with engine.begin() as conn:
        done = conn.execute(
            OVERTIME.update()
            .where(
                OVERTIME.c.id == overtime_id,
                OVERTIME.c.hall == hd.id,
                OVERTIME.c.status == "pending",
            )
            .values(status=status, decided_by=op.username, decided_at=now)
        ).rowcount
        if done:
            audit_in(
                conn,
                actor=op.username,
                action=f"overtime.{status}",
                entity="overtime",
                entity_id=overtime_id,
                at=now,
            )
    return redirect_with("/duty/roster", month=month) if month else redirect_with("/duty/roster")


@router.post("/duty/opening/ack")
def opening_ack(
    request: Request,
    op: PageOp,
    hd: HallPage,
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """The duty chief acknowledges today's opening check (rule DEV-1)."""
    check_csrf(request, csrf_token)
    allow_role(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            found = chief_on(conn, hd, hd.local_day(now))
            acknowledge(
                conn,
                hd,
                actor=op.username,
                chief=found[0] if found else None,
                now=now,
                note=note,
                policy=load_duty_policy(conn, hd.id),
            )

    return run_change(request, op, "/duty", work, redirect_with("/duty"))


@router.post("/duty/checks/{check_id}")
async def check_record(request: Request, check_id: int, op: PageOp, hd: HallPage) -> Response:
    """Record a duty check: each seat's checklist (unticked is a finding) and notes (POST-8)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    allow_role(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    items: dict[str, dict[str, Any]] = {}
    for seat, _window in hd.seats():
        if form.get(f"{seat}.seen") is None:
            continue  # a seat the chief did not look at stays blank
        items[seat] = {k: form.get(f"{seat}.{k}") is not None for k in CHECK_ITEMS}
        items[seat]["note"] = str(form.get(f"{seat}.note") or "")[:500]

    def work() -> None:
        with engine.begin() as conn:
            record_check(
                conn,
                hd,
                check_id,
                actor=op.username,
                at=now,
                now=now,
                items=items,
                note=str(form.get("note") or "")[:1000],
                policy=load_duty_policy(conn, hd.id),
            )

    return run_change(request, op, "/duty", work, redirect_with("/duty"))


@router.post("/duty/points")
async def points(request: Request, op: PageOp, hd: HallPage) -> Response:
    """The hall edits the assessment's points (rule DUTY-5); audited."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    allow_role(op, OFFICE_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    month = str(form.get("month") or "")
    with engine.begin() as conn:
        policy = load_duty_policy(conn, hd.id)
        values = {k: form.get(k) for k in Points.model_fields if form.get(k) not in (None, "")}
        try:
            points = Points.model_validate({**policy.points.model_dump(), **values})
            new = policy.model_copy(update={"points": points})
        except ValidationError:
            return _problems(request, op, [issue("points_err")], f"/duty/assessment?month={month}")
        save_duty_policy(conn, hd.id, new, op.username, now)
        audit_in(
            conn,
            actor=op.username,
            action="duty.points",
            entity="duty_policy",
            entity_id=hd.id,
            before=policy.points.model_dump(),
            after=new.points.model_dump(),
            at=now,
        )
    return (
        redirect_with("/duty/assessment", month=month)
        if month
        else redirect_with("/duty/assessment")
    )
