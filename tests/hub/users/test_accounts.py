"""Operator accounts: argon2 hashes, weak passwords refused, rate-limited logins, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.users.accounts import (
    AccountError,
    LoginRefused,
    RateLimit,
    Role,
    audit,
    audit_entries,
    authenticate,
    create_user,
    ensure_demo_admin,
    list_users,
    set_active,
)
from hub.users.tables import UserAccount

PW = "a-long-enough-password"


def test_create_hashes_with_argon2_and_audits(engine: Engine) -> None:
    op = create_user(engine, username="wang", password=PW, role="duty_chief", actor="cli:root")
    assert op.role is Role.DUTY_CHIEF
    with Session(engine) as s:
        row = s.exec(select(UserAccount).where(UserAccount.username == "wang")).one()
    assert row.password_hash.startswith("$argon2id$") and PW not in row.password_hash
    (entry,) = audit_entries(engine)
    assert (entry.actor, entry.action, entry.entity_id) == ("cli:root", "user.create", "wang")
    assert entry.after == {"username": "wang", "role": "duty_chief", "active": True}
    assert entry.at.tzinfo is not None


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("li", "short", "admin", "at least 10"),
        ("li-password1", "li-password1", "admin", "differ from the username"),
        ("li", PW, "janitor", "unknown role"),
        ("has space", PW, "admin", "without spaces"),
    ],
)
def test_create_refuses(
    sqlite_engine: Engine, username: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        create_user(sqlite_engine, username=username, password=password, role=role, actor="t")
    assert list_users(sqlite_engine) == []


def test_duplicate_username_refused(sqlite_engine: Engine) -> None:
    create_user(sqlite_engine, username="zhao", password=PW, role="viewer", actor="t")
    with pytest.raises(AccountError, match="exists already"):
        create_user(sqlite_engine, username="zhao", password=PW, role="admin", actor="t")


def test_authenticate_right_wrong_disabled(engine: Engine) -> None:
    create_user(engine, username="sun", password=PW, role="supervisor", actor="t")
    op = authenticate(engine, "sun", PW, "10.0.0.1")
    assert (op.username, op.role) == ("sun", Role.SUPERVISOR)
    with pytest.raises(LoginRefused) as wrong:
        authenticate(engine, "sun", PW + "x", "10.0.0.1")
    assert not wrong.value.locked
    with pytest.raises(LoginRefused):
        authenticate(engine, "nobody", PW, "10.0.0.1")
    set_active(engine, username="sun", active=False, actor="admin", why="left the hall")
    with pytest.raises(LoginRefused):
        authenticate(engine, "sun", PW, "10.0.0.1")
    actions = [e.action for e in audit_entries(engine)]
    assert actions[0] == "user.disable"


def test_rate_limit_locks_per_username_and_address_then_lifts(sqlite_engine: Engine) -> None:
    create_user(sqlite_engine, username="zhou", password=PW, role="viewer", actor="t")
    t0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    limit = RateLimit(attempts=5, window_s=60)
    for i in range(5):
        with pytest.raises(LoginRefused) as exc:
            authenticate(sqlite_engine, "zhou", "wrong", "1.2.3.4", limit=limit, clock=lambda: t0)
        assert not exc.value.locked, i
    # the right password is refused too while locked
    with pytest.raises(LoginRefused) as locked:
        authenticate(sqlite_engine, "zhou", PW, "1.2.3.4", limit=limit, clock=lambda: t0)
    assert locked.value.locked and "too many" in str(locked.value)
    # another address is not locked out
    assert authenticate(sqlite_engine, "zhou", PW, "5.6.7.8", limit=limit, clock=lambda: t0)
    later = t0 + timedelta(seconds=61)
    assert authenticate(sqlite_engine, "zhou", PW, "1.2.3.4", limit=limit, clock=lambda: later)


def test_audit_in_a_session_commits_with_it(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s:
        audit(s, actor="a", action="x", why="because", before={"v": 1}, after={"v": 2})
        s.rollback()
    assert audit_entries(sqlite_engine) == []
    with Session(sqlite_engine) as s:
        audit(s, actor="a", action="x", why="because", before={"v": 1}, after={"v": 2})
        s.commit()
    (e,) = audit_entries(sqlite_engine)
    assert (e.why, e.before, e.after) == ("because", {"v": 1}, {"v": 2})


def test_demo_admin_gets_a_new_random_password_each_run(sqlite_engine: Engine) -> None:
    first = ensure_demo_admin(sqlite_engine)
    second = ensure_demo_admin(sqlite_engine)
    assert first.username == second.username == "demo-admin"
    assert first.password != second.password and len(second.password) >= 12
    with pytest.raises(LoginRefused):
        authenticate(sqlite_engine, "demo-admin", first.password, "127.0.0.1")
    again = authenticate(sqlite_engine, "demo-admin", second.password, "127.0.0.1")
    assert again.role is Role.ADMIN
