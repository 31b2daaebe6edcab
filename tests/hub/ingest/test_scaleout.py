"""Two ingest workers share the subscription on PostgreSQL; one is killed -9 mid-burst.

Issue 14, point 7: the queue's decisions for a hall are made by one worker at a time (a
PostgreSQL advisory lock per hall, and the queue lane's lock), so every ticket is issued once,
every "next" calls once, and numbers are issued and called in order.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.envelope import Envelope, make_envelope
from models.events import CallAction, CallRequest, TicketIssued
from tests.hub.ingest.killrig import Devices, kill, start_hub
from tests.support.broker import Broker
from tests.support.waiting import wait_until


def tickets_and_calls(tickets: int, calls: int) -> list[Envelope]:
    """`tickets - calls` kiosk tickets (social), then `calls` pairs of a ticket and a "next"
    press from one of two keypads. (Devices.publish stamps each with the time it is sent.)

    There is always someone waiting, whichever worker gets which fact: mosquitto keeps handing
    a killed worker's persistent session its turn of the shared subscription, so facts
    published after the kill wait there until it is back, and with alternating pairs all the
    pairs' tickets may be among them. The leading tickets (at least twice the calls) cover it.
    """
    assert tickets - calls >= 2 * calls, "too few leading tickets: a press may find no one"
    now = datetime.now(UTC)
    out: list[Envelope] = []
    seqs = {"hall-kiosk": 0, "w01-keypad": 0, "w02-keypad": 0}

    def env(device: str, body: object) -> Envelope:
        seqs[device] += 1
        return make_envelope(
            hall="demo",
            device=device,
            seq=seqs[device],
            ts=now,
            synced=True,
            body=body,  # type: ignore[arg-type]
        )

    for _ in range(tickets - calls):
        out.append(env("hall-kiosk", TicketIssued(service="social")))
    for k in range(calls):
        out.append(env("hall-kiosk", TicketIssued(service="social")))
        window = ("w01", "w02")[k % 2]
        out.append(env(f"{window}-keypad", CallRequest(window=window, action=CallAction.NEXT)))
    return out


@pytest.mark.timeout(600)  # two hub starts and a restart: minutes on a loaded host
def test_two_workers_one_killed_decide_every_ticket_and_call_once_in_order(
    pg_engine: Engine, broker: Broker, tmp_path: Path
) -> None:
    two_workers_one_killed(pg_engine, broker, tmp_path, tickets=80, calls=20)


@pytest.mark.bench
@pytest.mark.timeout(1200)
def test_two_workers_one_killed_longer_burst(
    pg_engine: Engine, broker: Broker, tmp_path: Path
) -> None:
    two_workers_one_killed(pg_engine, broker, tmp_path, tickets=750, calls=250)


def two_workers_one_killed(
    engine: Engine, broker: Broker, tmp_path: Path, *, tickets: int, calls: int
) -> None:
    """Publish tickets and calls to two sharing workers, kill one mid-burst, bring it back."""
    url = engine.url.render_as_string(hide_password=False)
    envs = tickets_and_calls(tickets=tickets, calls=calls)
    logs = {w: tmp_path / f"{w}.log" for w in ("a", "b")}

    def start(w: str) -> object:
        return start_hub(
            url, broker, logs[w], f"hub-{w}", areas=("hub.queue.area",), share_group="hub"
        )

    hubs = {w: start(w) for w in ("a", "b")}
    devices = Devices(broker, envs, client_id="scale-devices")
    try:
        for w in hubs:
            wait_until(lambda w=w: "ingest ready" in logs[w].read_text(), 180, f"hub {w}")  # type: ignore[misc]
        devices.publish(len(envs) // 3)
        time.sleep(0.5)
        kill(hubs["a"])  # mid-burst: its unacked messages stay in its session
        devices.publish(len(envs))
        time.sleep(1.0)
        hubs["a"] = start("a")  # it comes back and gets its session's messages
        wait_until(lambda: devices.acked >= len(envs), 60, "every publish acked")
        call_ids = {e.id for e in envs if isinstance(e.body, CallRequest)}
        ticket_ids = {e.id for e in envs} - call_ids

        def decided() -> tuple[int, int]:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT kind, source FROM queue_event")).all()
            issued = sum(1 for k, s in rows if k == "issued" and s in ticket_ids)
            called = sum(1 for k, s in rows if k == "called" and s in call_ids)
            return issued, called

        published = time.monotonic()
        try:
            wait_until(lambda: decided() == (tickets, calls), 180, "every decision")
        except AssertionError as exc:
            said = "\n".join(  # what the hubs said about refused or late facts
                f"{w}: {line[:200]}"
                for w, path in logs.items()
                for line in path.read_text(errors="replace").splitlines()
                if "not replayed" in line or "refused" in line or "caught up" in line
            )
            raise AssertionError(f"{exc}: (issued, called) = {decided()}\n{said}") from exc
        print(  # the bench's figure (pytest -s)
            f"scale-out: {tickets} tickets and {calls} calls decided "
            f"{time.monotonic() - published:.1f} s after the last was acked"
        )
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT seq, kind, ticket, source FROM queue_event ORDER BY seq")
            ).all()
    finally:
        devices.close()
        for hub in hubs.values():
            kill(hub)  # type: ignore[arg-type]
    seqs = [r[0] for r in rows]
    assert seqs == list(range(1, len(seqs) + 1))  # one decision stream, no gap, no clash
    issued = [r for r in rows if r[1] == "issued"]
    called = [r for r in rows if r[1] == "called"]
    assert len({r[3] for r in issued}) == len(issued) == tickets  # each ticket once
    assert len({r[3] for r in called}) == len(called) == calls  # each call once
    numbers = [int(r[2][1:]) for r in issued]
    assert numbers == list(range(1, tickets + 1))  # issued in order, no number twice
    called_numbers = [int(r[2][1:]) for r in called]
    assert called_numbers == sorted(called_numbers)  # called in the order they were issued
    assert len(set(called_numbers)) == len(called_numbers)
    assert logs["a"].read_text().count("ingest ready") == 2  # killed once, back once


def test_two_queues_of_one_hall_never_decide_at_once(pg_engine: Engine) -> None:
    """Two workers' queues of one hall (and the API beside them) issue numbers concurrently:
    the per-hall lock makes them take turns, each reloading what the other decided, so no
    request fails on the other's save and no number is given twice."""
    from hub.queue.service import QueueProjector
    from models.layout import load_hall
    from tests.hub.ingest.killrig import DEMO

    class Silent:
        def send(self, *_args: object, **_kwargs: object) -> str:
            return "not-sent"

    hall = load_hall(DEMO)
    queues = [QueueProjector(pg_engine, Silent(), hall) for _ in range(2)]  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def issue(q: QueueProjector) -> None:
        for _ in range(25):
            try:
                q.issue("social")
            except BaseException as exc:  # a save failing on the other's is what is tested
                errors.append(exc)

    threads = [threading.Thread(target=issue, args=(q,)) for q in queues]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with pg_engine.connect() as conn:
        numbers = sorted(
            int(r[0][1:])
            for r in conn.execute(sa.text("SELECT ticket FROM queue_event WHERE kind = 'issued'"))
        )
    assert numbers == list(range(1, 51))
