"""The rule pages: every rule id of the digest explained in the hall's words (point 18.4)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from hub.dashboard.routes import PageOp
from hub.dashboard.rules import SOURCES, known, rules_by_group
from hub.dashboard.web import render

router = APIRouter(include_in_schema=False)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, op: PageOp) -> HTMLResponse:
    """Every rule, by group, each a link to its page."""
    return render(request, "rules.html", op, {"groups": rules_by_group()})


@router.get("/rules/{rule_id}", response_class=HTMLResponse)
def rule_page(request: Request, op: PageOp, rule_id: str) -> HTMLResponse:
    """One rule: what it says, in the hall's words, and the regulations it comes from."""
    rule_id = rule_id.upper()
    if not known(rule_id):
        raise HTTPException(404, "rules.unknown")
    context = {"rule_id": rule_id, "group": rule_id.split("-")[0], "sources": SOURCES[rule_id]}
    return render(request, "rule.html", op, context)
