"""Operator accounts: create, authenticate (argon2, rate-limited), list, disable; the audit log."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from hub.dbtypes import aware
from hub.problems import InvalidProblem
from hub.users.tables import AuditEntry, LoginAttempt, UserAccount

logger = logging.getLogger(__name__)

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~0.1 s on a Pi-class
# core, so a login stays quick while a stolen hash stays costly to guess.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
MIN_PASSWORD = 10
"""The shortest password an operator may set."""


class Role(StrEnum):
    """The operator roles, most powerful first."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"  # 督查考核科, the supervision office
    DUTY_CHIEF = "duty_chief"  # 值班长
    WINDOW_LEAD = "window_lead"
    VIEWER = "viewer"


class AccountError(InvalidProblem, ValueError):
    """A change to an account that cannot be made (the message says why; `key` in words)."""

    def __init__(self, message: str, key: str = "account.refused", **values: object) -> None:
        """`message` for programs and logs; `key` and `values` for the reader's words."""
        super().__init__(key)
        self.values = values
        self.message = message

    def __str__(self) -> str:
        """The message in English."""
        return self.message


class NoSuchAccount(AccountError):
    """No account has this username."""


class LoginRefused(Exception):
    """A login that fails; `locked` says it was refused by the rate limit."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        """Say why; `locked` when too many attempts were made."""
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True, slots=True)
class Operator:
    """A logged-in operator as routes see it (never the password hash)."""

    id: int
    username: str
    role: Role
    staff_id: str | None = None
    """The staff member this account belongs to, if an admin linked one (rules ATT-5, ATT-6)."""

    @property
    def name(self) -> str:
        """The operator's username (what audit entries name)."""
        return self.username


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `attempts` failed logins per username and address within `window_s` seconds."""

    attempts: int = 5
    window_s: float = 60.0


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher.hash(password)


def check_password_strength(username: str, password: str) -> None:
    """Refuse passwords that are short or equal to the username."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"a password needs at least {MIN_PASSWORD} characters",
            "account.password_short",
            n=MIN_PASSWORD,
        )
    if password.strip().lower() == username.strip().lower():
        raise AccountError(
            "the password must differ from the username", "account.password_is_username"
        )


def audit(
    target: Engine | Session,
    *,
    actor: str,
    action: str,
    entity: str = "",
    entity_id: str | int = "",
    why: str = "",
    before: Any = None,
    after: Any = None,
    at: datetime | None = None,
) -> None:
    """Record who did what, when and why (with before/after JSON); in `target`'s transaction."""
    row = AuditEntry(
        at=at or utc_now(),
        actor=actor[:64],
        action=action[:200],
        entity=entity[:64],
        entity_id=str(entity_id)[:128],
        why=why[:500],
        before=before,
        after=after,
    )
    if isinstance(target, Session):
        target.add(row)
        return
    with Session(target) as session:
        session.add(row)
        session.commit()


def audit_entries(engine: Engine, limit: int = 200, actor: str | None = None) -> list[AuditEntry]:
    """The newest audit entries first."""
    q = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if actor is not None:
        q = q.where(AuditEntry.actor == actor)
    with Session(engine) as session:
        rows = list(session.exec(q).all())
    for r in rows:
        r.at = aware(r.at)
    return rows


