"""Facts authorised by the sender's kind and place (issue 14, point 3; ARCHITECTURE "Trust").

Every device kind of models/devices is tried with every fact type: what its kind may send is
taken from its own place only; everything else is refused with the reason, and the device is
named on the hall's alert feed, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.events import queries
from hub.fleet.raised import FleetAlerts
from hub.fleet.tables import Alert
from hub.ingest.authorize import Grant, grants_for, refusal
from hub.ingest.refusals import ALERT_KIND
from hub.ingest.worker import IngestWorker
from models import devices
from models.envelope import Envelope, make_envelope
from models.events import (
    AwaySign,
    CallAction,
    CallRequest,
    CommandResult,
    DeviceFault,
    EventType,
    GalleryHeld,
    Liveness,
    Presence,
    Punch,
    Rating,
    TemplateErased,
    TicketIssued,
    UnknownFace,
)
from models.layout import Hall, load_hall
from tests.hub.ingest.conftest import Publisher, wait_until
from tests.hub.ingest.killrig import DEMO
from tests.support.broker import Broker

HALL = load_hall(DEMO)
GRANTS = grants_for([HALL])


def body_for(etype: EventType, seat: str = "w01-a", window: str = "w01") -> object:
    """A valid body of `etype`, placed at `seat` / `window` where it names one."""
    return {
        EventType.PUNCH: Punch(staff_id="S001", distance=0.3, liveness=Liveness(passed=True)),
        EventType.UNKNOWN_FACE: UnknownFace(),
        EventType.RATING: Rating(seat=seat, level=5),
        EventType.TICKET_ISSUED: TicketIssued(service="social"),
        EventType.CALL_REQUEST: CallRequest(window=window, action=CallAction.NEXT),
        EventType.AWAY_SIGN_PLACED: AwaySign(seat=seat),
        EventType.AWAY_SIGN_REMOVED: AwaySign(seat=seat),
        EventType.PRESENCE: Presence(seat=seat, present=True),
        EventType.DEVICE_FAULT: DeviceFault(code="jam", message="x"),
        EventType.COMMAND_RESULT: CommandResult(command_id="c1", ok=True),
        EventType.GALLERY_HELD: GalleryHeld(version=1, checksum="x", count=1),
        EventType.TEMPLATE_ERASED: TemplateErased(staff_id="S001", gallery_version=1),
    }.get(etype) or devices_body(etype)


def devices_body(etype: EventType) -> object:
    """Bodies of the types not listed above (config applied/rejected, heartbeat, ...)."""
    from models.events import EVENT_BODIES

    model = EVENT_BODIES[etype]
    sample = {
        "version": 1,
        "reason": "x",
        "uptime_s": 1,
        "agent_version": "1",
        "contract_version": 1,
        "outbox_depth": 0,
        "outbox_capacity": 1,
        "clock_synced": True,
    }
    given = {k: v for k, v in sample.items() if k in model.model_fields}
    try:
        return model.model_validate(given)
    except ValueError:  # a body with fields of its own: its kind check needs no valid body
        return model.model_construct(**given)


def envelope(device: str, etype: EventType, **place: str) -> Envelope:
    """An envelope of `etype` from `device` of the demo hall."""
    return make_envelope(
        hall="demo",
        device=device,
        seq=1,
        ts=datetime.now(UTC),
        synced=True,
        body=body_for(etype, **place),  # type: ignore[arg-type]
        type=etype,
    )


def own_place(hall: Hall, device: str) -> dict[str, str]:
    """The seat and window a device reports facts for, by the layout."""
    grant = GRANTS[("demo", device)]
    out = {}
    if grant.seats:
        out["seat"] = sorted(grant.seats)[0]
    if grant.windows:
        out["window"] = sorted(grant.windows)[0]
    return out


@pytest.mark.parametrize("kind", sorted(devices.KINDS))
def test_each_kind_sends_only_its_own_facts_from_its_own_place(kind: str) -> None:
    device = next(d.id for d in HALL.devices if d.kind == kind)
    place = own_place(HALL, device)
    for etype in EventType:
        reason = refusal(envelope(device, etype, **place), GRANTS)
        if devices.may_send(kind, etype):
            assert reason is None, (device, etype, reason)
        else:
            assert reason == f"not authorised: a {kind} cannot send {etype.value}", device


@pytest.mark.parametrize(
    ("device", "etype", "place", "why"),
    [
        ("w01-a-sign", EventType.AWAY_SIGN_PLACED, {"seat": "w02-a"}, "reports seat w02-a"),
        ("w01-a-sign", EventType.AWAY_SIGN_REMOVED, {"seat": "w01-b"}, "its own seats: w01-a"),
        ("w01-a-radar", EventType.PRESENCE, {"seat": "w03-a"}, "reports seat w03-a"),
        ("w01-rate", EventType.RATING, {"seat": "w02-a"}, "reports seat w02-a"),
        ("w01-keypad", EventType.CALL_REQUEST, {"window": "w02"}, "acts for window w02"),
    ],
)
def test_a_fact_for_another_place_is_refused(
    device: str, etype: EventType, place: dict[str, str], why: str
) -> None:
    reason = refusal(envelope(device, etype, **place), GRANTS)
    assert reason is not None and reason.startswith("not authorised") and why in reason


def test_the_issue_s_forgeries_and_an_unknown_device_are_refused() -> None:
    punch_from_rating_pad = envelope("w01-rate", EventType.PUNCH)
    assert refusal(punch_from_rating_pad, GRANTS) == (
        "not authorised: a rating_device cannot send punch"
    )
    ticket_from_keypad = envelope("w01-keypad", EventType.TICKET_ISSUED)
    assert "cannot send ticket_issued" in (refusal(ticket_from_keypad, GRANTS) or "")
    ghost = envelope("w99-face", EventType.PUNCH)
    assert refusal(ghost, GRANTS) == "unknown device: demo/w99-face is not in the hall layout"


def test_a_device_placed_at_a_window_only_may_report_the_window_s_seats() -> None:
    grants = {("demo", "pad"): Grant("rating_device", frozenset({"w01-a", "w01-b"}), frozenset())}
    assert refusal(envelope_as("pad", EventType.RATING, seat="w01-b"), grants) is None
    assert refusal(envelope_as("pad", EventType.RATING, seat="w02-a"), grants) is not None


def envelope_as(device: str, etype: EventType, **place: str) -> Envelope:
    """An envelope from a device of any name."""
    return envelope(device, etype, **place)


@pytest.fixture
def guarded(engine: Engine, broker: Broker) -> Iterator[IngestWorker]:
    """A worker that knows the demo hall and alerts on fleet's alert table."""
    worker = IngestWorker(
        engine,
        broker.url,
        client_id="hub-guard",
        batch_ms=5,
        halls=[HALL],
        alerts=FleetAlerts(engine),
        writer="process",
    ).start()
    assert worker.wait_ready(10)
    yield worker
    worker.stop()


