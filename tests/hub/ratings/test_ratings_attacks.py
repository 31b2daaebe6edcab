"""The ratings attacked (SQLite and PostgreSQL): a rating device that rates another window's
citizen, and phone numbers that are garbage (not a number, not sealed at all, sealed with
another hall's key) reaching the hub. The rating is kept, its follow-up opens the same day,
and nothing unreadable is ever kept or handed to a caller as a number (RATE-1, RATE-3, PRIV-1).
A rating for a seat that is not the device's never reaches the ratings: ingest refuses it
(tests/hub/ingest/test_authorize.py; on the real broker in tests/e2e/test_citizen_side.py)."""

from __future__ import annotations

import pytest

from hub.ingest.hooks import IngestBatch
from hub.ratings.followup import followup, reveal_contact
from hub.ratings.followup_rules import FollowupError
from hub.users.accounts import Role
from models.contact import new_keypair, seal, seal_text
from models.envelope import make_envelope
from models.events import Rating
from tests.hub.ratings.test_followup_pages import client_as
from tests.hub.ratings.test_ratings_projector import FRIDAY, HALL, Rig, event_body, store_fact
from tests.support.auth import full_app


def rate(rig: Rig, ticket: str, level: int, contact: str | None, device: str = "w01-rate") -> str:
    """A rating fact stored as ingest stores it, then projected; its event id."""
    rig.seq += 1
    seat = HALL.device(device).seat or "w01-a"
    env = make_envelope(
        hall=HALL.id,
        device=device,
        seq=rig.seq,
        ts=rig.clock.now,
        synced=True,
        body=Rating(seat=seat, ticket=ticket, shown_staff_id="S0012", level=level, contact=contact),
    )
    store_fact(rig.engine, env)
    rig.ratings.project(rig.engine, IngestBatch(events=(env,)))
    return env.id


def test_a_rating_device_cannot_rate_another_windows_citizen(rig: Rig) -> None:
    # rule RATE-1: one rating per service, by the device of the window that served it
    ticket = rig.serve("w01")
    rate(rig, ticket, 1, None, device="w02-rate")  # w02's pad names w01's citizen
    assert rig.rows("rating") == [] and rig.rows("rating_followup") == []
    (refused,) = rig.rows("rating_refusal")
    assert (refused["device"], refused["ticket"], refused["code"]) == (
        "w02-rate",
        ticket,
        "unknown_service",
    )
    rate(rig, ticket, 5, None)  # the citizen's own rating at w01 still counts
    (kept,) = rig.rows("rating")
    assert (kept["window"], kept["level"], kept["staff_id"]) == ("w01", 5, "S0012")


def test_garbage_numbers_are_not_kept_and_the_follow_up_opens_anyway(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule RATE-3 (the follow-up opens all the same), PRIV-1 (nothing unreadable kept)
    private, public = new_keypair()
    _, other_hall = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    garbage = [
        seal_text(public, "<script>alert(1)</script>"),  # sealed right, but no phone number
        "c1.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",  # the form, no seal
        seal(other_hall, "13912345678"),  # another hall's key (a device not re-keyed)
    ]
    facts = [rate(rig, rig.serve(), 1, token) for token in garbage]
    good = rate(rig, rig.serve(), 2, seal(public, "13800138000"))
    tasks = rig.rows("rating_followup")
    assert len(tasks) == 4 and len(rig.rows("rating")) == 4  # every rating kept, followed up
    for task, fact in zip(tasks[:3], facts, strict=True):
        assert task["contact"] is None and task["contact_due"] == tasks[3]["contact_due"]
        # the log keeps a catalogue code, shown in words on the page
        assert followup(rig.engine, task["id"])["log"][0]["note"] == "followup.opened.unreadable"
        assert event_body(rig.engine, fact)["contact"] is None  # not in the stored fact either
        with pytest.raises(FollowupError, match="err_no_number"):
            reveal_contact(rig.engine, task["id"], "zhang", FRIDAY)
    assert event_body(rig.engine, good)["contact"] is not None  # a good number stays sealed
    assert reveal_contact(rig.engine, tasks[3]["id"], "zhang", FRIDAY) == "13800138000"


def test_a_number_that_arrived_while_the_hub_had_no_key_is_refused_in_words(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule RATE-3, PRIV-1: kept sealed when it cannot be checked; opened, it is checked again
    monkeypatch.delenv("HK_CONTACT_KEY", raising=False)
    private, public = new_keypair()
    rate(rig, rig.serve(), 1, seal_text(public, "call 1-900-PREMIUM"))
    (task,) = rig.rows("rating_followup")
    assert task["contact"] is not None  # no key at arrival: it could not be told apart
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    app = full_app(rig.engine, clock=lambda: FRIDAY)
    chief = client_as(app, rig.engine, Role.DUTY_CHIEF)
    api = chief.post(
        f"/api/ratings/followups/{task['id']}/contact",
        json={},
        headers={"X-CSRF-Token": chief.csrf},  # type: ignore[attr-defined]
    )
    assert api.status_code == 409 and api.json()["code"] == "followup.err_bad_number"
    page = chief.post(
        f"/ratings/followups/{task['id']}/contact",
        data={"csrf_token": chief.csrf},  # type: ignore[attr-defined]
    )
    assert page.status_code == 409 and "号码无法打开" in page.text
    assert "PREMIUM" not in page.text and "PREMIUM" not in api.text
