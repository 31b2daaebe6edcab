"""The demo broker's state: sessions (subscriptions, QoS 1 inflight, offline queue), retained
messages, and routing (plain and shared subscriptions). No I/O: a session sends through an
`Outlet` (the live connection) when it has one.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from hub.demo.minibroker.packets import Publish, SubOptions
from hub.demo.minibroker.topics import matches, split_shared
from hub.demo.minibroker.wire import Properties

logger = logging.getLogger(__name__)

MAX_INFLIGHT = 1000
"""QoS 1 messages sent and not yet acknowledged per session, at most (and within the client's
Receive Maximum)."""
MAX_QUEUED = 100_000
"""QoS 1 messages kept per session beyond its inflight window; the oldest go first."""
NEVER_EXPIRES = 0xFFFFFFFF


class Outlet(Protocol):
    """Where a session's packets go while its client is connected."""

    def send(self, packet: Publish) -> None:
        """Write one PUBLISH to the client."""


@dataclass(frozen=True)
class Message:
    """An application message as published (the broker's copy)."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Properties = field(default_factory=dict)


@dataclass(frozen=True)
class Subscription:
    """One subscription of a session, keyed by its full filter (with `$share/g/` if shared)."""

    full_filter: str
    topic_filter: str
    group: str | None
    options: SubOptions


def _forwarded(props: Properties) -> Properties:
    """The properties passed on to subscribers (no topic alias or subscription ids)."""
    return {k: v for k, v in props.items() if k not in (0x23, 0x0B)}


class Session:
    """One client id's session: subscriptions, QoS 1 inflight awaiting PUBACK, queued messages."""

    def __init__(self, client_id: str, max_queued: int = MAX_QUEUED) -> None:
        self.client_id = client_id
        self.expiry_s = 0
        self.expires_at: float | None = None
        self.subscriptions: dict[str, Subscription] = {}
        self.inflight: OrderedDict[int, Publish] = OrderedDict()
        self.queue: deque[tuple[Message, int, bool]] = deque()
        self.max_queued = max_queued
        self.dropped = 0
        self.receive_maximum = 65535
        self.outlet: Outlet | None = None
        self._next_id = 0

    @property
    def online(self) -> bool:
        """A client is connected to this session."""
        return self.outlet is not None

    def _packet_id(self) -> int:
        for _ in range(65535):
            self._next_id = self._next_id % 65535 + 1
            if self._next_id not in self.inflight:
                return self._next_id
        raise RuntimeError("no free packet id")  # unreachable: inflight <= 65535 - 1

    def deliver(self, msg: Message, qos: int, retain: bool) -> None:
        """Send now (QoS 0 online; QoS 1 within Receive Maximum) or queue (QoS 1)."""
        if qos == 0:
            if self.outlet is not None:
                self.outlet.send(
                    Publish(
                        msg.topic, msg.payload, 0, retain, properties=_forwarded(msg.properties)
                    )
                )
            return
        if self.outlet is not None and not self.queue and len(self.inflight) < self.receive_maximum:
            self._send_qos1(msg, retain)
            return
        if len(self.queue) >= self.max_queued:
            self.queue.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning(
                    "session %s: queue full (%d); dropped the oldest message (%d dropped so far)",
                    self.client_id,
                    self.max_queued,
                    self.dropped,
                )
        self.queue.append((msg, qos, retain))

    def _send_qos1(self, msg: Message, retain: bool) -> None:
        pid = self._packet_id()
        packet = Publish(msg.topic, msg.payload, 1, retain, False, pid, _forwarded(msg.properties))
        self.inflight[pid] = packet
        assert self.outlet is not None
        self.outlet.send(packet)

    def acked(self, packet_id: int) -> bool:
        """A PUBACK arrived: forget the message and send the next queued ones."""
        found = self.inflight.pop(packet_id, None) is not None
        self.pump()
        return found

    def pump(self) -> None:
        """Send queued messages while the client's Receive Maximum allows."""
        while self.outlet is not None and self.queue and len(self.inflight) < self.receive_maximum:
            msg, _, retain = self.queue.popleft()
            self._send_qos1(msg, retain)

    def attach(self, outlet: Outlet, receive_maximum: int) -> None:
        """A client (re)connected: resend unacknowledged messages (DUP), then the queue."""
        self.outlet = outlet
        self.receive_maximum = max(1, min(receive_maximum, MAX_INFLIGHT))
        self.expires_at = None
        for pid, packet in list(self.inflight.items()):
            packet.dup = True
            outlet.send(packet)
            self.inflight[pid] = packet
        self.pump()

    def detach(self, now: float) -> None:
        """The client went away: keep state until the session expiry interval has passed."""
        self.outlet = None
        if self.expiry_s != NEVER_EXPIRES:
            self.expires_at = now + self.expiry_s


