"""Shared pieces of the compliance API: dependencies, request base, small helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlmodel import SQLModel

from hub.api.deps import HallsDep, NowDep
from hub.compliance.projector import CompliancePresence
from hub.dbtypes import aware
from hub.problems import NotFoundProblem
from models.layout import Hall


def get_compliance(request: Request) -> CompliancePresence:
    """The app's compliance projector (app.state.compliance), built on first use."""
    state = request.app.state
    projector: CompliancePresence | None = getattr(state, "compliance", None)
    if projector is None:
        projector = CompliancePresence(
            state.halls, getattr(state, "commands", None), clock=state.clock
        )
        state.compliance = projector
    return projector


ComplianceDep = Annotated[CompliancePresence, Depends(get_compliance)]


class Strict(BaseModel):
    """Request bodies: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")


def hall_or_404(halls: list[Hall], hall: str) -> Hall:
    for h in halls:
        if h.id == hall:
            return h
    raise NotFoundProblem("error.unknown_hall")


def row_out(row: SQLModel) -> dict[str, Any]:
    data = row.model_dump()
    return {k: aware(v) if isinstance(v, datetime) else v for k, v in data.items()}


def day_range(
    day: date | None, start: date | None, end: date | None, now: datetime, hall: Hall
) -> tuple[date, date]:
    today = now.astimezone(ZoneInfo(hall.timezone)).date()
    if day is not None:
        return day, day
    return start or today, end or start or today


DayQ = Annotated[date | None, Query(description="One day (hall-local)")]
StartQ = Annotated[date | None, Query(description="First day of a range")]
EndQ = Annotated[date | None, Query(description="Last day of a range")]


def hall_days(
    hall: str,
    halls: HallsDep,
    now: NowDep,
    day: DayQ = None,
    start: StartQ = None,
    end: EndQ = None,
) -> tuple[date, date]:
    """The hall-local days a read covers: ?day=, or ?start=&end= (default: today)."""
    return day_range(day, start, end, now, hall_or_404(halls, hall))


DaysDep = Annotated[tuple[date, date], Depends(hall_days)]
"""The (first, last) hall-local days of a read endpoint's query."""
