"""Ingest benchmark: raw paho QoS 1 receive rate vs the hub's ingest rate, under the same load.

One run starts its own Mosquitto, then twice drives it with N simulated devices (spread over
a few publisher processes, so publishing does not take the subscriber's GIL) sending valid
QoS 1 envelopes of realistic event types for S seconds, as fast as the broker acknowledges:

a) a bare paho subscriber (auto-ack) only counts what arrives: `raw_rate`;
b) the hub's IngestWorker validates, stores (batched, idempotent) and acks after commit:
   `ingest_rate`, counted in the database.

Both rates are messages over the time from the publishers' start signal to the last message
received (a) or committed (b). `lost` = sent (PUBACKed to publishers) - distinct rows stored;
`duplicates` = messages that reached the store but were dropped by the unique event id
(redeliveries); the table itself cannot hold a duplicate.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.bench import private_mosquitto
from models.events import EventType
from models.ids import new_event_id
from models.topics import Channel, build_topic, subscription

logger = logging.getLogger(__name__)

_BODIES: list[tuple[EventType, str]] = [
    (EventType.PUNCH, '{"staff_id":"S%03d","distance":0.41,'
                      '"liveness":{"passed":true,"blink":true,"motion":0.8,"method":"ear"}}'),
    (EventType.PRESENCE, '{"seat":"seat-%03d","present":true,"distance_cm":72}'),
    (EventType.RATING, '{"seat":"seat-%03d","ticket":"A012","shown_staff_id":"S001","level":5}'),
    (EventType.CALL_REQUEST, '{"window":"w%03d","action":"next"}'),
    (EventType.AWAY_SIGN_PLACED, '{"seat":"seat-%03d"}'),
    (EventType.TICKET_ISSUED, '{"service":"svc%03d","green_channel":false}'),
]
"""One body template per device kind (face terminal, radar, rating, keypad, sign, kiosk)."""


def device_payload(hall: str, device: str, index: int, seq: int) -> bytes:
    """A valid envelope for the `index`-th simulated device (its kind picks the event type)."""
    etype, body = _BODIES[index % len(_BODIES)]
    ts = datetime.now(UTC).isoformat()
    return (
        f'{{"v":1,"id":"{new_event_id()}","hall":"{hall}","device":"{device}","seq":{seq},'
        f'"ts":"{ts}","synced":true,"type":"{etype.value}","body":{body % (index % 1000)}}}'
    ).encode()


def _publish_devices(url: str, hall: str, first: int, count: int, seconds: float,
                     window: int, ready: Any, go: Any, results: Any) -> None:
    """Publisher process: `count` device clients publish QoS 1 for `seconds`; report acks."""
    import paho.mqtt.client as mqtt

    from hub.ingest.worker import parse_broker_url

    host, port, _, _ = parse_broker_url(url)
    clients: list[tuple[Any, str, str, int, list[int]]] = []
    for i in range(first, first + count):
        device = f"dev-{i:04d}"
        acked = [0]
        client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                             client_id=f"{hall}-{device}", protocol=mqtt.MQTTv5)
        client.max_inflight_messages_set(window)
        client.on_publish = lambda *_a, acked=acked: acked.__setitem__(0, acked[0] + 1)
        client.connect(host, port)
        client.loop_start()
        clients.append((client, device, build_topic(hall, device, Channel.EVT), i, acked))
    seqs = [0] * len(clients)
    ready.put(count)
    go.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        busy = True
        for k, (client, device, topic, index, acked) in enumerate(clients):
            if seqs[k] - acked[0] >= window:
                continue
            busy = False
            seqs[k] += 1
            client.publish(topic, device_payload(hall, device, index, seqs[k]), qos=1)
        if busy:
            time.sleep(0.0005)
    settle = time.monotonic() + 30
    while time.monotonic() < settle and any(s > c[4][0] for s, c in zip(seqs, clients,
                                                                          strict=True)):
        time.sleep(0.01)
    results.put(sum(c[4][0] for c in clients))
    for client, *_ in clients:
        client.disconnect()
        client.loop_stop()


class _Load:
    """The publisher processes of one phase: started, released together, joined."""

    def __init__(self, url: str, hall: str, devices: int, publishers: int, seconds: float,
                 window: int) -> None:
        ctx = mp.get_context("spawn")
        self.ready, self.results, self.go = ctx.Queue(), ctx.Queue(), ctx.Event()
        per = [devices // publishers + (1 if k < devices % publishers else 0)
               for k in range(publishers)]
        starts = [sum(per[:k]) for k in range(publishers)]
        self.procs = [ctx.Process(target=_publish_devices, daemon=True,
                                  args=(url, hall, s, n, seconds, window, self.ready, self.go,
                                        self.results))
                      for s, n in zip(starts, per, strict=True) if n]

    def start(self) -> float:
        """Start the processes, wait until every device is connected, release them."""
        for p in self.procs:
            p.start()
        for _ in self.procs:
            self.ready.get(timeout=60)
        t0 = time.monotonic()
        self.go.set()
        return t0

    def sent(self) -> int:
        """Wait for the publishers to finish; the number of messages the broker acknowledged."""
        total = sum(int(self.results.get(timeout=120)) for _ in self.procs)
        for p in self.procs:
            p.join(30)
        return total


def _wait_count(count: Any, target: Any, timeout: float) -> float:
    """Poll `count()` until it reaches `target()` or stops moving for `timeout`; return when."""
    last_value, last_change = -1, time.monotonic()
    reached = last_change
    while True:
        value = count()
        now = time.monotonic()
        if value != last_value:
            last_value, last_change, reached = value, now, now
        tgt = target()
        if tgt is not None and value >= tgt:
            return reached
        if now - last_change > timeout:
            return reached
        time.sleep(0.005)


def _raw_phase(url: str, hall: str, devices: int, publishers: int, seconds: float,
               window: int) -> dict[str, Any]:
    """A bare paho subscriber (auto-ack) counting QoS 1 messages."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.subscribeoptions import SubscribeOptions

    from hub.ingest.worker import parse_broker_url

    host, port, _, _ = parse_broker_url(url)
    got = [0]
    subscribed = threading.Event()
    sub = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                      client_id=f"{hall}-raw", protocol=mqtt.MQTTv5)
    sub.on_message = lambda *_a: got.__setitem__(0, got[0] + 1)
    sub.on_subscribe = lambda *_a: subscribed.set()
    sub.connect(host, port)
    sub.loop_start()
    sub.subscribe(subscription(Channel.EVT, hall=hall), options=SubscribeOptions(qos=1))
    subscribed.wait(10)
    load = _Load(url, hall, devices, publishers, seconds, window)
    t0 = load.start()
    sent: list[int] = []
    threading.Thread(target=lambda: sent.append(load.sent()), daemon=True).start()
    t_end = _wait_count(lambda: got[0], lambda: sent[0] if sent else None, 10.0 + seconds)
    sub.disconnect()
    sub.loop_stop()
    total = sent[0] if sent else load.sent()
    return {"sent": total, "received": got[0], "rate": got[0] / max(t_end - t0, 1e-9)}


