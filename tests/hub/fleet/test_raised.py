"""Alerts raised on a device by other parts of the hub stay open until they are cleared."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.fleet.engine import Condition, reconcile
from hub.fleet.raised import FleetAlerts
from hub.fleet.tables import Alert


def test_health_reconciling_leaves_alerts_it_does_not_own_alone() -> None:
    changes = reconcile(
        ["offline", "facts_refused", "projection:queue:demo"],
        [Condition("clock_skew", "off", "warning")],
    )
    assert changes.resolve == ("offline",)
    assert [c.kind for c in changes.open] == ["clock_skew"]


def test_one_open_alert_per_device_and_kind_updated_then_cleared(sqlite_engine: Engine) -> None:
    alerts = FleetAlerts(sqlite_engine)
    for count in (1, 2):
        alerts.raise_alert(
            "demo",
            "w01-rate",
            "facts_refused",
            words="alert.facts_refused",
            values={"count": count},
        )
    with Session(sqlite_engine) as s:
        (alert,) = s.exec(select(Alert)).all()
    assert (alert.state, alert.words, alert.word_values) == (
        "open",
        "alert.facts_refused",
        {"count": 2},
    )
    assert alert.occurrences == 2
    alerts.clear_alert("demo", "w01-rate", "facts_refused")
    with Session(sqlite_engine) as s:
        (alert,) = s.exec(select(Alert)).all()
    assert alert.state == "resolved" and alert.resolved_by == "auto"
