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
from hub.duty.chief_store import ChiefRefused, add_log, add_stand_in, chief_on, set_rotation
from hub.duty.hallctx import audit_in, load_duty_policy, save_duty_policy
from hub.duty.opening import AckRefused, acknowledge
from hub.duty.pages import OFFICE_ROLES, HallPage, PageOp, page
from hub.duty.policy import CHECK_ITEMS, Points
from hub.duty.roster import RosterIssue, issue
from hub.duty.roster_desk import RosterRefused, edit_roster, import_roster
from hub.duty.roster_store import OVERTIME
from hub.duty.visits import VisitRefused, record_inspection, record_sitting, register_sitting
from hub.duty.words import say
from hub.users.accounts import Operator, Role
from hub.users.security import check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str | None, Form()]


def _allow(op: Operator, roles: frozenset[Role]) -> None:
    if op.role not in roles:
        raise HTTPException(403, "your role may not change this")


def _problems(request: Request, op: Operator, issues: Iterable[RosterIssue], back: str) -> Response:
    lang = lang_of(request)
    texts = [say(lang, i.key, **i.params()) for i in issues]
    return page(request, "duty_problem.html", op, {"texts": texts, "back": back})


def _run(
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
        raise HTTPException(404, "not found") from None
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
    _allow(op, OFFICE_ROLES)
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

    response = _run(request, op, back, work, Response())
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
    _allow(op, OFFICE_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    month = f"{day.year:04d}-{day.month:02d}"
    return _run(
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
    _allow(op, OFFICE_ROLES)
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
    _allow(op, CHIEF_ROLES)
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

    return _run(request, op, "/duty", work, redirect_with("/duty"))


@router.post("/duty/checks/{check_id}")
async def check_record(request: Request, check_id: int, op: PageOp, hd: HallPage) -> Response:
    """Record a duty check: each seat's checklist (unticked is a finding) and notes (POST-8)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    _allow(op, CHIEF_ROLES)
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

    return _run(request, op, "/duty", work, redirect_with("/duty"))


@router.post("/duty/log")
def log_entry(
    request: Request,
    op: PageOp,
    hd: HallPage,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
    kind: Annotated[str, Form(max_length=16)] = "note",
    staff_id: Annotated[str, Form(max_length=64)] = "",
    window: Annotated[str, Form(max_length=63)] = "",
    points: Annotated[float, Form(ge=-100, le=100)] = 0,
    csrf_token: Csrf = None,
) -> Response:
    """Write in the duty chief's log (handover at the end of a term, points)."""
    check_csrf(request, csrf_token)
    _allow(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    today = hd.local_day(now)

    def work() -> None:
        with engine.begin() as conn:
            add_log(
                conn,
                hd,
                day=today,
                author=op.username,
                kind=kind,
                text=text,
                now=now,
                today=today,
                staff_id=staff_id or None,
                window=window or None,
                points=points,
            )

    return _run(request, op, "/duty/chief", work, redirect_with("/duty/chief"))


@router.post("/duty/rotation")
def rotation(
    request: Request,
    op: PageOp,
    hd: HallPage,
    anchor: Annotated[date, Form()],
    order: Annotated[str, Form(max_length=2000)],
    why: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Set the centre's order of duty chiefs (rule DUTY-2)."""
    check_csrf(request, csrf_token)
    _allow(op, OFFICE_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    people = [p for p in order.replace("，", ",").replace(" ", ",").split(",") if p]

    def work() -> None:
        with engine.begin() as conn:
            days = load_duty_policy(conn, hd.id).rotation.term_days
            set_rotation(
                conn,
                hd.id,
                anchor=anchor,
                order=people,
                term_days=days,
                actor=op.username,
                now=now,
                why=why,
            )

    return _run(request, op, "/duty/chief", work, redirect_with("/duty/chief"))


@router.post("/duty/standins")
def standin(
    request: Request,
    op: PageOp,
    hd: HallPage,
    chief: Annotated[str, Form(max_length=64)],
    staff_id: Annotated[str, Form(max_length=64)],
    start: Annotated[date, Form()],
    end: Annotated[date, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """A stand-in for the duty chief's leave, approved by the head duty chief (DUTY-2)."""
    check_csrf(request, csrf_token)
    _allow(op, OFFICE_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            add_stand_in(
                conn,
                hd.id,
                chief=chief,
                staff_id=staff_id,
                start=start,
                end=end,
                approved_by=op.username,
                reason=reason,
                now=now,
            )

    return _run(request, op, "/duty/chief", work, redirect_with("/duty/chief"))


@router.post("/duty/sittings")
def sitting(
    request: Request,
    op: PageOp,
    hd: HallPage,
    leader: Annotated[str, Form(min_length=1, max_length=64)],
    window: Annotated[str, Form(max_length=63)],
    day: Annotated[date, Form()],
    unit: Annotated[str, Form(max_length=128)] = "",
    leader_staff_id: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Register a leader's sitting (DUTY-3)."""
    check_csrf(request, csrf_token)
    _allow(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            register_sitting(
                conn,
                hd,
                leader=leader,
                leader_staff_id=leader_staff_id or None,
                unit=unit,
                window=window,
                day=day,
                actor=op.username,
                now=now,
                policy=load_duty_policy(conn, hd.id),
            )

    return _run(request, op, "/duty/visits", work, redirect_with("/duty/visits"))


@router.post("/duty/sittings/{sitting_id}/sat")
def sat(
    request: Request, sitting_id: int, op: PageOp, hd: HallPage, csrf_token: Csrf = None
) -> Response:
    """Record that a registered sitting took place."""
    check_csrf(request, csrf_token)
    _allow(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            record_sitting(conn, hd, sitting_id, actor=op.username, now=now, note="")

    return _run(request, op, "/duty/visits", work, redirect_with("/duty/visits"))


@router.post("/duty/inspections")
def inspection(
    request: Request,
    op: PageOp,
    hd: HallPage,
    window: Annotated[str, Form(max_length=63)],
    inspector: Annotated[str, Form(min_length=1, max_length=64)],
    kind: Annotated[str, Form(max_length=16)] = "spot",
    problem: Annotated[str, Form()] = "",
    findings: Annotated[str, Form(max_length=4000)] = "",
    staff_id: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Record an inspection and what it found (DUTY-4)."""
    check_csrf(request, csrf_token)
    _allow(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            record_inspection(
                conn,
                hd,
                at=now,
                kind=kind,
                inspector=inspector,
                window=window,
                staff_id=staff_id or None,
                problem=bool(problem),
                findings=findings,
                actor=op.username,
                now=now,
            )

    return _run(request, op, "/duty/visits", work, redirect_with("/duty/visits"))


@router.post("/duty/points")
async def points(request: Request, op: PageOp, hd: HallPage) -> Response:
    """The hall edits the assessment's points (rule DUTY-5); audited."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    _allow(op, OFFICE_ROLES)
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
