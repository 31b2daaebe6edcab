"""An alert naming each device whose messages ingest refuses: one per device, not per message.

A device sending facts its kind or place cannot produce is misconfigured or compromised; one
sending what the contract refuses is broken. Either way the hall's alert feed names it (kind
`facts_refused`), with how many of its messages were refused and the latest reason. The open
alert is updated at most once a `quiet_s` per device, and at most `max_new` devices a minute
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
WHAT = {
    "not_authorised": "发来其类型或位置不能产生的事实（设备配置错误或被冒用）",
    "unknown_device": "不在大厅布局中，其消息一律拒收",
    "id_reused": "重复使用已有的事件编号",
    "clock_ahead": "设备时间超前于中心时钟",
    "store_failed": "发来数据库无法保存的消息",
}
"""What a device does, in the alert's words, by reason code; the rest: not to the contract."""
NOT_CONTRACT = "发来不符合通信约定的消息"


def alert_text(device: str, count: int, reasons: Sequence[str]) -> str:
    """The alert's message (Chinese: the feed shows it as it is): the device, what it does
    (by the latest reason's code), how many of its messages were refused."""
    code = reason_code(reasons[-1]) if reasons else "other"
    what = WHAT.get(code, NOT_CONTRACT)
    return f"设备 {device} {what}；已拒收 {count} 条（详见“拒收消息”页）"


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

    def note(self, refused: Mapping[tuple[str, str], Sequence[str]]) -> int:
        """Count a batch's refusals; raise or update the alerts that are due; how many."""
        sent = 0
        now = self.clock()
        self._new = [t for t in self._new if now - t < 60]
        for key, reasons in refused.items():
            self.counts[key] = self.counts.get(key, 0) + len(reasons)
            self.reasons[key] = [*self.reasons.get(key, [])[-4:], *reasons[-1:]]
            last = self._last.get(key)
            if last is not None and now - last < self.quiet_s:
                continue
            if last is None:
                if len(self._new) >= self.max_new:
                    continue
                self._new.append(now)
            self._last[key] = now
            hall, device = key
            try:
                self.sink.raise_alert(
                    hall,
                    device,
                    ALERT_KIND,
                    alert_text(device, self.counts[key], self.reasons[key]),
                )
                sent += 1
            except Exception:
                logger.exception("alert on %s/%s not raised", hall, device)
        return sent
