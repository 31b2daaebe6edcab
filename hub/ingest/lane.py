"""A lane: one durable projector applying the fact log in position order, never losing a fact.

A projector that declares `facts` (hub.ingest.hooks.Projector) runs as a Lane. It keeps a
durable cursor (`projector_cursor`), written after its records (at most every CURSOR_EVERY_S
while facts flow), and resumes from it after a crash, a restart or another worker's death, so
a fact committed and acknowledged just before `kill -9` is still projected. A live batch is
applied as it is when it follows the lane's last position directly; otherwise the lane reads
the log from its cursor.

A fact the projector fails on is parked (`projector_retry`) and retried with back-off; after
`RetryPolicy.tries` failures it raises an alert naming the fact, and the facts behind it with
the same key stop waiting for it. Facts of other keys never wait.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from hub.ingest import lanestore as lanes
from hub.ingest.factlog import StoredFact, facts_by_id, head, read_facts
from hub.ingest.hooks import AlertSink, IngestBatch, Projector
from hub.ingest.stats import IngestStats
from models.envelope import Envelope

logger = logging.getLogger(__name__)

CHUNK = 500
"""Facts read from the log at a time while catching up."""
CURSOR_LAG = 5000
"""A lane that applied nothing still writes its cursor once it is this far behind."""
CURSOR_EVERY_S = 0.5
"""While facts flow, a lane writes its cursor at most this often (and on the projection's next
tick once they stop): one commit per half second, not one per key press. A crash re-applies
what came after the written cursor, which every durable projector takes (idempotent per fact)."""


def utc_now() -> datetime:
    """The hub's clock."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a failing fact is retried: back-off doubling from `first_s` up to `max_s`."""

    tries: int = 5
    """Failures after which the fact is alerted and stops holding back its key."""
    first_s: float = 1.0
    max_s: float = 300.0

    def delay(self, attempts: int) -> timedelta:
        """The wait before the next try, after `attempts` failures."""
        return timedelta(seconds=min(self.first_s * 2 ** max(attempts - 1, 0), self.max_s))


def lane_name(projector: Projector) -> str:
    """A projector's lane: its name, and its hall's id when it serves one hall."""
    hall = getattr(getattr(projector, "hall", None), "id", None)
    return f"{projector.name}:{hall}" if hall else projector.name


def is_durable(projector: Projector) -> bool:
    """True when the projector declares the facts it derives records from."""
    return bool(getattr(projector, "facts", None))


def _default_key(env: Envelope) -> str:
    return env.hall


