"""A hub ingest process with real projectors, killed -9 again and again during a burst of facts.

What issue 14 measured: of 708 stored tickets 28 never became tickets, of 920 punches 14 never
reached attendance, of 1,844 away-sign facts 24 never reached compliance. The rig publishes
tickets (kiosk), punches (face terminal) and away signs (two seats) from a persistent session,
kills the hub (`python -m hub.ingest.run` with the attendance, compliance and queue areas)
`kills` times, restarts it, and says what every fact became.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.engine import Engine

from models.envelope import Envelope, make_envelope
from models.events import AwaySign, EventType, Liveness, Punch, TicketIssued
from models.topics import Channel, build_topic
from tests.support.broker import Broker
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "firmware_cfg" / "halls" / "demo"
AREAS = ("hub.attendance.area", "hub.compliance.area", "hub.queue.area")


def burst(n: int, seed: int = 7) -> list[Envelope]:
    """`n` facts: tickets from the kiosk, punches, away signs placed and removed on two seats."""
    rng = random.Random(seed)
    seqs: dict[str, int] = {}
    out: list[Envelope] = []
    for k in range(n):
        device = rng.choice(["hall-kiosk", "ent-face1", "w01-a-sign", "w02-a-sign"])
        seqs[device] = seqs.get(device, 0) + 1
        common = {"hall": "demo", "device": device, "seq": seqs[device], "synced": True}
        now = datetime.now(UTC)
        if device == "hall-kiosk":
            body: object = TicketIssued(service=rng.choice(["social", "medical"]))
            env = make_envelope(ts=now, body=body, **common)  # type: ignore[arg-type]
        elif device == "ent-face1":
            punch = Punch(staff_id=f"S{k % 7:03d}", distance=0.4, liveness=Liveness(passed=True))
            env = make_envelope(ts=now, body=punch, **common)  # type: ignore[arg-type]
        else:
            placed = seqs[device] % 2 == 1
            kind = EventType.AWAY_SIGN_PLACED if placed else EventType.AWAY_SIGN_REMOVED
            seat = device.removesuffix("-sign")
            env = make_envelope(ts=now, body=AwaySign(seat=seat), type=kind, **common)  # type: ignore[arg-type]
        out.append(env)
    return out


class Devices:
    """The hall's devices as one persistent publisher (QoS 1; paho resends what is unacked)."""

    def __init__(
        self, broker: Broker, envs: list[Envelope], client_id: str = "kill-devices"
    ) -> None:
        self.envs = envs
        self.sent = 0
        self.acked = 0
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        self.client.max_inflight_messages_set(50)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", broker.port, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_publish(self, *_args: object) -> None:
        with self.lock:
            self.acked += 1

    def publish(self, upto: int) -> None:
        """Publish the facts up to index `upto`, each stamped with the time it is sent (as a
        device stamps a key press: a loaded host's slow burst must not make presses stale)."""
        while self.sent < min(upto, len(self.envs)):
            env = self.envs[self.sent].model_copy(update={"ts": datetime.now(UTC)})
            self.envs[self.sent] = env
            self.client.publish(build_topic("demo", env.device, Channel.EVT), env.to_json(), qos=1)
            self.sent += 1

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def start_hub(
    db_url: str,
    broker: Broker,
    log: Path,
    client_id: str = "hub-kill",
    *,
    areas: tuple[str, ...] = AREAS,
    share_group: str | None = None,
) -> subprocess.Popen[bytes]:
    """The ingest process with the areas' projectors (attendance, compliance, queue)."""
    cmd = [
        sys.executable, "-m", "hub.ingest.run", "--db", db_url, "--broker", broker.url,
        "--client-id", client_id, "--batch-size", "40", "--batch-ms", "20",
        "--stats-every", "1", "--hall", str(DEMO),
        *[arg for area in areas for arg in ("--area", area)],
        *(["--share-group", share_group] if share_group else []),
    ]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """kill -9, and reap it."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


@dataclass(frozen=True)
class Outcome:
    """What the facts became."""

    stored: int
    tickets: int
    issued: int
    """Tickets issued by the queue (a ticket issued twice counts twice)."""
    issued_facts: int
    """Distinct ticket facts that issued a ticket."""
    punches: int
    punch_records: int
    signs: int
    sign_marks: int
    days: int
    catch_ups: int


def outcome(engine: Engine, envs: list[Envelope], log: Path) -> Outcome:
    """Count every fact stored and what each area derived from it (doubles included)."""
    ids = {t: {e.id for e in envs if e.type is t} for t in EventType}
    signs = ids[EventType.AWAY_SIGN_PLACED] | ids[EventType.AWAY_SIGN_REMOVED]
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM event")).scalar_one()
        issued = [
            r[0]
            for r in conn.execute(sa.text("SELECT source FROM queue_event WHERE kind = 'issued'"))
        ]
        punches = {r[0] for r in conn.execute(sa.text("SELECT event_id FROM att_punch"))}
        days = conn.execute(sa.text("SELECT count(*) FROM att_day")).scalar_one()
        marks = {r[0] for r in conn.execute(sa.text("SELECT event_id FROM compliance_mark"))}
    tickets = ids[EventType.TICKET_ISSUED]
    return Outcome(
        stored=stored,
        tickets=len(tickets),
        issued=len(issued),
        issued_facts=len(set(issued) & tickets),
        punches=len(ids[EventType.PUNCH]),
        punch_records=len(punches & ids[EventType.PUNCH]),
        signs=len(signs),
        sign_marks=len(marks & signs),
        days=days,
        catch_ups=log.read_text(errors="replace").count("caught up"),
    )


def kill_during_burst(
    engine: Engine, db_url: str, broker: Broker, work: Path, *, facts: int, kills: int
) -> Outcome:
    """Publish `facts`, killing the hub `kills` times meanwhile; what every fact became."""
    log = work / "hub.log"
    envs = burst(facts)
    rng = random.Random(11)
    hub = start_hub(db_url, broker, log)
    devices = Devices(broker, envs)
    try:
        for k in range(1, kills + 1):
            try:
                wait_until(
                    lambda k=k: log.read_text(errors="replace").count("ingest ready") >= k,  # type: ignore[misc]
                    120,
                    "hub ready",
                )
            except AssertionError as exc:  # show what the hub was doing
                tail = log.read_text(errors="replace").splitlines()[-15:]
                raise AssertionError(f"{exc} (start {k}):\n" + "\n".join(tail)) from exc
            devices.publish(k * facts // (kills + 1))
            time.sleep(rng.uniform(0.2, 0.8))  # facts flowing: stored, acked, being projected
            kill(hub)
            hub = start_hub(db_url, broker, log)
        devices.publish(facts)
        wait_until(lambda: devices.acked >= facts, 60, "broker acked every publish")
        wait_until(  # the last start: a loaded host takes a minute to import the areas
            lambda: log.read_text(errors="replace").count("ingest ready") > kills,
            180,
            "the last hub ready",
        )

        def done() -> bool:
            got = outcome(engine, envs, log)
            return got.stored == facts and (got.issued, got.punch_records, got.sign_marks) == (
                got.tickets,
                got.punches,
                got.signs,
            )

        last_ready = time.monotonic()
        try:
            wait_until(done, 300, "every fact stored and projected")
        except AssertionError as exc:  # say what was missing, not only that time ran out
            raise AssertionError(f"{exc}: {outcome(engine, envs, log)}") from exc
        got = outcome(engine, envs, log)
        print(f"kill rig: {got} {time.monotonic() - last_ready:.1f} s after the last start")
        return got
    finally:
        devices.close()
        kill(hub)
