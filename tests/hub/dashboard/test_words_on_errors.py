"""Refusals raised by the other areas reach a person in the catalogue's words (point 18.4):
no English detail on a Chinese error page, nothing of the URL echoed back, the kiosk's
call-back answers in the kiosk's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.dashboard.i18n import CATALOGUE
from hub.queue import kiosk as kiosk_routes
from hub.users.accounts import Role
from models.contact import new_keypair
from tests.support.pages import leaks

PAGE = {"accept": "text/html", "sec-fetch-mode": "navigate"}
"""What a browser sends when a person follows a link (the error page, not JSON)."""
ENGLISH = ("serves no hall", "unknown hall", "no such hall", "no complaint action", "name the")


def zh(key: str) -> str:
    return CATALOGUE["zh-CN"][key]


def en(key: str) -> str:
    return CATALOGUE["en"][key]


def assert_worded(r: Any, status: int, key: str, lang: str = "zh-CN") -> None:
    """An error page of `status` saying `key` in `lang`, with none of the old English."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html"), r.text[:300]
    assert (zh(key) if lang == "zh-CN" else en(key)) in r.text
    if lang == "zh-CN":
        assert not any(words in r.text for words in ENGLISH), r.text
        assert not leaks(r.text), leaks(r.text)


def test_a_hub_without_a_hall_says_so_in_chinese_on_every_area_page(
    app: Any, browser_as: Callable[[Role], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = browser_as(Role.ADMIN)
    monkeypatch.setattr(app.state, "halls", [])
    monkeypatch.setattr(app.state.dashboard, "halls", [])
    for path in ("/", "/complaints", "/duty"):
        assert_worded(admin.get(path, headers=PAGE), 404, "error.no_hall")
    assert_worded(admin.get("/duty?lang=en", headers=PAGE), 404, "error.no_hall", "en")


def test_an_unknown_hall_is_refused_in_words_without_echoing_it(
    browser_as: Callable[[Role], TestClient],
) -> None:
    admin = browser_as(Role.ADMIN)
    marker = "zz-nowhere<b>"  # not a hall, and markup
    for path in (
        f"/c/{marker}",
        f"/api/compliance/{marker}/away",
        f"/api/complaints?hall={marker}",
    ):
        r = admin.get(path, headers=PAGE)
        assert_worded(r, 404, "error.unknown_hall"), path
        assert "nowhere" not in r.text
    program = admin.get(f"/api/compliance/{marker}/away")  # a program still gets JSON
    assert program.status_code == 404 and program.json()["code"] == "error.unknown_hall"
    # ... whose detail is the words (what `hallkeeper` prints), never the bare key
    assert program.json()["detail"] == zh("error.unknown_hall")
    english = admin.get(f"/api/compliance/{marker}/away?lang=en")
    assert english.json()["detail"] == en("error.unknown_hall")


def test_an_unknown_complaint_step_is_a_fixed_message_not_the_url(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    # rule DUTY-6: the steps are the page's buttons; anything else is refused, not echoed
    from hub.complaints import store
    from hub.demo.seed import seed_staff
    from tests.hub.dashboard.test_words_on_pages import seed_the_demo_records

    seed_staff(sqlite_engine, app.state.halls[0])
    seed_the_demo_records(sqlite_engine, app.state.halls[0], app.state.clock())
    (taken, *_) = store.listing(sqlite_engine, "demo")
    chief = browser_as(Role.DUTY_CHIEF)
    step = "<img src=x onerror=alert(1)>"  # no slash: it reaches the step route
    r = chief.post(f"/complaints/{taken['id']}/{step}", data={"csrf_token": chief.csrf})
    assert r.status_code == 422 and zh("complaint.err_unknown_action") in r.text
    assert "alert(1)" not in r.text and not leaks(r.text, ("clerk",))  # the seeded handler
    api = chief.post(
        f"/api/complaints/{taken['id']}/{step}", json={}, headers={"X-CSRF-Token": chief.csrf}
    )
    assert api.status_code == 404 and "alert(1)" not in api.text
    assert api.json()["code"] == "error.unknown_action"
    followup = chief.post(
        f"/api/ratings/followups/1/{step}", json={}, headers={"X-CSRF-Token": chief.csrf}
    )
    assert followup.status_code == 404 and "alert(1)" not in followup.text


def test_the_kiosk_call_back_answers_in_the_kiosks_language(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule DEV-4, DUTY-6: the citizen reads the answer; PRIV-1: the number is sealed
    monkeypatch.setenv("HK_CONTACT_KEY", new_keypair()[0])
    kiosk_routes.CALLBACKS._hits.clear()  # a fresh hour for this kiosk
    for lang, words in (("zh-CN", zh), ("en", en)):
        kiosk = TestClient(app)
        page = kiosk.get(f"/kiosk/demo/hall-kiosk?lang={lang}")
        assert page.status_code == 200 and f'data-lang="{lang}"' in page.text
        assert f'<html lang="{lang}">' in page.text
        for key in ("kiosk.page.choose", "kiosk.page.privacy", "kiosk.page.offline"):
            assert words(key) in page.text, key
        token = {"X-Kiosk-Token": page.text.split('data-token="')[1].split('"')[0]}
        url = f"/kiosk/demo/hall-kiosk/callback?lang={lang}"
        empty = kiosk.post(url, json={}, headers=token)
        assert (empty.status_code, empty.json()["detail"]) == (422, words("kiosk.cb.empty"))
        bad = kiosk.post(url, json={"phone": "12345"}, headers=token)
        assert bad.json()["detail"] == words("kiosk.cb.bad_phone")
        done = kiosk.post(url, json={"phone": "13800138000"}, headers=token)
        assert (done.status_code, done.json()["message"]) == (201, words("kiosk.cb.will_call"))
        noted = kiosk.post(url, json={"note": "please call"}, headers=token)
        assert noted.json()["message"] == words("kiosk.cb.noted")
        forged = kiosk.post(url, json={"note": "x"})
        assert forged.json()["detail"] == words("kiosk.cb.expired")
        unknown = kiosk.get(f"/kiosk/demo/nope?lang={lang}")  # a page: a browser asked
        assert unknown.status_code == 404 and words("kiosk.no_kiosk") in unknown.text
    assert en("kiosk.cb.will_call") != zh("kiosk.cb.will_call")


def test_a_malformed_duty_month_or_day_is_worded_not_echoed(
    browser_as: Callable[[Role], TestClient],
) -> None:
    # rule DUTY-1: the duty pages' month and day come from the page's own links
    admin = browser_as(Role.ADMIN)
    for path in ("/duty?day=zz<b>x", "/duty/roster?month=zz<b>x"):
        r = admin.get(path, headers=PAGE)
        assert_worded(r, 422, "att.err.bad_day")
        assert "zz" not in r.text and "must be" not in r.text
