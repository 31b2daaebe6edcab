"""Errors as pages for people, JSON for programs: the app's exception handlers.

A request from a browser page (any path outside /api/, or a browser navigating to an /api/
export link) gets the dashboard's error page in the reader's language, saying what to do next;
a program (the CLI, HTMX fetching data, scripts) gets JSON: a refusal named by a catalogue key
(a `Problem`, or an HTTPException whose detail is a key) answers `detail` in the catalogue's words
in the language asked for and `code` the key. The page renderer is the dashboard's, found on
`app.state.error_page` (absent: JSON always).
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.problems import Problem

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field a form or request got wrong: its name, the reason's key and values."""

    name: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What went wrong, for the error page: a status, a message key or detail, field errors."""

    status: int
    key: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    fields: Sequence[FieldError] = ()


ErrorPage = Callable[[Request, ErrorInfo], Response]


def wants_page(request: Request) -> bool:
    """True when a person's browser asked: a dashboard path, or a page navigation to /api/."""
    if getattr(request.app.state, "error_page", None) is None:
        return False
    if not request.url.path.startswith("/api/"):
        return True
    navigating = request.headers.get("sec-fetch-mode") == "navigate"
    accept = request.headers.get("accept", "")
    return request.method == "GET" and (navigating or accept.startswith("text/html"))


def _page(request: Request, info: ErrorInfo) -> Response:
    render: ErrorPage = request.app.state.error_page
    return render(request, info)


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's validation errors as field errors with catalogue keys (`validation.<type>`)."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        values = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, int | str)}
        out.append(FieldError(loc[-1] if loc else "", f"validation.{err.get('type')}", values))
    return out


def catalogue_words(request: Request, key: str, values: dict[str, Any]) -> str | None:
    """The words of a catalogue key in the language asked for (?lang=, the cookie, else
    zh-CN); None when `key` is no catalogue key (an older English detail)."""
    from hub.dashboard.i18n import COOKIE, choose_lang, has, text

    if not has(key):
        return None
    lang = choose_lang(request.query_params.get("lang"), request.cookies.get(COOKIE))
    return text(lang, key, **{k: shown(v) for k, v in values.items()})


def shown(value: Any) -> Any:
    """A value as a refusal's words show it: text without control or format characters (a
    terminal's escapes, bidi overrides), at most 64 characters; other values as they are."""
    if not isinstance(value, str):
        return value
    clean = "".join(c for c in value if not unicodedata.category(c).startswith("C"))
    return clean if len(clean) <= 64 else clean[:63] + "…"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 400:
        return await http_exception_handler(request, exc)
    if not wants_page(request):
        key = exc.detail if isinstance(exc.detail, str) else ""
        words = catalogue_words(request, key, {}) if key else None
        if words is None:
            return await http_exception_handler(request, exc)
        # a program (the CLI prints `detail`) gets the words; `code` keeps the key
        body = {"detail": words, "code": key}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
    detail = exc.detail if isinstance(exc.detail, str) else ""
    info = ErrorInfo(status=exc.status_code, detail=detail)
    logger.info("error page %s for %s: %s", exc.status_code, request.url.path, detail)
    page = _page(request, info)
    page.headers.update(exc.headers or {})  # a 429's Retry-After reaches the browser too
    return page


def _json_safe(value: Any) -> Any:
    """What a refused input echoes, made sendable: NaN and infinities (which a lenient JSON
    reader accepts) as text, a lone surrogate (which UTF-8 cannot encode) as '?'."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not wants_page(request):  # FastAPI's answer, with a NaN sent back as text, never a 500
        detail = _json_safe(jsonable_encoder(exc.errors()))
        for item, found in zip(detail, field_errors(exc.errors()), strict=False):
            if isinstance(item, dict):  # each field's reason in the catalogue's words
                said = catalogue_words(request, found.key, found.values)
                other = catalogue_words(request, "validation.other", {})
                item["msg"] = said or other or item["msg"]
        return JSONResponse({"detail": detail}, status_code=422)
    return _page(request, ErrorInfo(status=422, fields=field_errors(exc.errors())))


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    if wants_page(request):
        fields = [FieldError(exc.field, exc.key, dict(exc.values))] if exc.field else []
        info = ErrorInfo(status=exc.status, key=exc.key, values=dict(exc.values), fields=fields)
        return _page(request, info)
    detail = catalogue_words(request, exc.key, dict(exc.values)) or exc.key
    body: dict[str, Any] = {"detail": detail, "code": exc.key, "values": _plain(exc.values)}
    if exc.field:
        body["field"] = exc.field
    return JSONResponse(body, status_code=exc.status)


def _plain(values: dict[str, object]) -> dict[str, object]:
    plain = (int, float, str, bool, type(None))
    return {k: v if isinstance(v, plain) else str(v) for k, v in values.items()}


def install_error_handlers(app: FastAPI) -> None:
    """Errors become pages for browsers and stay JSON for programs."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Problem, _problem)
