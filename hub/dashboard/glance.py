"""The hall map at a glance (point 18.9): today's tickets, served, the longest wait,
satisfaction, the share of staffed seats on post (POST-1), and who is away now (POST-2).

Read from the hall map's own seat views, the queue's day (hub.queue.stats.day_glance) and the
day's bound ratings (RATE-4); live with the map, which the SSE stream re-renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine

from hub.dashboard.views import SeatView
from hub.queue.stats import DayGlance


@dataclass(frozen=True, slots=True)
class AwayNow:
    """A staff member away from their seat right now."""

    window: str
    """What the hall calls the window (3号窗口)."""
    seat: str
    name: str
    since: datetime | None
    sign_on: bool


@dataclass(frozen=True, slots=True)
class Glance:
    """The figures above the hall map."""

    queue: DayGlance | None
    satisfied_share: float | None
    rated: int
    staffed: int
    on_post: int
    away: list[AwayNow]

    @property
    def on_post_share(self) -> float | None:
        """Staffed seats whose holder is on post, over staffed seats (None: nobody staffed)."""
        return self.on_post / self.staffed if self.staffed else None

    @property
    def longest_wait_min(self) -> int | None:
        """The day's longest wait in whole minutes."""
        if self.queue is None or self.queue.longest_wait_s is None:
            return None
        return int(self.queue.longest_wait_s // 60)


def seats_on_post(windows: Iterable[dict[str, Any]]) -> tuple[int, int, list[AwayNow]]:
    """(staffed seats, of them on post, who is away now, longest away first) from the map."""
    staffed = on_post = 0
    away: list[AwayNow] = []
    for w in windows:
        for s in w["seats"]:
            seat: SeatView = s
            if not seat.staff_id:
                continue
            staffed += 1
            on_post += seat.state == "on_post"
            if seat.state == "away":
                away.append(AwayNow(w["name"], seat.seat, seat.name, seat.away_since, seat.sign_on))
    away.sort(key=lambda a: (a.since is None, a.since or datetime.max.replace(tzinfo=UTC)))
    return staffed, on_post, away


def satisfaction_on(engine: Engine, hall: str, day: date) -> tuple[float | None, int]:
    """Share of the day's rated services at 满意 or better (RATE-4), and how many were rated."""
    from hub.ratings.engine import satisfaction
    from hub.ratings.reports import ratings

    sat = satisfaction(r["level"] for r in ratings(engine, hall, day, day))
    return sat.satisfied_share, sat.rated


def glance(
    engine: Engine,
    hall_map: dict[str, Any],
    queue: DayGlance | None,
    *,
    ratings: bool,
) -> Glance:
    """The figures for a hall map built by hub.dashboard.views.hall_map."""
    staffed, on_post, away = seats_on_post(hall_map["windows"])
    share, rated = (None, 0)
    if ratings:
        share, rated = satisfaction_on(engine, hall_map["hall"].id, hall_map["day"])
    return Glance(queue, share, rated, staffed, on_post, away)
