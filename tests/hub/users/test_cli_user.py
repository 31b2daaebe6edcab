"""`hallkeeper user`: create-admin (prompted twice, or --password-stdin), add, list, disable."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli.user import app
from hub.db import make_engine
from hub.users.accounts import LoginRefused, Role, audit_entries, authenticate

runner = CliRunner()
EN = {"HK_LANG": "en"}
ZH = {"HK_LANG": "zh-CN"}


def test_user_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    made = runner.invoke(
        app, ["create-admin", "--username", "root", "--db", db], input="admin-pass-123\n" * 2
    )
    assert made.exit_code == 0, made.output
    assert "user root (admin) created" in made.output
    assert "admin-pass-123" not in made.output  # typed at a hidden prompt
    mismatch = runner.invoke(
        app,
        ["create-admin", "--username", "other", "--db", db],
        input="first-pass-123\nsecond-pass-12\nfirst-pass-123\nfirst-pass-123\n",
    )
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output
    added = runner.invoke(
        app,
        ["add", "--username", "chief", "--role", "duty_chief", "--password-stdin", "--db", db],
        input="chief-pass-123\n",
    )
    assert added.exit_code == 0, added.output
    weak = runner.invoke(
        app,
        ["add", "--username", "w", "--role", "viewer", "--password-stdin", "--db", db],
        input="short\n",
        env=EN,
    )
    assert weak.exit_code == 1 and "A password needs at least 10 characters" in weak.output
    bad_role = runner.invoke(
        app,
        ["add", "--username", "w", "--role", "boss", "--password-stdin", "--db", db],
        input="long-enough-pass\n",
        env=EN,
    )
    # the catalogue's words ($HK_LANG), saying what to do: which roles there are
    assert bad_role.exit_code == 1 and "No such role. The roles are: admin" in bad_role.output
    listed = runner.invoke(app, ["list", "--db", db])
    assert listed.output.splitlines() == [
        "chief\tduty_chief\tactive",
        "other\tadmin\tactive",
        "root\tadmin\tactive",
    ]
    off = runner.invoke(app, ["disable", "--username", "chief", "--why", "left", "--db", db])
    assert off.exit_code == 0
    assert "chief\tduty_chief\tdisabled" in runner.invoke(app, ["list", "--db", db]).output
    missing = runner.invoke(app, ["disable", "--username", "ghost", "--db", db], env=EN)
    assert missing.exit_code == 1 and "No user ghost" in missing.output
    chinese = runner.invoke(app, ["disable", "--username", "ghost", "--db", db], env=ZH)
    assert chinese.exit_code == 1 and "没有用户 ghost" in chinese.output
    empty = runner.invoke(
        app, ["add", "--username", "w", "--role", "viewer", "--password-stdin", "--db", db],
        input="\n", env=ZH,
    )  # fmt: skip
    assert empty.exit_code == 1 and "没有输入密码：请在提示处输入两次" in empty.output
    engine = make_engine(db)
    try:
        assert authenticate(engine, "root", "admin-pass-123", "cli").role is Role.ADMIN
        with pytest.raises(LoginRefused):
            authenticate(engine, "chief", "chief-pass-123", "cli")
        assert next(e.action for e in audit_entries(engine)) == "user.disable"
    finally:
        engine.dispose()
