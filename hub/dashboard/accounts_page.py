"""The operator accounts page (admins): add an account, change its role, disable or enable it,
reset its password; every change audited with the admin and the reason (point 18.3)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.dashboard.routes import PageOp
from hub.dashboard.web import render
from hub.users import accounts
from hub.users.accounts import Operator, Role
from hub.users.security import check_csrf

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=500)]


def _admin(request: Request, op: Operator, csrf_token: str | None = None) -> None:
    if csrf_token is not None or request.method == "POST":
        check_csrf(request, csrf_token)
    if op.role is not Role.ADMIN:
        raise HTTPException(403, "forbidden.accounts")


def _done(username: str) -> RedirectResponse:
    return RedirectResponse(f"/accounts?done={username}", status_code=303)


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, op: PageOp, done: str = "") -> HTMLResponse:
    """Every account with its role and state, and the forms to change them."""
    _admin(request, op)
    users = accounts.list_users(request.app.state.engine)
    context = {"users": users, "roles": [r.value for r in Role], "done": done[:64]}
    return render(request, "accounts.html", op, context)


@router.post("/accounts")
def add_account(
    request: Request,
    op: PageOp,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    why: Text = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Add an operator account (audited)."""
    _admin(request, op, csrf_token)
    accounts.create_user(
        request.app.state.engine,
        username=username,
        password=password,
        role=role,
        actor=op.username,
        why=why,
    )
    return _done(username)


@router.post("/accounts/{username}/role")
def change_role(
    request: Request,
    op: PageOp,
    username: str,
    role: Annotated[str, Form(max_length=32)],
    why: Text = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Give an account another role (the last admin keeps theirs; audited)."""
    _admin(request, op, csrf_token)
    engine = request.app.state.engine
    accounts.set_role(engine, username=username, role=role, actor=op.username, why=why)
    return _done(username)


@router.post("/accounts/{username}/active")
def set_active(
    request: Request,
    op: PageOp,
    username: str,
    active: Annotated[str, Form(max_length=8)] = "0",
    why: Text = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Disable (ending its sessions) or enable an account (audited)."""
    _admin(request, op, csrf_token)
    on = active == "1"
    if not on and username == op.username:
        raise HTTPException(409, "account.self")
    engine = request.app.state.engine
    accounts.set_active(engine, username=username, active=on, actor=op.username, why=why)
    return _done(username)


@router.post("/accounts/{username}/password")
def reset_password(
    request: Request,
    op: PageOp,
    username: str,
    password: Annotated[str, Form(min_length=1, max_length=256)],
    why: Text = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Set a new password for an account, ending its sessions (audited, never the password)."""
    _admin(request, op, csrf_token)
    engine = request.app.state.engine
    accounts.set_password(engine, username=username, password=password, actor=op.username, why=why)
    return _done(username)
