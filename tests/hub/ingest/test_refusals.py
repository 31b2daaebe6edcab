"""Refusal alerts are throttled per device but never left behind (issue 14, point 6).

One alert per device, raised on its first refused message; later refusals update its count at
most once every `quiet_s`, and a count that moved meanwhile is sent by `flush` (the worker's
idle loop), so the feed ends up with every refusal counted even when the device falls silent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.ingest.refusals import ALERT_KIND, RefusalAlerts

REASON = "not authorised: a rating_device may not send punch"


class Desk:
    """An alert sink that keeps what it was told (the feed's rows, in order)."""

    def __init__(self, fail: int = 0) -> None:
        self.raised: list[tuple[str, str, str, dict[str, Any]]] = []
        self.fail = fail

    def raise_alert(
        self, hall: str, device: str, kind: str, *, words: str, values: Mapping[str, Any]
    ) -> None:
        """Record the alert (or fail, the first `fail` times: a database hiccup)."""
        if self.fail:
            self.fail -= 1
            raise RuntimeError("alert table locked")
        self.raised.append((hall, device, kind, dict(values)))

    def clear_alert(self, hall: str, device: str, kind: str) -> None:
        """Not used by refusals."""


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_first_refusal_alerts_at_once_and_later_counts_catch_up_after_quiet_s() -> None:
    desk, clock = Desk(), Clock()
    alerts = RefusalAlerts(desk, quiet_s=30, clock=clock)
    key = ("demo", "w01-rate")
    assert alerts.note({key: [REASON]}) == 1
    assert desk.raised == [
        (
            "demo",
            "w01-rate",
            ALERT_KIND,
            {"device": "w01-rate", "count": 1, "reason": "deadletter.not_authorised"},
        )
    ]
    clock.now += 1
    assert alerts.note({key: [REASON, REASON]}) == 0  # throttled, but not forgotten
    assert alerts.pending and alerts.flush() == 0
    clock.now += 29
    assert alerts.flush() == 1  # the device went quiet; the idle flush sends the count
    assert desk.raised[-1][3]["count"] == 3
    assert not alerts.pending and alerts.flush() == 0


def test_each_device_has_its_own_alert_and_new_devices_are_capped_a_minute() -> None:
    desk, clock = Desk(), Clock()
    alerts = RefusalAlerts(desk, quiet_s=30, max_new=2, clock=clock)
    refused = {("demo", f"fake{n}"): [REASON] for n in range(3)}
    assert alerts.note(refused) == 2  # names on the wire are the sender's: at most 2 a minute
    assert [r[1] for r in desk.raised] == ["fake0", "fake1"]
    clock.now += 61
    assert alerts.flush() == 1  # the third is alerted the next minute, not dropped
    assert desk.raised[-1][1] == "fake2"


def test_an_alert_the_desk_refused_is_tried_again() -> None:
    desk, clock = Desk(fail=1), Clock()
    alerts = RefusalAlerts(desk, quiet_s=5, clock=clock)
    assert alerts.note({("demo", "w01-rate"): [REASON]}) == 0
    assert alerts.pending
    clock.now += 5
    assert alerts.flush() == 1
    assert desk.raised[0][3]["count"] == 1
