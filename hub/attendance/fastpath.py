"""Vectorised judging of many settled staff-days at once (numpy), for months of a whole hall.

Gives exactly the verdicts of the per-day path (hub.attendance.day; tests compare the two) for
staff members with no leave and no corrections on days that are over; the rest is judged per
day. Same rules, same citations: windows, the half-day pairing (min_stay), dedup, the ATT-4
gap, 脱岗 (ATT-3), 缺卡 and 旷工 (ATT-6).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

from hub.attendance.facts import CheckpointResult, DayRecord, PunchFact, Status
from hub.attendance.plan import DayPlan
from hub.attendance.policy import Policy

# verdict codes -> (status, rule)
_VERDICTS = (
    (Status.OK, "ATT-2"),
    (Status.LATE, "ATT-2"),
    (Status.EARLY, "ATT-2"),
    (Status.ABSENT_FROM_POST, "ATT-3"),  # late or early by more than absent_after (脱岗)
    (Status.MISSING, "ATT-6"),  # 缺卡
    (Status.ABSENT, "ATT-6"),  # both punches of a half-day missing (旷工)
)
_OK, _LATE, _EARLY, _ABSENT_LONG, _MISSING, _ABSENT_HALF = range(6)


class SlotTable:
    """The windows of a period's judged days as arrays: shape (days, checkpoints)."""

    def __init__(self, plans: Sequence[DayPlan]) -> None:
        """Build from DayPlans (all with the same checkpoints)."""
        slots0 = plans[0].slots
        self.days: list[date] = [p.day for p in plans]
        self.names: list[str] = [s.name for s in slots0]
        self.arrive = np.array([s.arrive for s in slots0], dtype=bool)
        self.grace = np.array([s.grace for s in slots0], dtype=np.int64)
        self.absent_after = slots0[0].absent_after
        self.halves = [s.half for s in slots0]
        units = plans[0].units
        self.unit_arrive = np.array([u.arrive for u in units] + [0], dtype=np.int64)
        self.unit_leave = np.array([u.leave for u in units] + [0], dtype=np.int64)
        unit_of = np.full(len(slots0), -1, dtype=np.int64)
        for i, u in enumerate(units):
            unit_of[u.arrive] = unit_of[u.leave] = i
        self.unit_of = unit_of
        rows = [p.slots for p in plans]
        self.opens = np.array([[s.opens for s in r] for r in rows], dtype=np.int64)
        self.closes = np.array([[s.closes for s in r] for r in rows], dtype=np.int64)
        self.gap_from = np.array([[s.gap_from for s in r] for r in rows], dtype=np.int64)
        self.targets = np.array([[s.target for s in r] for r in rows], dtype=np.int64)


