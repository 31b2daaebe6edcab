"""The metrics area: GET /metrics (Prometheus text format) on the hub's API.

Access: when the setting `metrics_token` (HK_METRICS_TOKEN) is set, a scrape must send
`Authorization: Bearer <token>`; when it is not set, /metrics is open -- the hub listens on
127.0.0.1 by default, so only a local Prometheus (or a reverse proxy that adds its own
access control) can reach it. Set a token whenever the hub listens on another address.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from hub.areas import AreaContext, AreaParts
from hub.metrics.collector import HubCollector

logger = logging.getLogger(__name__)


def _check_token(request: Request, expected: str | None) -> None:
    if not expected:
        return
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        raise HTTPException(401, "metrics need a bearer token", {"WWW-Authenticate": "Bearer"})


def metrics_router(ctx: AreaContext) -> APIRouter:
    """The /metrics route over this hub's engine, halls and (from the app) ingest counters."""
    router = APIRouter()
    secret: Any = getattr(ctx.settings, "metrics_token", None)
    token = secret.get_secret_value() if secret is not None else None

    @router.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text exposition of the hub's metrics."""
        _check_token(request, token)
        probes = getattr(request.app.state, "probes", {}) or {}
        registry = CollectorRegistry(auto_describe=False)
        registry.register(HubCollector(ctx.engine, ctx.halls, probes.get("ingest"), ctx.clock))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def setup(ctx: AreaContext) -> AreaParts:
    """Mount /metrics."""
    return AreaParts(name="metrics", routers=[metrics_router(ctx)])
