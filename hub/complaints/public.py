"""The hall's public complaint page (投诉建议), reached by the QR code on its poster (DUTY-6).

No login: a citizen writes what happened, may name the window and leave a name and a phone
number (optional, sealed at once with the hall's contact key, erased once answered: PRIV-1),
and gets a reference and a private status link where the answer appears. The form is
CSRF-safe without a session (a double-submit token in a SameSite=Strict cookie, the Origin
checked), validated (lengths, a real phone number, a known window, no control characters, a
hidden field that only robots fill), and rate-limited per client and per hall.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hub.complaints import store
from hub.complaints.rules import ComplaintInputError, check_happened, clean_text
from hub.contact_key import ContactKeyError, seal_on_hub, seal_text_on_hub
from hub.dashboard.i18n import COOKIE as LANG_COOKIE
from hub.dashboard.i18n import choose_lang, translator
from hub.problems import NotFoundProblem, Problem
from hub.publicpage import RateLimiter, check_token, harden, keep_token, new_token, qr_svg
from hub.users.security import client_ip
from models.contact import ContactError
from models.layout import Hall

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TOKEN_COOKIE = "hk_complaint"
PER_CLIENT = RateLimiter(limit=5, window_s=3600.0)
PER_HALL = RateLimiter(limit=500, window_s=86400.0)
STATUS_MISSES = RateLimiter(limit=20, window_s=3600.0)
"""Wrong status links one client may try an hour: a link's key is 144 random bits, so this
stops a scan of the (sequential) references, not a lucky guess (DUTY-6)."""
PUBLIC_URL_ENV = "HK_PUBLIC_URL"
"""The address citizens' phones reach the hub at (the QR code's), e.g. https://hall.example.gov.cn."""


def _hall(request: Request, hall_id: str) -> Hall:
    for h in request.app.state.halls:
        if h.id == hall_id:
            return h
    raise NotFoundProblem("error.unknown_hall")


def _lang(request: Request) -> str:
    return choose_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def public_url(request: Request, hall: Hall) -> str:
    """The complaint page's address for the QR code: $HK_PUBLIC_URL, else this request's."""
    base = os.environ.get(PUBLIC_URL_ENV, "").rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/c/{quote(hall.id)}"


def _page(
    request: Request, name: str, hall: Hall, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    lang = _lang(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"t": translator(lang), "lang": lang, "hall": hall, **context},
        status_code=status,
    )
    harden(response)
    return response