def judge_many(
    punches: Sequence[PunchFact],
    staff: Sequence[str],
    table: SlotTable,
    index: tuple[Sequence[int], Sequence[date]],
    policy: Policy,
    wanted: dict[str, set[date]] | None = None,
) -> list[DayRecord]:
    """The days of `table` for every member of `staff` (sorted) expected then, from punches."""
    day_starts, day_list = index
    n_staff, n_days, k = len(staff), len(table.days), len(table.names)
    rank = {s: i for i, s in enumerate(staff)}
    n = len(punches)
    at = [p.at for p in punches]
    tsf = np.fromiter((a.timestamp() for a in at), dtype=np.float64, count=n)
    sid = np.fromiter((rank[p.staff_id] for p in punches), dtype=np.int64, count=n)
    tsi = tsf.astype(np.int64)  # truncated like int(), as the per-day path does
    # the hall-local day of each punch, and which judged day of the period it is (-1: none)
    day_of = {d: i for i, d in enumerate(table.days)}
    wmap = np.array([day_of.get(d, -1) for d in day_list] + [-1], dtype=np.int64)
    di = np.searchsorted(np.asarray(day_starts, dtype=np.int64), tsi, side="right") - 1
    di = np.where((di < 0) | (di >= len(day_list)), len(day_list), di)
    wd = wmap[di]
    idx = np.flatnonzero(wd >= 0)
    order = idx[np.lexsort((tsf[idx], wd[idx], sid[idx]))]
    s_o, w_o, t_o = sid[order], wd[order], tsi[order]
    # repeated punches within dedup_s seconds of the one before are one punch
    dup = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same = (s_o[1:] == s_o[:-1]) & (w_o[1:] == w_o[:-1])
        dup[1:] = same & ((t_o[1:] - t_o[:-1]) <= policy.dedup_s)
    keep = ~dup
    order, s_o, w_o, t_o = order[keep], s_o[keep], w_o[keep], t_o[keep]
    slot = np.full(len(order), -1, dtype=np.int64)
    gap = np.full(len(order), -1, dtype=np.int64)
    for j in range(k - 1, -1, -1):
        slot[(t_o >= table.opens[w_o, j]) & (t_o < table.closes[w_o, j])] = j
        gap[(t_o >= table.gap_from[w_o, j]) & (t_o < table.opens[w_o, j])] = j
    day_key = s_o * n_days + w_o
    stray: dict[int, list[datetime]] = {}
    for i in np.flatnonzero(slot < 0).tolist():  # rule ATT-4: kept and shown, judges nothing
        stray.setdefault(int(day_key[i]), []).append(at[order[i]])
    early = np.zeros(n_staff * n_days * k, dtype=bool)
    in_gap = (slot < 0) & (gap >= 0)  # rule ATT-4: a punch before its window opens is a fault
    early[day_key[in_gap] * k + gap[in_gap]] = True
    count = np.full(n_staff * n_days * k, -1, dtype=np.int64)
    unit = np.where(slot >= 0, table.unit_of[np.maximum(slot, 0)], -1)
    _by_windows(count, table, day_key, slot, unit, order, k)
    _by_pairs(count, table, day_key, slot, unit, order, t_o, k, policy.min_stay)
    codes, minutes = _verdicts(count, tsi, table, n_staff, policy.missing_counts_absent)
    mask = None
    if wanted is not None:
        mask = [[d in wanted.get(s, ()) for d in table.days] for s in staff]
    return _records(staff, table, at, count, codes, minutes, early, stray, mask)


