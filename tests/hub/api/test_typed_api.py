"""Every JSON route of the hub says what it returns: a response model in the OpenAPI schema.

The schema is the API's documentation (served at /openapi.json and /docs, checked by
schemathesis in tests/hub/test_openapi_fuzz.py), so an untyped `dict[str, Any]` answer is a
hole in it. Routes that answer with a file or a stream name their media type instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from tests.support.auth import full_app


def typed(schema: dict[str, Any]) -> bool:
    """A schema naming its fields: a model, a list of models, or a plain value."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return typed(schema.get("items", {}))
    if "anyOf" in schema:
        return all(typed(s) or s.get("type") == "null" for s in schema["anyOf"])
    return schema.get("type") in ("string", "integer", "number", "boolean")


def untyped_routes(spec: dict[str, Any]) -> list[str]:
    """`METHOD path` of every route whose JSON answer has no model."""
    found = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for code, answer in op.get("responses", {}).items():
                json_answer = answer.get("content", {}).get("application/json")
                if json_answer is None or not code.startswith("2"):
                    continue
                if not typed(json_answer.get("schema", {})):
                    found.append(f"{method.upper()} {path}")
    return found


def test_every_json_route_has_a_response_model(sqlite_engine: Engine) -> None:
    spec = full_app(sqlite_engine).openapi()
    assert untyped_routes(spec) == []
    assert len(spec["paths"]) > 50  # the whole hub, every area mounted


def test_public_models_follow_their_tables() -> None:
    # A Public model that shows a table's rows names every column (sealed ones as has_<name>):
    # a column added to the table must be added to its Public model, or the API drops it.
    from hub.attendance import public as attendance
    from hub.attendance import tables as att
    from hub.complaints import api_public as complaints
    from hub.complaints.tables import CallbackRow, ComplaintAlertRow, ComplaintLogRow, ComplaintRow
    from hub.compliance import public as compliance
    from hub.compliance import tables as compliance_tables
    from hub.duty import public as duty
    from hub.duty import public_month as duty_month
    from hub.duty import tables as duty_tables
    from hub.fleet.tables import OpeningCheck
    from hub.queue import public as queue
    from hub.queue.tables import QueueAlertRow, QueueCaseRow
    from hub.ratings import public as ratings
    from hub.ratings.tables import (
        FollowupLogRow,
        FollowupRow,
        RatingAlertRow,
        RatingRow,
        RefusalRow,
    )

    sealed = {"name", "contact", "status_token"}
    shown = {"has_name", "has_contact", "has_status_link"}
    pairs: list[tuple[Any, Any, set[str], set[str]]] = [
        (queue.PromisedCasePublic, QueueCaseRow, set(), set()),
        (queue.QueueAlertPublic, QueueAlertRow, set(), set()),
        (ratings.RatingPublic, RatingRow, set(), set()),
        (ratings.RefusalPublic, RefusalRow, set(), set()),
        (ratings.RatingAlertPublic, RatingAlertRow, set(), set()),
        (ratings.FollowupPublic, FollowupRow, {"contact"}, {"has_contact"}),
        (ratings.FollowupLogPublic, FollowupLogRow, set(), set()),
        (complaints.ComplaintPublic, ComplaintRow, sealed, shown),
        (complaints.ComplaintLogPublic, ComplaintLogRow, set(), shown),
        (complaints.CallbackPublic, CallbackRow, {"contact"}, shown),
        (complaints.ComplaintAlertPublic, ComplaintAlertRow, set(), shown),
        (compliance.SeatAssignmentPublic, compliance_tables.SeatAssignment, set(), set()),
        (compliance.CoverPublic, compliance_tables.CoverRow, set(), set()),
        (compliance.AwayPublic, compliance_tables.AwayRow, set(), set()),
        (compliance.ViolationPublic, compliance_tables.ViolationRow, set(), set()),
        (compliance.NoticePublic, compliance_tables.NoticeRow, set(), set()),
        (compliance.HandoverPublic, compliance_tables.HandoverRow, set(), set()),
        (compliance.ComplianceAlertPublic, compliance_tables.AlertRow, set(), set()),
        (attendance.LeavePublic, att.AttLeave, set(), set()),
        (attendance.CorrectionPublic, att.AttCorrection, set(), set()),
        (attendance.SubstitutePublic, att.AttSubstitute, set(), set()),
        (attendance.DayRowPublic, att.AttDay, set(), set()),
        (attendance.AttendanceAuditPublic, att.AttAudit, set(), set()),
        (duty.RosterVersionPublic, duty_tables.RosterVersion, set(), set()),
        (duty.OvertimePublic, duty_tables.OvertimeRow, set(), set()),
        (duty.LogEntryPublic, duty_tables.DutyLogRow, set(), set()),
        (duty.DutyCheckPublic, duty_tables.DutyCheckRow, set(), {"items"}),
        (duty.CheckItemPublic, duty_tables.DutyCheckItemRow, set(), set()),
        (duty.OpeningPublic, duty_tables.OpeningAckRow, set(), {"report"}),
        (duty.OpeningReportPublic, OpeningCheck, set(), set()),
        (duty_month.SittingPublic, duty_tables.LeaderSittingRow, set(), set()),
        (duty_month.InspectionPublic, duty_tables.InspectionRow, set(), set()),
    ]
    for public, table, hidden, added in pairs:
        columns = {c.name for c in table.__table__.columns}
        assert set(public.model_fields) == columns - hidden | added, public.__name__


def test_moments_leave_the_api_as_they_did_before_the_models() -> None:
    # Routes annotated `-> dict[str, Any]` sent a row's datetime as pydantic writes it (UTC as
    # Z); the audit log sent `isoformat()` strings (+00:00). A model keeps each route's form.
    from datetime import UTC, datetime

    from hub.compliance.public import CoverPublic
    from hub.users.api import AuditEntryPublic

    at = datetime(2026, 6, 10, 1, 55, tzinfo=UTC)
    cover = CoverPublic(
        id=1,
        hall="demo",
        seat="w01-a",
        staff_id=None,
        cover_staff_id=None,
        start=at,
        end=at,
        reason="",
        status="requested",
        requested_at=at,
        approved_at=None,
        approved_by=None,
        approver_role=None,
    )
    assert cover.model_dump(mode="json")["start"] == "2026-06-10T01:55:00Z"
    entry = AuditEntryPublic(
        at=at, actor="a", action="x", entity="e", entity_id="1", why="", before=None, after=None
    )
    assert entry.model_dump(mode="json")["at"] == "2026-06-10T01:55:00+00:00"