def _form(
    request: Request,
    hall: Hall,
    error: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    token = new_token()
    response = _page(
        request,
        "complaint_form.html",
        hall,
        {"token": token, "error": error, "windows": hall.windows, "v": values or {}},
        status,
    )
    keep_token(response, TOKEN_COOKIE, token, f"/c/{hall.id}")
    return response


@router.get("/c/{hall_id}", response_class=HTMLResponse)
def complaint_page(request: Request, hall_id: str) -> HTMLResponse:
    """The public complaint form (rule DUTY-6: taken at any time)."""
    return _form(request, _hall(request, hall_id))


@router.post("/c/{hall_id}", response_class=HTMLResponse)
def complaint_submit(
    request: Request,
    hall_id: str,
    text: Annotated[str, Form(max_length=4000)] = "",
    subject: Annotated[str, Form(max_length=400)] = "",
    window: Annotated[str, Form(max_length=63)] = "",
    happened: Annotated[str, Form(max_length=32)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    website: Annotated[str, Form(max_length=200)] = "",
    token: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """Take a citizen's complaint: checked, limited, the contact sealed (DUTY-6, PRIV-1)."""
    hall = _hall(request, hall_id)
    t = translator(_lang(request))
    values = {
        "text": text,
        "subject": subject,
        "window": window,
        "happened": happened,
        "name": name,
    }
    check_token(request, TOKEN_COOKIE, token, t("pub.err_expired"))
    engine = request.app.state.engine
    with engine.connect() as conn:
        settings = store.load_settings(conn, hall.id)
    PER_CLIENT.check(
        request, f"complaint:{hall.id}", t("pub.err_too_many"), settings.public_per_hour
    )
    if not PER_HALL.allow(f"complaint:{hall.id}", settings.public_per_day_hall):
        raise HTTPException(429, t("pub.err_busy"))
    if website:  # only a robot fills the hidden field: answered as if taken, nothing kept
        logger.warning("complaint page of %s: a robot's submission dropped", hall.id)
        return _page(request, "complaint_done.html", hall, {"ref": "—", "link": None})
    try:
        now = request.app.state.clock()
        new = _complaint(hall, text, subject, window, happened, name, phone, now)
    except (Problem, ContactError) as exc:
        words = t(exc.key, **exc.values) if isinstance(exc, Problem) else t("pub.err_phone")
        return _form(request, hall, words, 422, values)
    tz = ZoneInfo(hall.timezone)
    from hub.attendance.calendar import WorkCalendar

    taken = store.take(
        engine,
        hall.id,
        new,
        actor="citizen",
        now=now,
        tz=tz,
        is_workday=WorkCalendar().is_workday,
        with_status_link=True,
    )
    assert taken.status_token is not None
    link = f"/c/{hall.id}/status/{taken.ref}?k={taken.status_token}"
    return _page(request, "complaint_done.html", hall, {"ref": taken.ref, "link": link})


def _complaint(
    hall: Hall,
    text: str,
    subject: str,
    window: str,
    happened: str,
    name: str,
    phone: str,
    now: datetime,
) -> store.NewComplaint:
    body = clean_text(text, least=10, most=2000, key="pub.err_text")
    subj = clean_text(subject, least=0, most=100, key="pub.err_subject") or body[:30]
    if window and window not in {w.id for w in hall.windows}:
        raise ComplaintInputError("pub.err_window")
    when = None
    if happened:
        try:
            when = datetime.fromisoformat(happened).replace(tzinfo=ZoneInfo(hall.timezone))
        except ValueError:
            raise ComplaintInputError("pub.err_when") from None
    when = check_happened(when, now)
    who = clean_text(name, least=0, most=20, key="pub.err_name")
    try:
        sealed_phone = seal_on_hub(phone) if phone.strip() else None
        sealed_name = seal_text_on_hub(who) if who else None
    except ContactKeyError:
        raise ComplaintInputError("pub.err_no_key") from None
    return store.NewComplaint(
        channel="public_page",
        subject=subj,
        text=body,
        window=window or None,
        happened_at=when,
        name=sealed_name,
        contact=sealed_phone,
    )


@router.get("/c/{hall_id}/status/{ref}", response_class=HTMLResponse)
def complaint_status(request: Request, hall_id: str, ref: str, k: str = "") -> HTMLResponse:
    """The complainant's status page: where it stands, and the answer once given (DUTY-6)."""
    hall = _hall(request, hall_id)
    who = f"status:{hall.id}:{client_ip(request.scope)}"
    if STATUS_MISSES.spent(who):  # a scan of references: refused before looking
        raise HTTPException(
            429,
            translator(_lang(request))("pub.err_status_scan"),
            headers={"Retry-After": str(int(STATUS_MISSES.window_s))},
        )
    found = store.public_status(request.app.state.engine, hall.id, ref[:24], k[:64])
    if found is None:  # a wrong key and an unknown reference look the same
        STATUS_MISSES.allow(who)
        return _page(request, "complaint_status.html", hall, {"found": None}, 404)
    return _page(
        request,
        "complaint_status.html",
        hall,
        {"found": found, "zone": ZoneInfo(hall.timezone)},
    )


@router.get("/c/{hall_id}/qr", response_class=HTMLResponse)
def complaint_poster(request: Request, hall_id: str) -> HTMLResponse:
    """The hall's poster: the QR code of the complaint page, to print and put up."""
    hall = _hall(request, hall_id)
    url = public_url(request, hall)
    return _page(request, "complaint_qr.html", hall, {"url": url, "qr": qr_svg(url)})
