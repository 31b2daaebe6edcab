"""Tables of operator accounts: users, sessions, login attempts and the hub-wide audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


class UserAccount(SQLModel, table=True):
    """An operator: username, argon2 password hash, one role, active or disabled.

    `staff_id` names the staff member the account belongs to, if any: nobody approves their
    own leave or correction, whichever of their accounts they use (rules ATT-5, ATT-6).
    """

    __tablename__ = "users_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    active: bool = Field(default=True)
    created_at: datetime = _ts()
    created_by: str = Field(default="", max_length=64)
    staff_id: str | None = Field(
        default=None,
        max_length=64,
        index=True,
        description="The staff member this account belongs to (rules ATT-5, ATT-6)",
    )


class UserSession(SQLModel, table=True):
    """A logged-in browser: the SHA-256 of its token, its CSRF token and when it expires."""

    __tablename__ = "users_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users_account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)
    ip: str = Field(default="", max_length=64)


class LoginAttempt(SQLModel, table=True):
    """One login attempt (for rate limiting per username and address)."""

    __tablename__ = "users_login_attempt"
    __table_args__ = (sa.Index("ix_users_login_attempt_who", "username", "ip", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    ip: str = Field(max_length=64)
    at: datetime = _ts()
    ok: bool = False


class AuditEntry(SQLModel, table=True):
    """Who changed what, when and why, with the state before and after (JSON)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=200)
    entity: str = Field(default="", max_length=64)
    entity_id: str = Field(default="", max_length=128)
    why: str = Field(default="", max_length=500)
    before: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    after: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
