"""What a page citizens reach without a login needs: a double-submit CSRF token, a rate limit
per client, strict response headers, a QR code (the kiosk page, the complaint page: DEV-4,
DUTY-6).

No login means no session to bind a CSRF token to: the page sets a random token in a
SameSite=Strict, HttpOnly cookie and in the form; a change is taken only when both are
present and equal, and the request's Origin (when the browser sends one) is this site. Another
site can neither read the cookie nor make the browser send it along.
"""

from __future__ import annotations

import hmac
import io
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import HTTPException, Request, Response

from hub.users.security import client_ip


class RateLimiter:
    """At most `limit` hits per key within `window_s` seconds (a sliding window, in memory).

    In memory, per process, by design: a hall's hub serves its pages from one process (`hub
    run`; deploy/capacity-plan.md: ingest workers scale out, the API does not), so one process
    sees every hit. A restart forgets the counts, which lets a client that was refused take its
    next few tickets or complaints early; a client cannot cause a restart, and what the limits
    guard (paper, the complaint desk's time) is not worth a write per hit. Failed logins are
    not counted here: they are rows in the database (hub.users.accounts.authenticate), so a
    password guesser gains nothing from a restart or from a second process. Run more than one
    process serving these pages (behind a load balancer) and each keeps its own counts: the
    limits multiply by the number of processes; they would then need a shared store.
    """

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int | None = None) -> bool:
        """Count a hit for `key`; False when it is over the limit (`limit` overrides the
        limiter's own; a refused hit is not counted)."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= (self.limit if limit is None else limit):
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients, keep memory bounded
                for k in [k for k, v in self._hits.items() if not v][:5000]:
                    del self._hits[k]
            return True

    def spent(self, key: str) -> bool:
        """Whether `key` has used up its hits in the window (nothing counted)."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            return hits is not None and len(hits) >= self.limit

    def check(self, request: Request, scope: str, detail: str, limit: int | None = None) -> None:
        """429 with `detail` when the request's client is over the limit for `scope`."""
        if not self.allow(f"{scope}:{client_ip(request.scope)}", limit):
            raise HTTPException(429, detail, headers={"Retry-After": str(int(self.window_s))})


def new_token() -> str:
    """A fresh random CSRF token for a public page's form."""
    return secrets.token_urlsafe(24)


def keep_token(response: Response, cookie: str, token: str, path: str) -> None:
    """Set the page's token as a SameSite=Strict HttpOnly cookie for `path`."""
    response.set_cookie(
        cookie, token, max_age=12 * 3600, httponly=True, samesite="strict", path=path
    )


def check_token(request: Request, cookie: str, submitted: str | None, detail: str) -> None:
    """403 with `detail` unless the submitted token equals the cookie's and the Origin, when
    sent, is this site."""
    stored = request.cookies.get(cookie, "")
    if not stored or not submitted or not hmac.compare_digest(stored, submitted):
        raise HTTPException(403, detail)
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise HTTPException(403, detail)


def harden(response: Response) -> Response:
    """Headers of a public page: no framing, no sniffing, no caching, no referrer leaks."""
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = (
        "same-origin"  # no-referrer makes a form post Origin: null
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"
    )
    return response


def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG (black modules on white, with its quiet zone)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        box_size=10,
        border=4,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    buf = io.BytesIO()
    img.save(buf)
    svg = buf.getvalue().decode()
    return svg[svg.index("<svg") :]
