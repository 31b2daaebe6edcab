"""Ingest benchmark: raw paho QoS 1 receive rate vs the hub's ingest rate, under the same load.

One run starts its own Mosquitto, then twice drives it with N simulated devices (spread over
a few publisher processes, so publishing does not take the subscriber's GIL) sending valid
QoS 1 envelopes of realistic event types for S seconds, as fast as the broker acknowledges:

a) a bare paho subscriber (auto-ack) only counts what arrives: `raw_rate`;
b) the hub's IngestWorker validates, stores (batched, idempotent) and acks after commit:
   `ingest_rate`, counted as each batch is committed (and, at the end, in the database).

Both rates are the messages a consumer handled (received (a); committed and acknowledged
(b)) while the publishers were publishing, over those S seconds: its throughput under the
load. `*_rate_to_last` divide every message sent by the time until the last one was handled
(for the hub that adds its batching latency, a few hundred milliseconds, to a 5 s phase).
A run has three rounds by default, alternating which consumer goes first; the median round
is reported (`run_rounds`). `lost` = sent (PUBACKed to the publishers) - distinct rows
stored; `duplicates` = messages that reached the store but were dropped by the unique event
id (redeliveries); the table itself cannot hold a duplicate.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import resource
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.bench import private_mosquitto
from models.broker import BrokerSettings
from models.events import EventType
from models.ids import new_event_id
from models.topics import Channel, build_topic, subscription

logger = logging.getLogger(__name__)

_BODIES: list[tuple[EventType, str]] = [
    (
        EventType.PUNCH,
        '{"staff_id":"S%03d","distance":0.41,'
        '"liveness":{"passed":true,"blink":true,"motion":0.8,"method":"ear"}}',
    ),
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


def _publish_devices(
    url: str,
    hall: str,
    first: int,
    count: int,
    seconds: float,
    window: int,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """Publisher process: `count` device clients publish QoS 1 for `seconds`; report acks.

    It runs at a lower CPU priority (nice 10): the devices are other machines in a real hall,
    so on a small benchmark host the receiving side gets the CPU first.
    """
    import paho.mqtt.client as mqtt

    os.nice(10)
    broker = BrokerSettings.of(url)
    host, port = broker.host, broker.port
    clients: list[tuple[Any, str, str, int, list[int]]] = []
    for i in range(first, first + count):
        device = f"dev-{i:04d}"
        acked = [0]
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"{hall}-{device}",
            protocol=mqtt.MQTTv5,
        )
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
    while time.monotonic() < settle and any(
        s > c[4][0] for s, c in zip(seqs, clients, strict=True)
    ):
        time.sleep(0.01)
    results.put(sum(c[4][0] for c in clients))
    for client, *_ in clients:
        client.disconnect()
        client.loop_stop()


class _Load:
    """The publisher processes of one phase: started, released together, joined."""

    def __init__(
        self, url: str, hall: str, devices: int, publishers: int, seconds: float, window: int
    ) -> None:
        ctx = mp.get_context("spawn")
        self.ready, self.results, self.go = ctx.Queue(), ctx.Queue(), ctx.Event()
        per = [
            devices // publishers + (1 if k < devices % publishers else 0)
            for k in range(publishers)
        ]
        starts = [sum(per[:k]) for k in range(publishers)]
        self.procs = [
            ctx.Process(
                target=_publish_devices,
                daemon=True,
                args=(url, hall, s, n, seconds, window, self.ready, self.go, self.results),
            )
            for s, n in zip(starts, per, strict=True)
            if n
        ]

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


def _cpu() -> tuple[float, float]:
    """CPU seconds used by this process, and by its children that have been joined."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _connect_props(expiry: int) -> Any:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = expiry
    return props


def _end_session(url: str, client_id: str) -> None:
    """Connect as `client_id` with a clean start and no expiry, then leave: the broker drops
    the session, so it stops queueing the next phases' messages for a consumer that is done
    (work that would slow the other consumer's phases)."""
    import paho.mqtt.client as mqtt

    broker = BrokerSettings.of(url)
    host, port = broker.host, broker.port
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
    )
    connected = threading.Event()
    client.on_connect = lambda *_a: connected.set()
    client.connect(host, port, clean_start=True, properties=_connect_props(0))
    client.loop_start()
    connected.wait(10)
    client.disconnect()
    client.loop_stop()


class _RawSubscriber:
    """A bare paho subscriber: auto-ack, counts messages, persistent session."""

    def __init__(self, url: str, hall: str) -> None:
        import paho.mqtt.client as mqtt

        broker = BrokerSettings.of(url)
        self.host, self.port = broker.host, broker.port
        self.hall = hall
        self.client_id = f"{hall}-raw"
        self.count = 0
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
        )
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *_a: self.subscribed.set()

    def _on_message(self, *_args: Any) -> None:
        self.count += 1

    def start(self) -> None:
        """Connect (resuming the session) and subscribe."""
        from paho.mqtt.subscribeoptions import SubscribeOptions

        self.client.connect(
            self.host, self.port, clean_start=False, properties=_connect_props(3600)
        )
        self.client.loop_start()
        self.client.subscribe(
            subscription(Channel.EVT, hall=self.hall), options=SubscribeOptions(qos=1)
        )
        if not self.subscribed.wait(10):
            raise RuntimeError("the raw subscriber did not subscribe within 10 s")

    def stop(self) -> None:
        """Disconnect, keeping the session (messages queue for it)."""
        self.client.disconnect()
        self.client.loop_stop()


