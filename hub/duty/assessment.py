"""The monthly assessment (考核, rule DUTY-5): counts of what happened, scored by the hall's points.

Pure. A `Tally` holds a staff member's or a window's month: attendance (ATT-2/3/6, ATT-9's
thresholds), arriving early (ATT-12), on-post violations (POST-1/2/5/6), dissatisfied ratings
(RATE-3/4), complaints found substantiated or partly so (DUTY-6), inspection findings
(DUTY-4), the duty chief's own checks and opening checks (POST-8, DEV-1) and the points
written in the duty chief's log. `score` turns it into items
and a total with the policy's points; every item names its rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from hub.duty.policy import Points

ITEM_RULES: dict[str, str] = {
    "late": "ATT-2",
    "early": "ATT-2",
    "absent_half_day": "ATT-6",
    "missing_punch": "ATT-6",
    "lates_reaching": "ATT-9",
    "missing_over": "ATT-9",
    "not_early": "ATT-12",
    "violation": "POST-1",
    "dissatisfied": "RATE-3",
    "complaint": "DUTY-6",
    "inspection_problem": "DUTY-4",
    "check_missed": "POST-8",
    "opening_unacknowledged": "DEV-1",
    "duty_points": "DUTY-2",
}
"""Each assessment item and the rule it stands on."""


@dataclass
class Tally:
    """What one staff member or window did in a month."""

    late: int = 0
    early: int = 0
    absent_half_day: int = 0
    missing_punch: int = 0
    not_early: int = 0
    violation: int = 0
    dissatisfied: int = 0
    complaint: int = 0
    inspection_problem: int = 0
    check_missed: int = 0
    opening_unacknowledged: int = 0
    duty_points: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Add another tally to this one (a window sums its staff's attendance)."""
        for f in fields(self):
            if f.name != "notes":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True, slots=True)
class Item:
    """One line of an assessment: how many, the points each, the points, the rule."""

    key: str
    count: float
    each: float
    points: float
    rule: str


@dataclass(frozen=True)
class Assessment:
    """A staff member's or window's month: the base, the items and the total."""

    subject_kind: str  # staff / window
    subject: str
    base: float
    items: tuple[Item, ...]

    @property
    def total(self) -> float:
        """The base plus every item's points, rounded to tenths."""
        return round(self.base + sum(i.points for i in self.items), 1)


def score(subject_kind: str, subject: str, t: Tally, p: Points) -> Assessment:
    """Rule DUTY-5: the month's items scored by the hall's points (items with nothing omitted)."""
    counted: list[tuple[str, float, float]] = [
        ("late", t.late, p.late),
        ("early", t.early, p.early),
        ("absent_half_day", t.absent_half_day, p.absent_half_day),
        ("missing_punch", t.missing_punch, p.missing_punch),
        ("lates_reaching", float(t.late >= p.lates_reaching), p.lates_reaching_points),
        ("missing_over", float(t.missing_punch > p.missing_over), p.missing_over_points),
        ("not_early", t.not_early, p.not_early),
        ("violation", t.violation, p.violation),
        ("dissatisfied", t.dissatisfied, p.dissatisfied),
        ("complaint", t.complaint, p.complaint),
        ("inspection_problem", t.inspection_problem, p.inspection_problem),
        ("check_missed", t.check_missed, p.check_missed),
        ("opening_unacknowledged", t.opening_unacknowledged, p.opening_unacknowledged),
    ]
    items = [
        Item(key, count, each, round(count * each, 2), ITEM_RULES[key])
        for key, count, each in counted
        if count
    ]
    if t.duty_points:
        items.append(
            Item("duty_points", 1, t.duty_points, t.duty_points, ITEM_RULES["duty_points"])
        )
    return Assessment(subject_kind, subject, p.base, tuple(items))


def ranked(assessments: list[Assessment]) -> list[tuple[int, Assessment]]:
    """Assessments by total, highest first, with their rank (ties share a rank)."""
    ordered = sorted(assessments, key=lambda a: (-a.total, a.subject))
    out: list[tuple[int, Assessment]] = []
    for i, a in enumerate(ordered):
        rank = out[-1][0] if out and out[-1][1].total == a.total else i + 1
        out.append((rank, a))
    return out
