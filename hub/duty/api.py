"""HTTP API of the duty area (prefix /api/duty): roster, ledger, duty chiefs, checks, opening
acknowledgement, leaders' sittings, inspections and the monthly assessment."""

from __future__ import annotations

from fastapi import APIRouter

from hub.duty import api_chief, api_month, api_roster

router = APIRouter(prefix="/api/duty", tags=["duty"])
router.include_router(api_roster.router)
router.include_router(api_chief.router)
router.include_router(api_month.router)
