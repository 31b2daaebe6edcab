"""One device's runtime: the DeviceContext its driver sees, publishing, heartbeat, config, commands.

Threads: the driver reports from its own threads (emit = durable outbox insert, then a wake-up);
one sender thread per device publishes queued rows in order (edge/sender.py: a fact leaves the
outbox only once the hub's acknowledgement covers it) and sends the heartbeat; one inbound
thread applies configs and carries out commands, acknowledging each message to the broker only
once it is dealt with.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError

import edge
from edge.clock import Clock, read_cpu_temp
from edge.drivers import driver_class
from edge.drivers.base import CommandOutcome, Driver
from edge.faults import FaultCoalescer, FaultReport
from edge.health import HealthBoard, Problem
from edge.outbox import Alert, BuildPayload, Outbox
from edge.outbox_guard import OutboxGuard
from edge.sender import Sender
from edge.session import Received, Session
from edge.settings import AgentSettings
from models import CONTRACT_VERSION
from models.ack import parse_ack
from models.commands import Command, CommandType, parse_command
from models.config import ConfigDocument, parse_config
from models.devices import DeviceConfigBase
from models.envelope import MAX_EVENT_BYTES, make_envelope
from models.errors import ContractError
from models.events import (
    MAX_HEALTH_NOTES,
    CommandResult,
    ConfigApplied,
    ConfigRejected,
    DeviceFault,
    EventBody,
    EventType,
    HealthNote,
    Heartbeat,
)
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
        self._config_file = config_path(settings.data_dir, device.id)
        self.config_version, config = self._initial_config(device)
        self.driver: Driver[Any] = self.driver_cls(self, config)
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
        self._rejected_version: int | None = None
        self._done_commands: OrderedDict[str, None] = OrderedDict()
        self._threads: list[threading.Thread] = []

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
            problems = self.health.problems()[:MAX_HEALTH_NOTES]
            body = Heartbeat(
                uptime_s=round(time.monotonic() - self._started, 3),
                agent_version=edge.__version__,
                contract_version=CONTRACT_VERSION,
                config_version=self.config_version,
                outbox_depth=self.outbox.depth() + self.guard.held,
                outbox_capacity=self.outbox.capacity,
                clock_offset_ms=clock.offset_ms,
                clock_synced=clock.synced,
                cpu_temp_c=read_cpu_temp(),
                driver_status=self.health.status(self.driver.status())[:64],
                faults=tuple(
                    HealthNote(code=p.code, message=p.message, severity=p.severity)
                    for p in problems
                ),
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
        """Validate and apply a config document; report ConfigApplied or ConfigRejected."""
        try:
            doc = parse_config(payload)
        except ContractError as exc:
            return self._reject(_peek(payload, "version", 0), exc.reason)
        if (doc.hall, doc.device, doc.kind) != (self.hall, self.device, self.kind):
            return self._reject(
                doc.version,
                f"config is for {doc.hall}/{doc.device} "
                f"({doc.kind}), not {self.hall}/{self.device} ({self.kind})",
            )
        if doc.version == self.config_version or doc.version == self._rejected_version:
            return doc.version == self.config_version  # a retained copy seen again
        if self.config_version is not None and doc.version < self.config_version:
            return self._reject(
                doc.version, f"older than the applied version {self.config_version}"
            )
        config = doc.settings  # validated by its kind's model (models/devices/) in parse_config
        old = self.driver.config
        if config != old:  # the same settings need no restart: the port stays open, no byte lost
            try:
                self.driver.apply_config(config)
            except Exception as exc:
                logger.exception("%s: applying config %s failed", self.device, doc.version)
                self._guard(self.driver.apply_config, old)
                return self._reject(doc.version, f"driver could not apply it: {exc}")
        self._persist(doc)
        self.config_version = doc.version
        self.emit(ConfigApplied(version=doc.version))
        logger.info("%s: config version %s applied", self.device, doc.version)
        return True

    def _reject(self, version: int, reason: str) -> bool:
        logger.warning("%s: config version %s rejected: %s", self.device, version, reason)
        self._rejected_version = version
        self.emit(ConfigRejected(version=max(0, version), reason=reason[:500]))
        return False

    def run_command_payload(self, payload: bytes) -> bool:
        """Parse and carry out a command; always report a CommandResult, never raise."""
        try:
            command = parse_command(payload)
        except ContractError as exc:
            command_id = str(_peek(payload, "id", "unknown"))[:64] or "unknown"
            return self._result(command_id, CommandOutcome(False, f"bad command: {exc.reason}"))
        if (command.hall, command.device) != (self.hall, self.device):
            return self._result(
                command.id, CommandOutcome(False, f"command is for {command.hall}/{command.device}")
            )
        if command.id in self._done_commands:
            logger.info("%s: command %s already carried out", self.device, command.id)
            return True
        outcome = self._carry_out(command)
        self._done_commands[command.id] = None
        while len(self._done_commands) > 1000:
            self._done_commands.popitem(last=False)
        return self._result(command.id, outcome)

    def _carry_out(self, command: Command) -> CommandOutcome:
        try:
            if command.type is CommandType.RELOAD_CONFIG:
                self.driver.apply_config(self.driver.config)
                return CommandOutcome(True, f"config version {self.config_version} re-applied")
            return self.driver.handle(command)
        except Exception as exc:
            logger.exception("%s: command %s failed", self.device, command.type.value)
            return CommandOutcome(False, f"driver error: {exc}")

    def _result(self, command_id: str, outcome: CommandOutcome) -> bool:
        self.emit(CommandResult(command_id=command_id, ok=outcome.ok, detail=outcome.detail[:500]))
        return outcome.ok

    # ---- the applied config, kept across restarts ------------------------------------------

    def _initial_config(self, device: Device) -> tuple[int | None, DeviceConfigBase]:
        """The last applied config document if there is a valid one, else the layout's."""
        try:
            doc = ConfigDocument.model_validate_json(self._config_file.read_bytes())
            if doc.kind != device.kind:
                raise ValueError(f"it is for a {doc.kind}, not a {device.kind}")
            return doc.version, doc.settings
        except FileNotFoundError:
            pass
        except (ValidationError, ValueError) as exc:
            logger.warning("%s: ignoring saved config %s: %s", device.id, self._config_file, exc)
        return None, device.settings

    def _persist(self, doc: ConfigDocument) -> None:
        """Write the applied document atomically (temp file, fsync, rename)."""
        self._config_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._config_file.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(doc.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._config_file)


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


def _peek(payload: bytes, key: str, default: Any) -> Any:
    """A field of a JSON object that failed validation, to say which message was refused."""
    try:
        value = json.loads(payload).get(key, default)
    except (ValueError, AttributeError):
        return default
    return value if isinstance(value, type(default)) else default


def config_path(data_dir: Path, device: str) -> Path:
    """Where a device's applied config document is kept."""
    return data_dir / "config" / f"{device}.json"
