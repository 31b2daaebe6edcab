"""The demo broker's asyncio TCP server: one task per client connection, state in BrokerState.

NOT FOR PRODUCTION: no authentication (any username/password is accepted), no TLS, no
persistence (sessions and retained messages live in memory and die with the process), no QoS 2.
It exists so that `hallkeeper demo` runs where mosquitto is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid

from hub.demo.minibroker.packets import (
    Auth,
    Connack,
    Connect,
    Disconnect,
    Packet,
    PacketType,
    Pingreq,
    Pingresp,
    Puback,
    Publish,
    Suback,
    Subscribe,
    Unsuback,
    Unsubscribe,
    UnsupportedProtocol,
    Will,
    decode,
    encode,
)
from hub.demo.minibroker.session import BrokerState, Message, Session, make_subscription
from hub.demo.minibroker.topics import valid_filter, valid_topic_name
from hub.demo.minibroker.wire import (
    ASSIGNED_CLIENT_ID,
    MAXIMUM_PACKET_SIZE,
    MAXIMUM_QOS,
    RECEIVE_MAXIMUM,
    RETAIN_AVAILABLE,
    SESSION_EXPIRY,
    SHARED_SUB_AVAILABLE,
    SUB_ID_AVAILABLE,
    TOPIC_ALIAS,
    WILDCARD_SUB_AVAILABLE,
    MalformedPacket,
    Reason,
)

logger = logging.getLogger(__name__)

MAX_PACKET = 16 * 1024 * 1024
"""Largest packet accepted (advertised in CONNACK)."""
CONNECT_TIMEOUT_S = 10.0
V311_REFUSED = b"\x20\x02\x00\x01"
"""A 3.1.1 CONNACK 'unacceptable protocol version', for clients that do not speak v5."""


class _Connection:
    """One client's network connection; an Outlet for its session while it is attached."""

    def __init__(
        self, broker: EmbeddedBroker, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.broker, self.reader, self.writer = broker, reader, writer
        self.client_id = ""
        self.session: Session | None = None
        self.will: Will | None = None
        self.finished = False

    # -- Outlet ----------------------------------------------------------------------------

    def send(self, packet: Packet) -> None:
        """Write one packet (buffered by the transport)."""
        if not self.finished:
            self.writer.write(encode(packet))

    # -- life ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until it ends; publish the will unless it ended cleanly."""
        clean = False
        try:
            clean = await self._serve()
        except UnsupportedProtocol as exc:
            logger.info("minibroker: refused a client speaking protocol level %d", exc.level)
            self.writer.write(V311_REFUSED)
        except MalformedPacket as exc:
            logger.info("minibroker: %s: %s; disconnecting", self.client_id or "client", exc)
            if self.session is not None:
                self.send(Disconnect(exc.reason))
            else:
                self.send(Connack(reason=exc.reason))
        except TimeoutError:
            logger.info("minibroker: %s: keepalive timed out", self.client_id or "client")
            if self.session is not None:
                self.send(Disconnect(Reason.KEEP_ALIVE_TIMEOUT))
        except (asyncio.IncompleteReadError, ConnectionError):
            logger.debug("minibroker: %s: connection lost", self.client_id or "client")
        finally:
            self.finish(publish_will=not clean)

    def finish(self, publish_will: bool) -> None:
        """Close the socket, detach (or end) the session, publish the will if asked."""
        if self.finished:
            return
        self.finished = True
        with contextlib.suppress(Exception):
            self.writer.close()
        state = self.broker.state
        session = self.session
        if session is not None and session.outlet is self:
            if self.broker.connections.get(self.client_id) is self:
                del self.broker.connections[self.client_id]
            session.detach(time.monotonic())
            if session.expiry_s == 0:
                state.drop(session)
        if publish_will and self.will is not None and self.session is not None:
            w = self.will
            state.publish(
                Message(w.topic, w.payload, w.qos, w.retain, w.properties), self.client_id
            )

    def take_over(self) -> None:
        """Another connection with the same client id arrived: tell this one, close it."""
        logger.info("minibroker: %s: session taken over by a new connection", self.client_id)
        self.send(Disconnect(Reason.SESSION_TAKEN_OVER))
        self.finish(publish_will=True)

    async def _read(self) -> Packet:
        first = (await self.reader.readexactly(1))[0]
        length, mult = 0, 1
        for _ in range(4):
            byte = (await self.reader.readexactly(1))[0]
            length += (byte & 0x7F) * mult
            if not byte & 0x80:
                break
            mult *= 128
        else:
            raise MalformedPacket("remaining length longer than 4 bytes")
        if length > MAX_PACKET:
            raise MalformedPacket(f"packet of {length} bytes", Reason.PACKET_TOO_LARGE)
        return decode(first, await self.reader.readexactly(length))

    async def _serve(self) -> bool:
        """The packet loop; True when the client ended with a normal DISCONNECT."""
        first = await asyncio.wait_for(self._read(), CONNECT_TIMEOUT_S)
        if not isinstance(first, Connect):
            raise MalformedPacket("first packet is not CONNECT", Reason.PROTOCOL_ERROR)
        keepalive = self._connect(first)
        if keepalive is None:
            return True
        timeout = keepalive * 1.5 if keepalive else None
        while True:
            packet = await asyncio.wait_for(self._read(), timeout)
            if isinstance(packet, Disconnect):
                assert self.session is not None
                if SESSION_EXPIRY in packet.properties:
                    self.session.expiry_s = packet.properties[SESSION_EXPIRY]
                return packet.reason != Reason.DISCONNECT_WITH_WILL
            self._handle(packet)

    def _connect(self, p: Connect) -> int | None:
        """Set up the session and answer CONNACK; the keepalive, or None if refused."""
        if p.will is not None and (p.will.qos > 1 or not valid_topic_name(p.will.topic)):
            reason = Reason.QOS_NOT_SUPPORTED if p.will.qos > 1 else Reason.TOPIC_NAME_INVALID
            self.send(Connack(reason=reason))
            return None
        props: dict[int, object] = {
            MAXIMUM_QOS: 1,
            RETAIN_AVAILABLE: 1,
            WILDCARD_SUB_AVAILABLE: 1,
            SHARED_SUB_AVAILABLE: 1,
            SUB_ID_AVAILABLE: 0,
            MAXIMUM_PACKET_SIZE: MAX_PACKET,
        }
        self.client_id = p.client_id
        if not self.client_id:
            self.client_id = f"hk-auto-{uuid.uuid4().hex[:12]}"
            props[ASSIGNED_CLIENT_ID] = self.client_id
        old = self.broker.connections.get(self.client_id)
        if old is not None:
            old.take_over()
        session, present = self.broker.state.session(self.client_id, p.clean_start)
        session.expiry_s = int(p.properties.get(SESSION_EXPIRY, 0))
        self.session, self.will = session, p.will
        self.broker.connections[self.client_id] = self
        self.send(Connack(present, Reason.SUCCESS, props))
        session.attach(self, int(p.properties.get(RECEIVE_MAXIMUM, 65535)))
        logger.debug("minibroker: %s connected (session present: %s)", self.client_id, present)
        return p.keepalive

    def _handle(self, packet: Packet) -> None:
        session = self.session
        assert session is not None
        if isinstance(packet, Publish):
            if packet.qos > 1:
                raise MalformedPacket("QoS 2 PUBLISH", Reason.QOS_NOT_SUPPORTED)
            if TOPIC_ALIAS in packet.properties:
                raise MalformedPacket("topic alias (maximum is 0)", Reason.PROTOCOL_ERROR)
            if not valid_topic_name(packet.topic):
                raise MalformedPacket(f"topic name {packet.topic!r}", Reason.TOPIC_NAME_INVALID)
            msg = Message(
                packet.topic, packet.payload, packet.qos, packet.retain, packet.properties
            )
            self.broker.state.publish(msg, self.client_id)
            if packet.qos == 1:
                assert packet.packet_id is not None
                self.send(Puback(packet.packet_id))
        elif isinstance(packet, Puback):
            if packet.kind != PacketType.PUBACK:
                raise MalformedPacket(f"{packet.kind.name} (no QoS 2)", Reason.PROTOCOL_ERROR)
            session.acked(packet.packet_id)
        elif isinstance(packet, Subscribe):
            self._subscribe(session, packet)
        elif isinstance(packet, Unsubscribe):
            reasons = [
                Reason.SUCCESS
                if session.subscriptions.pop(f, None) is not None
                else Reason.NO_SUBSCRIPTION_EXISTED
                for f in packet.filters
            ]
            self.send(Unsuback(packet.packet_id, [int(r) for r in reasons]))
        elif isinstance(packet, Pingreq):
            self.send(Pingresp())
        elif isinstance(packet, Connect | Auth):
            raise MalformedPacket(f"unexpected {type(packet).__name__}", Reason.PROTOCOL_ERROR)
        else:
            raise MalformedPacket(f"a client may not send {type(packet).__name__}")

    def _subscribe(self, session: Session, packet: Subscribe) -> None:
        reasons: list[int] = []
        retained: list[tuple[Message, int]] = []
        for full, options in packet.topics:
            if not valid_filter(full) or (options.no_local and full.startswith("$share/")):
                reasons.append(Reason.TOPIC_FILTER_INVALID)
                continue
            sub = make_subscription(full, options)
            existed = full in session.subscriptions
            session.subscriptions[full] = sub
            reasons.append(sub.options.qos)
            handling = sub.options.retain_handling
            if sub.group is None and (handling == 0 or (handling == 1 and not existed)):
                retained += [(m, sub.options.qos) for m in self.broker.state.retained_for(full)]
        self.send(Suback(packet.packet_id, reasons))
        for msg, qos in retained:
            session.deliver(msg, min(msg.qos, qos), True)


class EmbeddedBroker:
    """A small MQTT v5 broker in a background thread, for the demo only (NOT for production).

    QoS 0 and 1 (QoS 2 refused: CONNACK says Maximum QoS 1), retained messages, wills,
    persistent sessions (in memory), shared subscriptions, manual acknowledgement.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._port = port
        self.state = BrokerState()
        self.connections: dict[str, _Connection] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        """The TCP port it listens on (known after start)."""
        return self._port

    @property
    def url(self) -> str:
        """`mqtt://host:port` for clients."""
        return f"mqtt://{self.host}:{self._port}"

    def start(self, timeout: float = 10.0) -> EmbeddedBroker:
        """Start listening in a background thread; returns once it accepts connections."""
        self._thread = threading.Thread(target=self._run, name="minibroker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("embedded broker did not start")
        if self._error is not None:
            raise RuntimeError(f"embedded broker failed to start: {self._error}")
        logger.info("minibroker listening on %s", self.url)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection and the listener; wait for the thread. Safe to call twice."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            """Run one connection as a tracked task."""
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await _Connection(self, reader, writer).run()
            finally:
                tasks.discard(task)

        server = await asyncio.start_server(on_client, self.host, self._port)
        self._port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 1.0)
                for cid in self.state.expire():
                    logger.info("minibroker: session %s expired", cid)
        finally:
            server.close()
            for conn in list(self.connections.values()):
                conn.finished = True
                conn.writer.close()
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.wait_closed()
