"""The accounts API: /api/auth (login, logout, me), /api/users (admin) and /api/audit."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.public import IsoDatetime, Public
from hub.problems import NotFoundProblem, Problem
from hub.users.accounts import (
    AccountError,
    LoginRefused,
    NoSuchAccount,
    Operator,
    Role,
    audit,
    audit_entries,
    authenticate,
    create_user,
    link_staff,
    list_users,
    set_active,
)
from hub.users.security import (
    COOKIE,
    SESSION_HOURS,
    app_secret,
    client_ip,
    close_session,
    cookie_value,
    current_operator,
    open_session,
    require_roles,
    token_from_cookie,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["users"])

AdminDep = Annotated[Operator, Depends(require_roles(Role.ADMIN))]
AuditorDep = Annotated[Operator, Depends(require_roles(Role.ADMIN, Role.SUPERVISOR))]
OperatorDep = Annotated[Operator, Depends(current_operator)]


class LoginIn(BaseModel):
    """Credentials."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class MeOut(BaseModel):
    """The logged-in operator and the CSRF token to send with every change."""

    username: str
    role: str
    csrf_token: str | None = None


class UserIn(BaseModel):
    """A new operator account."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: Role
    why: str = Field(default="", max_length=500)
    staff_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="The staff member it belongs to"
    )


class UserOut(BaseModel):
    """An account as the API shows it (never the hash)."""

    username: str
    role: str
    active: bool
    staff_id: str | None = None


class StaffLinkIn(BaseModel):
    """The staff member an account belongs to (null: nobody); rules ATT-5, ATT-6."""

    model_config = ConfigDict(extra="forbid")
    staff_id: str | None = Field(min_length=1, max_length=64)
    why: str = Field(default="", max_length=500)


class WhyIn(BaseModel):
    """The reason for a change."""

    model_config = ConfigDict(extra="forbid")
    why: str = Field(default="", max_length=500)


def login_operator(request: Request, response: Response, username: str, password: str) -> MeOut:
    """Check credentials (rate-limited), open a session and set its cookie."""
    engine = request.app.state.engine
    ip = client_ip(request.scope)
    try:
        op = authenticate(engine, username, password, ip)
    except LoginRefused as exc:
        logger.info("login refused: %s", exc)
        status, key = (429, "login_locked") if exc.locked else (401, "login_failed")
        raise HTTPException(status, key) from None
    token, csrf = open_session(engine, op, ip)
    response.set_cookie(
        COOKIE,
        cookie_value(app_secret(request), token),
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    audit(engine, actor=op.username, action="login", entity="user", entity_id=op.username)
    return MeOut(username=op.username, role=op.role.value, csrf_token=csrf)


def logout_operator(request: Request, response: Response) -> None:
    """End the request's session and clear its cookie."""
    token = token_from_cookie(app_secret(request), request.cookies.get(COOKIE))
    if token is not None:
        close_session(request.app.state.engine, token)
    response.delete_cookie(COOKIE, path="/")


@router.post("/auth/login", response_model=MeOut)
def login(body: LoginIn, request: Request, response: Response) -> MeOut:
    """Log in: sets the session cookie; answers the CSRF token for X-CSRF-Token (429: locked)."""
    return login_operator(request, response, body.username, body.password)


@router.post("/auth/logout", status_code=204)
def logout(request: Request, response: Response, op: OperatorDep) -> None:
    """Log out: ends the session."""
    logout_operator(request, response)


@router.get("/auth/me", response_model=MeOut)
def me(request: Request, op: OperatorDep) -> MeOut:
    """Who is logged in, with the session's CSRF token."""
    found = getattr(request.state, "session", None)
    return MeOut(username=op.username, role=op.role.value, csrf_token=getattr(found, "csrf", None))


@router.get("/users", response_model=list[UserOut])
def users(request: Request, op: AdminDep) -> list[UserOut]:
    """Every operator account (admin)."""
    return [
        UserOut(username=u.username, role=u.role, active=u.active, staff_id=u.staff_id)
        for u in list_users(request.app.state.engine)
    ]


@router.post("/users", response_model=UserOut, status_code=201)
def add_user(body: UserIn, request: Request, op: AdminDep) -> UserOut:
    """Add an operator (admin; audited)."""
    try:
        made = create_user(
            request.app.state.engine,
            username=body.username,
            password=body.password,
            role=body.role,
            actor=op.username,
            why=body.why,
            staff_id=body.staff_id,
        )
    except AccountError as exc:  # a name taken, a weak password, no such role or staff member
        raise Problem.like(exc) from None
    return UserOut(
        username=made.username, role=made.role.value, active=True, staff_id=made.staff_id
    )


@router.put("/users/{username}/staff", response_model=UserOut)
def set_user_staff(username: str, body: StaffLinkIn, request: Request, op: AdminDep) -> UserOut:
    """Name the staff member an account belongs to, or none (admin; audited; ATT-5, ATT-6)."""
    engine = request.app.state.engine
    try:
        link_staff(
            engine, username=username, staff_id=body.staff_id, actor=op.username, why=body.why
        )
    except NoSuchAccount as exc:
        raise NotFoundProblem.like(exc) from None
    # an AccountError (no such staff member) is a 422 Problem: worded by the app's handler
    (u,) = [u for u in list_users(engine) if u.username == username]
    return UserOut(username=u.username, role=u.role, active=u.active, staff_id=u.staff_id)


@router.post("/users/{username}/disable", response_model=UserOut)
def disable_user(username: str, body: WhyIn, request: Request, op: AdminDep) -> UserOut:
    """Disable an operator and end their sessions (admin; audited)."""
    if username == op.username:
        raise Problem("account.self")
    try:
        set_active(
            request.app.state.engine,
            username=username,
            active=False,
            actor=op.username,
            why=body.why,
        )
    except AccountError as exc:  # no such account (404), or the last admin (409)
        unknown = exc.key == "account.unknown"
        raise (NotFoundProblem if unknown else Problem).like(exc) from None
    found = [u for u in list_users(request.app.state.engine) if u.username == username]
    return UserOut(username=username, role=found[0].role, active=False, staff_id=found[0].staff_id)


class AuditEntryPublic(Public):
    """One line of the audit log: who did what to which record, why, before and after."""

    at: IsoDatetime
    actor: str
    action: str
    entity: str
    entity_id: str
    why: str
    before: Any
    after: Any


@router.get("/audit", response_model=list[AuditEntryPublic])
def audit_log(
    request: Request, op: AuditorDep, actor: str | None = None, limit: int = 200
) -> list[AuditEntryPublic]:
    """The hub's audit log, newest first (admin, supervisor)."""
    limit = max(1, min(limit, 5000))
    return [
        AuditEntryPublic(
            at=e.at,
            actor=e.actor,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            why=e.why,
            before=e.before,
            after=e.after,
        )
        for e in audit_entries(request.app.state.engine, limit=limit, actor=actor)
    ]
