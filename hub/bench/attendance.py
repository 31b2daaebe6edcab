"""Benchmark: a month of punches for 10,000 staff judged from scratch, and one late punch.

`hallkeeper bench attendance [--json]` prints staff, punches, month_s and late_punch_ms
(targets: month <= 10 s, one late punch <= 20 ms); month_cpu_s is the process CPU time of the
month (wall time suffers on a busy machine). `baseline_cpu_s` is a fixed reference measured in the
same run (every punch's time read and the punches sorted by staff and time, plain Python), and
`ratio` = month_cpu_s / baseline_cpu_s: the figure to compare across runs on a shared host.
The late punch is re-judged the way the live projector does it: its staff-day's facts are read
from a migrated SQLite database holding the whole month, the day is judged,
and its records are written back.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hub.attendance.engine import Judge, PunchFact
from hub.attendance.policy import load_policy

logger = logging.getLogger(__name__)

MONTH_START, MONTH_END = date(2025, 4, 1), date(2025, 4, 30)  # 22 workdays, one 调休 Sunday


def make_month(staff: int, seed: int = 7) -> tuple[list[str], list[PunchFact], Judge]:
    """A month of four punches a workday per staff member, with some lates and early leaves."""
    policy = load_policy("wenshang-2021")
    judge = Judge(policy)
    rng = random.Random(seed)
    zone = policy.zone
    ids = [f"s{n:05d}" for n in range(staff)]
    punches: list[PunchFact] = []
    days = judge.calendar.workdays(MONTH_START, MONTH_END)
    for day in days:
        summer = policy.season.is_summer(day)
        bases = [datetime.combine(day, c.target(summer), tzinfo=zone) for c in policy.checkpoints]
        for sid in ids:
            for i, base in enumerate(bases):
                arrive = i % 2 == 0
                shift = rng.gauss(-8 if arrive else 6, 6)
                punches.append(PunchFact(sid, base + timedelta(minutes=shift)))
    return ids, punches, judge


def run(staff: int = 10_000) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    ids, punches, judge = make_month(staff)
    rng = random.Random(11)
    rng.shuffle(punches)
    baseline_first = _baseline_cpu_s(punches)
    t0, c0 = time.perf_counter(), time.process_time()
    records = judge.judge(punches=punches, start=MONTH_START, end=MONTH_END, roster=ids)
    month_s, month_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    baseline_cpu_s = min(baseline_first, _baseline_cpu_s(punches))  # before and after the month
    late_ms = _late_punch_ms(judge, punches, ids)
    return {
        "staff": staff,
        "punches": len(punches),
        "workdays": len(records) // max(staff, 1),
        "month_s": round(month_s, 3),
        "month_cpu_s": round(month_cpu_s, 3),
        "baseline_cpu_s": round(baseline_cpu_s, 3),
        "ratio": round(month_cpu_s / baseline_cpu_s, 2) if baseline_cpu_s else None,
        "late_punch_ms": round(late_ms, 3),
    }


def _baseline_cpu_s(punches: list[PunchFact]) -> float:
    """CPU time of the reference work: each punch's time read, then sorted by staff and time."""
    import gc

    paused = gc.isenabled()
    gc.disable()  # as the judge does: collector passes would make the reference noisy
    try:
        c0 = time.process_time()
        keyed = [(p.staff_id, p.at.timestamp()) for p in punches]
        keyed.sort()
        return time.process_time() - c0
    finally:
        if paused:
            gc.enable()


def _late_punch_ms(judge: Judge, punches: list[PunchFact], ids: list[str]) -> float:
    """Load the month into SQLite, then time the projector on one punch arriving late."""
    from hub.attendance.projector import AttendanceProjector
    from hub.attendance.store import insert_punches, punch_rows
    from hub.db import make_engine, migrate

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        with engine.begin() as conn:
            insert_punches(conn, punch_rows(punches))
        projector = AttendanceProjector(judge.policy)
        day = MONTH_START + timedelta(days=1)
        late = PunchFact(
            ids[len(ids) // 2],
            datetime.combine(day, datetime.min.time(), tzinfo=judge.zone)
            + timedelta(hours=8, minutes=47),
        )
        projector.rejudge_punches(engine, [late])  # warm the plan cache and statements
        samples = []
        for minute in range(5):
            p = PunchFact(late.staff_id, late.at + timedelta(minutes=minute * 2))
            t0 = time.perf_counter()
            projector.rejudge_punches(engine, [p])
            samples.append((time.perf_counter() - t0) * 1000)
        engine.dispose()
    return sorted(samples)[len(samples) // 2]


def main(json_out: bool = False, staff: int = 10_000) -> None:
    """Print the figures (JSON with `json_out`)."""
    figures = run(staff)
    if json_out:
        print(json.dumps(figures))
        return
    print(
        f"attendance: {figures['staff']} staff, {figures['punches']} punches, "
        f"{figures['workdays']} workdays"
    )
    print(f"  month judged from scratch: {figures['month_s']:.3f} s (target <= 10 s)")
    print(
        f"  month CPU {figures['month_cpu_s']:.3f} s / baseline {figures['baseline_cpu_s']:.3f} s"
        f" = ratio {figures['ratio']}"
    )
    print(f"  one late punch re-judged:  {figures['late_punch_ms']:.3f} ms (target <= 20 ms)")