class BrokerState:
    """Every session, the retained messages, and how a published message is routed."""

    def __init__(self, max_queued: int = MAX_QUEUED) -> None:
        self.sessions: dict[str, Session] = {}
        self.retained: dict[str, Message] = {}
        self.max_queued = max_queued
        self._turn: dict[tuple[str, str], int] = {}

    def session(self, client_id: str, clean_start: bool) -> tuple[Session, bool]:
        """The session for a CONNECT: (session, session present)."""
        old = self.sessions.get(client_id)
        if old is not None and not clean_start:
            return old, True
        fresh = Session(client_id, self.max_queued)
        self.sessions[client_id] = fresh
        return fresh, False

    def drop(self, session: Session) -> None:
        """Forget a session (if it is still the one registered for its client id)."""
        if self.sessions.get(session.client_id) is session:
            del self.sessions[session.client_id]

    def expire(self, now: float | None = None) -> list[str]:
        """Forget offline sessions whose expiry interval has passed; their client ids."""
        now = time.monotonic() if now is None else now
        gone = [
            cid
            for cid, s in self.sessions.items()
            if not s.online and s.expires_at is not None and s.expires_at <= now
        ]
        for cid in gone:
            del self.sessions[cid]
        return gone

    def retain(self, msg: Message) -> None:
        """Keep the last retained message per topic; an empty payload clears it."""
        if msg.payload:
            self.retained[msg.topic] = msg
        else:
            self.retained.pop(msg.topic, None)

    def retained_for(self, topic_filter: str) -> Iterator[Message]:
        """Retained messages matching a (non-shared) filter."""
        for topic, msg in list(self.retained.items()):
            if matches(topic_filter, topic):
                yield msg

    def publish(self, msg: Message, sender: str | None = None) -> int:
        """Store if retained, then deliver to every matching session once and to one member
        of every matching share group; the number of sessions it went to."""
        if msg.retain:
            self.retain(msg)
        plain: dict[Session, tuple[int, bool]] = {}
        groups: dict[tuple[str, str], list[tuple[Session, Subscription]]] = {}
        for session in self.sessions.values():
            for sub in session.subscriptions.values():
                if not matches(sub.topic_filter, msg.topic):
                    continue
                if sub.group is not None:
                    groups.setdefault((sub.group, sub.topic_filter), []).append((session, sub))
                    continue
                if sub.options.no_local and session.client_id == sender:
                    continue
                qos = min(msg.qos, sub.options.qos)
                keep = msg.retain and sub.options.retain_as_published
                was = plain.get(session, (0, False))
                plain[session] = (max(qos, was[0]), keep or was[1])
        for session, (qos, keep) in plain.items():
            session.deliver(msg, qos, keep)
        for key, members in groups.items():
            session, sub = self._pick(key, members)
            session.deliver(msg, min(msg.qos, sub.options.qos), False)
        return len(plain) + len(groups)

    def _pick(
        self, key: tuple[str, str], members: list[tuple[Session, Subscription]]
    ) -> tuple[Session, Subscription]:
        """Round robin among the connected members; the offline ones only if none is."""
        members.sort(key=lambda m: m[0].client_id)
        online = [m for m in members if m[0].online] or members
        turn = self._turn.get(key, 0)
        self._turn[key] = turn + 1
        return online[turn % len(online)]


def make_subscription(full_filter: str, options: SubOptions) -> Subscription:
    """A Subscription from a SUBSCRIBE entry (QoS capped at 1); ValueError if the filter is bad."""
    group, inner = split_shared(full_filter)
    capped = SubOptions(
        min(options.qos, 1), options.no_local, options.retain_as_published, options.retain_handling
    )
    return Subscription(full_filter, inner, group, capped)
