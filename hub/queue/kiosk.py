"""The kiosk's touch screen (取号机页面), served by the hub to the kiosk's browser, no login.

A citizen touches a service; the hub issues the number, sends it to the printer and answers
with what became of it (rule DEV-4): "take your ticket", or, when the printer is out of paper
or does not answer, the number large, the reason, and a QR code of it for a phone (the kiosk
device also says it aloud). The page shows the hall's fault notices as they come (SSE). A
citizen whose matter cannot be handled now may leave a phone number for a call back (DUTY-6,
hub.complaints; optional, encrypted at rest, erased after the call: PRIV-1).

Public pages take changes only with the page's double-submit token (SameSite=Strict cookie)
and within a rate limit per client (hub.publicpage).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from hub.dashboard.i18n import COOKIE as LANG_COOKIE
from hub.dashboard.i18n import choose_lang, translator
from hub.publicpage import RateLimiter, check_token, harden, keep_token, new_token, qr_svg
from hub.queue.service import QueueProjector, find_queue
from models.devices.kiosk import KIND as KIOSK
from models.devices.kiosk import KioskConfig
from models.layout import Device

logger = logging.getLogger(__name__)


class KioskRoute(APIRoute):
    """The kiosk page's posts answer JSON with the citizen's words, even on a hub whose
    dashboard turns refusals into error pages: the page's script shows `detail` (DEV-4)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler: a refusal of a post is `{"detail": words}`, never a page."""
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            try:
                return await handler(request)
            except HTTPException as exc:
                body = {"detail": exc.detail}
                return harden(JSONResponse(body, exc.status_code, headers=exc.headers))
            except RequestValidationError:
                body = {"detail": _words(request, "kiosk.no_number")}
                return harden(JSONResponse(body, 422))

        return route


router = APIRouter(include_in_schema=False, route_class=KioskRoute)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TOKEN_COOKIE = "hk_kiosk"
TICKETS = RateLimiter(limit=30, window_s=60.0)
"""A kiosk is one client: 30 numbers a minute is far above any real hall's pace."""


def _lang(request: Request) -> str:
    """The kiosk's language: ?lang= (the page passes its own on), else the cookie, else zh-CN."""
    return choose_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def _words(request: Request, key: str) -> str:
    """A kiosk message from the catalogue (`kiosk.*`), in the kiosk's language."""
    return translator(_lang(request))(key)


def _kiosk(request: Request, hall: str, device: str) -> tuple[QueueProjector, Device]:
    try:
        q = find_queue(request.app.state, hall)
        dev = q.hall.device(device)
    except KeyError:
        raise HTTPException(404, _words(request, "kiosk.no_kiosk")) from None
    if dev.kind != KIOSK:
        raise HTTPException(404, _words(request, "kiosk.no_kiosk"))
    return q, dev


def offered(q: QueueProjector, dev: Device) -> list[dict[str, str]]:
    """The services this kiosk offers (its `services` setting; empty: every service)."""
    codes = dev.settings.services if isinstance(dev.settings, KioskConfig) else []
    return [
        {"code": s.code, "name": s.name, "prefix": s.prefix}
        for s in q.hall.services
        if not codes or s.code in codes
    ]


@router.get("/kiosk/{hall}/{device}", response_class=HTMLResponse)
def kiosk_page(request: Request, hall: str, device: str) -> HTMLResponse:
    """The kiosk's touch screen: services, notices, the ticket answer, the call-back form."""
    q, dev = _kiosk(request, hall, device)
    path = f"/kiosk/{q.hall.id}/{dev.id}"
    token = new_token()
    response = templates.TemplateResponse(
        request,
        "kiosk.html",
        {
            "hall": q.hall,
            "device": dev.id,
            "services": offered(q, dev),
            "notices": q.desk.notices(),
            "path": path,
            "token": token,
            "lang": _lang(request),
            "t": translator(_lang(request)),
        },
    )
    keep_token(response, TOKEN_COOKIE, token, path)
    harden(response)
    return response


