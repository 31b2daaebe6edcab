"""What the queue promises citizens, and the live alerts when a promise is at risk. Pure.

- rule QUEUE-5: an immediate case (即办件) is finished within `immediate_limit_min` (30) of its
  acceptance (service start, else the call); a promised case (承诺件) within its service's
  `promised_days` working days of acceptance. A case being served past the limit, a promised
  case within `promise_warn_hours` of its due time, and one past it, each raise an alert once.
- rule QUEUE-6: a window paused for longer than `early_stop_grace_min` (a short leave, POST-1,
  is no stop) while numbers it serves are waiting has stopped early: before the closing time
  that is an early stop, after it the numbers taken before closing are still to be served.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hub.queue.model import QueueSettings, TicketState
from hub.workdays import IsWorkday, end_of_workday

if TYPE_CHECKING:
    from hub.queue.engine import QueueEngine


@dataclass(frozen=True, slots=True)
class LiveAlert:
    """An alert about a citizen's wait or case; `ref` makes it once-only."""

    kind: str  # immediate_over_limit, promise_due_soon, promise_overdue, early_stop
    rule: str
    ref: str
    window: str | None
    ticket: str | None
    minutes: float  # how far over (or, for promise_due_soon, how long left)
    text: str  # zh-CN, as the hall reads it


@dataclass(frozen=True, slots=True)
class PromisedCase:
    """A promised case (承诺件) accepted at a window and not yet finished."""

    id: int
    day: str
    ticket: str
    service: str
    window: str | None
    accepted_at: datetime
    due_at: datetime
    case_no: str | None = None


def promise_due(accepted_at: datetime, days: int, tz: ZoneInfo, is_workday: IsWorkday) -> datetime:
    """When a promised case accepted at `accepted_at` is due: the end of the `days`-th working
    day after acceptance (rule QUEUE-5)."""
    return end_of_workday(accepted_at, days, tz, is_workday)


def immediate_overruns(
    queue: QueueEngine, immediate: set[str], now: datetime, limit_min: int
) -> list[LiveAlert]:
    """Immediate cases still being served more than `limit_min` after acceptance (QUEUE-5)."""
    out = []
    for t in queue.tickets.values():
        begin = t.started_at or t.called_at
        if t.service not in immediate or begin is None:
            continue
        if t.state not in (TicketState.CALLED, TicketState.SERVING):
            continue
        minutes = (now - begin).total_seconds() / 60
        if minutes > limit_min:  # rule QUEUE-5
            n = queue.counters[t.window].spec.number if t.window in queue.counters else 0
            out.append(
                LiveAlert(
                    "immediate_over_limit",
                    "QUEUE-5",
                    f"{queue.day}:{t.number}",
                    t.window,
                    t.number,
                    round(minutes - limit_min, 1),
                    f"{n}号窗口 {t.number} 即办件受理已超过{limit_min}分钟",
                )
            )
    return out


def promise_alerts(
    cases: Iterable[PromisedCase], now: datetime, warn_hours: float, tz: ZoneInfo
) -> list[LiveAlert]:
    """Promised cases near their due time (within `warn_hours`) or past it (QUEUE-5)."""
    out = []
    for c in cases:
        left = (c.due_at - now).total_seconds() / 60
        due = c.due_at.astimezone(tz) - timedelta(seconds=1)
        label = c.case_no or c.ticket
        if left < 0:  # rule QUEUE-5
            kind, text = "promise_overdue", f"承诺件 {label} 已超过承诺时限（{due:%m-%d %H:%M}）"
        elif left <= warn_hours * 60:
            kind, text = "promise_due_soon", f"承诺件 {label} 即将到期（{due:%m-%d %H:%M}）"
        else:
            continue
        out.append(
            LiveAlert(
                kind, "QUEUE-5", f"case:{c.id}", c.window, c.ticket, round(abs(left), 1), text
            )
        )
    return out


def early_stops(queue: QueueEngine, now: datetime, settings: QueueSettings) -> list[LiveAlert]:
    """Windows paused past the grace while numbers they serve wait (rule QUEUE-6)."""
    out = []
    local = now.astimezone(settings.tz)
    close = settings.closing_on(local.date())
    for c in queue.counters.values():
        if not c.paused or c.paused_at is None:
            continue
        paused_min = (now - c.paused_at).total_seconds() / 60
        if paused_min <= settings.early_stop_grace_min:
            continue
        waiting = [t for t in queue.waiting() if queue.can_serve(t, c.spec.window)]
        if not waiting:
            continue
        n = c.spec.number
        if close is None:
            text = f"{n}号窗口 暂停服务，仍有{len(waiting)}人等候"
        elif local.time() < close:
            text = f"{n}号窗口 {close:%H:%M}前暂停服务，仍有{len(waiting)}人等候"
        else:
            text = f"{n}号窗口 已停止服务，{close:%H:%M}前取号的{len(waiting)}人仍在等候"
        ref = f"{queue.day}:{c.spec.window}:{c.paused_at.isoformat()}"
        out.append(
            LiveAlert("early_stop", "QUEUE-6", ref, c.spec.window, None, round(paused_min, 1), text)
        )
    return out