class Lane:
    """One durable projector applying the fact log in order (see the module docstring)."""

    def __init__(
        self,
        projector: Projector,
        engine: Engine,
        *,
        policy: RetryPolicy,
        alerts: AlertSink | None,
        stats: IngestStats,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.projector, self.engine, self.policy = projector, engine, policy
        self.alerts, self.stats, self.clock = alerts, stats, clock
        self.name = lane_name(projector)
        self.types = frozenset(str(t) for t in getattr(projector, "facts", ()))
        self.key_of: Callable[[Envelope], str] = getattr(projector, "fact_key", _default_key)
        self.examined = 0  # every fact up to here is applied or parked (this process knows)
        self.durable = 0  # the cursor as last written
        self.parked: set[str] = set()  # keys held back by a fact still being retried
        self.retries = False
        self.started = False
        self._written = time.monotonic()
        self._unwritten = False  # records written past the durable cursor

    def start(self) -> None:
        """Read the cursor (a new lane starts at the log's head) and the parked facts."""
        if self.started:
            return
        with lanes.lane_lock(self.engine, self.name):
            self.durable = self.examined = lanes.start_cursor(self.engine, self.name, self.clock())
            self._load_parked()
        self.started = True

    def _load_parked(self) -> None:
        rows = lanes.load_retries(self.engine, self.name)
        self.retries = bool(rows)
        self.parked = {r.key for r in rows if r.attempts < self.policy.tries}

    # -- live batches and catching up ------------------------------------------------------

    def live(
        self, batch: IngestBatch, positions: Sequence[int], spans: Sequence[tuple[int, int]]
    ) -> None:
        """Apply a committed batch (positions of its events; the spans its transactions took).

        The projector sees the whole live batch (its states and other events too, for live
        work); only the facts it declares are kept complete through the log.
        """
        self.start()
        mine = [
            (pos, env)
            for pos, env in zip(positions, batch.events, strict=True)
            if env.type.value in self.types
        ]
        if spans and len(spans) == 1 and self.examined == spans[0][0]:  # no one else between
            if mine:
                with lanes.lane_lock(self.engine, self.name):
                    self._apply(mine, batch.received_at, live=batch)
            elif batch.events or batch.states:
                self._apply([], batch.received_at, live=batch)
            self._advance(spans[0][1], applied=bool(mine))
            return
        if spans:
            self.catch_up()  # the facts, read from the log in order
        rest = [e for e in batch.events if e.type.value not in self.types]
        if rest or batch.states:  # live-only work: states, results, faults
            self._try(IngestBatch(tuple(rest), batch.states, batch.received_at))

    def catch_up(self) -> int:
        """Apply every fact after the cursor up to the log's head; returns facts applied."""
        self.start()
        applied = 0
        with lanes.lane_lock(self.engine, self.name):
            with self.engine.connect() as conn:
                start = max(self.examined, lanes.read_cursor(conn, self.name) or 0)
                upto = head(conn)
            while start < upto:
                with self.engine.connect() as conn:
                    facts = read_facts(conn, start, upto, self.types, limit=CHUNK)
                end = facts[-1].pos if len(facts) == CHUNK else upto
                self._apply([(f.pos, f) for f in facts], None)
                applied += len(facts)
                self.examined = start = end
                self._advance(end, applied=bool(facts))
        if applied:
            logger.info("projector lane %s caught up %d fact(s)", self.name, applied)
        return applied

    def replay(
        self, since: datetime | None = None, progress: Callable[[int], object] | None = None
    ) -> tuple[int, int]:
        """Apply every stored fact again (device time from `since`), in log order, leaving the
        cursor where it is (`hub reproject`); returns (facts applied, facts parked)."""
        applied = parked = 0
        with lanes.lane_lock(self.engine, self.name):
            with self.engine.connect() as conn:
                upto = head(conn)
            start = 0
            while start < upto:
                with self.engine.connect() as conn:
                    facts = read_facts(conn, start, upto, self.types, limit=CHUNK, since=since)
                if not facts:
                    break
                before = len(lanes.load_retries(self.engine, self.name))
                self._apply([(f.pos, f) for f in facts], None)
                now_parked = len(lanes.load_retries(self.engine, self.name)) - before
                parked += now_parked
                applied += len(facts) - now_parked
                start = facts[-1].pos
                if progress is not None:
                    progress(len(facts))
        return applied, parked

    def _advance(self, pos: int, *, applied: bool) -> None:
        """Move past `pos`; write the cursor when records were written (at most every
        CURSOR_EVERY_S) or when it lags far behind."""
        self.examined = max(self.examined, pos)
        self._unwritten = self._unwritten or applied
        since = time.monotonic() - self._written
        due = since >= CURSOR_EVERY_S if self._unwritten else since > 30
        if self.examined > self.durable and (due or self.examined - self.durable > CURSOR_LAG):
            self._write_cursor()

    def flush(self) -> None:
        """Write the cursor if records were written past it (the projection's tick and stop)."""
        if self._unwritten and self.examined > self.durable:
            self._write_cursor()

    def _write_cursor(self) -> None:
        lanes.write_cursor(self.engine, self.name, self.examined, self.clock())
        self.durable, self._written, self._unwritten = self.examined, time.monotonic(), False

    # -- applying, parking, retrying -----------------------------------------------------

    def _apply(
        self,
        items: Sequence[tuple[int, Envelope | StoredFact]],
        received_at: datetime | None,
        *,
        live: IngestBatch | None = None,
    ) -> None:
        """Apply facts in order; whatever fails (or waits behind a failure) is parked.

        With `live`, the projector is first given the live batch (its other events and its
        states included) less the facts that must wait.
        """
        ready: list[tuple[int, Envelope]] = []
        parked: list[lanes.Retry] = []
        received = {  # a fact read back keeps the time it reached the hub (not the catch-up's)
            item.event_id: item.received_at for _, item in items if isinstance(item, StoredFact)
        }
        for pos, item in items:
            env = item if isinstance(item, Envelope) else item.envelope
            if env is None:  # a stored fact that no longer parses
                assert isinstance(item, StoredFact)
                problem = item.problem or ""
                parked.append(
                    self._failed(pos, item.event_id, item.hall, item.device, item.hall, problem)
                )
            elif self.key_of(env) in self.parked:
                parked.append(self._waiting(pos, env))
            else:
                ready.append((pos, env))
        if live is not None:
            go = {env.id for _, env in ready}
            events = tuple(e for e in live.events if e.type.value not in self.types or e.id in go)
            first = IngestBatch(events, live.states, received_at)
        else:
            events = tuple(env for _, env in ready)
            first = IngestBatch(events, received_at=received_at, received=received)
        if (first.events or first.states) and not self._try(first) and ready:
            for pos, env in ready:  # one at a time, to find the fact(s) it fails on
                if self.key_of(env) in self.parked:
                    parked.append(self._waiting(pos, env))
                else:
                    one = IngestBatch((env,), received_at=first.received_of(env))
                    self._try(one, parked, pos)
        lanes.park(self.engine, parked)
        self.retries = self.retries or bool(parked)

    def _try(
        self, batch: IngestBatch, failed: list[lanes.Retry] | None = None, pos: int = 0
    ) -> bool:
        """Project a batch; False (and its one fact parked in `failed`) if the projector raised."""
        try:
            self.projector.project(self.engine, batch)
            return True
        except Exception as exc:
            self.stats.add(projector_errors=1)
            logger.exception("projector lane %s failed on %d fact(s)", self.name, len(batch.events))
            if failed is not None:
                env = batch.events[0]
                failed.append(
                    self._failed(pos, env.id, env.hall, env.device, self.key_of(env), _why(exc))
                )
            return False

    def _failed(
        self, pos: int, event_id: str, hall: str, device: str, key: str, error: str
    ) -> lanes.Retry:
        now = self.clock()
        self.parked.add(key)
        return lanes.Retry(
            self.name,
            event_id,
            pos,
            key,
            1,
            now + self.policy.delay(1),
            f"{hall}/{device}: {error}",
            None,
            now,
        )

    def _waiting(self, pos: int, env: Envelope) -> lanes.Retry:
        now = self.clock()
        return lanes.Retry(self.name, env.id, pos, self.key_of(env), 0, now, "", None, now)

    def retry_due(self) -> int:
        """Try the parked facts that are due, each key in order; returns facts applied."""
        self.start()
        if not self.retries:
            return 0
        applied = 0
        now = self.clock()
        with lanes.lane_lock(self.engine, self.name):
            rows = lanes.load_retries(self.engine, self.name)
            by_key: dict[str, list[lanes.Retry]] = defaultdict(list)
            for row in rows:
                by_key[row.key].append(row)
            with self.engine.connect() as conn:
                facts = facts_by_id(conn, [r.event_id for r in rows if r.next_at <= now])
            for key_rows in by_key.values():
                for row in key_rows:
                    alerted = row.attempts >= self.policy.tries
                    if row.next_at > now:
                        if alerted:
                            continue  # it no longer holds its key back
                        break
                    if self._retry(row, facts.get(row.event_id), now):
                        applied += 1
                    elif row.attempts < self.policy.tries:
                        break
            self._load_parked()
        return applied

    def _retry(self, row: lanes.Retry, fact: StoredFact | None, now: datetime) -> bool:
        """One more try of a parked fact; True once it is applied (and forgotten)."""
        env = fact.envelope if fact else None
        error = "stored fact missing" if fact is None else (fact.problem or "")
        if env is not None:
            try:
                again = IngestBatch(events=(env,), received_at=fact.received_at if fact else None)
                self.projector.project(self.engine, again)
                lanes.drop_retry(self.engine, self.name, row.event_id)
                if row.alerted_at is not None and self.alerts is not None and fact is not None:
                    self.alerts.clear_alert(fact.hall, fact.device, self.alert_kind)
                return True
            except Exception as exc:
                self.stats.add(projector_errors=1)
                logger.warning(
                    "projector lane %s: fact %s failed again: %s",
                    self.name,
                    row.event_id,
                    _why(exc),
                )
                error = _why(exc)
        row.attempts += 1
        row.next_at = now + self.policy.delay(row.attempts)
        row.error = error
        if row.attempts >= self.policy.tries and row.alerted_at is None:
            row.alerted_at = now
            self._alert(row, fact)
        lanes.save_retry(self.engine, row)
        return False

    @property
    def alert_kind(self) -> str:
        """The alert kind of this lane's failures (one open alert per device)."""
        return f"projection:{self.name}"[:64]

    def _alert(self, row: lanes.Retry, fact: StoredFact | None) -> None:
        logger.error(
            "projector lane %s: fact %s failed %d times: %s",
            self.name,
            row.event_id,
            row.attempts,
            row.error,
        )
        if self.alerts is None or fact is None:
            return
        try:
            self.alerts.raise_alert(
                fact.hall,
                fact.device,
                self.alert_kind,
                words="alert.projection_failed",
                values={
                    "event_id": row.event_id,
                    "area": f"area.{self.projector.name}",
                    "attempts": row.attempts,
                },
            )
        except Exception:
            logger.exception("alert for fact %s not raised", row.event_id)


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
