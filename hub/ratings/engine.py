"""The ratings rules, pure: who is on post, binding a rating to its service (with its case
number), satisfaction statistics and the quarterly service-star ranking (RATE-1..RATE-4).
The hall's rating scheme is hub.ratings.scheme; the follow-up's steps hub.ratings.followup_rules.

Plain values in, plain values out: no database, no MQTT. Every number is a setting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from hub.ratings.scheme import LEVELS, RatingSettings

__all__ = ["LEVELS", "RatingSettings"]

# ---- who is on post (RATE-2) ----


@dataclass(frozen=True, slots=True)
class OnPost:
    """The staff member on post at a seat and how we know: punch, assignment or unknown."""

    staff_id: str | None
    source: str | None


def on_post(assigned: str | None, last_window_punch: str | None) -> OnPost:
    """Who is at the seat: the latest face punch at the window's terminal today wins (it is who
    is actually there), else the seat's assigned staff member (rule RATE-2)."""
    if last_window_punch:
        return OnPost(last_window_punch, "punch")
    if assigned:
        return OnPost(assigned, "assignment")
    return OnPost(None, None)


# ---- binding (一次一评) ----


class Refusal(StrEnum):
    """Why a rating event is not bound to a service."""

    NO_SERVICE = "no_service"
    UNKNOWN_SERVICE = "unknown_service"
    NOT_SERVED = "not_served"
    DUPLICATE = "duplicate"
    UNKNOWN_DEVICE = "unknown_device"


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A ticket's service at one window on one day, as the queue recorded it."""

    day: date
    window: str
    ticket: str
    service: str | None
    served: bool  # called to this window and not skipped / no-show afterwards
    staff_id: str | None = None  # as the queue knew it (API calls may name the staff)
    case_no: str | None = None  # 办件编号, when the window's system gave one


@dataclass(frozen=True, slots=True)
class Binding:
    """The outcome of binding one rating: bound to a staff member, or refused with a reason."""

    refusal: Refusal | None
    detail: str = ""
    staff_id: str | None = None
    mismatch: bool = False


def bind(
    ticket: str | None,
    shown_staff: str | None,
    service: ServiceRecord | None,
    already_rated: bool,
    present: OnPost,
) -> Binding:
    """Bind a rating to its service and the staff member actually present (RATE-2).

    One rating per service (一次一评): the first one kept, a later one refused as duplicate.
    The rating goes to the staff member present; when the device showed someone else, the
    binding says so (mismatch) so an alert is raised.
    """
    if ticket is None:
        return Binding(Refusal.NO_SERVICE, "a press with no service in progress")
    if service is None:
        return Binding(Refusal.UNKNOWN_SERVICE, f"{ticket} was not called to this window today")
    if not service.served:
        return Binding(Refusal.NOT_SERVED, f"{ticket} was skipped or not served at this window")
    if already_rated:
        return Binding(Refusal.DUPLICATE, f"{ticket} is rated already; one rating per service")
    staff = present.staff_id or service.staff_id or shown_staff
    mismatch = present.staff_id is not None and shown_staff != present.staff_id
    detail = ""
    if mismatch:
        detail = f"device showed {shown_staff or 'nobody'}, {present.staff_id} is on post"
    return Binding(None, detail, staff, mismatch)


# ---- statistics (RATE-4) ----


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Counts and shares of one group of ratings."""

    total: int
    rated: int
    counts: dict[int, int]
    shares: dict[int, float]  # share of rated per level, 0..1
    satisfied_share: float | None  # levels >= 3 over rated
    index: float | None  # 0..100: 5 -> 100, 4 -> 75, 3 -> 50, 2 -> 25, 1 -> 0


def satisfaction(levels: Iterable[int | None]) -> Satisfaction:
    """Share per level and the 0-100 index of these ratings; not-rated ones count in total only."""
    counts = dict.fromkeys(LEVELS, 0)
    total = 0
    for level in levels:
        total += 1
        if level is not None:
            counts[level] += 1
    rated = sum(counts.values())
    if not rated:
        return Satisfaction(total, 0, counts, dict.fromkeys(LEVELS, 0.0), None, None)
    shares = {lv: round(c / rated, 4) for lv, c in counts.items()}
    happy = sum(c for lv, c in counts.items() if lv >= 3)
    index = sum((lv - 1) * 25 * c for lv, c in counts.items()) / rated
    return Satisfaction(total, rated, counts, shares, round(happy / rated, 4), round(index, 1))


def group_satisfaction(
    rows: Iterable[tuple[Hashable, int | None]],
) -> dict[Hashable, Satisfaction]:
    """Satisfaction per key from (key, level) pairs (key: staff, window, service or month)."""
    groups: dict[Hashable, list[int | None]] = defaultdict(list)
    for key, level in rows:
        groups[key].append(level)
    return {k: satisfaction(v) for k, v in sorted(groups.items(), key=lambda kv: str(kv[0]))}


def quarter_of(day: date) -> str:
    """The quarter a day is in, e.g. 2026Q4."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_range(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter like 2026Q4; ValueError when malformed."""
    try:
        year, q = int(quarter[:4]), int(quarter[5:])
    except ValueError:
        raise ValueError(f"bad quarter {quarter!r}; use e.g. 2026Q4") from None
    if quarter[4:5] != "Q" or not 1 <= q <= 4:
        raise ValueError(f"bad quarter {quarter!r}; use e.g. 2026Q4")
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


@dataclass(frozen=True, slots=True)
class StarEntry:
    """One staff member's place in the quarterly service-star ranking."""

    rank: int
    staff_id: str
    rated: int
    index: float
    satisfied_share: float
    dissatisfied: int
    star: bool
    eligible: bool


def service_stars(
    ratings: Sequence[tuple[str, int | None]], settings: RatingSettings
) -> list[StarEntry]:
    """Rank staff by satisfaction index for the quarterly service star (服务标兵, rule RATE-4).

    Order: index, then share satisfied, then fewer dissatisfied, then more rated, then staff id.
    Only staff with at least `star_min_rated` rated services are eligible; the first
    `star_count` eligible ones are the stars.
    """
    by_staff = group_satisfaction((s, lv) for s, lv in ratings if s)
    rows = []
    for staff, sat in by_staff.items():
        if sat.index is None or sat.satisfied_share is None:
            continue
        dis = sum(c for lv, c in sat.counts.items() if lv <= settings.dissatisfied_max)
        rows.append((str(staff), sat.rated, sat.index, sat.satisfied_share, dis))
    rows.sort(key=lambda r: (-r[2], -r[3], r[4], -r[1], r[0]))
    out: list[StarEntry] = []
    stars = 0
    for rank, (staff, rated, index, share, dis) in enumerate(rows, 1):
        eligible = rated >= settings.star_min_rated
        star = eligible and stars < settings.star_count
        stars += star
        out.append(StarEntry(rank, staff, rated, index, share, dis, star, eligible))
    return out
