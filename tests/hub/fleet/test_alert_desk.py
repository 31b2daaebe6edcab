"""The alert desk: one alert per incident, re-opened rather than repeated, acknowledged and
resolved only with a comment; a flapping device stays one alert; other areas' rows bridged once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.fleet import alerts as desk
from hub.fleet.engine import FleetPolicy
from hub.fleet.importer import import_area_alerts
from hub.fleet.projector import FleetProjector
from hub.fleet.tables import Alert
from hub.ingest.hooks import DeviceState, IngestBatch
from hub.problems import InvalidProblem, Problem

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_raised_condition_is_new_again_or_reopened() -> None:
    within = timedelta(hours=6)
    assert desk.on_raise(True, None, T0, within) is desk.Outcome.AGAIN
    assert desk.on_raise(False, T0 - HOUR, T0, within) is desk.Outcome.REOPENED
    assert desk.on_raise(False, T0 - 7 * HOUR, T0, within) is desk.Outcome.NEW
    assert desk.on_raise(False, None, T0, within) is desk.Outcome.NEW


def _raise(session: Session, at: datetime, **kw: object) -> desk.Raised:
    args: dict[str, object] = dict(hall="demo", subject="w04-a", kind="POST-4@x", now=at)
    args.update(kw)
    return desk.raise_alert(session, **args)  # type: ignore[arg-type]


def test_one_alert_per_incident_with_its_recipients_and_a_comment_to_close(
    engine: Engine,
) -> None:
    with Session(engine) as s:
        first = _raise(s, T0, recipients=["operator", "window:w03"], source="compliance")
        again = _raise(s, T0 + timedelta(minutes=1), recipients=["staff:s04", "operator"])
        s.commit()
        assert (first.outcome, again.outcome) == (desk.Outcome.NEW, desk.Outcome.AGAIN)
        assert first.alert_id == again.alert_id
        (alert,) = s.exec(select(Alert)).all()
        assert alert.occurrences == 2
        assert alert.recipients == ["operator", "window:w03", "staff:s04"]
        for blank in ("", "   "):
            with pytest.raises(InvalidProblem) as refused:
                desk.resolve(s, first.alert_id, actor="chief", comment=blank, now=T0)
            assert refused.value.key == "alert.comment_required"
            with pytest.raises(InvalidProblem):
                desk.acknowledge(s, first.alert_id, actor="chief", comment=blank, now=T0)
        desk.acknowledge(s, first.alert_id, actor="chief", comment="已电话通知", now=T0 + HOUR)
        assert desk.state_of(alert) == "acknowledged" and desk.unacknowledged(s) == 0
        desk.resolve(s, first.alert_id, actor="chief", comment="已回岗", now=T0 + 2 * HOUR)
        s.commit()
        with pytest.raises(Problem):  # a second operator resolving it again is told it is done
            desk.resolve(s, first.alert_id, actor="other", comment="x", now=T0 + 2 * HOUR)
        # it comes back within the policy's time: the same alert re-opens, not a new one
        back = _raise(s, T0 + 3 * HOUR)
        s.commit()
        assert back == desk.Raised(first.alert_id, desk.Outcome.REOPENED)
        s.refresh(alert)
        assert (alert.state, alert.reopened, alert.occurrences, alert.ack_at) == (
            "open",
            1,
            3,
            None,
        )
        steps = [(n.actor, n.action, n.comment) for n in desk.notes(s, first.alert_id)]
        assert steps == [
            ("chief", "acknowledge", "已电话通知"),
            ("chief", "resolve", "已回岗"),
            ("hub", "reopen", ""),
        ]
        desk.resolve(s, first.alert_id, actor="chief", comment="ok", now=T0 + 4 * HOUR)
        later = _raise(s, T0 + 11 * HOUR)  # long after: a new incident
        s.commit()
        assert later.outcome is desk.Outcome.NEW and later.alert_id != first.alert_id
        counts = desk.counts(s)
        assert counts["state"]["open"] == 1 and counts["source"]["fleet"] == 1
        with pytest.raises(Problem):
            desk.resolve(s, 999999, actor="chief", comment="x", now=T0)


def test_a_flapping_device_is_one_alert_counted_not_many(engine: Engine) -> None:
    now = {"t": T0}
    proj = FleetProjector(FleetPolicy(), clock=lambda: now["t"])
    for i in range(5):  # offline and back five times in an hour
        for online in (False, True):
            now["t"] = T0 + timedelta(minutes=10 * i + (5 if online else 0))
            state = DeviceState("demo", "w03-led", online, now["t"])
            proj.project(engine, IngestBatch(states=(state,), received_at=now["t"]))
    with Session(engine) as s:
        (alert,) = s.exec(select(Alert)).all()
    assert (alert.kind, alert.state, alert.resolved_by) == ("offline", "resolved", "auto")
    assert (alert.occurrences, alert.reopened) == (5, 4)


def test_other_areas_rows_are_bridged_once(engine: Engine) -> None:
    from hub.ratings.tables import RatingAlertRow

    with Session(engine) as s:
        s.add(
            RatingAlertRow(
                hall="demo",
                kind="contact_overdue",
                rule="RATE-3",
                ref="followup:7",
                window="w03",
                text="回访超时",
                at=T0,
            )
        )
        s.commit()
    assert import_area_alerts(engine, T0) == 1
    assert import_area_alerts(engine, T0 + HOUR) == 0
    with Session(engine) as s:
        (alert,) = s.exec(select(Alert)).all()
        bridged = (alert.source, alert.rule, alert.window, alert.message)
        desk.resolve(s, alert.id or 0, actor="chief", comment="已回访", now=T0 + HOUR)
        s.commit()
    assert bridged == ("ratings", "RATE-3", "w03", "回访超时")
    assert import_area_alerts(engine, T0 + 2 * HOUR) == 0  # a resolved bridge is not re-raised