@dataclass(frozen=True)
class Phase:
    """What one consumer did in one phase."""

    sent: int
    """Messages the publishers had acknowledged by the broker (live) or waiting (drain)."""
    to_last_s: float
    """Seconds from the start until the last of them was handled."""
    in_window: int | None = None
    """Live only: messages handled while the publishers were publishing (`seconds`)."""


def _measure(start: Any, count: Any, load: _Load | None, sent: int | None, seconds: float) -> Phase:
    """Run one phase and time it.

    Live (`load` given): the consumer runs while the publishers do; the clock starts when
    they are released, and the count is also read when they stop publishing. Drain (`sent`
    given): the messages already wait in the broker; the clock starts when the consumer
    connects.
    """
    if load is not None:
        t0 = load.start()
        box: list[int] = []
        window: list[int] = []
        threading.Thread(target=lambda: box.append(load.sent()), daemon=True).start()
        threading.Timer(seconds, lambda: window.append(count())).start()
        t_end = _wait_count(count, lambda: box[0] if box else None, 10.0 + seconds)
        while not box or not window:
            time.sleep(0.05)
        return Phase(box[0], t_end - t0, window[0])
    t0 = time.monotonic()
    start()
    t_end = _wait_count(count, lambda: sent, 10.0 + seconds)
    return Phase(int(sent or 0), t_end - t0)


def _backlog(
    url: str, hall: str, devices: int, publishers: int, seconds: float, window: int
) -> int:
    """Publish for `seconds` while the consumer is away; the messages queue in its session."""
    load = _Load(url, hall, devices, publishers, seconds, window)
    load.start()
    return load.sent()


