"""Fleet service: registry sync from the hall layout, periodic tick (inactivity, opening check)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.fleet import engine as fleet
from hub.fleet.engine import AlertKind, FleetPolicy, OpeningReport
from hub.fleet.importer import import_area_alerts
from hub.fleet.projector import DEFAULT_TZ, utc_now
from hub.fleet.store import (
    evaluate_alerts,
    health_from_row,
    load_health,
    load_open_alerts,
    snapshots,
    with_retry,
    write_health,
)
from hub.fleet.tables import Alert, DeviceHealth, FleetDevice, OpeningCheck
from models.layout import Hall

logger = logging.getLogger(__name__)


def sync_registry(engine: Engine, hall: Hall, now: datetime) -> int:
    """Make the device table match the hall layout; devices gone from it stay, out of layout."""

    def work(session: Session) -> int:
        existing = {
            d.device: d
            for d in session.exec(select(FleetDevice).where(FleetDevice.hall == hall.id)).all()
        }
        for dev in hall.devices:
            row = existing.pop(dev.id, None) or FleetDevice(
                hall=hall.id, device=dev.id, registered_at=now
            )
            row.kind, row.node, row.window, row.seat = dev.kind, dev.node, dev.window, dev.seat
            row.in_layout = True
            session.add(row)
        for row in existing.values():
            if row.in_layout:
                row.in_layout = False
                session.add(row)
                logger.info("device %s/%s is no longer in the layout", hall.id, row.device)
        return len(hall.devices)

    count = with_retry(engine, work)
    logger.info("fleet registry: hall %s has %d devices", hall.id, count)
    return count


def evaluate_all(
    engine: Engine,
    now: datetime,
    policy: FleetPolicy,
    timezones: Mapping[str, str] | None = None,
) -> None:
    """Re-check alert conditions at `now` where time alone can change them.

    Read: devices silent past the inactivity timeout, those with an open inactive alert, and,
    with quiet hours, offline devices whose offline alert was held back during them.
    """
    zones = dict(timezones or {})
    cutoff = now - timedelta(seconds=policy.inactivity_s)

    def quiet(hall: str) -> bool:
        return fleet.in_quiet_hours(now, ZoneInfo(zones.get(hall, DEFAULT_TZ)), policy)

    def work(session: Session) -> None:
        silent = select(DeviceHealth.hall, DeviceHealth.device).where(
            col(DeviceHealth.online).is_(True), col(DeviceHealth.last_seen) < cutoff
        )
        flagged = select(Alert).where(Alert.state == "open", Alert.kind == AlertKind.INACTIVE)
        keys = {(h, d) for h, d in session.exec(silent).all()}
        keys |= {(a.hall, a.device) for a in session.exec(flagged).all()}
        if policy.quiet_hours is not None:
            keys |= set(_offline_without_alert(session))
        rows = load_health(session, keys)
        alerts = load_open_alerts(session, keys)
        for key in sorted(keys):
            health = health_from_row(rows.get(key))
            evaluate_alerts(session, key, health, now, policy, alerts[key], quiet(key[0]))

    with_retry(engine, work)


def _offline_without_alert(session: Session) -> list[tuple[str, str]]:
    """Offline devices with no offline alert for this time offline (open, or handled since)."""
    handled = (
        sa.select(col(Alert.id))
        .where(
            col(Alert.hall) == col(DeviceHealth.hall),
            col(Alert.device) == col(DeviceHealth.device),
            col(Alert.kind) == AlertKind.OFFLINE,
            (col(Alert.state) == "open") | (col(Alert.resolved_at) >= col(DeviceHealth.state_at)),
        )
        .exists()
    )
    q = sa.select(col(DeviceHealth.hall), col(DeviceHealth.device)).where(
        col(DeviceHealth.online).is_(False), ~handled
    )
    return [(h, d) for h, d in session.connection().execute(q).all()]


def store_report(session: Session, report: OpeningReport) -> OpeningCheck:
    """Store (or replace) the opening check of a hall's day."""
    row = session.exec(
        select(OpeningCheck).where(OpeningCheck.hall == report.hall, OpeningCheck.day == report.day)
    ).first() or OpeningCheck(hall=report.hall, day=report.day)
    row.due_at = report.due_at
    row.checked_at = report.checked_at
    row.checked = report.checked
    row.ok = report.ok
    row.problems = [{**asdict(p), "reasons": list(p.reasons)} for p in report.problems]
    session.add(row)
    return row


