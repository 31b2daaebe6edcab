"""Shared pieces of the duty API: the hall, the acting operator, the language, issue replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from hub.api.deps import HallsDep
from hub.dashboard.i18n import choose_lang
from hub.duty.hallctx import HallDuty
from hub.duty.ledger_store import hall_duty
from hub.duty.public import RefusedPublic
from hub.duty.roster import RosterIssue, month_days
from hub.duty.words import say
from hub.problems import InvalidProblem, NotFoundProblem
from hub.users.accounts import Operator, Role
from hub.users.security import current_operator


class Strict(BaseModel):
    """Request bodies: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")


def get_hall(hall: str, halls: HallsDep) -> HallDuty:
    """The hall of the path, or 404."""
    for h in halls:
        if h.id == hall:
            return hall_duty(h)
    raise NotFoundProblem("error.unknown_hall")


HallDep = Annotated[HallDuty, Depends(get_hall)]


def get_operator(request: Request) -> Operator:
    """The logged-in operator (the anonymous viewer when authentication is off)."""
    return current_operator(request)


OperatorDep = Annotated[Operator, Depends(get_operator)]
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": RefusedPublic, "description": "Refused, with every reason in the reader's words"}
}
"""The 422 of a route the rules may refuse (roster, chief's log, checks, visits)."""
CHIEF_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.DUTY_CHIEF})


def actor_of(request: Request, op: Operator) -> str:
    """Who acts: the operator, or the X-Actor header when authentication is off."""
    if op.id:
        return op.username
    return request.headers.get("x-actor") or op.username


def lang_of(request: Request) -> str:
    """The reader's language: ?lang=, the cookie, Accept-Language, else zh-CN."""
    asked = request.query_params.get("lang") or request.cookies.get("hk_lang")
    if not asked:
        accept = request.headers.get("accept-language", "")
        asked = "en" if accept.lower().startswith("en") else None
    return choose_lang(asked, None)


def issues_out(issues: Sequence[RosterIssue], lang: str) -> list[dict[str, Any]]:
    """Issues as JSON: key, line, values and the sentence in the reader's language."""
    return [
        {
            "key": i.key,
            "line": i.line,
            "values": dict(i.values),
            "error": i.error,
            "text": say(lang, i.key, **i.params()),
        }
        for i in issues
    ]


def refused(issues: Sequence[RosterIssue], lang: str, status: int = 422) -> JSONResponse:
    """A refusal with every reason, in the reader's language."""
    return JSONResponse({"detail": issues_out(issues, lang)}, status_code=status)


def month_or_422(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month, or 422."""
    try:
        return month_days(month)
    except ValueError:
        raise InvalidProblem("error.bad_month") from None  # the query is not echoed
