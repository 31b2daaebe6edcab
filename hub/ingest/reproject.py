"""`hallkeeper hub reproject`: rebuild an area's records from the stored facts; say what changed.

Every stored fact the area's projectors read (device time from `--from`) is applied again
through their lanes, in log order, while each lane's lock is held (a running hub's projection
of that lane waits meanwhile). Projectors are idempotent per fact, so a record already right is
left as it is, a missing one is made and one derived from an older rule is judged again. The
area's tables are compared before and after: rows added, removed and changed, per table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from hub.ingest.hooks import Projector
from hub.ingest.lane import Lane, RetryPolicy, is_durable
from hub.ingest.stats import IngestStats

AREAS = ("attendance", "compliance", "queue", "ratings")
"""The areas `hub reproject` rebuilds (their projectors declare the facts they read)."""


@dataclass(slots=True)
class TableChange:
    """What a rebuild changed in one table."""

    table: str
    before: int
    after: int
    added: int = 0
    removed: int = 0
    changed: int = 0


@dataclass(slots=True)
class ReprojectReport:
    """What `reproject` did."""

    area: str
    facts: int = 0
    failed: int = 0
    """Facts a projector failed on: parked for retry, alerted after a few tries."""
    tables: list[TableChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when any record was added, removed or changed."""
        return any(t.added or t.removed or t.changed for t in self.tables)


def area_tables(area: str) -> list[sa.Table]:
    """The tables an area's models define (modules `hub.<area>.*`)."""
    import hub.tables  # noqa: F401 - every area's models registered

    prefix = f"hub.{area}."
    out = {
        m.local_table.name: m.local_table
        for m in SQLModel._sa_registry.mappers
        if m.class_.__module__.startswith(prefix) and isinstance(m.local_table, sa.Table)
    }
    return [out[name] for name in sorted(out)]


def _snapshot(engine: Engine, table: sa.Table) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    keys = list(table.primary_key.columns) or list(table.columns)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table)).all()
    return {tuple(getattr(r, c.name) for c in keys): tuple(r) for r in rows}


def facts_to_replay(
    engine: Engine, area: str, projectors: Sequence[Projector], since: datetime | None
) -> int:
    """How many stored facts a rebuild of `area` applies (for a progress bar)."""
    from hub.ingest.factlog import EVENT

    types = {str(t) for p in projectors if p.name == area for t in getattr(p, "facts", ())}
    query = sa.select(sa.func.count()).where(EVENT.c.type.in_(sorted(types)))
    if since is not None:
        query = query.where(EVENT.c.device_ts >= since.astimezone(UTC))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def reproject(
    engine: Engine,
    area: str,
    projectors: Sequence[Projector],
    *,
    since: datetime | None = None,
    progress: Callable[[int], object] | None = None,
) -> ReprojectReport:
    """Apply the area's stored facts again through its projectors; report the changes."""
    if area not in AREAS:
        raise ValueError(f"area must be one of {', '.join(AREAS)}, not {area!r}")
    lanes = [
        Lane(p, engine, policy=RetryPolicy(), alerts=None, stats=IngestStats())
        for p in projectors
        if p.name == area and is_durable(p)
    ]
    if not lanes:
        raise ValueError(f"the {area} area has no projector in this hub")
    tables = area_tables(area)
    before = {t.name: _snapshot(engine, t) for t in tables}
    report = ReprojectReport(area)
    for lane in lanes:
        applied, parked = lane.replay(since, progress)
        report.facts += applied + parked
        report.failed += parked
    for table in tables:
        old, new = before[table.name], _snapshot(engine, table)
        report.tables.append(
            TableChange(
                table.name,
                len(old),
                len(new),
                added=len(new.keys() - old.keys()),
                removed=len(old.keys() - new.keys()),
                changed=sum(1 for k in old.keys() & new.keys() if old[k] != new[k]),
            )
        )
    return report
