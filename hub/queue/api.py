"""The queue API (/api/queue): issue tickets, counter actions, state, statistics, the hall screen.

The hall screen (`GET /api/queue/hall`) is a full-screen page updated by push over SSE
(`GET /api/queue/stream`), never by polling. Each request finds its hall's QueueProjector in
`app.state.queues` (hall id -> projector), which the queue area sets.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from hub.problems import InvalidProblem, NotFoundProblem, Problem
from hub.queue import cases, stats, store
from hub.queue.engine import QueueEvent
from hub.queue.notices import PAUSE_REASONS
from hub.queue.public import (
    OutcomePublic,
    PromisedCasePublic,
    QueueAlertPublic,
    QueueStatePublic,
    QueueStatsPublic,
    TicketIssuedPublic,
)
from hub.queue.service import Outcome, QueueProjector, find_queue
from models.events import CallAction

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/queue", tags=["queue"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def queue_for(request: Request, hall: Annotated[str | None, Query()] = None) -> QueueProjector:
    """The projector of the requested hall (or the only one)."""
    try:
        return find_queue(request.app.state, hall)
    except KeyError:
        raise NotFoundProblem("error.unknown_hall") from None


QueueDep = Annotated[QueueProjector, Depends(queue_for)]


class TicketRequest(BaseModel):
    """Take a number (a kiosk or a counter clerk through the API)."""

    model_config = ConfigDict(extra="forbid")
    service: str = Field(description="Service code")
    green_channel: bool = Field(default=False, description="Elderly, sick, disabled (QUEUE-2)")
    print: bool = Field(default=False, description="Print it on the hall's ticket printer")


def _known_reason(code: str) -> str:
    if code not in PAUSE_REASONS:
        raise ValueError(f"pause reason must be one of {', '.join(PAUSE_REASONS)}")
    return code


PauseReason = Annotated[str, AfterValidator(_known_reason)]


class ActionRequest(BaseModel):
    """A counter action through the API (the same actions as the keypad)."""

    model_config = ConfigDict(extra="forbid")
    action: CallAction
    ticket: str | None = None
    target_service: str | None = None
    target_window: str | None = None
    staff: str | None = Field(default=None, description="Staff member at the counter")
    reason: PauseReason | None = Field(
        default=None, description="Why a paused window cannot serve, shown to citizens (DEV-4)"
    )


def _event_json(ev: QueueEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "kind": ev.kind.value,
        "at": ev.at.isoformat(),
        "ticket": ev.ticket,
        "service": ev.service,
        "window": ev.window,
        "data": ev.data,
    }


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    if outcome.refused is not None:
        refusal = Problem(outcome.refused_key)  # 409, in the reader's words
        refusal.values = dict(outcome.refused_values)
        raise refusal
    return {"events": [_event_json(e) for e in outcome.events]}


@router.post("/tickets", status_code=201, response_model=TicketIssuedPublic)
def issue_ticket(req: TicketRequest, q: QueueDep) -> dict[str, Any]:
    """Issue a ticket; answers its number, people ahead and estimated wait."""
    outcome = q.issue(req.service, green=req.green_channel, printed=req.print)
    body = _outcome_json(outcome)
    ev = next(e for e in outcome.events if e.kind.value == "issued")
    with q.lock:
        ahead = q.queue.ahead(ev.ticket or "")
        wait = q.queue.estimated_wait(req.service, ahead)
    return {
        "ticket": ev.ticket,
        "service": req.service,
        "ahead": ahead,
        "est_wait_min": round(wait.total_seconds() / 60),
        "issued_at": ev.at.isoformat(),
        **body,
    }


@router.post("/windows/{window}/actions", response_model=OutcomePublic)
def window_action(window: str, req: ActionRequest, q: QueueDep) -> dict[str, Any]:
    """A counter action: next, call, recall, skip, transfer, park, start, finish, pause, resume."""
    if window not in q.queue.counters:
        raise NotFoundProblem("queue.err.unknown_window")  # the URL is not echoed
    return _outcome_json(
        q.act(
            window,
            req.action,
            ticket=req.ticket,
            target_service=req.target_service,
            target_window=req.target_window,
            staff=req.staff,
            reason=req.reason,
        )
    )


@router.post("/windows/{window}/next", response_model=OutcomePublic)
def call_next(window: str, q: QueueDep, staff: str | None = None) -> dict[str, Any]:
    """Call the next ticket at a window."""
    return window_action(window, ActionRequest(action=CallAction.NEXT, staff=staff), q)


@router.post("/tickets/{ticket}/reactivate", response_model=OutcomePublic)
def reactivate(ticket: str, q: QueueDep) -> dict[str, Any]:
    """A no-show citizen came back: the ticket waits again."""
    return _outcome_json(q.reactivate(ticket))


@router.get("/state", response_model=QueueStatePublic)
def state(q: QueueDep) -> dict[str, Any]:
    """The live queue: latest calls, waiting per service with the ticket numbers, counters."""
    snap = q.snapshot()
    with q.lock:
        snap["tickets"] = [
            {
                "ticket": t.number,
                "service": t.service,
                "state": t.state.value,
                "green": t.green,
                "window": t.window,
                "issued_at": t.issued_at.isoformat(),
            }
            for t in q.queue.tickets.values()
        ]
    return snap


@router.get("/stats", response_model=QueueStatsPublic)
def queue_stats(
    q: QueueDep,
    start: date | None = None,
    end: date | None = None,
    limit_min: Annotated[int, Query(ge=1, le=1440)] = 30,
) -> dict[str, Any]:
    """Waiting, service, no-show by service/window/staff/hour; 即办件 over the limit (QUEUE-5)."""
    tz = q.queue.settings.tz
    today = q.clock().astimezone(tz).date()
    first, last = start or today, end or start or today
    events = store.events_between(q.db, q.hall.id, first.isoformat(), last.isoformat())
    immediate = {s.code for s in q.hall.services if s.immediate}
    result = stats.compute(events, tz, immediate=immediate, now=q.clock(), limit_min=limit_min)
    return {
        "hall": q.hall.id,
        "start": first.isoformat(),
        "end": last.isoformat(),
        **json.loads(json.dumps(asdict(result), default=str)),
    }


class CaseNumber(BaseModel):
    """The case number (办件编号) the window's business system gave a ticket."""

    model_config = ConfigDict(extra="forbid")
    case_no: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:/-]+$")


