"""An alert naming each device whose messages ingest refuses: one per device, not per message.

A device sending facts its kind or place cannot produce is misconfigured or compromised; one
sending what the contract refuses is broken. Either way the hall's alert feed names it (kind
`facts_refused`, catalogue words `alert.facts_refused`), with how many of its messages were
refused and the latest reason (`deadletter.<code>`). The open
alert is updated at most once a `quiet_s` per device (a count that moved meanwhile is sent
by `flush` once the device's alert has been quiet that long), and at most `max_new` devices a minute
get a new alert (names on the wire are the sender's to choose).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

from hub.ingest.hooks import AlertSink
from hub.ingest.reasons import reason_code

logger = logging.getLogger(__name__)

ALERT_KIND = "facts_refused"
"""The alert kind of a device whose messages are refused."""


class RefusalAlerts:
    """Turns each batch's refused messages into (throttled) alerts on their devices."""

    def __init__(
        self,
        sink: AlertSink,
        *,
        quiet_s: float = 30.0,
        max_new: int = 50,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink, self.quiet_s, self.max_new, self.clock = sink, quiet_s, max_new, clock
        self.counts: dict[tuple[str, str], int] = {}
        self.reasons: dict[tuple[str, str], list[str]] = {}
        self._last: dict[tuple[str, str], float] = {}
        self._new: list[float] = []
        self._pending: dict[tuple[str, str], None] = {}  # in order of first refusal

    @property
    def pending(self) -> bool:
        """True when some device's refusals are counted but not yet on its alert."""
        return bool(self._pending)

    def note(self, refused: Mapping[tuple[str, str], Sequence[str]]) -> int:
        """Count a batch's refusals; raise or update the alerts that are due; how many."""
        for key, reasons in refused.items():
            self.counts[key] = self.counts.get(key, 0) + len(reasons)
            self.reasons[key] = [*self.reasons.get(key, [])[-4:], *reasons[-1:]]
            self._pending.setdefault(key)
        return self.flush()

    def flush(self) -> int:
        """Raise or update the alerts of devices whose count moved and whose alert is quiet
        long enough (the worker calls this while idle, so a throttled count catches up)."""
        sent = 0
        now = self.clock()
        self._new = [t for t in self._new if now - t < 60]
        for key in list(self._pending):
            last = self._last.get(key)
            if last is not None and now - last < self.quiet_s:
                continue
            if last is None:
                if len(self._new) >= self.max_new:
                    continue
                self._new.append(now)
            self._last[key] = now
            del self._pending[key]
            hall, device = key
            try:
                self.sink.raise_alert(
                    hall,
                    device,
                    ALERT_KIND,
                    words="alert.facts_refused",
                    values={
                        "device": device,
                        "count": self.counts[key],
                        "reason": f"deadletter.{reason_code(self.reasons[key][-1])}",
                    },
                )
                sent += 1
            except Exception:
                self._pending.setdefault(key)  # tried again once quiet_s has passed
                logger.exception("alert on %s/%s not raised", hall, device)
        return sent
