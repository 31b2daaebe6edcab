"""The dashboard's queue desk: each window open or paused with the reason citizens are shown
(DEV-4), the promised cases and their due times, finished from here (QUEUE-5), and the live
queue alerts (QUEUE-5, QUEUE-6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.dashboard.i18n import translator
from hub.dashboard.web import lang_of, page_operator, render
from hub.queue import cases
from hub.queue.notices import PAUSE_REASONS
from hub.queue.service import QueueProjector, find_queue
from hub.users.accounts import Operator, Role, audit
from hub.users.security import check_csrf

router = APIRouter(include_in_schema=False)
PageOp = Annotated[Operator, Depends(page_operator)]
DESK_ROLES = (Role.ADMIN, Role.DUTY_CHIEF, Role.WINDOW_LEAD)
"""Who pauses windows and finishes promised cases (as the queue API allows)."""


def _queue(request: Request) -> QueueProjector:
    try:
        return find_queue(request.app.state, None)
    except KeyError:
        raise HTTPException(404, "error.404") from None


def _page(
    request: Request, op: Operator, error: str | None = None, status: int = 200
) -> HTMLResponse:
    q = _queue(request)
    snap = q.snapshot()
    with q.lock:
        waiting = {
            w: sum(1 for t in q.queue.waiting() if q.queue.can_serve(t, w))
            for w in q.queue.counters
        }
        reasons = {w: c.pause_reason for w, c in q.queue.counters.items()}
    return render(
        request,
        "queue_desk.html",
        op,
        {
            "snapshot": snap,
            "waiting_at": waiting,
            "reason_of": reasons,
            "reasons": list(PAUSE_REASONS),
            "cases": cases.list_cases(q.db, q.hall.id, open_only=True),
            "alerts": cases.list_alerts(q.db, q.hall.id, 50),
            "zone": q.hall.timezone,
            "can_act": op.role in DESK_ROLES,
            "error": error,
        },
        status,
    )


@router.get("/queue/desk", response_class=HTMLResponse)
def desk_page(request: Request, op: PageOp) -> HTMLResponse:
    """Windows, promised cases and the queue's alerts."""
    return _page(request, op)


@router.post("/queue/desk/windows/{window}", response_class=HTMLResponse, response_model=None)
def window_pause(
    request: Request,
    op: PageOp,
    window: str,
    action: Annotated[str, Form(max_length=8)],
    reason: Annotated[str, Form(max_length=32)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Pause a window with the reason its display shows (DEV-4), or resume it (audited)."""
    check_csrf(request, csrf_token)
    if op.role not in DESK_ROLES:
        raise HTTPException(403, "forbidden")
    q = _queue(request)
    if window not in q.queue.counters or action not in ("pause", "resume"):
        raise HTTPException(404, "error.404")
    if action == "pause" and reason not in PAUSE_REASONS:
        return _page(request, op, translator(lang_of(request))("queue.err_reason"), 422)
    outcome = q.act(window, action, reason=reason or None)
    if outcome.refused is not None:
        words = translator(lang_of(request))(outcome.refused_key, **outcome.refused_values)
        return _page(request, op, words, 409)
    audit(
        request.app.state.engine,
        actor=op.username,
        action=f"queue.{action}",
        entity="window",
        entity_id=window,
        after={"reason": reason or None},
    )
    return RedirectResponse("/queue/desk", status_code=303)


@router.post("/queue/desk/cases/{case_id}", response_class=HTMLResponse, response_model=None)
def case_done(
    request: Request,
    op: PageOp,
    case_id: int,
    note: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A promised case is finished (办结, QUEUE-5; audited)."""
    check_csrf(request, csrf_token)
    if op.role not in DESK_ROLES:
        raise HTTPException(403, "forbidden")
    q = _queue(request)
    try:
        cases.complete_case(q.db, q.hall.id, case_id, op.username, q.clock(), note)
    except KeyError:
        raise HTTPException(404, "error.404") from None
    except cases.CaseError:
        return _page(request, op, translator(lang_of(request))("queue.err_case_done"), 409)
    audit(
        request.app.state.engine,
        actor=op.username,
        action="queue.case_done",
        entity="case",
        entity_id=case_id,
        why=note,
    )
    return RedirectResponse("/queue/desk", status_code=303)
