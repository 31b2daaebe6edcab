"""One device's runtime: the DeviceContext its driver sees, publishing, heartbeat, and the
threads that carry the hub's config documents (edge/device_config.py) and commands
(edge/device_commands.py) to the driver.

Threads: the driver reports from its own threads (emit = durable outbox insert, then a wake-up);
one sender thread per device publishes queued rows in order (edge/sender.py: a fact leaves the
outbox only once the hub's acknowledgement covers it) and sends the heartbeat; one inbound
thread applies configs and carries out commands, acknowledging each message to the broker only
once it is dealt with.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from edge.clock import Clock
from edge.device_commands import CommandRunner
from edge.device_config import DeviceConfig
from edge.drivers import driver_class
from edge.drivers.base import Driver
from edge.faults import FaultCoalescer, FaultReport
from edge.health import HealthBoard, Problem
from edge.heartbeat import heartbeat_body
from edge.outbox import Alert, BuildPayload, Outbox
from edge.outbox_guard import OutboxGuard
from edge.sender import Sender
from edge.session import Received, Session
from edge.settings import AgentSettings
from models.ack import parse_ack
from models.envelope import MAX_EVENT_BYTES, make_envelope
from models.errors import ContractError
from models.events import DeviceFault, EventBody, EventType
from models.layout import Device, Hall
from models.topics import Channel, build_topic

logger = logging.getLogger(__name__)


class DeviceRuntime:
    """Runs one device: its driver, its MQTT session, and its share of the agent's outbox."""

    def __init__(
        self,
        hall: Hall,
        device: Device,
        settings: AgentSettings,
        outbox: Outbox,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.hall, self.device = hall.id, device.id
        self.tz = ZoneInfo(hall.timezone)
        self.window, self.seat = device.window, device.seat
        self.kind = device.kind
        self.settings, self.outbox = settings, outbox
        self.clock = clock or Clock(settings.clock_synced)
        self.driver_cls = driver_class(device.kind)
        self.config = DeviceConfig(hall.id, device, settings.data_dir)
        self.driver: Driver[Any] = self.driver_cls(self, self.config.initial)
        self.commands = CommandRunner(hall.id, device.id, self.driver, self.config, self.emit)
        self.health = HealthBoard()
        self._faults = FaultCoalescer(settings.fault_window_s)
        self._faults_lock = threading.Lock()
        self.guard = OutboxGuard(
            outbox, device.id, self.health, self._storage_report, hold_max=settings.held_facts_max
        )
        self._inbound: queue.Queue[Received | None] = queue.Queue()
        self.session = Session(
            self.hall,
            self.device,
            settings,
            on_message=self._receive,
            on_ready=self._wake_sender,
            on_published=self._published,
        )
        self.sender = Sender(
            self.device,
            outbox,
            self.session,
            inflight=settings.inflight,
            resend_after_s=settings.resend_after_s,
            resend_max_s=settings.resend_max_s,
        )
        self._evt_topic = build_topic(self.hall, self.device, Channel.EVT)
        self._hb_topic = build_topic(self.hall, self.device, Channel.HB)
        self._started = time.monotonic()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def config_version(self) -> int | None:
        """The version of the applied config document (None: the hall layout's settings)."""
        return self.config.version

    # ---- DeviceContext ---------------------------------------------------------------------

    def emit(self, body: EventBody, type: EventType | None = None) -> None:
        """Record a fact durably (outbox commit), then wake the sender."""
        self.emit_many([(body, type)])

    def emit_many(self, events: Sequence[tuple[EventBody, EventType | None]]) -> None:
        """Record several facts in one outbox transaction (one fsync; for simulators).

        An outbox that cannot be written does not raise into the driver's thread: the facts
        wait in memory and are written again with back-off (edge/outbox_guard.py).
        """
        synced = self.clock.state().synced
        self.guard.store([self._builder(b, t, synced) for b, t in events])
        self._wake.set()

    def _builder(self, body: EventBody, type: EventType | None, synced: bool) -> BuildPayload:
        ts = self.now()  # when it happened, even if the outbox takes it only later

        def build(seq: int) -> tuple[str, bytes]:
            env = make_envelope(
                hall=self.hall,
                device=self.device,
                seq=seq,
                ts=ts,
                synced=synced,
                body=body,
                type=type,
            )
            payload = env.to_json()
            if len(payload) > MAX_EVENT_BYTES:
                raise ContractError(f"{env.type.value} of {len(payload)} bytes is oversized")
            return self._evt_topic, payload

        return build

    def fault(
        self,
        code: str,
        message: str,
        *,
        active: bool = True,
        severity: Literal["warning", "error", "critical"] = "error",
    ) -> None:
        """Raise (or clear) a device fault (rule DEV-4); every heartbeat carries it while up.

        Repeats of one code within `fault_window_s` are one fact with a count (edge/faults.py).
        """
        if active:
            self.health.set(Problem(code, message[:500], severity))
        else:
            self.health.clear(code)
        with self._faults_lock:
            reports = self._faults.report(
                code, message[:500], severity, active, self.now(), time.monotonic()
            )
        self._emit_faults(reports)

    def _emit_faults(self, reports: list[FaultReport]) -> None:
        if reports:
            self.emit_many([(_fault_body(r), None) for r in reports])

    def _housekeeping(self) -> float | None:
        """Retry held facts, send due fault counts; seconds until the next is due (or None)."""
        self._guard(self.guard.retry)  # facts held while the outbox could not be written
        now = time.monotonic()
        with self._faults_lock:
            reports = self._faults.due(now)
            due = self._faults.next_due()
        self._emit_faults(reports)
        waits = [w for w in (self.guard.next_retry_in(now), due and due - now) if w is not None]
        return max(0.0, min(waits)) if waits else None

    def _storage_report(self, problem: Problem, active: bool) -> None:
        """The outbox cannot be written (or can again): a fault, kept in order with the facts."""
        self.fault(problem.code, problem.message, active=active, severity=problem.severity)

    def now(self) -> datetime:
        """The device's aware local time in the hall's time zone."""
        return datetime.now(self.tz)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> DeviceRuntime:
        """Start the driver, the MQTT session and the sender and inbound threads."""
        self._inbound = queue.Queue()
        self._stopping.clear()
        self.driver.start()  # may raise: then nothing of this device is left running
        self.outbox.add_listener(self._outbox_alert)
        for name, target in (("send", self._send_loop), ("inbound", self._inbound_loop)):
            thread = threading.Thread(target=target, name=f"{self.device}-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self.session.start()
        logger.info(
            "%s: %s started (config version %s)", self.device, self.kind, self.config_version
        )
        return self

    def stop(self) -> None:
        """Stop the driver, flush what can be flushed in a moment, and disconnect."""
        self.outbox.remove_listener(self._outbox_alert)
        try:
            self.driver.stop()
        except Exception:
            logger.exception("%s: driver did not stop cleanly", self.device)
        self._stopping.set()
        self._wake.set()
        self._inbound.put(None)
        for thread in self._threads:
            thread.join(5)
        self._threads.clear()
        self.session.stop()

    # ---- sending ---------------------------------------------------------------------------

    def heartbeat(self) -> None:
        """Queue a heartbeat (rule DEV-1): health, versions, outbox, clock, CPU temperature.

        `outbox_depth` / `outbox_capacity` are the agent's whole outbox, shared by the node's
        devices; the heartbeat's seq repeats the device's latest fact seq. `faults` are the
        device's problems now; when the outbox cannot be written the heartbeat goes straight
        to the broker (QoS 1, not kept), so the hub hears of it within one heartbeat.
        """
        clock = self.clock.state()

        def build(seq: int) -> tuple[str, bytes]:
            body = heartbeat_body(
                uptime_s=time.monotonic() - self._started,
                config_version=self.config.version,
                outbox_depth=self.outbox.depth() + self.guard.held,
                outbox_capacity=self.outbox.capacity,
                clock=clock,
                health=self.health,
                driver_status=self.driver.status(),
            )
            env = make_envelope(
                hall=self.hall,
                device=self.device,
                seq=seq,
                ts=self.now(),
                synced=clock.synced,
                body=body,
            )
            return self._hb_topic, env.to_json()

        if self.guard.store_heartbeat(build):
            self._wake.set()
        elif self.session.ready:
            topic, payload = build(self.guard.last_seq())
            self.session.publish(topic, payload, qos=1)

    def _receive(self, message: Received) -> None:
        if message.channel is Channel.ACK:  # the hub's acknowledgement: the sender applies it
            self._take_ack(message)
            return
        self._inbound.put(message)

    def _take_ack(self, message: Received) -> None:
        try:
            if message.payload:  # an empty retained message only clears the topic
                self.sender.acknowledged(parse_ack(message.payload).seq)
                self._wake.set()
        except ContractError as exc:
            logger.warning("%s: acknowledgement refused: %s", self.device, exc.reason)
        finally:
            self.session.ack(message)

    def _wake_sender(self) -> None:
        self._wake.set()

    def _published(self, mid: int, ok: bool) -> None:
        self.sender.published(mid, ok)
        self._wake.set()

    def _send_loop(self) -> None:
        """Publish queued rows in order (edge/sender.py); send heartbeats on time."""
        next_hb = time.monotonic()
        due = 0.0
        while not self._stopping.is_set():
            if time.monotonic() >= next_hb:
                next_hb = time.monotonic() + self.settings.heartbeat_s
                self._guard(self.heartbeat)
            due_in = self._housekeeping()
            wait_s = max(0.0, min(next_hb - time.monotonic(), due))
            self._wake.wait(wait_s if due_in is None else min(wait_s, due_in))
            self._wake.clear()
            try:
                due = self.sender.pump()
            except Exception:
                logger.exception("%s: sending failed", self.device)
                due = 1.0
        self._guard(self.sender.flush)

    def _guard(self, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            logger.exception("%s: %s failed", self.device, getattr(fn, "__name__", fn))

    def _outbox_alert(self, alert: Alert) -> None:
        """Outbox pressure: a fault fact, and on the health board every heartbeat carries."""
        if alert.active:
            self.health.set(Problem(alert.code, alert.message, alert.severity))
        else:
            self.health.clear(alert.code)
        self.fault(alert.code, alert.message, active=alert.active, severity=alert.severity)

    # ---- inbound: config and commands ------------------------------------------------------

    def _inbound_loop(self) -> None:
        while (message := self._inbound.get()) is not None:
            try:
                if message.channel is Channel.CFG and message.payload:
                    self.apply_config_payload(message.payload)
                elif message.channel is Channel.CMD:
                    self.run_command_payload(message.payload)
            except Exception:
                logger.exception("%s: %s message failed", self.device, message.channel.value)
            finally:
                self.session.ack(message)

    def apply_config_payload(self, payload: bytes) -> bool:
        """Validate and apply a config document (edge/device_config.py)."""
        return self.config.apply(payload, self.driver, self.emit)

    def run_command_payload(self, payload: bytes) -> bool:
        """Carry out a command and report its CommandResult (edge/device_commands.py)."""
        return self.commands.run(payload)


def _fault_body(r: FaultReport) -> DeviceFault:
    return DeviceFault(
        code=r.code,
        message=r.message,
        severity=r.severity,
        active=r.active,
        count=r.count,
        first_at=r.first_at,
        last_at=r.last_at,
    )
