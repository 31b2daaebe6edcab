"""One batch of raw messages -> validated, stored in one transaction; what changed comes back.

No MQTT here: the worker hands over (topic, payload) pairs and acknowledges afterwards. The
same function runs on the worker's writer thread or inside a writer process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from hub.ingest.hooks import DeviceState
from hub.ingest.store import DeadRow, StoreResult, store_batch
from hub.ingest.validate import Accepted, Rejected, classify
from models.envelope import Envelope
from models.topics import Channel, build_topic

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class BatchOutcome:
    """What one committed batch did; `committed` False means nothing was stored (retry later)."""

    committed: bool
    new: list[Envelope] = field(default_factory=list)
    new_index: list[int] = field(default_factory=list)
    stored: int = 0
    states: list[DeviceState] = field(default_factory=list)
    duplicates: int = 0
    dead_letters: int = 0
    gaps_opened: int = 0
    gaps_filled: int = 0
    unexpected_seqs: int = 0
    store_retries: int = 0


def handle_batch(
    engine: Engine,
    messages: Sequence[tuple[str, bytes]],
    received_at: datetime,
    *,
    give_up: Callable[[float], bool],
) -> BatchOutcome:
    """Validate and store a batch; retry while the database is unavailable.

    `give_up(delay)` waits `delay` seconds between retries and returns True to abandon the
    batch (the worker is stopping; nothing is acknowledged, the broker delivers it again).
    """
    envelopes: list[Envelope] = []
    first_index: dict[str, int] = {}
    dead: list[DeadRow] = []
    states: list[DeviceState] = []
    for index, (topic, payload) in enumerate(messages):
        outcome = classify(topic, payload, received_at)
        if isinstance(outcome, Accepted):
            envelopes.append(outcome.envelope)
            first_index.setdefault(outcome.envelope.id, index)
        elif isinstance(outcome, Rejected):
            logger.warning("dead letter from %s: %s", topic, outcome.reason)
            dead.append(DeadRow(topic, outcome.reason, payload, received_at))
        else:
            states.append(outcome.state)
    retries = 0
    delay = 0.05
    while True:
        try:
            result = store_batch(engine, envelopes, dead, received_at)
            break
        except sa_exc.OperationalError as exc:
            retries += 1
            logger.warning("database unavailable (%s); retrying in %.2fs", exc.orig, delay)
            if give_up(delay):
                return BatchOutcome(committed=False, store_retries=retries)
            delay = min(delay * 2, 5.0)
        except sa_exc.SQLAlchemyError:
            if len(envelopes) <= 1 and not dead:
                raise
            logger.exception("batch store failed; storing one by one")
            result = store_one_by_one(engine, envelopes, dead, received_at)
            break
    return BatchOutcome(
        committed=True,
        new=result.new,
        stored=len(result.new),
        new_index=[first_index[env.id] for env in result.new],
        states=states,
        duplicates=result.duplicates,
        dead_letters=result.dead_letters,
        gaps_opened=result.gaps_opened,
        gaps_filled=result.gaps_filled,
        unexpected_seqs=result.unexpected_seqs,
        store_retries=retries,
    )


def store_one_by_one(
    engine: Engine, envelopes: list[Envelope], dead: list[DeadRow], received_at: datetime
) -> StoreResult:
    """Fallback: each envelope alone; one the database refuses becomes a dead letter."""
    total = StoreResult()
    for env in envelopes:
        try:
            part = store_batch(engine, [env], [], received_at)
        except sa_exc.SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            reason = f"store failed: {type(cause).__name__}: {cause}"
            channel = Channel.EVT if env.is_fact else Channel.HB
            dead.append(
                DeadRow(
                    build_topic(env.hall, env.device, channel), reason, env.to_json(), received_at
                )
            )
            continue
        total.new += part.new
        total.duplicates += part.duplicates
        total.gaps_opened += part.gaps_opened
        total.gaps_filled += part.gaps_filled
        total.unexpected_seqs += part.unexpected_seqs
    total.dead_letters = store_batch(engine, [], dead, received_at).dead_letters
    return total
