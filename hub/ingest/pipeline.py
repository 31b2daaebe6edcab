"""One batch of raw messages -> validated, stored, what changed comes back; nothing can stall it.

No MQTT here: the worker hands over (topic, payload) pairs and acknowledges afterwards. The
same function runs on the worker's writer thread or inside a writer process.

Poison isolation (ARCHITECTURE "Trust"): a batch the database refuses for any reason, of any
exception class, is split in halves until the failing message is alone; that message becomes
a dead letter with the exception's text and every other message is stored. Only a database
that does not answer stops the batch: it is retried, and nothing is acknowledged until it is
stored. A database that answers but keeps refusing the same part with an "operational" error
is treated as refusing it after a few tries, so no message can hold ingest forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from hub.ingest.authorize import Grants, refusal
from hub.ingest.hooks import DeviceState
from hub.ingest.store import DeadRow, StoreResult, envelope_dead_row, store_batch
from hub.ingest.validate import Accepted, Rejected, classify
from models.envelope import DEFAULT_MAX_AHEAD, Envelope

logger = logging.getLogger(__name__)

TRANSIENT_TRIES = 5
"""Tries of one part while the database answers but raises operational errors (lock waits,
deadlocks, serialisation failures); after that the part is split like any refused part."""


@dataclass(frozen=True, slots=True)
class IngestPolicy:
    """What ingest refuses beyond the contract (the hub's settings and halls)."""

    max_ahead: timedelta = DEFAULT_MAX_AHEAD
    """How far a fact's device time may be ahead of the hub's clock."""
    grants: Grants | None = None
    """Each layout device's kind and place (hub.ingest.authorize); None: no layout was
    given (a bare ingest worker in tests and benchmarks), every device's facts are taken."""


@dataclass(slots=True)
class BatchOutcome:
    """What one committed batch did; `committed` False means nothing was stored (retry later)."""

    committed: bool
    new: list[Envelope] = field(default_factory=list)
    new_index: list[int] = field(default_factory=list)
    heartbeats: list[Envelope] = field(default_factory=list)
    heartbeat_index: list[int] = field(default_factory=list)
    """Heartbeats of the batch (not stored as events), for the projectors."""
    stored: int = 0
    states: list[DeviceState] = field(default_factory=list)
    duplicates: int = 0
    dead_letters: int = 0
    gaps_opened: int = 0
    gaps_filled: int = 0
    unexpected_seqs: int = 0
    store_retries: int = 0
    isolated: int = 0
    """Messages the database refused, found by splitting the batch (each now a dead letter)."""
    stored_upto: dict[tuple[str, str], int] = field(default_factory=dict)
    """Per device that sent facts: the seq up to which every fact of it is stored."""
    refused: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """Per device (hall, device) named by a refused message's topic: the reasons."""
    new_pos: list[int] = field(default_factory=list)
    """The fact-log position of each new envelope (same order as new_index)."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Fact-log positions allocated by each committed transaction: after < pos <= upto."""


@dataclass(slots=True)
class _Part:
    """A slice of a batch still to be stored: envelopes and the dead letters that go with it."""

    envelopes: list[Envelope]
    dead: list[DeadRow]
    tries: int = 0


def is_transient(exc: BaseException) -> bool:
    """An error that says the database is busy or away, not that the data is bad."""
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


def database_answers(engine: Engine) -> bool:
    """True when a trivial query succeeds (the database is up and reachable)."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True
    except Exception:
        return False


def describe(exc: BaseException) -> str:
    """One line naming the exception the database (or its driver) raised."""
    cause = getattr(exc, "orig", None) or exc
    text = " ".join(str(cause).split())
    return f"{type(cause).__name__}: {text}"[:900]


def store_isolating(
    engine: Engine,
    envelopes: Sequence[Envelope],
    dead: Sequence[DeadRow],
    received_at: datetime,
    *,
    give_up: Callable[[float], bool],
    payload_of: Callable[[Envelope], tuple[str, bytes]] | None = None,
) -> tuple[StoreResult, int, int] | None:
    """Store envelopes and dead letters, isolating whatever the database refuses.

    Returns (what was stored, retries while the database was away, messages isolated), or None
    when `give_up` said to stop while the database was away (parts may already be stored:
    they are duplicates when the broker delivers the batch again). `payload_of` gives the raw
    topic and bytes of an envelope for its dead letter (default: rebuilt from the envelope).
    """
    total = StoreResult()
    pending = [_Part(list(envelopes), list(dead))]
    retries = isolated = 0
    delay = 0.05
    while pending:
        part = pending[0]
        try:
            result = store_batch(engine, part.envelopes, part.dead, received_at)
        except Exception as exc:
            part.tries += 1
            if is_transient(exc) and (part.tries < TRANSIENT_TRIES or not database_answers(engine)):
                retries += 1
                logger.warning("database unavailable (%s); retrying in %.2fs", describe(exc), delay)
                if give_up(delay):
                    return None
                delay = min(delay * 2, 5.0)
                continue
            pending[0:1] = _split(part, exc, received_at, payload_of)
            isolated += int(len(part.envelopes) == 1)
            continue
        pending.pop(0)
        delay = 0.05
        _merge(total, result)
    return total, retries, isolated


def _split(
    part: _Part,
    exc: BaseException,
    received_at: datetime,
    payload_of: Callable[[Envelope], tuple[str, bytes]] | None,
) -> list[_Part]:
    """The smaller parts a refused part becomes (the lone refused envelope a dead letter)."""
    envs, dead = part.envelopes, part.dead
    if len(envs) > 1:
        mid = len(envs) // 2
        logger.warning("batch of %d refused (%s); splitting it", len(envs), describe(exc))
        return [_Part(envs[:mid], dead), _Part(envs[mid:], [])]
    if len(envs) == 1:
        env = envs[0]
        reason = f"store failed: {describe(exc)}"
        logger.error("dead letter: %s/%s %s: %s", env.hall, env.device, env.id, reason)
        if payload_of is None:
            row = envelope_dead_row(env, reason, received_at)
        else:
            topic, payload = payload_of(env)
            row = DeadRow(topic, reason, payload, received_at)
        return [_Part([], [*dead, row])]
    if len(dead) > 1:
        mid = len(dead) // 2
        return [_Part([], dead[:mid]), _Part([], dead[mid:])]
    if part.tries > TRANSIENT_TRIES + 1:  # even the plain-ASCII dead letter is refused
        raise exc
    logger.error("dead letter refused (%s); storing it escaped", describe(exc))
    return [_Part([], [_escaped(d) for d in dead], tries=part.tries)]


def _escaped(row: DeadRow) -> DeadRow:
    """A dead letter whose texts are plain ASCII (e.g. no NUL, which PostgreSQL text refuses)."""
    topic = row.topic.encode("unicode_escape").decode("ascii")
    reason = row.reason.encode("unicode_escape").decode("ascii")
    return DeadRow(topic, reason, row.payload, row.received_at)


def _merge(total: StoreResult, part: StoreResult) -> None:
    total.new += part.new
    total.heartbeats += part.heartbeats
    total.duplicates += part.duplicates
    total.dead_letters += part.dead_letters
    total.gaps_opened += part.gaps_opened
    total.gaps_filled += part.gaps_filled
    total.unexpected_seqs += part.unexpected_seqs
    total.stored_upto.update(part.stored_upto)
    total.new_pos += part.new_pos
    total.dead_rows += part.dead_rows
    total.spans += part.spans


def handle_batch(
    engine: Engine,
    messages: Sequence[tuple[str, bytes]],
    received_at: datetime,
    *,
    give_up: Callable[[float], bool],
    policy: IngestPolicy | None = None,
) -> BatchOutcome:
    """Validate, authorise and store a batch; retry while the database is unavailable.

    `give_up(delay)` waits `delay` seconds between retries and returns True to abandon the
    batch (the worker is stopping; nothing is acknowledged, the broker delivers it again).
    """
    policy = policy or IngestPolicy()
    envelopes: list[Envelope] = []
    first_index: dict[str, int] = {}
    dead: list[DeadRow] = []
    states: list[DeviceState] = []
    for index, (topic, payload) in enumerate(messages):
        outcome = classify(topic, payload, received_at, max_ahead=policy.max_ahead)
        if isinstance(outcome, Accepted) and policy.grants is not None:
            why = refusal(outcome.envelope, policy.grants)  # rule: every fact is authorised
            if why is not None:
                outcome = Rejected(why)
        if isinstance(outcome, Accepted):
            envelopes.append(outcome.envelope)
            first_index.setdefault(outcome.envelope.id, index)
        elif isinstance(outcome, Rejected):
            logger.warning("dead letter from %s: %s", topic, outcome.reason)
            dead.append(DeadRow(topic, outcome.reason, payload, received_at))
        else:
            states.append(outcome.state)

    def payload_of(env: Envelope) -> tuple[str, bytes]:
        return messages[first_index[env.id]]

    stored = store_isolating(
        engine, envelopes, dead, received_at, give_up=give_up, payload_of=payload_of
    )
    if stored is None:
        return BatchOutcome(committed=False)
    result, retries, isolated = stored
    return BatchOutcome(
        refused=_by_device(result.dead_rows),
        committed=True,
        new=result.new,
        stored=len(result.new),
        new_index=[first_index[env.id] for env in result.new],
        heartbeats=result.heartbeats,
        heartbeat_index=[first_index[env.id] for env in result.heartbeats],
        states=states,
        duplicates=result.duplicates,
        dead_letters=result.dead_letters,
        gaps_opened=result.gaps_opened,
        gaps_filled=result.gaps_filled,
        unexpected_seqs=result.unexpected_seqs,
        store_retries=retries,
        isolated=isolated,
        stored_upto=result.stored_upto,
        new_pos=result.new_pos,
        spans=result.spans,
    )


def _by_device(dead: Sequence[DeadRow]) -> dict[tuple[str, str], list[str]]:
    """The reasons of refused messages, by the (hall, device) their topic names."""
    out: dict[tuple[str, str], list[str]] = {}
    for row in dead:
        parts = row.topic.split("/")
        if len(parts) == 5 and parts[0] == "hk":
            out.setdefault((parts[2][:63], parts[3][:63]), []).append(row.reason)
    return out