def run(
    devices: int = 20,
    seconds: float = 5.0,
    db_url: str | None = None,
    publishers: int = 2,
    window: int = 50,
    batch_size: int = 500,
    batch_ms: float = 50.0,
    writer: str = "auto",
    hub_first: bool = False,
) -> dict[str, Any]:
    """Run the raw and the ingest consumer, live and from a backlog; return the figures."""
    from hub.db import make_engine, migrate
    from hub.events.queries import count_events
    from hub.ingest.worker import IngestWorker
    from hub.ingest.writer import resolve_writer

    with tempfile.TemporaryDirectory(prefix="hk-bench-ingest-") as tmp:
        work = Path(tmp)
        db = db_url or f"sqlite:///{work / 'hub.db'}"
        hall = f"bench-{uuid.uuid4().hex[:8]}"
        publishers = max(1, min(publishers, devices))
        shape = (devices, publishers, seconds, window)
        engine = make_engine(db)
        migrate(engine)
        with private_mosquitto(work / "broker") as url:
            raw = _RawSubscriber(url, hall)

            def raw_phases() -> tuple[Phase, Phase, int, float]:
                """The bare subscriber: live, then draining a backlog (same session)."""
                raw.start()
                live = _measure(
                    raw.start, lambda: raw.count, _Load(url, hall, *shape), None, seconds
                )
                raw.stop()
                backlog = _backlog(url, hall, *shape)
                before = raw.count
                own0, _ = _cpu()
                drain = _measure(raw.start, lambda: raw.count - before, None, backlog, seconds)
                cpu = _cpu()[0] - own0
                raw.stop()
                _end_session(url, raw.client_id)
                return live, drain, raw.count - before, cpu

            def new_worker() -> IngestWorker:
                """The hub's ingest, same session for the live and the drain phase."""
                return IngestWorker(
                    engine,
                    url,
                    client_id=f"{hall}-hub",
                    batch_size=batch_size,
                    batch_ms=batch_ms,
                    writer=resolve_writer(writer, engine.url),
                )

            def handled(w: IngestWorker) -> int:
                """Messages the worker has committed (new, duplicate or dead letter)."""
                snap = w.stats.snapshot()
                return int(snap["stored"] + snap["duplicates"] + snap["dead_letters"])

            def hub_phases() -> tuple[IngestWorker, Phase, IngestWorker, Phase, float, float]:
                """The hub's ingest: live, then draining a backlog (same session)."""
                live = new_worker().start()
                if not live.wait_ready(10):
                    raise RuntimeError("the ingest worker did not subscribe within 10 s")
                live_phase = _measure(
                    None, lambda: handled(live), _Load(url, hall, *shape), None, seconds
                )
                live.stop()
                backlog = _backlog(url, hall, *shape)
                drain = new_worker()
                own0, children0 = _cpu()
                drain_phase = _measure(drain.start, lambda: handled(drain), None, backlog, seconds)
                own_cpu = _cpu()[0] - own0
                drain.stop()  # joins a writer process, so its CPU time is counted below
                cpu = own_cpu + _cpu()[1] - children0
                _end_session(url, drain.client_id)
                return live, live_phase, drain, drain_phase, cpu, own_cpu

            # Alternate which consumer goes first from round to round (ABBA), so a host that
            # speeds up or slows down during a run favours neither.
            if hub_first:
                live, ing_live, drain, ing_drain, ing_cpu, own_cpu = hub_phases()
                raw_live, raw_drain, raw_drained, raw_cpu = raw_phases()
            else:
                raw_live, raw_drain, raw_drained, raw_cpu = raw_phases()
                live, ing_live, drain, ing_drain, ing_cpu, own_cpu = hub_phases()
        rows, distinct = count_events(engine, hall=hall)
        engine.dispose()
    live_stats, drain_stats = live.stats.snapshot(), drain.stats.snapshot()
    sent = ing_live.sent + ing_drain.sent
    raw_rate = (raw_live.in_window or 0) / seconds
    ingest_rate = (ing_live.in_window or 0) / seconds
    raw_rate_to_last = raw_live.sent / raw_live.to_last_s
    ingest_rate_to_last = live_stats["stored"] / ing_live.to_last_s
    raw_drain_rate = raw_drained / raw_drain.to_last_s
    ingest_drain_rate = drain_stats["stored"] / ing_drain.to_last_s
    return {
        "bench": "ingest",
        "db": sa.make_url(db).get_backend_name(),
        "devices": devices,
        "seconds": seconds,
        "publishers": publishers,
        "batch_size": batch_size,
        "batch_ms": batch_ms,
        "writer": live.writer_mode,
        "raw_rate": round(raw_rate, 1),
        "ingest_rate": round(ingest_rate, 1),
        "ratio": round(ingest_rate / raw_rate, 3) if raw_rate else None,
        "raw_rate_to_last": round(raw_rate_to_last, 1),
        "ingest_rate_to_last": round(ingest_rate_to_last, 1),
        "ratio_to_last": round(ingest_rate_to_last / raw_rate_to_last, 3),
        "drain_raw_rate": round(raw_drain_rate, 1),
        "drain_ingest_rate": round(ingest_drain_rate, 1),
        "drain_ratio": round(ingest_drain_rate / raw_drain_rate, 3) if raw_drain_rate else None,
        "drain_raw_cpu_us": round(raw_cpu * 1e6 / max(raw_drained, 1), 1),
        "drain_ingest_cpu_us": round(ing_cpu * 1e6 / max(drain_stats["stored"], 1), 1),
        "drain_ingest_main_cpu_us": round(own_cpu * 1e6 / max(drain_stats["stored"], 1), 1),
        "cpu_ratio": round(raw_cpu / max(raw_drained, 1) / (ing_cpu / drain_stats["stored"]), 3)
        if ing_cpu and drain_stats["stored"]
        else None,
        "raw_sent": raw_live.sent + raw_drain.sent,
        "raw_received": raw.count,
        "sent": sent,
        "stored": distinct,
        "rows": rows,
        "lost": sent - distinct,
        "duplicates": int(live_stats["duplicates"] + drain_stats["duplicates"]),
        "dead_letters": int(live_stats["dead_letters"] + drain_stats["dead_letters"]),
        "batches": int(live_stats["batches"] + drain_stats["batches"]),
        "max_lag_ms": round(max(live_stats["max_lag_ms"], drain_stats["max_lag_ms"]), 1),
    }


COUNT_FIELDS = (
    "raw_sent",
    "raw_received",
    "sent",
    "stored",
    "rows",
    "lost",
    "duplicates",
    "dead_letters",
    "batches",
)
"""The figures of a run that are counts: `run_rounds` adds them up over its rounds."""


def run_rounds(rounds: int = 3, **options: Any) -> dict[str, Any]:
    """Run `rounds` times; report the median round (by ratio) and the totals of every round.

    Each round compares the raw subscriber and the hub within seconds of each other (every
    other round the hub goes first), so its ratio is the same-run comparison; on a shared
    host whole rounds still run faster or slower, and the median round is the one least
    moved by that. Its rates, ratios and CPU figures are reported; the counts (sent, stored,
    lost, duplicates, ...) add up all rounds.
    """
    results = [run(**options, hub_first=k % 2 == 1) for k in range(max(1, rounds))]
    if len(results) == 1:
        return results[0]
    by_ratio = sorted(results, key=lambda r: r["ratio"] or 0.0)
    report = dict(by_ratio[(len(by_ratio) - 1) // 2])
    for key in COUNT_FIELDS:
        report[key] = sum(r[key] for r in results)
    report["max_lag_ms"] = max(r["max_lag_ms"] for r in results)
    report["rounds"] = len(results)
    report["round_ratios"] = [r["ratio"] for r in results]
    report["round_drain_ratios"] = [r["drain_ratio"] for r in results]
    return report
