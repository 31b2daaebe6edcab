"""Errors as pages for people, JSON for programs: the app's exception handlers.

A request from a browser page (any path outside /api/, or a browser navigating to an /api/
export link) gets the dashboard's error page in the reader's language, saying what to do next;
a program (the CLI, HTMX fetching data, scripts) gets JSON as before. The page renderer is the
dashboard's, found on `app.state.error_page` (absent: JSON always).
"""

from __future__ import annotations

import logging
import math
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


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 400 or not wants_page(request):
        return await http_exception_handler(request, exc)
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
        return JSONResponse({"detail": detail}, status_code=422)
    return _page(request, ErrorInfo(status=422, fields=field_errors(exc.errors())))


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    if wants_page(request):
        fields = [FieldError(exc.field, exc.key, dict(exc.values))] if exc.field else []
        info = ErrorInfo(status=exc.status, key=exc.key, values=dict(exc.values), fields=fields)
        return _page(request, info)
    words = getattr(request.app.state, "problem_words", None)  # the dashboard's catalogue
    detail = words(request, exc.key, dict(exc.values)) if words is not None else str(exc)
    body = {"detail": detail, "code": exc.key, "values": _plain(exc.values)}
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