def create_user(
    engine: Engine,
    *,
    username: str,
    password: str,
    role: Role | str,
    actor: str,
    why: str = "",
    staff_id: str | None = None,
) -> Operator:
    """Add an operator (audited); refuses a taken name, an unknown role or a weak password.

    `staff_id` names the staff member the account belongs to (see `link_staff`).
    """
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError(
            "a username is 1 to 64 characters without spaces", "account.bad_username"
        )
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(
            f"unknown role {role!r}; roles: {', '.join(Role)}", "account.bad_role"
        ) from None
    check_password_strength(username, password)
    with Session(engine) as session:
        taken = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
        if taken is not None:
            raise AccountError(f"user {username!r} exists already", "account.taken", name=username)
        if staff_id is not None:
            _staff_or_fail(session, staff_id)
        user = UserAccount(
            username=username,
            password_hash=hash_password(password),
            role=role.value,
            active=True,
            created_at=utc_now(),
            created_by=actor,
            staff_id=staff_id,
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        audit(
            session,
            actor=actor,
            action="user.create",
            entity="user",
            entity_id=username,
            why=why,
            after={
                "username": username,
                "role": role.value,
                "active": True,
                **({"staff_id": staff_id} if staff_id else {}),
            },
        )
        session.commit()
        logger.info("user %s (%s) created by %s", username, role.value, actor)
        return Operator(user.id, username, role, staff_id)


def list_users(engine: Engine) -> list[UserAccount]:
    """Every account, by username."""
    with Session(engine) as session:
        return list(session.exec(select(UserAccount).order_by(col(UserAccount.username))).all())


def set_active(engine: Engine, *, username: str, active: bool, actor: str, why: str = "") -> None:
    """Disable (or enable again) an account, ending its sessions when disabled (audited)."""
    from hub.users.tables import UserSession

    with Session(engine) as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
        if user is None:
            raise AccountError(f"no user {username!r}", "account.unknown", name=username)
        before = user.active
        last = user.role == Role.ADMIN.value and not _other_active_admins(session, username)
        if not active and last:
            raise AccountError("the last admin cannot be disabled", "account.last_admin")
        user.active = active
        session.add(user)
        if not active:
            session.execute(sa.delete(UserSession).where(col(UserSession.user_id) == user.id))
        audit(
            session,
            actor=actor,
            action="user.enable" if active else "user.disable",
            entity="user",
            entity_id=username,
            why=why,
            before={"active": before},
            after={"active": active},
        )
        session.commit()


def _account(session: Session, username: str) -> UserAccount:
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    if user is None:
        raise NoSuchAccount(f"no user {username!r}", "account.unknown", name=username)
    return user


def _other_active_admins(session: Session, username: str) -> int:
    q = select(sa.func.count()).select_from(UserAccount)
    q = q.where(UserAccount.role == Role.ADMIN.value, col(UserAccount.active))
    return int(session.exec(q.where(UserAccount.username != username)).one())


def set_role(engine: Engine, *, username: str, role: Role | str, actor: str, why: str = "") -> None:
    """Give an account another role (audited); the last active admin keeps theirs."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"unknown role {role!r}", "account.bad_role") from None
    with Session(engine) as session:
        user = _account(session, username)
        before = user.role
        demoted = before == Role.ADMIN.value and role is not Role.ADMIN
        if demoted and not _other_active_admins(session, username):
            raise AccountError("the last admin keeps the admin role", "account.last_admin")
        user.role = role.value
        session.add(user)
        audit(
            session,
            actor=actor,
            action="user.role",
            entity="user",
            entity_id=username,
            why=why,
            before={"role": before},
            after={"role": role.value},
        )
        session.commit()


def set_password(
    engine: Engine, *, username: str, password: str, actor: str, why: str = ""
) -> None:
    """Set a new password (an admin's reset, or the operator's own), ending the account's
    sessions (audited, never the password)."""
    from hub.users.tables import UserSession

    check_password_strength(username, password)
    with Session(engine) as session:
        user = _account(session, username)
        user.password_hash = hash_password(password)
        session.add(user)
        session.execute(sa.delete(UserSession).where(col(UserSession.user_id) == user.id))
        audit(
            session, actor=actor, action="user.password", entity="user", entity_id=username, why=why
        )
        session.commit()


def _staff_or_fail(session: Session, staff_id: str) -> None:
    from hub.staff.tables import Staff

    if session.get(Staff, staff_id) is None:
        raise AccountError(f"no staff member {staff_id!r}", "account.unknown_staff", staff=staff_id)


def link_staff(
    engine: Engine, *, username: str, staff_id: str | None, actor: str, why: str = ""
) -> None:
    """Name the staff member an account belongs to (None: nobody), audited.

    Whichever of their accounts a person uses, they never approve their own leave or
    correction (rules ATT-5, ATT-6); the staff member must exist.
    """
    with Session(engine) as session:
        user = _account(session, username)
        if staff_id is not None:
            _staff_or_fail(session, staff_id)
        before = user.staff_id
        user.staff_id = staff_id
        session.add(user)
        audit(
            session,
            actor=actor,
            action="user.staff",
            entity="user",
            entity_id=username,
            why=why,
            before={"staff_id": before},
            after={"staff_id": staff_id},
        )
        session.commit()


def linked_staff(conn: Connection, username: str) -> str | None:
    """The staff member the account `username` belongs to, if one is named (in `conn`)."""
    table = UserAccount.__table__  # type: ignore[attr-defined]
    found = conn.execute(
        sa.select(table.c.staff_id).where(table.c.username == username)
    ).scalar_one_or_none()
    return str(found) if found else None


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    ip: str,
    *,
    limit: RateLimit = RateLimit(),
    clock: Callable[[], datetime] = utc_now,
) -> Operator:
    """The operator these credentials name; LoginRefused if wrong, disabled or rate-limited."""
    now = clock()
    username = username.strip()[:64]
    ip = ip[:64]
    with Session(engine) as session:
        since = now - timedelta(seconds=limit.window_s)
        failures = session.exec(
            select(sa.func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.username == username,
                LoginAttempt.ip == ip,
                col(LoginAttempt.ok).is_(False),
                col(LoginAttempt.at) >= since,
            )
        ).one()
        if failures >= limit.attempts:
            logger.warning("login of %s from %s refused: %d failures", username, ip, failures)
            raise LoginRefused(
                f"too many failed logins; try again in {int(limit.window_s)} seconds",
                locked=True,
            )
        user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
        ok = False
        if user is not None:
            try:
                ok = _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        else:
            _hasher.hash(password)  # spend the same time for an unknown name
        ok = ok and user is not None and user.active
        session.add(LoginAttempt(username=username, ip=ip, at=now, ok=ok))
        if ok and user is not None and _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
            session.add(user)
        session.commit()
        if not ok or user is None or user.id is None:
            raise LoginRefused("wrong username or password, or the account is disabled")
        return Operator(user.id, user.username, Role(user.role), user.staff_id)


def purge_attempts(engine: Engine, before: datetime) -> int:
    """Forget login attempts older than `before`; how many were removed."""
    with Session(engine) as session:
        result = session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.at) < before))
        session.commit()
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """The demo admin's credentials, shown once in the demo banner."""

    username: str
    password: str


def ensure_demo_admin(engine: Engine, username: str = "demo-admin") -> DemoLogin:
    """Give the demo hall an admin with a fresh random password (kept nowhere but the banner)."""
    password = secrets.token_urlsafe(12)
    with Session(engine) as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
        if user is not None:
            user.password_hash = hash_password(password)
            user.active = True
            user.role = Role.ADMIN.value
            session.add(user)
            audit(session, actor="demo", action="user.password", entity="user", entity_id=username)
            session.commit()
            return DemoLogin(username, password)
    create_user(
        engine,
        username=username,
        password=password,
        role=Role.ADMIN,
        actor="demo",
        why="示范大厅",
    )
    return DemoLogin(username, password)