def test_forged_facts_are_dead_lettered_and_the_device_alerted_once(
    engine: Engine, guarded: IngestWorker, publisher: Publisher
) -> None:
    # The alert is raised on the first refusal and its count updated at most every quiet_s
    # (here 0.2 s): the five may arrive in several batches, the count still reaches 5.
    assert guarded.refusals is not None
    guarded.refusals.quiet_s = 0.2
    forged = [envelope("w01-rate", EventType.PUNCH) for _ in range(5)]
    forged = [f.model_copy(update={"seq": n}) for n, f in enumerate(forged, 1)]
    good = envelope("ent-face1", EventType.PUNCH)
    wrong_seat = envelope("w01-a-sign", EventType.AWAY_SIGN_PLACED, seat="w02-a")
    for env in [*forged, good, wrong_seat]:
        publisher.send_env(env)
    wait_until(lambda: guarded.stats.snapshot()["acked"] >= 7, what="seven acks")
    assert [e["event_id"] for e in queries.events(engine)] == [good.id]
    letters = queries.dead_letters(engine)
    assert len(letters) == 6
    assert {(d["device"], d["code"]) for d in letters} == {
        ("w01-rate", "not_authorised"),
        ("w01-a-sign", "not_authorised"),
    }

    def alerts() -> list[Alert]:
        with Session(engine) as s:
            return list(s.exec(select(Alert).where(Alert.kind == ALERT_KIND)).all())

    wait_until(lambda: len(alerts()) == 2, what="two alerts")
    assert sorted(a.device for a in alerts()) == ["w01-a-sign", "w01-rate"]  # one per device

    def rate_alert() -> Alert:
        return next(a for a in alerts() if a.device == "w01-rate")

    wait_until(lambda: rate_alert().word_values["count"] == 5, what="the count of five")
    rate = rate_alert()
    assert rate.words == "alert.facts_refused" and rate.state == "open"
    assert rate.word_values == {
        "device": "w01-rate",
        "count": 5,
        "reason": "deadletter.not_authorised",
    }
