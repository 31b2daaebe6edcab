"""Why each checkpoint got its verdict: punches considered, window and deadline, the rule and
the policy setting that decided it, and the leave or correction that overrode it.

Pure: built from a day's plan, the judge's trace and the record (hub.attendance.day). Plain JSON
values; times in the hall's zone. Used by `hallkeeper attendance judge --explain`, the API and
the dashboard's day of a staff member, so a staff member sees why and a supervisor can answer a
dispute.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.attendance.day import Trace
from hub.attendance.facts import CheckpointResult, DayRecord, Status
from hub.attendance.plan import DayPlan, Slot
from hub.attendance.policy import Policy


def _hm(epoch: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(zone).strftime("%H:%M")


def _hms(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M:%S")


def _decided_by(policy: Policy, s: Slot, r: CheckpointResult) -> list[dict[str, Any]]:
    """The policy settings that decided the verdict, with their values."""
    grace = "late_grace" if s.arrive else "early_grace"
    status = r.status
    if status is Status.LEAVE:
        return []
    if status is Status.NOT_DUE:  # the hall's clock: the half-day is not over (due_at)
        return []
    if status in (Status.MISSING, Status.ABSENT):  # rule ATT-6
        return [{"setting": "missing_counts_absent", "value": policy.missing_counts_absent}]
    out = [{"setting": grace, "value": s.grace}]
    if status is Status.ABSENT_FROM_POST or (
        status in (Status.LATE, Status.EARLY) and s.absent_after is not None
    ):
        out.append({"setting": "absent_after", "value": s.absent_after})
    if status in (Status.LATE, Status.EARLY) and s.absent_after is None:
        out.append({"setting": "absent_from_post", "value": False})
    return out


def explain_day(
    policy: Policy, plan: DayPlan, record: DayRecord, trace: Trace, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """One explanation per checkpoint of the day, in the day's order."""
    unit_of: dict[int, tuple[int, int, int, int]] = {}
    for u in plan.units:
        unit_of[u.arrive] = unit_of[u.leave] = (u.arrive, u.leave, u.opens, u.closes)
    out = []
    for i, (s, r) in enumerate(zip(plan.slots, record.checkpoints, strict=True)):
        unit = unit_of.get(i)
        if unit is not None:
            members = (unit[0], unit[1])
            considered = [at for at, j, _g in trace.kept if j in members]
            span = {"opens": _hm(unit[2], zone), "closes": _hm(unit[3], zone)}
            how = trace.unit_mode.get(unit[0], "none")
        else:
            considered = [at for at, j, _g in trace.kept if j == i]
            span = None
            how = (
                ("earliest_in_window" if s.arrive else "latest_in_window") if considered else "none"
            )
        closes = unit[3] if unit is not None else s.closes
        item: dict[str, Any] = {
            "checkpoint": s.name,
            "kind": "arrive" if s.arrive else "leave",
            "status": r.status.value,
            "minutes": r.minutes,
            "rule": r.rule,
            "target": _hm(s.target, zone),
            "deadline" if s.arrive else "stop_time": _hm(
                s.target + s.grace * 60 if s.arrive else s.target - s.grace * 60, zone
            ),
            "window": {"opens": _hm(s.opens, zone), "closes": _hm(s.closes, zone)},
            "half_day": span,
            "min_stay": policy.min_stay if span else None,
            "how": how if r.status is not Status.NOT_DUE else "not_yet",
            "punches": [_hms(at, zone) for at in considered],
            "merged": [_hms(at, zone) for at, into in trace.merged if into in considered],
            "counted": _hms(r.punch, zone) if r.punch is not None else None,
            "decided_by": _decided_by(policy, s, r),
            "leave": None,
            "correction": None,
            "early_punches": [_hms(at, zone) for at, _j, g in trace.kept if g == i],  # rule ATT-4
            "due_at": _hm(closes, zone) if r.status is Status.NOT_DUE else None,
        }
        if s.gap_from < s.opens:
            item["window"]["gap_from"] = _hm(s.gap_from, zone)  # rule ATT-4
        lv = trace.leave.get(i)
        if lv is not None:
            item["leave"] = {
                "ref": lv.ref,
                "kind": lv.kind,
                "start": lv.start.astimezone(zone).isoformat(),
                "end": lv.end.astimezone(zone).isoformat(),
            }
        fix = trace.fix.get(i)
        if fix is not None:
            item["correction"] = {
                "ref": fix.ref,
                "at": _hms(fix.at, zone),
                "approver": fix.approver,
                "reason": fix.reason,
            }
        out.append(item)
    return out
