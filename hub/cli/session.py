"""Logging the CLI in to a running hub: a token (HK_API_TOKEN, from `hallkeeper login`) or the
operator's password (HK_API_USER / HK_API_PASSWORD, else asked at a hidden prompt).

The messages a person reads come from the message catalogue, in the language of $HK_LANG or
$LANG (zh-CN unless English is asked for).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from hub.dashboard.i18n import choose_lang, translator

TOKEN_ENV = "HK_API_TOKEN"
USER_ENV = "HK_API_USER"
PASSWORD_ENV = "HK_API_PASSWORD"
COOKIE = "hk_session"


def words(key: str, **values: object) -> str:
    """A CLI message in the user's language ($HK_LANG, else $LANG; zh-CN by default)."""
    asked = os.environ.get("HK_LANG") or os.environ.get("LANG", "")
    lang = choose_lang(asked if asked.lower().startswith(("en", "zh")) else None, None)
    return translator(lang)(key, **values)


def fail(key: str, code: int = 1, **values: object) -> typer.Exit:
    """Print a catalogue message on stderr; the Exit to raise."""
    typer.echo(words(key, **values), err=True)
    return typer.Exit(code)


def _password_login(client: Any, api: str) -> None:
    user = os.environ.get(USER_ENV)
    password = os.environ.get(PASSWORD_ENV)
    if not user or not password:
        if not sys.stdin.isatty():
            raise fail("cli.login_needed")
        user = user or typer.prompt(words("cli.username"))
        password = password or typer.prompt(words("cli.password"), hide_input=True)
    r = client.post("/api/auth/login", json={"username": user, "password": password})
    if r.status_code == 429:
        raise fail("login_locked")
    if r.status_code != 200:
        raise fail("cli.login_refused", api=api)
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]


def _credentials() -> bool:
    return bool(os.environ.get(USER_ENV) and os.environ.get(PASSWORD_ENV))


def api_client(api: str) -> Any:
    """An httpx client for the hub at `api`: with the token, or logged in with the password
    when one is given in the environment (else it logs in when the hub first asks)."""
    import httpx

    client = httpx.Client(base_url=api.rstrip("/"), timeout=10)
    token = os.environ.get(TOKEN_ENV)
    try:
        if token:
            client.headers["Authorization"] = f"Bearer {token}"
        elif _credentials():
            _password_login(client, api)
    except httpx.HTTPError as exc:
        raise fail("cli.unreachable", 2, api=api, error=str(exc)) from None
    return client


def call(api: str, method: str, path: str, **kwargs: Any) -> Any:
    """One API call as the operator; a login when the hub asks for one (401) and none was
    given (a hidden prompt at a terminal); a refusal printed in words (exit 1)."""
    import httpx

    client = api_client(api)
    try:
        resp = client.request(method, path, **kwargs)
        if resp.status_code == 401 and not os.environ.get(TOKEN_ENV) and not _credentials():
            _password_login(client, api)
            resp = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise fail("cli.unreachable", 2, api=api, error=str(exc)) from None
    finally:
        client.close()
    if resp.status_code == 401:
        key = "cli.token_expired" if os.environ.get(TOKEN_ENV) else "cli.login_refused"
        raise fail(key, api=api)
    if resp.status_code >= 400:
        is_json = resp.headers.get("content-type", "").startswith("application/json")
        body = resp.json() if is_json else {}
        detail = body.get("detail", resp.text) if isinstance(body, dict) else resp.text
        raise fail("cli.refused", status=resp.status_code, detail=said(detail))
    return resp.json()


def said(detail: Any) -> str:
    """A refusal's `detail` as a sentence: its words, or each field's name and reason (a
    validation list), never the raw JSON."""
    if isinstance(detail, dict):
        return str(detail.get("message") or detail.get("detail") or "")
    if not isinstance(detail, list):
        return str(detail)
    parts = []
    for item in detail:
        if not isinstance(item, dict):
            parts.append(str(item))
            continue
        where = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path", "form")]
        reason = str(item.get("msg") or item.get("text") or "")
        parts.append(f"{'.'.join(where)}: {reason}" if where else reason)
    return "; ".join(parts)


def login(
    api: str = typer.Option(
        "http://127.0.0.1:8000", envvar="HK_API_URL", help="The running hub's API (HK_API_URL)."
    ),
) -> None:
    """Log in with the operator's password; prints the token to export as HK_API_TOKEN."""
    import httpx

    with httpx.Client(base_url=api.rstrip("/"), timeout=10) as client:
        try:
            _password_login(client, api)
        except httpx.HTTPError as exc:
            raise fail("cli.unreachable", 2, api=api, error=str(exc)) from None
        token = client.cookies.get(COOKIE)
    if not token:
        raise fail("cli.login_refused", api=api)
    typer.echo(f"export {TOKEN_ENV}={token}")
    typer.echo(words("cli.token_hint"), err=True)