@router.post("/tickets/{ticket}/case", response_model=OutcomePublic)
def link_case(ticket: str, req: CaseNumber, q: QueueDep) -> dict[str, Any]:
    """Bind the window system's case number to a ticket (ratings carry it, RATE-1)."""
    return _outcome_json(q.link_case(ticket, req.case_no))


class CaseDone(BaseModel):
    """A promised case finished (办结), by whom, with a note."""

    model_config = ConfigDict(extra="forbid")
    actor: str | None = Field(default=None, max_length=64, description="The operator wins")
    note: str = Field(default="", max_length=500)


@router.get("/cases", response_model=list[PromisedCasePublic])
def promised_cases(q: QueueDep, open_only: bool = True) -> list[dict[str, Any]]:
    """Promised cases (承诺件) with their due time (QUEUE-5), soonest due first."""
    return cases.list_cases(q.db, q.hall.id, open_only=open_only)


@router.post("/cases/{case_id}/complete", response_model=PromisedCasePublic)
def complete_case(case_id: int, req: CaseDone, request: Request, q: QueueDep) -> dict[str, Any]:
    """Mark a promised case finished (QUEUE-5)."""
    user = getattr(request.state, "user", None)
    actor = user.username if user is not None else (req.actor or "")
    if not actor:
        raise InvalidProblem("error.name_actor")
    try:
        return cases.complete_case(q.db, q.hall.id, case_id, actor, q.clock(), req.note)
    except KeyError:
        raise NotFoundProblem("queue.err.no_case", case=case_id) from None
    except cases.CaseError:
        raise Problem("queue.err.case_done", case=case_id) from None


@router.get("/alerts", response_model=list[QueueAlertPublic])
def queue_alerts(
    q: QueueDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[dict[str, Any]]:
    """Live queue alerts: immediate cases over 30 minutes and promises due (QUEUE-5), early
    stops (QUEUE-6), newest first."""
    return cases.list_alerts(q.db, q.hall.id, limit)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def stream(request: Request, q: QueueDep) -> EventSourceResponse:
    """Server-sent events: `snapshot` now and at every queue change; `notices` (hall-wide
    faults, DEV-4), `ticket` (what a kiosk tells a citizen, DEV-4), `alert` (QUEUE-5/6)."""
    sub = q.broadcaster.subscribe()

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            yield {"event": "snapshot", "data": json.dumps(q.snapshot(), ensure_ascii=False)}
            while not await request.is_disconnected():
                try:
                    msg = await asyncio.wait_for(sub.get(), timeout=1.0)
                except TimeoutError:
                    continue
                kind = str(msg.get("type", "snapshot"))  # snapshot, notices, ticket, alert
                yield {"event": kind, "data": json.dumps(msg, ensure_ascii=False, default=str)}
        finally:
            q.broadcaster.unsubscribe(sub)

    return EventSourceResponse(events(), ping=15)


@router.get("/hall", response_class=HTMLResponse)
def hall_page(request: Request, q: QueueDep) -> HTMLResponse:
    """The full-screen hall display (大厅叫号屏), updated by SSE."""
    return templates.TemplateResponse(
        request, "hall.html", {"hall": q.hall, "snapshot": q.snapshot()}
    )
