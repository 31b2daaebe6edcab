"""Fleet API: devices, alerts, the opening check, config versions, and the hub's own health."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import text
from sqlmodel import Session, col, select

from hub.api.deps import EngineDep, HallsDep, NowDep, PolicyDep, SessionDep
from hub.dbtypes import aware
from hub.fleet import alerts as desk
from hub.fleet import engine as fleet
from hub.fleet.engine import FleetPolicy
from hub.fleet.public import (
    AlertComment,
    AlertPublic,
    ConfigStatusPublic,
    DevicePublic,
    FaultPublic,
    FleetSummaryPublic,
    HealthPublic,
    OpeningCheckPublic,
    ProblemPublic,
)
from hub.fleet.service import run_opening_check
from hub.fleet.store import health_from_row, snapshots
from hub.fleet.tables import (
    Alert,
    ConfigVersion,
    DeviceHealth,
    FleetDevice,
    OpeningCheck,
)
from hub.problems import NotFoundProblem

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["fleet"])


def _device_public(
    dev: FleetDevice,
    row: DeviceHealth | None,
    open_kinds: list[str],
    now: datetime,
    policy: FleetPolicy,
) -> DevicePublic:
    health = health_from_row(row)
    return DevicePublic(
        hall=dev.hall,
        device=dev.device,
        kind=dev.kind,
        node=dev.node,
        window=dev.window,
        seat=dev.seat,
        in_layout=dev.in_layout,
        status=fleet.status(health, now, policy).value,
        online=health.online,
        last_seen=health.last_seen,
        state_at=health.state_at,
        heartbeat_at=aware(row.heartbeat_at) if row else None,
        uptime_s=row.uptime_s if row else None,
        agent_version=row.agent_version if row else None,
        outbox_depth=row.outbox_depth if row else None,
        outbox_capacity=row.outbox_capacity if row else None,
        clock_offset_ms=row.clock_offset_ms if row else None,
        observed_skew_ms=row.observed_skew_ms if row else None,
        clock_synced=row.clock_synced if row else None,
        cpu_temp_c=row.cpu_temp_c if row else None,
        driver_status=row.driver_status if row else None,
        faults=[
            FaultPublic(code=f.code, message=f.message, severity=f.severity)
            for f in health.faults.values()
        ],
        applied_config_version=health.applied_config_version,
        open_alerts=sorted(open_kinds),
    )


def _alert_public(a: Alert) -> AlertPublic:
    assert a.id is not None and a.opened_at is not None
    return AlertPublic(
        id=a.id,
        hall=a.hall,
        device=a.device,
        kind=a.kind,
        severity=a.severity,
        message=a.message,
        state=a.state,
        opened_at=aware(a.opened_at) or a.opened_at,
        resolved_at=aware(a.resolved_at),
        resolved_by=a.resolved_by,
        source=a.source,
        rule=a.rule,
        window=a.window,
        seat=a.seat,
        staff_id=a.staff_id,
        words=a.words,
        word_values=a.word_values,
        recipients=a.recipients or [],
        occurrences=a.occurrences,
        reopened=a.reopened,
        last_at=aware(a.last_at),
        ack_at=aware(a.ack_at),
        ack_by=a.ack_by,
        ack_comment=a.ack_comment,
        resolve_comment=a.resolve_comment,
    )


def _open_kinds(session: Session, hall: str | None = None) -> dict[tuple[str, str], list[str]]:
    q = select(Alert).where(Alert.state == "open")
    if hall is not None:
        q = q.where(Alert.hall == hall)
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a in session.exec(q).all():
        out[(a.hall, a.device)].append(a.kind)
    return out


@router.get("/devices", response_model=list[DevicePublic])
def list_devices(
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    hall: str | None = None,
    status: str | None = None,
) -> list[DevicePublic]:
    """Every known device with its health; filter by hall and status."""
    q = (
        select(FleetDevice, DeviceHealth)
        .join(
            DeviceHealth,
            (col(DeviceHealth.hall) == col(FleetDevice.hall))
            & (col(DeviceHealth.device) == col(FleetDevice.device)),
            isouter=True,
        )
        .order_by(col(FleetDevice.hall), col(FleetDevice.device))
    )
    if hall is not None:
        q = q.where(FleetDevice.hall == hall)
    kinds = _open_kinds(session, hall)
    out = [
        _device_public(d, h, kinds.get((d.hall, d.device), []), now, policy)
        for d, h in session.exec(q).all()
    ]
    return [d for d in out if status is None or d.status == status]


@router.get("/fleet/summary", response_model=list[FleetSummaryPublic])
def fleet_summary(
    session: SessionDep, now: NowDep, policy: PolicyDep, hall: str | None = None
) -> list[FleetSummaryPublic]:
    """Per hall: how many devices are online, offline, inactive, unknown; open alerts by kind."""
    out: dict[str, FleetSummaryPublic] = {}
    for snap in snapshots(session, hall):
        item = out.setdefault(
            snap.hall,
            FleetSummaryPublic(
                hall=snap.hall,
                devices=0,
                by_status={st.value: 0 for st in fleet.Status},
                open_alerts={},
            ),
        )
        item.devices += 1
        item.by_status[fleet.status(snap.health, now, policy).value] += 1
    q = select(Alert).where(Alert.state == "open")
    if hall is not None:
        q = q.where(Alert.hall == hall)
    for alert in session.exec(q).all():
        if alert.hall in out:
            kinds = out[alert.hall].open_alerts
            kinds[alert.kind] = kinds.get(alert.kind, 0) + 1
    return [out[h] for h in sorted(out)]


@router.get("/devices/{hall}/{device}", response_model=DevicePublic)
def get_device(
    hall: str, device: str, session: SessionDep, now: NowDep, policy: PolicyDep
) -> DevicePublic:
    """One device and its health."""
    dev = session.get(FleetDevice, (hall, device))
    if dev is None:
        raise NotFoundProblem("fleet.err.no_device")  # the URL is not echoed
    row = session.get(DeviceHealth, (hall, device))
    kinds = _open_kinds(session, hall).get((hall, device), [])
    return _device_public(dev, row, kinds, now, policy)


@router.get("/alerts", response_model=list[AlertPublic])
def list_alerts(
    session: SessionDep,
    state: Literal["open", "resolved", "all"] = "open",
    hall: str | None = None,
    device: str | None = None,
    limit: int = Query(200, ge=1, le=5000),
) -> list[AlertPublic]:
    """Alerts, newest first: open ones by default."""
    q = select(Alert)
    if state != "all":
        q = q.where(Alert.state == state)
    if hall is not None:
        q = q.where(Alert.hall == hall)
    if device is not None:
        q = q.where(Alert.device == device)
    q = q.order_by(col(Alert.opened_at).desc(), col(Alert.id).desc()).limit(limit)
    return [_alert_public(a) for a in session.exec(q).all()]


def _actor(request: Request) -> str:
    user = getattr(request.state, "user", None)
    return str(getattr(user, "username", "") or "operator")


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertPublic)
def acknowledge_alert(
    alert_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    body: AlertComment | None = None,
) -> AlertPublic:
    """An operator has seen the alert and says what is being done (comment, or X-Why)."""
    comment = body.comment if body else request.headers.get("x-why", "")
    alert = desk.acknowledge(session, alert_id, actor=_actor(request), comment=comment, now=now)
    session.commit()
    return _alert_public(alert)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertPublic)
def resolve_alert(
    alert_id: int,
    request: Request,
    session: SessionDep,
    now: NowDep,
    body: AlertComment | None = None,
) -> AlertPublic:
    """An operator resolves an alert, saying how (comment, or X-Why); if its condition comes
    back, the same alert is re-opened (within the fleet policy's reopen_within_s)."""
    comment = body.comment if body else request.headers.get("x-why", "")
    alert = desk.resolve(session, alert_id, actor=_actor(request), comment=comment, now=now)
    session.commit()
    logger.info("alert %d (%s/%s %s) resolved", alert_id, alert.hall, alert.device, alert.kind)
    return _alert_public(alert)


def _report_public(row: OpeningCheck) -> OpeningCheckPublic:
    assert row.due_at is not None and row.checked_at is not None
    return OpeningCheckPublic(
        hall=row.hall,
        day=row.day,
        due_at=aware(row.due_at) or row.due_at,
        checked_at=aware(row.checked_at) or row.checked_at,
        checked=row.checked,
        ok=row.ok,
        problems=[ProblemPublic.model_validate(p) for p in row.problems or []],
    )


@router.get("/opening-check", response_model=list[OpeningCheckPublic])
def latest_opening_check(
    session: SessionDep, halls: HallsDep, hall: str | None = None
) -> list[OpeningCheckPublic]:
    """The latest opening check of each hall (rule DEV-1)."""
    names = (
        [hall]
        if hall is not None
        else sorted(
            {h.id for h in halls} | set(session.exec(select(OpeningCheck.hall).distinct()).all())
        )
    )
    out = []
    for name in names:
        row = session.exec(
            select(OpeningCheck)
            .where(OpeningCheck.hall == name)
            .order_by(col(OpeningCheck.day).desc())
        ).first()
        if row is not None:
            out.append(_report_public(row))
    return out


@router.post("/opening-check/run", response_model=list[OpeningCheckPublic])
def run_opening_check_now(
    engine: EngineDep,
    session: SessionDep,
    halls: HallsDep,
    now: NowDep,
    policy: PolicyDep,
    hall: str | None = None,
) -> list[OpeningCheckPublic]:
    """Run the opening check now (for a hall, or all) and store it as today's (rule DEV-1)."""
    chosen = [h for h in halls if hall is None or h.id == hall]
    if hall is not None and not chosen:
        raise NotFoundProblem("error.unknown_hall")
    for h in chosen:
        run_opening_check(engine, h, now, policy)
    return latest_opening_check(session, chosen, None)


@router.get("/config-versions", response_model=list[ConfigStatusPublic])
def config_versions(session: SessionDep, hall: str | None = None) -> list[ConfigStatusPublic]:
    """Each device's latest config version and the version it applied."""
    q = select(ConfigVersion).order_by(
        col(ConfigVersion.hall), col(ConfigVersion.device), col(ConfigVersion.version)
    )
    if hall is not None:
        q = q.where(ConfigVersion.hall == hall)
    latest: dict[tuple[str, str], ConfigVersion] = {}
    for row in session.exec(q).all():
        latest[(row.hall, row.device)] = row
    out = []
    for (h, d), cv in latest.items():
        health = session.get(DeviceHealth, (h, d))
        applied = health.applied_config_version if health else None
        assert cv.issued_at is not None
        out.append(
            ConfigStatusPublic(
                hall=h,
                device=d,
                kind=cv.kind,
                version=cv.version,
                settings_hash=cv.settings_hash,
                issued_at=aware(cv.issued_at) or cv.issued_at,
                published_at=aware(cv.published_at),
                applied_version=applied,
                applied_at=aware(health.applied_config_at) if health else None,
                rejected_version=health.rejected_config_version if health else None,
                rejected_reason=health.rejected_config_reason if health else None,
                up_to_date=applied == cv.version,
            )
        )
    return out


@router.get("/health", response_model=HealthPublic)
def hub_health(session: SessionDep, halls: HallsDep, request: Request) -> HealthPublic:
    """The hub is up; says whether the database answers, and what each probe reports."""
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        db = "ok"
    except Exception as exc:  # a health check reports, never raises
        logger.warning("health check: database unreachable: %s", exc)
        db = "unreachable"
    detail: dict[str, Any] = {}
    for name, probe in request.app.state.probes.items():
        try:
            detail[name] = probe()
        except Exception as exc:  # a probe that fails is reported, not raised
            detail[name] = f"error: {exc}"
    return HealthPublic(
        status="ok" if db == "ok" else "degraded",
        database=db,
        halls=[h.id for h in halls],
        detail=detail,
    )