def _ingest_phase(url: str, db_url: str, hall: str, devices: int, publishers: int,
                  seconds: float, window: int, batch_size: int, batch_ms: float
                  ) -> dict[str, Any]:
    """The hub's IngestWorker: validated, stored, acked after commit; counted in the DB."""
    from hub.db import make_engine, migrate
    from hub.events.tables import Event
    from hub.ingest.worker import IngestWorker

    engine = make_engine(db_url)
    migrate(engine)
    worker = IngestWorker(engine, url, client_id=f"{hall}-hub", batch_size=batch_size,
                          batch_ms=batch_ms).start()
    if not worker.wait_ready(10):
        raise RuntimeError("the ingest worker did not subscribe within 10 s")
    load = _Load(url, hall, devices, publishers, seconds, window)
    t0 = load.start()
    sent: list[int] = []
    threading.Thread(target=lambda: sent.append(load.sent()), daemon=True).start()

    def handled() -> int:
        snap = worker.stats.snapshot()
        return int(snap["stored"] + snap["duplicates"] + snap["dead_letters"])

    t_end = _wait_count(handled, lambda: sent[0] if sent else None, 10.0 + seconds)
    worker.stop()
    stats = worker.stats.snapshot()
    table = Event.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows, distinct = conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(table.c.event_id)))
            .where(table.c.hall == hall)).one()
    engine.dispose()
    total = sent[0] if sent else load.sent()
    return {"sent": total, "rows": int(rows), "distinct": int(distinct), "stats": stats,
            "rate": int(stats["stored"]) / max(t_end - t0, 1e-9)}


def run(devices: int = 20, seconds: float = 5.0, db_url: str | None = None,
        publishers: int = 2, window: int = 50, batch_size: int = 500,
        batch_ms: float = 50.0) -> dict[str, Any]:
    """Run both phases on one private broker; return the figures (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="hk-bench-ingest-") as tmp:
        work = Path(tmp)
        db = db_url or f"sqlite:///{work / 'hub.db'}"
        hall = f"bench-{uuid.uuid4().hex[:8]}"
        publishers = max(1, min(publishers, devices))
        with private_mosquitto(work / "broker") as url:
            raw = _raw_phase(url, hall, devices, publishers, seconds, window)
            ing = _ingest_phase(url, db, hall, devices, publishers, seconds, window,
                                batch_size, batch_ms)
    stats = ing["stats"]
    return {
        "bench": "ingest",
        "db": sa.make_url(db).get_backend_name(),
        "devices": devices,
        "seconds": seconds,
        "publishers": publishers,
        "batch_size": batch_size,
        "batch_ms": batch_ms,
        "raw_sent": raw["sent"],
        "raw_received": raw["received"],
        "raw_rate": round(raw["rate"], 1),
        "sent": ing["sent"],
        "stored": ing["distinct"],
        "rows": ing["rows"],
        "ingest_rate": round(ing["rate"], 1),
        "ratio": round(ing["rate"] / raw["rate"], 3) if raw["rate"] else None,
        "lost": ing["sent"] - ing["distinct"],
        "duplicates": int(stats["duplicates"]),
        "dead_letters": int(stats["dead_letters"]),
        "batches": int(stats["batches"]),
        "max_lag_ms": round(float(stats["max_lag_ms"]), 1),
    }
