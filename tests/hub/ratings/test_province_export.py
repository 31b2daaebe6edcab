"""The export for the province's 好差评 platform held to its documented layout: the field table
of hub/ratings/PROVINCE_EXPORT.md, its JSON Schema, and the CSV rules (RATE-1, RATE-3, RATE-4,
PRIV-1), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema_rs
import pytest

from hub.ratings import province
from hub.ratings.followup import act
from models.contact import new_keypair, seal
from tests.hub.ratings.test_ratings_projector import FRIDAY, HALL, Rig

HERE = Path(province.__file__).parent
DOC = (HERE / "PROVINCE_EXPORT.md").read_text(encoding="utf-8")
SCHEMA = json.loads((HERE / "province_export.schema.json").read_text(encoding="utf-8"))


def documented_fields() -> list[str]:
    """The first column of the documented field table, in order."""
    table = DOC.split("## Record fields")[1].split("\n## ")[0]
    rows = [ln for ln in table.splitlines() if ln.startswith("| ") and not ln.startswith("| ---")]
    return [ln.split("|")[1].strip() for ln in rows[1:]]


def test_the_code_the_schema_and_the_page_name_the_same_fields_in_order() -> None:
    assert documented_fields() == list(province.FIELDS)
    assert list(SCHEMA["$defs"]["record"]["properties"]) == list(province.FIELDS)
    assert SCHEMA["$defs"]["record"]["required"] == list(province.FIELDS)


@pytest.fixture
def rated(rig: Rig) -> Rig:
    """Three services: satisfied with a case number, dissatisfied and followed up, not rated."""
    _, public = new_keypair()
    first = rig.serve()
    rig.queue.link_case(first, "SB-2026-0001")
    rig.rate(first, 5, dimensions={"efficiency": 5, "service_level": 4, "attitude": 5})
    second = rig.serve()
    rig.rate(second, 2, reason="slow", contact=seal(public, "13912345678"))
    third = rig.serve()
    rig.rate(third, None)
    (task,) = rig.rows("rating_followup")
    steps = rig.engine, task["id"]
    act(*steps, "contacted", "zhang", FRIDAY)
    act(*steps, "verified", "zhang", FRIDAY, finding="unfounded")
    act(*steps, "closed", "zhang", FRIDAY, note="已说明办理时限", told_how="phone")
    return rig


def test_json_export_validates_against_the_schema(rated: Rig) -> None:
    # rule RATE-4: reported to the province in the documented layout
    doc = province.document(rated.engine, HALL, FRIDAY.date(), FRIDAY.date(), FRIDAY)
    text = province.to_json(doc).decode("utf-8")
    jsonschema_rs.validator_for(SCHEMA).validate(json.loads(text))
    assert "13912345678" not in text and "c1." not in text  # rule PRIV-1
    first, second = doc["records"]  # rule: a service not rated is no rating
    assert first["case_no"] == "SB-2026-0001" and first["level_name"] == "非常满意"
    assert (first["efficiency"], first["service_level"], first["attitude"]) == (5, 4, 5)
    assert first["rated_at"] == "2026-11-20T10:00:00+08:00"
    assert (first["window_no"], first["staff_no"], first["staff_name"]) == (1, "S0012", "王芳")
    assert (first["service_code"], first["service_name"]) == ("social", "社保业务")
    assert first["dissatisfied"] is False and first["followup_state"] == "none"
    assert (second["level"], second["dissatisfied"], second["reason_text"]) == (2, True, "办事拖拉")
    assert (second["followup_state"], second["finding"]) == ("closed", "unfounded")
    assert second["answer"] == "已说明办理时限" and second["closed_at"].endswith("+08:00")
    bad = dict(doc, records=[dict(first, level=7)])
    assert not jsonschema_rs.validator_for(SCHEMA).is_valid(bad)  # the schema can fail
    csv_export_follows_the_documented_rules(rated)


def csv_export_follows_the_documented_rules(rated: Rig) -> None:
    """The CSV of the same records (checked within the JSON test: one rig per database)."""
    data = province.to_csv(province.records(rated.engine, HALL, FRIDAY.date(), FRIDAY.date()))
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == documented_fields()
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["dissatisfied"] == "false" and first["finding"] == "" and first["level"] == "5"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["dissatisfied"] == "true" and second["case_no"] == ""