class TakeNumber(BaseModel):
    """A citizen's touch on a service button."""

    model_config = ConfigDict(extra="forbid")
    service: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    green_channel: bool = False


@router.post("/kiosk/{hall}/{device}/tickets")
def take_number(
    request: Request,
    hall: str,
    device: str,
    body: TakeNumber,
    x_kiosk_token: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Issue a number from this kiosk and answer what the citizen is told (rule DEV-4)."""
    q, dev = _kiosk(request, hall, device)
    check_token(request, TOKEN_COOKIE, x_kiosk_token, _words(request, "kiosk.ticket_expired"))
    TICKETS.check(request, f"kiosk:{q.hall.id}:{dev.id}", _words(request, "kiosk.ticket_busy"))
    if body.service not in {s["code"] for s in offered(q, dev)}:
        raise HTTPException(422, _words(request, "kiosk.not_offered"))
    outcome = q.issue(body.service, green=body.green_channel, kiosk=dev.id)
    if outcome.refused is not None:
        raise HTTPException(409, _words(request, _refusal_key(outcome.refused_key)))
    assert outcome.printing is not None
    told = q.desk.wait(outcome.printing)
    answer: dict[str, Any] = told.as_dict()
    answer["qr_svg"] = "" if told.printed else qr_svg(told.qr)
    response = JSONResponse(answer, status_code=201)
    harden(response)
    return response


def _refusal_key(key: str) -> str:
    """The catalogue key of the queue's refusal (its QueueError key), in the citizen's words."""
    if key == "queue.err.closed":  # rule QUEUE-6
        return "kiosk.stopped"
    if key == "queue.err.unknown_service":
        return "kiosk.not_offered"
    return "kiosk.no_number"


CALLBACKS = RateLimiter(limit=10, window_s=3600.0)
"""Call-back requests a kiosk may take an hour (a hall's real pace is far below)."""


class LeaveNumber(BaseModel):
    """A citizen whose matter cannot be handled now leaves a number (optional) and a note."""

    model_config = ConfigDict(extra="forbid")
    service: str = Field(default="", max_length=32, pattern=r"^[A-Za-z0-9_-]*$")
    phone: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=300)


@router.post("/kiosk/{hall}/{device}/callback")
def leave_number(
    request: Request,
    hall: str,
    device: str,
    body: LeaveNumber,
    x_kiosk_token: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Open a call-back task (rules DEV-4, DUTY-6); the number is sealed at once and erased
    after the call (PRIV-1)."""
    q, dev = _kiosk(request, hall, device)
    check_token(request, TOKEN_COOKIE, x_kiosk_token, _words(request, "kiosk.cb.expired"))
    CALLBACKS.check(request, f"callback:{q.hall.id}:{dev.id}", _words(request, "kiosk.cb.busy"))
    try:
        from hub.complaints.callbacks import open_callback
    except ImportError:
        raise HTTPException(404, _words(request, "kiosk.cb.none")) from None
    from hub.contact_key import ContactKeyError, seal_on_hub
    from models.contact import ContactError

    note = " ".join(body.note.split())
    if not body.phone.strip() and not note:
        raise HTTPException(422, _words(request, "kiosk.cb.empty"))
    try:
        sealed = seal_on_hub(body.phone) if body.phone.strip() else None
    except ContactError:
        raise HTTPException(422, _words(request, "kiosk.cb.bad_phone")) from None
    except ContactKeyError:
        raise HTTPException(503, _words(request, "kiosk.cb.no_key")) from None
    services = {s.code for s in q.hall.services}
    open_callback(
        q.db,
        q.hall.id,
        source=dev.id,
        service=body.service if body.service in services else None,
        note=note,
        contact=sealed,
        now=q.clock(),
        tz=q.queue.settings.tz,
        is_workday=q.calendar.is_workday,
    )
    message = _words(request, "kiosk.cb.will_call" if sealed else "kiosk.cb.noted")
    response = JSONResponse({"message": message}, status_code=201)
    harden(response)
    return response
