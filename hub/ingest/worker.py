"""The MQTT ingest worker: subscribe, validate, store in batches, acknowledge after commit, project.

This is the only module of hub/ingest that imports paho.

Threads. paho runs its network loop on its own thread (`loop_start`) and calls `on_message`
there; that callback only puts a small record in the inbox (hub.ingest.inbox). One writer thread
takes records out in batches (B messages or T milliseconds, whichever comes first) and has them
validated (`hub.ingest.validate`) and stored -- events, dead letters and sequence gaps in ONE
transaction (`hub.ingest.pipeline`) -- either inline (`writer="thread"`) or in a child
process (`writer="process"`: validation and SQL then do not share the GIL with paho, and the
next batch is collected while the child stores the previous one); the default, "auto", takes
the process when there is a second CPU (`hub.ingest.writer.resolve_writer`). After the commit
the writer thread acknowledges every message of the batch with `client.ack(mid, qos)`
(manual ack, QoS 1), in the order they arrived. Calling `ack` from the writer thread is safe
in paho 2.2: it only appends the PUBACK packet to a `collections.deque` (thread-safe append)
and wakes the network loop through its socket pair. A message received on an earlier
connection is not acked (its packet id belongs to a session the broker will redeliver
from); its redelivered copy is a duplicate that the unique event id drops, and that copy is
acked.

After the broker's acks, each device that sent facts hears up to which seq its facts are all
stored (hub.ingest.acks: retained, on its own ack topic); its edge agent keeps every fact until
that covers it.

Nothing is acknowledged before it is committed, so a hub killed at any moment loses nothing:
the broker keeps the unacknowledged messages of the persistent session (clean_start=False,
SessionExpiryInterval) and delivers them again on restart. After the ack the commit hooks run
on the writer thread (quick work, e.g. telling devices what is stored), then the batch's new
envelopes go to the projection thread (hub.ingest.projection): a projector error never stops
ingest, and a durable projector's lane catches up from the fact log whatever was committed
but not projected (a crash, a failure, another worker's death).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy.engine import Engine

from hub.ingest.acks import AckPublisher
from hub.ingest.authorize import grants_for
from hub.ingest.hooks import AlertSink, CommitHook, IngestBatch, Projector
from hub.ingest.inbox import FILL_POLL_S, Inbox, Received
from hub.ingest.lane import RetryPolicy
from hub.ingest.pipeline import BatchOutcome, IngestPolicy
from hub.ingest.projection import Committed, Projection
from hub.ingest.refusals import RefusalAlerts
from hub.ingest.stats import IngestStats
from hub.ingest.writer import InlineWriter, ProcessWriter, Writer, WriterMode, resolve_writer
from models.broker import BrokerSettings
from models.envelope import DEFAULT_MAX_AHEAD, parse_envelope
from models.layout import Hall
from models.topics import Channel, parse_topic, subscription

logger = logging.getLogger(__name__)

INGEST_CHANNELS = (Channel.EVT, Channel.HB, Channel.STATE)
"""The channels the hub ingests from every device."""
DEFAULT_SESSION_EXPIRY_S = 7 * 24 * 3600
"""How long the broker keeps the hub's session (and queues its messages) while it is away."""


LONE_BATCH = 8
"""With a writer process, a batch of at most this many messages, with nothing in flight and
nothing behind it, is stored on the writer thread: two process hand-offs cost a lone key
press more than sharing the GIL with paho does, and a busy stream still goes to the child."""


