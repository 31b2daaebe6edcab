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

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, Field

from hub.attendance.calendar import CalendarError
from hub.attendance.checks import WorkflowError
from hub.attendance.projector import AttendanceProjector, UnknownHall
from hub.attendance.workflow import AttendanceWorkflow
from hub.problems import NotFoundProblem, Problem

MonthStr = Annotated[str, Field(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
"""A leave or correction number: beyond the database's integers it is a 422, never a 500."""


class AttendanceRoute(APIRoute):
    """A route whose days outside the national calendar's years answer 422 with the reason."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler: a CalendarError is the caller's bad date, never a server error."""
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except CalendarError as exc:  # rule ATT-10: an unknown year is an error, not a guess
                if Problem in request.app.exception_handlers:
                    raise  # 422 with its code (JSON), or the worded error page
                raise HTTPException(422, str(exc)) from None
            except WorkflowError as exc:  # the rules refuse it: say why, in the reader's words
                raise refusal(exc, lang_of(request)) from None
            except UnknownHall:
                raise NotFoundProblem("error.unknown_hall") from None  # the id is not echoed

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
        from hub.attendance.area import hall_policies

        clock = getattr(request.app.state, "clock", None)
        halls = hall_policies(getattr(request.app.state, "halls", None) or [])
        projector = AttendanceProjector(next(iter(halls.values()), None), halls=halls)
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
        raise HTTPException(401, "error.name_actor")  # log in, or name the operator (X-Actor)
    return str(name)


def get_role(request: Request) -> str | None:
    """The authenticated operator's role (None when the hub runs without accounts)."""
    role = getattr(getattr(request.state, "user", None), "role", None)
    return str(getattr(role, "value", role)) if role is not None else None


Actor = Annotated[str, Depends(get_actor)]
Role = Annotated[str | None, Depends(get_role)]


def lang_of(request: Request) -> str:
    """The reader's language: ?lang=, else the dashboard's cookie, else zh-CN."""
    from hub.dashboard.i18n import COOKIE, choose_lang

    return choose_lang(request.query_params.get("lang"), request.cookies.get(COOKIE))


def words(lang: str, key: str, values: dict[str, Any]) -> str:
    """The catalogue's words for `key` with its values filled."""
    from hub.dashboard.i18n import translator

    found = translator(lang)(key)
    try:
        return found.format_map(values)
    except (KeyError, IndexError, ValueError):
        return found


def refusal(exc: WorkflowError, lang: str) -> HTTPException:
    """The HTTP answer to a refusal: its status, and its reason in words beside its field.

    A field error answers like FastAPI's own validation: `detail` a list of
    `{loc, msg, type}`; the others a `detail` text.
    """
    msg = words(lang, exc.key, exc.values) if exc.key else str(exc)
    if exc.field is not None:
        detail: Any = [{"loc": ["body", exc.field], "msg": msg, "type": exc.key}]
        return HTTPException(exc.status, detail)
    return HTTPException(exc.status, msg)


class LeaveIn(BaseModel):
    """A leave request (rule ATT-5)."""

    staff_id: str = Field(min_length=1, max_length=64)
    kind: str = Field(max_length=32)
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(default="", max_length=500)
    extends_id: int | None = None
    certificate: str = Field(default="", max_length=128, description="Sick leave (rule ATT-5)")


class DecisionIn(BaseModel):
    """A department head's or the supervision office's decision on a leave request."""

    stage: Literal["department", "office"]
    approve: bool
    why: str = Field(default="", max_length=500)


class ReviewIn(BaseModel):
    """The supervision office's review of a filed correction (rule ATT-6)."""

    approve: bool
    why: str = Field(default="", max_length=500)


class WhyIn(BaseModel):
    """The reason for a revocation, closing or reopening."""

    why: str = Field(default="", max_length=500)


class CorrectionIn(BaseModel):
    """A correction (补卡, rule ATT-6) filed for review."""

    staff_id: str = Field(min_length=1, max_length=64)
    at: AwareDatetime
    reason: str = Field(min_length=1, max_length=500)
    checkpoint: str = Field(default="", max_length=16)


class WageIn(BaseModel):
    """A staff member's daily wage (rule ATT-9: a day of absence costs that day's pay)."""

    daily_wage_yuan: float = Field(ge=0, le=100_000)
    why: str = Field(default="", max_length=500)


class SubstituteIn(BaseModel):
    """A substitute (替岗) on post (rule ATT-7)."""

    hall: str | None = Field(
        default=None,
        min_length=1,
        max_length=63,
        description="The hall of the window; default: the staff member's hall (the only one "
        "it may be)",
    )
    window: str = Field(min_length=1, max_length=63)
    staff_id: str = Field(min_length=1, max_length=64)
    substitute_id: str = Field(min_length=1, max_length=64)
    start: AwareDatetime
    end: AwareDatetime
    leave_id: int | None = None
    sent_by_unit: bool = False
    filed_at: AwareDatetime | None = None
    why: str = Field(default="", max_length=500)


def make_router(context: AttendanceContext | None = None) -> APIRouter:
    """A fresh attendance router bound to `context` (else the app's, see get_context)."""
    from hub.attendance.routes import add_routes

    r = APIRouter(prefix="/api/attendance", tags=["attendance"], route_class=AttendanceRoute)

    def bound_context(request: Request) -> AttendanceContext:
        return context if context is not None else get_context(request)

    add_routes(r, bound_context)
    return r


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its dates and times as ISO text."""
    out = dict(row)
    for k, v in out.items():
        if isinstance(v, (date, datetime)):
            out[k] = v.isoformat()
    return out


router = make_router()
"""The attendance router; mount with app.include_router(router)."""
