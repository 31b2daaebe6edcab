"""The demo hall end to end: broker, hub, every simulated device through the edge runtime,
the scenario's citizens and staff; the hub's API shows the hall alive."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.demo.run import run_demo
from tests.support.auth import log_in, make_user
from tests.support.broker import Broker
from tests.support.waiting import wait_until


def wait(pred: Callable[[], bool], what: str, timeout: float = 180.0) -> None:
    """Poll until pred() holds (every 0.25 s). Roomy: each step happens within seconds at the
    demo's pace, but a shared 2-core host can take a minute to start a demo hall."""
    wait_until(pred, timeout, what, step=0.25)


@contextmanager
def running_demo(data_dir: Path, broker_url: str | None, **options: Any) -> Iterator[Any]:
    """Run the demo hall (`run_demo`, the hall's day 20 times faster unless `options` say)
    in a thread; yield its hub once it is ready; on exit stop it, and fail unless it stopped
    cleanly and without an error."""
    stop = threading.Event()
    ready: dict[str, Any] = {}
    failure: list[BaseException] = []

    def run() -> None:
        try:
            run_demo(
                data_dir,
                broker_url=broker_url,
                port=0,
                stop_event=stop,
                **{"pace": 20.0, **options},
                on_ready=lambda hub: ready.setdefault("hub", hub),
            )
        except BaseException as exc:  # surfaced by the assertions below
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        wait(lambda: "hub" in ready or bool(failure), "the demo to start", timeout=120)
        assert not failure, failure
        yield ready["hub"]
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive(), "the demo did not stop cleanly"
    assert not failure, failure


def online(client: httpx.Client) -> int:
    """Devices the hub sees online (their retained state and heartbeats arrived)."""
    return sum(d["status"] == "online" for d in client.get("/api/devices").json())


@pytest.mark.timeout(600)
def test_demo_hall_runs_and_shows_live_devices_queue_and_staff(
    broker: Broker, tmp_path: Path
) -> None:
    # the printer's paper runs out 20 s in and stays out for the test (it is loaded again after
    # a minute in the demo: a slow start could miss the notice); the first citizen to rate is
    # dissatisfied and leaves a number (hub.demo.citizens): nothing waits for chance
    timings = {"paper_out_after_s": 20.0, "paper_out_s": 3600.0}
    with running_demo(tmp_path / "demo", broker.url, episode_timings=timings) as hub:
        client = httpx.Client(base_url=hub.api_url, timeout=10)
        assert client.get("/api/devices").status_code == 401  # nothing without logging in
        log_in(client, make_user(hub.engine, "demo-test"))
        wait(lambda: online(client) >= 50, "the demo devices online")  # 52, 51 with drivers
        # the scenario's citizens take numbers at the kiosk and windows call them (QUEUE-1)
        last: dict[str, Any] = {}

        def tickets() -> bool:
            r = client.get("/api/queue/state")
            last.update(status=r.status_code, body=r.text[:500])
            return r.status_code == 200 and bool(r.json().get("tickets"))

        try:
            wait(tickets, "tickets issued")
        except AssertionError:
            raise AssertionError(f"no tickets; last answer {last}") from None
        state = client.get("/api/queue/state").json()
        assert any(t["ticket"][0] in "ABCDE" for t in state["tickets"])
        # the demo seeded a staff member on every seat
        seats = client.get("/api/compliance/demo/assignments").json()
        assert len(seats) == 11 and all(s["staff_id"] for s in seats)
        # the demo carries a filed roster, a duty chief and the day's B takeover (DUTY-1, POST-7)
        roster = client.get("/api/duty/demo/roster").json()
        assert roster["versions"] and roster["entries"]
        assert client.get("/api/duty/demo/chief").json()["chief"]
        today = date.fromisoformat(client.get("/api/duty/demo/chief").json()["today"])
        bases = {  # the demo's special day is the latest workday up to today
            h["basis"]
            for back in range(7)
            for h in client.get(
                "/api/duty/demo/ledger", params={"day": (today - timedelta(back)).isoformat()}
            ).json()["holdings"]
        }
        assert {"B", "substitute", "cover"} <= bases
        # the face terminals hold the demo's hall key: no "gallery unusable" fault (PRIV-1)
        alerts = client.get("/api/alerts", params={"state": "open"}).json()
        assert "gallery_unusable" not in str(alerts)
        # the citizen's side (issue 19): the printer runs out of paper and the hall is told
        # (DEV-4); a dissatisfied citizen's follow-up opens with their number, the same day
        # (RATE-3); a complaint arrives from the public page (DUTY-6)
        wait(
            lambda: any(
                "打印纸已用完" in n for n in client.get("/api/queue/state").json()["notices"]
            ),
            "the hall screen's paper notice",
        )

        def followed() -> list[Any]:
            return [f for f in client.get("/api/ratings/followups").json() if f["has_contact"]]

        wait(lambda: bool(followed()), "a dissatisfied rating's follow-up with a number")
        task = followed()[0]
        assert date.fromisoformat(task["contact_due"][:10]) <= today + timedelta(days=4)
        wait(
            lambda: any(
                c["channel"] == "public_page" for c in client.get("/api/complaints").json()
            ),
            "a complaint from the public page",
        )