class IngestWorker:
    """Ingest from one MQTT broker into one database; start() and stop() it.

    `client_id` must be stable across restarts (it names the persistent session); with
    `share_group`, several workers split the load (MQTT v5 shared subscription). A batch is
    committed every `batch_size` messages or `batch_ms` milliseconds; `receive_maximum`
    (default 4 x batch_size) bounds the unacknowledged messages the broker sends at once.
    With `halls`, every fact is checked against its sender's kind and place in the layout
    (hub.ingest.authorize); with `alerts`, a device whose messages are refused is alerted.
    With a writer process, a lone batch of at most `lone_batch` messages is stored on the
    writer thread (LONE_BATCH; 0: every batch goes to the child).
    """

    def __init__(
        self,
        engine: Engine,
        broker: str | BrokerSettings,
        *,
        client_id: str,
        share_group: str | None = None,
        batch_size: int = 500,
        batch_ms: float = 50.0,
        projectors: Sequence[Projector] = (),
        session_expiry_s: int = DEFAULT_SESSION_EXPIRY_S,
        receive_maximum: int | None = None,
        keepalive_s: int = 30,
        writer: WriterMode = "auto",
        max_ahead: timedelta = DEFAULT_MAX_AHEAD,
        commit_hooks: Sequence[CommitHook] = (),
        alerts: AlertSink | None = None,
        retry_policy: RetryPolicy | None = None,
        projection_tick_s: float = 1.0,
        halls: Sequence[Hall] | None = None,
        lone_batch: int = LONE_BATCH,
    ) -> None:
        self.engine = engine
        self.broker = BrokerSettings.of(broker)
        self.client_id = client_id
        self.share_group = share_group
        self.batch_size = max(1, batch_size)
        self.batch_ms = max(0.0, batch_ms)
        self.projectors = tuple(projectors)
        self.commit_hooks = tuple(commit_hooks)
        self.policy = IngestPolicy(
            max_ahead=max_ahead, grants=None if halls is None else grants_for(halls)
        )
        self.refusals = RefusalAlerts(alerts) if alerts is not None else None
        self.session_expiry_s = session_expiry_s
        self.receive_maximum = min(65535, receive_maximum or max(100, 4 * self.batch_size))
        self.keepalive_s = keepalive_s
        self.writer_mode = resolve_writer(writer, engine.url)
        self.lone_batch = lone_batch
        self.stats = IngestStats()
        self.projection = Projection(
            engine,
            self.projectors,
            stats=self.stats,
            alerts=alerts,
            policy=retry_policy,
            tick_s=projection_tick_s,
        )
        self._inbox = Inbox(self.batch_size, self.batch_ms)  # paho's thread -> the writer
        self._generation = 0
        self._accepting = threading.Event()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._writer: threading.Thread | None = None
        self._client = self._make_client()
        self.acks = AckPublisher(self._publish_retained)

    @property
    def topics(self) -> list[str]:
        """The subscription filters (shared when a share group is set)."""
        return [subscription(ch, share_group=self.share_group) for ch in INGEST_CHANNELS]

    def _make_client(self) -> mqtt.Client:
        client = self.broker.client(self.client_id, manual_ack=True)  # models/broker.py
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _publish_retained(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1, retain=True)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> IngestWorker:
        """Connect (retrying in the background until the broker is there) and start writing."""
        self._accepting.set()
        self.projection.start()
        self._writer = threading.Thread(
            target=self._write_loop, name=f"ingest-{self.client_id}", daemon=True
        )
        self._writer.start()
        self.broker.connect_async(
            self._client,
            clean_start=False,
            session_expiry_s=self.session_expiry_s,
            receive_maximum=self.receive_maximum,
            keepalive_s=self.keepalive_s,
        )
        self._client.loop_start()
        return self

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Wait until the subscriptions are confirmed; False if not within `timeout`."""
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking messages, store and ack what is queued, then disconnect."""
        self._accepting.clear()
        self._stopping.set()
        if self._writer is not None:
            self._writer.join(timeout)
        self.projection.stop(timeout)
        self._client.disconnect()
        self._client.loop_stop()
        logger.info("ingest %s stopped: %s", self.client_id, self.stats.snapshot())

    # -- paho callbacks (network thread) -----------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, flags: Any, reason_code: Any, _properties: Any
    ) -> None:
        if reason_code.is_failure:
            logger.error(
                "ingest %s: broker refused the connection: %s", self.client_id, reason_code
            )
            return
        self._generation += 1
        self.stats.connects += 1
        logger.info(
            "ingest %s connected (session present: %s)", self.client_id, flags.session_present
        )
        client.subscribe([(t, SubscribeOptions(qos=1)) for t in self.topics])

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any
    ) -> None:
        if not self._stopping.is_set():
            logger.warning("ingest %s disconnected (%s); reconnecting", self.client_id, reason_code)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reason_codes: Any, _properties: Any
    ) -> None:
        failed = [rc for rc in reason_codes if rc.is_failure]
        if failed:
            logger.error("ingest %s: subscription refused: %s", self.client_id, failed)
            return
        self._ready.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if not self._accepting.is_set():
            return  # not acked: the broker delivers it again to the next session
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = msg._topic.decode("utf-8", "replace")
        self.stats.received += 1
        at = time.monotonic()
        self._inbox.put(Received(topic, bytes(msg.payload), msg.mid, msg.qos, self._generation, at))

    # -- writer thread --------------------------------------------------------------------------

    def _make_writer(self) -> Writer:
        if self.writer_mode == "process":
            return ProcessWriter(self.engine.url.render_as_string(hide_password=False), self.policy)
        return InlineWriter(self.engine, self._stopping.wait, self.policy)

    def _result_first(self, writer: Writer) -> bool:
        """Wait for the oldest batch's outcome; False as soon as a new message arrives first.

        A batch in flight is finished the moment it is stored when nothing else waits, so a
        lone message is never held until the next batch (or an idle timeout) comes along.
        """
        while not self._stopping.is_set():
            if writer.ready(FILL_POLL_S / 2):
                return True
            if self._inbox:
                return False
        return False

    def _store_here(self, here: InlineWriter, batch: list[Received]) -> None:
        """Store, acknowledge and project a lone batch on this thread (LONE_BATCH)."""
        received_at = datetime.now(UTC)
        try:
            here.submit([(r.topic, r.payload) for r in batch], received_at)
        except Exception:  # nothing stored, nothing acked: the broker delivers it again
            logger.exception("ingest %s: batch of %d failed", self.client_id, len(batch))
            return
        self.stats.add(batches_here=1)
        self._finish_safely(here, batch, received_at)

    def _write_loop(self) -> None:
        writer = self._make_writer()
        depth = 2 if self.writer_mode == "process" else 1  # batches in flight at once
        here = None
        if self.writer_mode == "process":
            here = InlineWriter(self.engine, self._stopping.wait, self.policy)
        inflight: deque[tuple[list[Received], datetime]] = deque()
        try:
            if not self.projection.wait_lanes(self._stopping):  # issue 14: lanes start first
                return
            while True:
                if inflight and not self._inbox and self._result_first(writer):
                    self._finish_safely(writer, *inflight.popleft())
                    continue
                batch = self._inbox.collect(wait=not inflight)
                lone = not inflight and not self._inbox and len(batch) <= self.lone_batch
                if batch and here is not None and lone:
                    self._store_here(here, batch)  # in order: nothing is in flight
                    continue
                if batch:
                    received_at = datetime.now(UTC)
                    inflight.append((batch, received_at))
                    try:
                        writer.submit([(r.topic, r.payload) for r in batch], received_at)
                    except Exception:  # the writer died on it: nothing stored, nothing acked
                        logger.exception(
                            "ingest %s: batch of %d failed", self.client_id, len(batch)
                        )
                        inflight.pop()
                while inflight and (len(inflight) >= depth or not batch):
                    self._finish_safely(writer, *inflight.popleft())
                if not batch and not inflight:
                    if self.refusals is not None and self.refusals.pending:
                        self.refusals.flush()  # throttled counts catch up while idle
                    if self._stopping.is_set():
                        return
                self.stats.queue_depth = len(self._inbox)
        finally:
            writer.close()

    def _finish_safely(self, writer: Writer, batch: list[Received], received_at: datetime) -> None:
        try:
            self._finish(writer, batch, received_at)
        except Exception:  # a bug after the commit must not stop ingest
            logger.exception("ingest %s: finishing a batch failed", self.client_id)

    def _finish(self, writer: Writer, batch: list[Received], received_at: datetime) -> None:
        """Take the outcome of a batch: ack it if committed, count it, run hooks, project it."""
        started = time.perf_counter()
        try:
            outcome = writer.result()
        except Exception:
            logger.exception(
                "ingest %s: batch of %d failed; not acknowledged", self.client_id, len(batch)
            )
            return
        if not outcome.committed:
            logger.error(
                "ingest %s: batch of %d not stored; the broker delivers it again "
                "when the session reconnects",
                self.client_id,
                len(batch),
            )
            return
        acked = skipped = 0
        generation = self._generation
        for rec in batch:
            if rec.qos == 0:
                continue
            if rec.generation == generation:
                self._client.ack(rec.mid, rec.qos)
                acked += 1
            else:
                skipped += 1
        lag_ms = (time.monotonic() - batch[0].at) * 1000
        self.stats.add(
            gaps_opened=outcome.gaps_opened,
            gaps_filled=outcome.gaps_filled,
            unexpected_seqs=outcome.unexpected_seqs,
            store_retries=outcome.store_retries,
            isolated=outcome.isolated,
        )
        self.stats.record_batch(
            stored=outcome.stored,
            duplicates=outcome.duplicates,
            dead=outcome.dead_letters,
            states=len(outcome.states),
            acked=acked,
            skipped=skipped,
            lag_ms=lag_ms,
            size=len(batch),
        )
        if outcome.refused and self.refusals is not None:
            self.refusals.note(outcome.refused)  # rule: the feed names a refused device
        wanted = self.projectors and (outcome.spans or outcome.states or outcome.heartbeat_index)
        if wanted or self.commit_hooks:
            self._hand_over(batch, outcome, received_at, bool(wanted))
        # Each device hears what is stored after the commit, never before; after the hand-over
        # to the projection thread, which a key press waits for and its device does not.
        self.acks.committed(outcome.stored_upto)
        self.stats.busy_s += time.perf_counter() - started

    def _hand_over(
        self, batch: list[Received], outcome: BatchOutcome, received_at: datetime, project: bool
    ) -> None:
        """Run the commit hooks on a committed batch, then queue it for the projectors."""
        new = outcome.new or [
            parse_envelope(batch[i].payload, parse_topic(batch[i].topic)) for i in outcome.new_index
        ]
        beats = outcome.heartbeats or [
            parse_envelope(batch[i].payload, parse_topic(batch[i].topic))
            for i in outcome.heartbeat_index
        ]
        committed = IngestBatch(
            events=tuple(new),
            states=tuple(outcome.states),
            received_at=received_at,
            stored_upto=outcome.stored_upto,
            heartbeats=tuple(beats),
        )
        for hook in self.commit_hooks:
            try:
                hook.committed(committed)
            except Exception:
                self.stats.add(hook_errors=1)
                logger.exception("commit hook %s failed", type(hook).__name__)
        if project:  # may wait while the projection thread is far behind (back-pressure)
            self.projection.submit(Committed(committed, outcome.new_pos, outcome.spans))
