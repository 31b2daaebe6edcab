"""Commands, config documents, the hall layout, and the JSON Schema export."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli.main import app
from models.commands import Announce, DisplayText, make_command, parse_command
from models.config import ConfigDocument, parse_config
from models.errors import ContractError
from models.layout import hall_from_dict, load_hall

CST = timezone(timedelta(hours=8))
DEMO = Path(__file__).resolve().parents[2] / "firmware_cfg" / "halls" / "demo"


def test_command_round_trip() -> None:
    cmd = make_command(
        hall="demo",
        device="w03-led",
        ts=datetime.now(CST),
        body=DisplayText(text="A012 请到3号窗口"),
    )
    back = parse_command(cmd.to_json())
    assert back == cmd and back.type.value == "display_text"


def test_command_body_must_match_type() -> None:
    cmd = make_command(
        hall="demo",
        device="hall-voice",
        ts=datetime.now(CST),
        body=Announce(text="请A012号到3号窗口办理"),
    )
    data = json.loads(cmd.to_json())
    data["type"] = "print_ticket"
    with pytest.raises(ContractError, match="invalid"):
        parse_command(json.dumps(data).encode())


def test_config_document_validation() -> None:
    doc = ConfigDocument(
        hall="demo",
        device="w01-a-sign",
        kind="away_sign",
        version=3,
        issued_at=datetime.now(CST),
        settings={"pin": 17},
    )
    assert parse_config(doc.to_json()) == doc
    with pytest.raises(ContractError, match="version"):
        parse_config(doc.to_json().replace(b'"version":3', b'"version":0'))


def test_demo_hall_loads() -> None:
    hall = load_hall(DEMO)
    assert len(hall.windows) >= 8
    assert {d.kind for d in hall.devices} >= {
        "face_terminal",
        "away_sign",
        "rating_device",
        "counter_display",
        "counter_keypad",
    }
    assert all(d.node for d in hall.devices)


def test_layout_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="unknown window 'w99'"):
        hall_from_dict(
            {
                "id": "x",
                "name": "x",
                "windows": [],
                "devices": [{"id": "d1", "kind": "away_sign", "node": "n", "window": "w99"}],
            }
        )
    with pytest.raises(ContractError, match="no such file"):
        load_hall(tmp_path)
    (tmp_path / "hall.toml").write_text("id = [")
    with pytest.raises(ContractError, match="not valid TOML"):
        load_hall(tmp_path)


def test_the_layout_names_seats_and_devices_it_has() -> None:
    hall = load_hall(DEMO)
    assert hall.seat_name("w01-b") == "1号窗口B岗" and hall.seat_name("w99-a") is None
    assert hall.device("ent-face1").name == "入口人脸考勤机（东）"
    window = {"id": "w01", "number": 1, "seats": ["w01-a"], "seat_names": {"w01-z": "Z岗"}}
    with pytest.raises(ContractError, match="names seats it does not have: w01-z"):
        hall_from_dict({"id": "x", "name": "x", "windows": [window]})


def test_contract_schema_cli() -> None:
    result = CliRunner().invoke(app, ["contract", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert set(schema["messages"]) == {"Envelope", "Command", "ConfigDocument", "StoredUpTo"}
    assert "punch" in json.dumps(schema["messages"]["Envelope"])
