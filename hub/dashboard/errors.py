"""The error page: what went wrong and what to do next, in the reader's language (never JSON)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from hub.api.errors import ErrorInfo, shown
from hub.dashboard.i18n import has, translator
from hub.dashboard.web import lang_of, render
from hub.dashboard.words import field_words
from hub.users.security import ANONYMOUS, auth_required, session_of

logger = logging.getLogger(__name__)
PHRASES = frozenset(s.phrase for s in HTTPStatus)
"""Starlette's default details (`Not Found`): the heading already says them."""


def _back(request: Request) -> str:
    """Where the reader came from (same site only), else the hall map."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if referer and parts.netloc == request.url.netloc and parts.path != request.url.path:
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


def error_page(request: Request, info: ErrorInfo) -> Response:
    """The error page of `info` for a person: heading, reason, fields, what to do, a way back."""
    t = translator(lang_of(request))
    key = info.key or (info.detail if has(info.detail) else None)
    status_key = f"error.{info.status}" if has(f"error.{info.status}") else "error.other"
    values = {k: shown(v) for k, v in info.values.items()}  # no control or bidi characters
    message = t(key, **values) if key else t(status_key)
    todo_key = f"{key}.todo" if key and has(f"{key}.todo") else f"{status_key}.todo"
    fields = [
        (field_words(t, f.name), t(f.key, **f.values) if has(f.key) else t("validation.other"))
        for f in info.fields
    ]
    op = ANONYMOUS
    if auth_required(request):
        found = session_of(request)
        op = found.operator if found else ANONYMOUS
    context = {
        "status": info.status,
        "heading": t(status_key),
        "message": message,
        "todo": t(todo_key),
        "fields": fields,
        "detail": "" if key or info.detail in PHRASES else info.detail,  # words not yet keyed
        "back": _back(request),
        "login": info.status == 401 or op is ANONYMOUS,
    }
    return render(request, "error.html", op, context, status=info.status)
