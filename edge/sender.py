"""One device's sending: outbox rows go out in order; a fact leaves only once the hub has it.

The hub acknowledges, per device, the seq up to which it has stored every fact (a retained
`StoredUpTo` on the device's `ack` topic, models/ack.py, published after its commit). The
broker's PUBACK only paces the sending (at most `inflight` unacknowledged publishes); it
removes a heartbeat from the outbox (heartbeats are not kept for the hub), never a fact. Facts
go when the hub's acknowledgement covers them (`Outbox.cover`).

Re-sending, always from the oldest fact not covered, in order:
- after every (re)connect of the device's session (the broker may have lost its queue: kill -9,
  a power cut, an empty replacement; paho's own re-sends are dropped by the session so they
  cannot overtake older facts);
- when every publish is PUBACKed yet the acknowledgement has not moved for `resend_after_s`
  (the broker accepted the facts while the hub's session was gone, e.g. the hub reconnected
  after the device did); the wait doubles up to `resend_max_s` and starts again at
  `resend_after_s` once everything sent is covered (not at each step: a hub working through a
  backlog must not be sent it again and again).
Repeats cost nothing but traffic: the hub keeps one fact per event id.

Threads: `published`, `acknowledged` are called from paho's network thread and only record;
`pump` runs on the runtime's sender thread and does the outbox work.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from edge.outbox import Outbox, Row
from edge.session import Session

logger = logging.getLogger(__name__)

REFUSED_PAUSE_S = 2.0
"""How long to wait before sending again what the broker refused (a PUBACK with an error)."""


class Sender:
    """Publishes one device's outbox rows in order and forgets a fact once the hub stored it."""

    def __init__(
        self,
        device: str,
        outbox: Outbox,
        session: Session,
        *,
        inflight: int,
        resend_after_s: float,
        resend_max_s: float,
    ) -> None:
        self.device, self.outbox, self.session = device, outbox, session
        self.inflight_max = inflight
        self.resend_after_s, self.resend_max_s = resend_after_s, resend_max_s
        self._pubacks: deque[tuple[int, bool]] = deque()  # (mid, ok) from the network thread
        self._inflight: dict[int, Row] = {}  # mid -> row handed to paho, not yet PUBACKed
        self._cursor = 0  # the last row id handed to paho
        self._connection = -1  # the session connection our cursor belongs to
        self._heard: deque[int] = deque()  # acknowledgements heard (network thread)
        self.covered = 0  # the highest acknowledgement applied to the outbox
        self._sent_seq = 0  # the highest fact seq handed to paho
        self._wait = resend_after_s
        self._since = time.monotonic()  # acknowledgement progress, or the first fact outstanding
        self._hold_until = 0.0  # after a refusal by the broker, a pause
        self.resends = 0  # times the uncovered facts were sent again (tests, figures)

    # ---- network thread --------------------------------------------------------------------

    def published(self, mid: int, ok: bool) -> None:
        """The broker's PUBACK (or refusal) of one publish."""
        self._pubacks.append((mid, ok))

    def acknowledged(self, seq: int) -> None:
        """The hub's acknowledgement: every fact up to `seq` is stored."""
        self._heard.append(seq)

    # ---- sender thread ---------------------------------------------------------------------

    def pump(self) -> float:
        """Take PUBACKs and acknowledgements, then publish what the window allows.

        Returns the seconds until the re-send timer wants another look (for the caller's wait).
        """
        now = time.monotonic()
        rejected = self._take_pubacks()
        self._apply_acknowledgement(now)
        connection = self.session.connection
        if not self.session.ready:
            return self.resend_after_s
        if connection != self._connection:  # a new connection: all not covered, in order
            self._connection = connection
            self._restart("reconnected")
        elif rejected:  # the broker refused some: send again from the first, after a pause
            logger.error("%s: broker refused rows %s; retrying", self.device, rejected)
            self._cursor = min(self._cursor, min(rejected) - 1)
            self._hold_until = now + REFUSED_PAUSE_S
        elif self._stalled(now):
            self._restart(f"not acknowledged for {self._wait:.0f} s")
            self._wait = min(self._wait * 2, self.resend_max_s)
        if now >= self._hold_until:
            self._publish_window()
        outstanding = self._sent_seq > self.covered
        due = self._since + self._wait if outstanding else now + self.resend_after_s
        if self._hold_until > now:
            due = min(due, self._hold_until)
        return max(0.05, due - now)

    def flush(self) -> None:
        """On stop: remove the heartbeats the broker took and apply the last acknowledgement."""
        self._take_pubacks()
        self._apply_acknowledgement(time.monotonic())

    def _take_pubacks(self) -> list[int]:
        """Drop PUBACKed heartbeats from the outbox; the row ids the broker refused."""
        done: list[int] = []
        rejected: list[int] = []
        while self._pubacks:
            mid, ok = self._pubacks.popleft()
            row = self._inflight.pop(mid, None)
            if row is None:
                continue
            if not ok:
                rejected.append(row.id)
            elif not row.fact:
                done.append(row.id)
        if done:
            self.outbox.delete(done)
        return rejected

    def _apply_acknowledgement(self, now: float) -> None:
        """Cover the facts of the highest acknowledgement heard that fits our numbering."""
        heard: list[int] = []
        while self._heard:
            heard.append(self._heard.popleft())
        for seq in sorted({s for s in heard if s > self.covered}, reverse=True):
            if self.outbox.cover(self.device, seq) is not None:
                self.covered = seq
                self._since = now
                if seq >= self._sent_seq:  # caught up: the next stall is waited for afresh
                    self._wait = self.resend_after_s
                return
            logger.warning(
                "%s: acknowledgement %d is beyond this device's numbering (an outbox that was "
                "wiped?); ignored, nothing removed",
                self.device,
                seq,
            )

    def _stalled(self, now: float) -> bool:
        """Facts sent and not covered, and the acknowledgement has not moved for the wait."""
        return self._sent_seq > self.covered and now - self._since >= self._wait

    def _restart(self, why: str) -> None:
        self._inflight.clear()  # their PUBACKs will not come (a new connection) or do not matter
        if self._cursor:
            self.resends += 1
            logger.info("%s: sending again what the hub has not stored (%s)", self.device, why)
        self._cursor = 0
        self._since = time.monotonic()

    def _publish_window(self) -> None:
        room = self.inflight_max - len(self._inflight)
        if room < min(32, self.inflight_max) and self._inflight:
            return  # wait for a few PUBACKs rather than publishing one row at a time
        for row in self.outbox.pending(self.device, self._cursor, room):
            mid = self.session.publish(row.topic, row.payload, qos=1)
            if mid is None:
                break
            self._inflight[mid] = row
            self._cursor = row.id
            if row.fact:
                if self._sent_seq <= self.covered:  # the first fact outstanding: the clock starts
                    self._since = time.monotonic()
                self._sent_seq = max(self._sent_seq, row.seq)
