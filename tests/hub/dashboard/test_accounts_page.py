"""The operator accounts page (point 18.3): admins add, change the role of, disable and reset
the password of accounts, audited; nobody else may; the last admin cannot lock everyone out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.users.accounts import Role, audit_entries, list_users
from tests.hub.dashboard.conftest import form_login
from tests.support.pages import leaks


def test_an_admin_manages_accounts_and_others_may_not(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    admin, chief = browser_as(Role.ADMIN), browser_as(Role.DUTY_CHIEF)
    page = admin.get("/accounts").text
    assert 'id="account-form"' in page and not leaks(page, ("u-admin", "u-duty_chief"))
    assert 'href="/accounts"' in page and 'href="/audit"' in page  # in the admin's navigation
    chief_home = chief.get("/").text
    assert 'href="/accounts"' not in chief_home and 'href="/audit"' not in chief_home
    assert chief.get("/accounts").status_code == 403
    form = {"username": "zhou", "role": "window_lead", "password": "zhou-pass-2026"}
    assert chief.post("/accounts", data={**form, "csrf_token": chief.csrf}).status_code == 403
    assert admin.post("/accounts", data=form).status_code == 403  # no CSRF token

    ok = admin.post("/accounts", data={**form, "why": "新到岗", "csrf_token": admin.csrf})
    assert ok.status_code == 303 and ok.headers["location"] == "/accounts?done=zhou"
    again = admin.post("/accounts", data={**form, "csrf_token": admin.csrf})
    assert again.status_code == 422 and "用户名 zhou 已被使用" in again.text
    weak = admin.post(
        "/accounts", data={**form, "username": "wu", "password": "short", "csrf_token": admin.csrf}
    )
    assert weak.status_code == 422 and "密码至少需要 10 个字符" in weak.text

    zhou = TestClient(app, follow_redirects=False)
    assert form_login(zhou, "zhou", "zhou-pass-2026").status_code == 303
    assert zhou.get("/").status_code == 200
    r = admin.post("/accounts/zhou/role", data={"role": "duty_chief", "csrf_token": admin.csrf})
    assert r.status_code == 303
    r = admin.post(
        "/accounts/zhou/password", data={"password": "new-pass-2026-x", "csrf_token": admin.csrf}
    )
    assert r.status_code == 303
    assert zhou.get("/").status_code == 303  # the reset ended zhou's session
    assert form_login(zhou, "zhou", "zhou-pass-2026").status_code == 401
    assert form_login(zhou, "zhou", "new-pass-2026-x").status_code == 303
    r = admin.post(
        "/accounts/zhou/active", data={"active": "0", "why": "调离", "csrf_token": admin.csrf}
    )
    assert r.status_code == 303 and zhou.get("/").status_code == 303
    assert form_login(zhou, "zhou", "new-pass-2026-x").status_code == 401
    (user,) = [u for u in list_users(sqlite_engine) if u.username == "zhou"]
    assert (user.role, user.active) == ("duty_chief", False)

    me = admin.post("/accounts/u-admin/active", data={"active": "0", "csrf_token": admin.csrf})
    assert me.status_code == 409 and "不能停用自己的账号" in me.text
    last = admin.post("/accounts/u-admin/role", data={"role": "viewer", "csrf_token": admin.csrf})
    assert last.status_code == 422 and "最后一个可用的管理员" in last.text
    actions = [
        (e.action, e.entity_id) for e in audit_entries(sqlite_engine) if e.actor == "u-admin"
    ]
    for done in ("user.create", "user.role", "user.password", "user.disable"):
        assert (done, "zhou") in actions
    log = admin.get("/audit").text
    assert "修改账号角色" in log and "new-pass" not in log  # the password is never recorded
