"""The hub's acknowledgement to each device, after the commit (issue 21 point 1).

After a batch is committed, every device that sent facts in it hears, retained on its own
`ack` topic (models/topics.py), the seq up to which the hub holds every one of its facts
(`IngestBatch.stored_upto`: below the first open gap). The edge keeps each fact in its outbox
until this covers it (edge/sender.py), so a broker that loses its queue costs nothing.

A figure is sent again even when it did not move: the facts of a batch that were all repeats
were sent again because the device did not hear it (a broker that lost the retained message).
Within `REPEAT_AFTER_S` an unchanged figure is not repeated, so a busy device costs one
publish per batch, not one per fact. Two workers may publish one device's figure in either
order; the device keeps the highest it heard, and a lower retained one only makes a restarted
device send a few facts again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from models.ack import StoredUpTo
from models.topics import Channel, build_topic

logger = logging.getLogger(__name__)

REPEAT_AFTER_S = 1.0
"""An unchanged figure is published again only after this long."""

Publish = Callable[[str, bytes], None]
"""Publish retained with QoS 1 (topic, payload); queued by the client while disconnected."""


class AckPublisher:
    """Tells each device, after a commit, up to which seq its facts are all stored."""

    def __init__(self, publish: Publish, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._publish = publish
        self._clock = clock
        self._sent: dict[tuple[str, str], tuple[int, float]] = {}
        self.published = 0

    def committed(self, stored_upto: Mapping[tuple[str, str], int]) -> None:
        """Publish each device's figure of a committed batch (call after the commit only)."""
        now = self._clock()
        for key, seq in stored_upto.items():
            last = self._sent.get(key)
            if last is not None and last[0] == seq and now - last[1] < REPEAT_AFTER_S:
                continue
            hall, device = key
            self._publish(build_topic(hall, device, Channel.ACK), StoredUpTo(seq=seq).to_json())
            self._sent[key] = (seq, now)
            self.published += 1
