"""Vectorised judging of many staff-days at once (numpy), for months of a whole hall.

Gives exactly the verdicts of Judge's per-day path (tests compare the two) for staff members
with no leave and no corrections; those few are judged per day. Same rules, same citations.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

from hub.attendance.facts import CheckpointResult, DayRecord, PunchFact, Status

# verdict codes -> (status, rule)
_VERDICTS = (
    (Status.OK, "ATT-2"),
    (Status.LATE, "ATT-2"),
    (Status.EARLY, "ATT-2"),
    (Status.ABSENT, "ATT-3"),  # late or early by more than absent_after (脱岗)
    (Status.MISSING, "ATT-6"),  # 缺卡
    (Status.ABSENT, "ATT-6"),  # both punches of a half-day missing (旷工)
)
_OK, _LATE, _EARLY, _ABSENT_LONG, _MISSING, _ABSENT_HALF = range(6)


class SlotTable:
    """The windows of a period's workdays as arrays: shape (workdays, checkpoints)."""

    def __init__(self, plans: Sequence[object]) -> None:
        """Build from DayPlans (all with the same checkpoints)."""
        slots0 = plans[0].slots  # type: ignore[attr-defined]
        self.days: list[date] = [p.day for p in plans]  # type: ignore[attr-defined]
        self.names: list[str] = [s.name for s in slots0]
        self.arrive = np.array([s.arrive for s in slots0], dtype=bool)
        self.grace = np.array([s.grace for s in slots0], dtype=np.int64)
        self.absent_after = int(slots0[0].absent_after)
        self.halves = [s.half for s in slots0]
        rows = [p.slots for p in plans]  # type: ignore[attr-defined]
        self.opens = np.array([[s.opens for s in r] for r in rows], dtype=np.int64)
        self.closes = np.array([[s.closes for s in r] for r in rows], dtype=np.int64)
        self.targets = np.array([[s.target for s in r] for r in rows], dtype=np.int64)


def judge_many(
    punches: Sequence[PunchFact],
    staff: Sequence[str],
    table: SlotTable,
    day_starts: Sequence[int],
    day_list: Sequence[date],
    dedup_s: int,
    strict_missing: bool,
) -> list[DayRecord]:
    """Every workday of `table` for every member of `staff` (sorted), from their punches."""
    n_staff, n_days, k = len(staff), len(table.days), len(table.names)
    rank = {s: i for i, s in enumerate(staff)}
    n = len(punches)
    at = [p.at for p in punches]
    tsf = np.fromiter((a.timestamp() for a in at), dtype=np.float64, count=n)
    sid = np.fromiter((rank[p.staff_id] for p in punches), dtype=np.int64, count=n)
    tsi = tsf.astype(np.int64)  # truncated like int(), as the per-day path does
    # the hall-local day of each punch, and which workday of the period it is (-1: none)
    workday_of = {d: i for i, d in enumerate(table.days)}
    wmap = np.array([workday_of.get(d, -1) for d in day_list] + [-1], dtype=np.int64)
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
        dup[1:] = same & ((t_o[1:] - t_o[:-1]) <= dedup_s)
    keep = ~dup
    order, s_o, w_o, t_o = order[keep], s_o[keep], w_o[keep], t_o[keep]
    slot = np.full(len(order), -1, dtype=np.int64)
    for j in range(k):
        inside = (t_o >= table.opens[w_o, j]) & (t_o < table.closes[w_o, j])
        slot[inside] = j
    stray: dict[int, list[datetime]] = {}
    for i in np.flatnonzero(slot < 0).tolist():  # rule ATT-4: kept and shown, judges nothing
        stray.setdefault(int(s_o[i]) * n_days + int(w_o[i]), []).append(at[order[i]])
    placed = slot >= 0
    key = (s_o[placed] * n_days + w_o[placed]) * k + slot[placed]  # non-decreasing
    src = order[placed]
    count = np.full(n_staff * n_days * k, -1, dtype=np.int64)
    if len(key):
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        last = np.ones(len(key), dtype=bool)
        last[:-1] = key[1:] != key[:-1]
        kf, kl = key[first], key[last]
        arrive_f = table.arrive[kf % k]  # earliest punch counts for arrive ...
        count[kf[arrive_f]] = src[first][arrive_f]
        leave_l = ~table.arrive[kl % k]  # ... latest for leave
        count[kl[leave_l]] = src[last][leave_l]
    codes, minutes = _verdicts(count, tsi, table, n_staff, strict_missing)
    return _records(staff, table, at, count, codes, minutes, stray)


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
    codes = np.where(off <= table.grace, _OK, np.where(off > table.absent_after, _ABSENT_LONG, bad))
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
    stray: dict[int, list[datetime]],
) -> list[DayRecord]:
    k, n_days = len(table.names), len(table.days)
    names = table.names
    # results with no punch are the same value every time: share them
    empty = [
        CheckpointResult(names[j], _VERDICTS[c][0], 0, None, False, None, _VERDICTS[c][1])
        if c >= _MISSING
        else None
        for c in range(len(_VERDICTS))
        for j in range(k)
    ]
    status = [v[0] for v in _VERDICTS]
    rule = [v[1] for v in _VERDICTS]
    cols = [j for _ in range(n_days * len(staff)) for j in range(k)]
    new = tuple.__new__
    cr = CheckpointResult
    flat = [
        empty[c * k + j]
        if c >= _MISSING
        else new(cr, (names[j], status[c], m, at[ci], False, None, rule[c]))
        for j, c, m, ci in zip(cols, codes.tolist(), minutes.tolist(), count.tolist(), strict=True)
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
    ]