def run_opening_check(
    engine: Engine, hall: Hall, now: datetime, policy: FleetPolicy
) -> OpeningReport:
    """Check the hall's devices now and store the report for today (rules DEV-1, DEV-2)."""
    tz = ZoneInfo(hall.timezone)
    day = now.astimezone(tz).date()
    due = fleet.check_at(day, hall.opening_time, hall.opening_check_minutes, tz)

    def work(session: Session) -> OpeningReport:
        report = fleet.opening_check(hall.id, day, due, now, snapshots(session, hall.id), policy)
        store_report(session, report)
        return report

    report = with_retry(engine, work)
    if report.ok:
        logger.info("opening check %s %s: %d devices, all healthy", hall.id, day, report.checked)
    else:
        logger.warning(
            "opening check %s %s: %d of %d devices not healthy: %s",
            hall.id,
            day,
            len(report.problems),
            report.checked,
            ", ".join(p.device for p in report.problems),
        )
    return report


def last_check_day(session: Session, hall: str) -> date | None:
    """The day of the hall's latest stored opening check."""
    row = session.exec(
        select(OpeningCheck).where(OpeningCheck.hall == hall).order_by(col(OpeningCheck.day).desc())
    ).first()
    return row.day if row is not None else None


class FleetService:
    """The fleet's periodic work: inactivity alerts and the daily opening check (rule DEV-1)."""

    def __init__(
        self,
        engine: Engine,
        halls: Sequence[Hall],
        policy: FleetPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
        interval_s: float = 15.0,
        startup_grace_s: float = 60.0,
    ) -> None:
        self.engine = engine
        self.startup_grace_s = startup_grace_s
        self._started_at: datetime | None = None
        self.halls = list(halls)
        self.policy = policy or FleetPolicy()
        self.clock = clock
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sync(self) -> None:
        """Register every device of every hall."""
        now = self.clock()
        for hall in self.halls:
            sync_registry(self.engine, hall, now)

    def tick(self, now: datetime | None = None) -> list[OpeningReport]:
        """Re-evaluate alerts; run each hall's opening check when it is due; return new reports."""
        now = now or self.clock()
        if self._started_at is not None and now < self._started_at + timedelta(
            seconds=self.startup_grace_s
        ):
            return []  # devices are still reporting in after a hub (re)start: judge nothing yet
        zones = {h.id: h.timezone for h in self.halls}
        evaluate_all(self.engine, now, self.policy, zones)
        import_area_alerts(self.engine, now)
        reports = []
        for hall in self.halls:
            with Session(self.engine) as session:
                last = last_check_day(session, hall.id)
            tz = ZoneInfo(hall.timezone)
            due = fleet.due_check_day(now, last, hall.opening_time, hall.opening_check_minutes, tz)
            if due is not None:
                reports.append(run_opening_check(self.engine, hall, now, self.policy))
        return reports

    def start(self) -> FleetService:
        """Run tick() every interval in a daemon thread, after a grace for devices to report."""
        self._started_at = self.clock()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fleet-tick", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the tick thread; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                logger.exception("fleet tick failed; will retry")
            self._stop.wait(self.interval_s)


def switched_off(engine: Engine, halls: Sequence[Hall], now: datetime, policy: FleetPolicy) -> int:
    """The halls' devices were switched off on purpose (a clean stop): what faults they had is
    unknown until they are back and report again (a printer out of paper says so at its next
    ticket, DEV-4), so their faults are forgotten and the fault alerts resolved, not left open
    for ever. Returns how many devices had faults."""

    def work(session: Session) -> int:
        keys = [(h.id, d.id) for h in halls for d in h.devices]
        rows = load_health(session, keys, lock=True)
        alerts = load_open_alerts(session, keys)
        items = []
        for key in keys:
            row = rows.get(key)
            health = health_from_row(row)
            if not health.faults:
                continue
            cleared = replace(health, faults={})
            items.append((key, row, cleared))
            evaluate_alerts(session, key, cleared, now, policy, alerts[key], quiet=True)
        write_health(session, items, now)
        return len(items)

    return with_retry(engine, work)