def _by_windows(
    count: np.ndarray,
    table: SlotTable,
    day_key: np.ndarray,
    slot: np.ndarray,
    unit: np.ndarray,
    order: np.ndarray,
    k: int,
) -> None:
    """Checkpoints outside a half-day pair: earliest punch counts for arrive, latest for leave."""
    placed = (slot >= 0) & (unit < 0)
    key = day_key[placed] * k + slot[placed]  # non-decreasing
    src = order[placed]
    if not len(key):
        return
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    last = np.ones(len(key), dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    kf, kl = key[first], key[last]
    arrive_f = table.arrive[kf % k]
    count[kf[arrive_f]] = src[first][arrive_f]
    leave_l = ~table.arrive[kl % k]
    count[kl[leave_l]] = src[last][leave_l]


def _by_pairs(
    count: np.ndarray,
    table: SlotTable,
    day_key: np.ndarray,
    slot: np.ndarray,
    unit: np.ndarray,
    order: np.ndarray,
    t_o: np.ndarray,
    k: int,
    min_stay: int,
) -> None:
    """Half-day pairs: punches min_stay apart are arrival and leave, closer ones as windows say."""
    inside = unit >= 0
    n_units = max(len(table.unit_arrive) - 1, 1)
    key = day_key[inside] * n_units + unit[inside]  # non-decreasing: units follow in the day
    if not len(key):
        return
    src, t_u, s_u, u_u = order[inside], t_o[inside], slot[inside], unit[inside]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    last = np.ones(len(key), dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    base = (key[first] // n_units) * k
    u = u_u[first]
    a_slot, l_slot = table.unit_arrive[u], table.unit_leave[u]
    paired = (t_u[last] // 60 - t_u[first] // 60) >= min_stay  # ATT-3: two hours late is late
    as_arrival = paired | (s_u[first] == a_slot)
    as_leave = paired | ~as_arrival
    count[(base + a_slot)[as_arrival]] = src[first][as_arrival]
    count[(base + l_slot)[as_leave]] = src[last][as_leave]


def _verdicts(
    count: np.ndarray, tsi: np.ndarray, table: SlotTable, n_staff: int, strict: bool
) -> tuple[np.ndarray, np.ndarray]:
    n_days, k = table.targets.shape
    cnt = count.reshape(n_staff, n_days, k)
    missing = cnt < 0
    ts = np.append(tsi, 0)[np.where(missing, len(tsi), cnt)]
    minute = ts - ts % 60  # judged at whole minutes
    target = table.targets[None, :, :]
    # rule ATT-11: for a leave checkpoint a punch after the stop time is never a fault
    off = np.where(table.arrive, (minute - target) // 60, (target - minute) // 60)
    bad = np.where(table.arrive, _LATE, _EARLY)
    if table.absent_after is None:  # no 脱岗 in this policy
        codes = np.where(off <= table.grace, _OK, bad)
    else:  # rule ATT-3: more than absent_after minutes is 脱岗
        codes = np.where(
            off <= table.grace, _OK, np.where(off > table.absent_after, _ABSENT_LONG, bad)
        )
    codes = np.where(missing, _MISSING, codes)
    minutes = np.where((codes == _OK) | missing, 0, off)
    for half in ("AM", "PM"):  # rule ATT-6: a half-day with every punch missing is 旷工
        cols = [j for j, h in enumerate(table.halves) if h == half]
        if not cols:
            continue
        miss = missing[:, :, cols]
        hit = np.asarray(miss.any(axis=2) if strict else miss.all(axis=2))
        sub = codes[:, :, cols]
        sub[miss & hit[:, :, None]] = _ABSENT_HALF
        codes[:, :, cols] = sub
    return codes.reshape(-1), minutes.reshape(-1)


def _records(
    staff: Sequence[str],
    table: SlotTable,
    at: list[datetime],
    count: np.ndarray,
    codes: np.ndarray,
    minutes: np.ndarray,
    early: np.ndarray,
    stray: dict[int, list[datetime]],
    mask: list[list[bool]] | None,
) -> list[DayRecord]:
    k, n_days = len(table.names), len(table.days)
    names = table.names
    # results with no punch are the same value every time: share them
    empty = [
        CheckpointResult(names[j], _VERDICTS[c][0], 0, None, False, None, _VERDICTS[c][1], e)
        if c >= _MISSING
        else None
        for e in (False, True)
        for c in range(len(_VERDICTS))
        for j in range(k)
    ]
    shift = len(_VERDICTS) * k
    status = [v[0] for v in _VERDICTS]
    rule = [v[1] for v in _VERDICTS]
    cols = [j for _ in range(n_days * len(staff)) for j in range(k)]
    new = tuple.__new__
    cr = CheckpointResult
    flat = [
        empty[e * shift + c * k + j]
        if c >= _MISSING
        else new(cr, (names[j], status[c], m, at[ci], False, None, rule[c], e))
        for j, c, m, ci, e in zip(
            cols, codes.tolist(), minutes.tolist(), count.tolist(), early.tolist(), strict=True
        )
    ]
    days = table.days
    no_stray: tuple[datetime, ...] = ()
    return [
        DayRecord(
            staff_id,
            days[w_i],
            tuple(flat[(s_i * n_days + w_i) * k : (s_i * n_days + w_i + 1) * k]),
            tuple(stray[s_i * n_days + w_i]) if s_i * n_days + w_i in stray else no_stray,
        )
        for s_i, staff_id in enumerate(staff)
        for w_i in range(n_days)
        if mask is None or mask[s_i][w_i]
    ]
