"""`hallkeeper user`: operator accounts: the first admin, more users, list, disable."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from hub.users.accounts import AccountError

app = typer.Typer(no_args_is_help=True)

DB_OPTION = typer.Option(
    None, "--db", help="Database URL (default $HK_DATABASE_URL or sqlite:///data/hallkeeper.db)."
)
STDIN_OPTION = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of standard input."
)
ROLES = "admin, supervisor (督查考核科), duty_chief (值班长), window_lead, viewer"


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(1)


def _refusal(exc: AccountError) -> str:
    """An account refusal in the catalogue's words ($HK_LANG), with the roles when one is wrong."""
    from hub.cli.session import words

    said = words(exc.key, **exc.values)
    return f"{said}. {words('cli.roles', roles=ROLES)}" if exc.key == "account.bad_role" else said


def _engine(db: str | None) -> Engine:
    from hub.db import make_engine, migrate

    engine = make_engine(db or os.environ.get("HK_DATABASE_URL", "sqlite:///data/hallkeeper.db"))
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    migrate(engine)
    return engine


def _password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        from hub.cli.session import words

        raise _fail(words("cli.no_password"))
    return password


def _create(db: str | None, username: str, role: str, from_stdin: bool, why: str) -> None:
    from hub.users.accounts import AccountError, create_user

    password = _password(from_stdin)
    engine = _engine(db)
    try:
        create_user(
            engine,
            username=username,
            password=password,
            role=role,
            actor=f"cli:{os.environ.get('USER', 'unknown')}",
            why=why,
        )
    except AccountError as exc:
        raise _fail(_refusal(exc)) from None
    finally:
        engine.dispose()
    typer.echo(f"user {username} ({role}) created")


@app.command("create-admin")
def create_admin(
    username: str = typer.Option(..., "--username", help="The admin's username."),
    password_stdin: bool = STDIN_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Create an admin account (the first one is made only this way; there is no default)."""
    _create(db, username, "admin", password_stdin, "created with the CLI")


@app.command("add")
def add(
    username: str = typer.Option(..., "--username", help="The new operator's username."),
    role: str = typer.Option(..., "--role", help=f"One of: {ROLES}."),
    password_stdin: bool = STDIN_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Add an operator with a role."""
    _create(db, username, role, password_stdin, "added with the CLI")


@app.command("list")
def list_cmd(db: str | None = DB_OPTION) -> None:
    """Every operator: username, role, active or disabled (tab-separated)."""
    from hub.users.accounts import list_users

    engine = _engine(db)
    try:
        for user in list_users(engine):
            typer.echo(f"{user.username}\t{user.role}\t{'active' if user.active else 'disabled'}")
    finally:
        engine.dispose()


@app.command("disable")
def disable(
    username: str = typer.Option(..., "--username", help="The operator to disable."),
    why: str = typer.Option("", "--why", help="Why (kept in the audit log)."),
    db: str | None = DB_OPTION,
) -> None:
    """Disable an operator and end their sessions."""
    from hub.users.accounts import AccountError, set_active

    engine = _engine(db)
    try:
        set_active(
            engine,
            username=username,
            active=False,
            actor=f"cli:{os.environ.get('USER', 'unknown')}",
            why=why,
        )
    except AccountError as exc:
        raise _fail(_refusal(exc)) from None
    finally:
        engine.dispose()
    typer.echo(f"user {username} disabled")
