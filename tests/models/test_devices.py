"""models/devices/: one module per kind, and everything that derives from it."""

from __future__ import annotations

import json
import typing
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from edge.drivers import DRIVER_MODULES, driver_class
from hub.dashboard.i18n import translator
from hub.fleet.engine import OPENING_CHECK_KINDS
from hub.hass.discovery import entities
from models import devices
from models.commands import CommandType
from models.config import ConfigDocument, parse_config, settings_dict
from models.devices.away_sign import AwaySignConfig
from models.devices.rating_device import RatingDeviceConfig
from models.errors import ContractError
from models.events import EventType
from models.layout import Device, hall_from_dict

CST = timezone(timedelta(hours=8))


def test_every_kind_module_is_a_full_contract() -> None:
    assert set(devices.KINDS) >= {  # and any kind module added since (found by itself)
        "face_terminal",
        "rating_device",
        "counter_display",
        "hall_display",
        "voice",
        "ticket_printer",
        "counter_keypad",
        "away_sign",
        "presence_radar",
        "kiosk",
    }
    assert set(typing.get_args(devices.DeviceKind)) == set(devices.KINDS)
    for kind, spec in devices.KINDS.items():
        assert spec.label_zh and spec.label_en and spec.label_zh != spec.label_en
        assert spec.config.model_config.get("extra") == "forbid"
        for name, field in spec.config.model_fields.items():
            assert field.description, f"{kind}.{name} has no description"
        assert spec.config().kind == kind  # every setting has a default


def test_which_kind_may_send_what() -> None:
    # the table the hub checks each fact against (ARCHITECTURE: every fact is authorised)
    assert devices.may_send("face_terminal", EventType.PUNCH)
    assert devices.may_send("away_sign", "away_sign_placed")
    assert not devices.may_send("away_sign", EventType.PUNCH)
    assert not devices.may_send("kiosk", EventType.RATING)
    assert not devices.may_send("toaster", EventType.HEARTBEAT)  # no such kind
    assert devices.kinds_sending(EventType.RATING) == {"rating_device"}
    assert devices.kinds_sending(EventType.PUNCH) == {"face_terminal"}
    assert devices.kinds_sending(EventType.HEARTBEAT) == set(devices.KINDS)
    for kind in devices.KINDS:  # the runtime's own reports, from every device
        assert devices.MAY_SEND[kind] >= devices.EVERY_DEVICE_SENDS
    sent = set().union(*devices.MAY_SEND.values())
    assert sent == set(EventType), "an event type no device kind may send"
    assert devices.spec("voice").accepts == {CommandType.ANNOUNCE, CommandType.RELOAD_CONFIG}


def test_opening_check_labels_and_drivers_derive_from_the_kinds() -> None:
    assert {  # rules DEV-1 (attendance machines, screens, the kiosk and its printer) and DEV-3
        "face_terminal",
        "counter_display",
        "hall_display",
        "rating_device",
        "kiosk",
        "ticket_printer",
    } == OPENING_CHECK_KINDS
    zh, en = translator("zh-CN"), translator("en")
    assert zh("kiosk") == "取号机" and en("kiosk") == "Kiosk"
    assert devices.label("presence_radar", "en") == "Presence radar"
    assert set(DRIVER_MODULES) == set(devices.KINDS)
    for kind in ("away_sign", "presence_radar", "counter_keypad", "rating_device"):
        driver = driver_class(kind)
        assert driver.kind == kind and driver.Config is devices.KINDS[kind].config


def test_home_assistant_entities_follow_what_a_kind_may_send() -> None:
    sign = Device(id="s1", kind="away_sign", node="n")
    radar = Device(id="r1", kind="presence_radar", node="n")
    kiosk = Device(id="k1", kind="kiosk", node="n")
    assert [e.key for e in entities(sign)] == ["online", "outbox", "away_sign"]
    assert [e.key for e in entities(radar)] == ["online", "outbox", "presence"]
    assert [e.key for e in entities(kiosk)] == ["online", "outbox"]


def test_layout_settings_are_the_kinds_config() -> None:
    dev = Device(id="s1", kind="away_sign", node="n", settings={"pin": 5})
    assert isinstance(dev.settings, AwaySignConfig) and dev.settings.pin == 5
    assert settings_dict(dev.settings) == {"kind": "away_sign", "pin": 5}
    with pytest.raises(ValidationError, match="pin"):
        Device(id="s1", kind="away_sign", node="n", settings={"pin": [1]})
    with pytest.raises(ValidationError, match="settings are for presence_radar"):
        Device(id="s1", kind="away_sign", node="n", settings={"kind": "presence_radar"})
    with pytest.raises(ContractError, match="colour"):
        hall_from_dict(
            {
                "id": "h",
                "name": "h",
                "devices": [
                    {"id": "d1", "kind": "voice", "node": "n", "settings": {"colour": "red"}}
                ],
            }
        )


def test_config_document_carries_what_was_given_and_is_checked_on_arrival() -> None:
    doc = ConfigDocument(
        hall="demo",
        device="w01-rate",
        kind="rating_device",
        version=2,
        issued_at=datetime.now(CST),
        settings={"timeout_s": 12, "dimensions": ["overall", "attitude"]},
    )
    wire = json.loads(doc.to_json())
    assert wire["settings"] == {
        "kind": "rating_device",
        "timeout_s": 12.0,
        "dimensions": ["overall", "attitude"],
    }
    back = parse_config(doc.to_json())
    assert back == doc and isinstance(back.settings, RatingDeviceConfig)
    assert back.settings.reasons  # defaults come from the same model on the device

    # a forged or confused document: another kind's settings, or one that breaks the model
    wire["settings"]["kind"] = "voice"
    with pytest.raises(ContractError, match="invalid"):
        parse_config(json.dumps(wire).encode())
    del wire["settings"]["kind"]
    wire["settings"]["dimensions"] = ["attitude"]
    with pytest.raises(ContractError, match="dimensions must include overall"):
        parse_config(json.dumps(wire).encode())
    wire["kind"] = "toaster"
    with pytest.raises(ContractError, match="kind"):
        parse_config(json.dumps(wire).encode())


def test_no_hub_or_edge_code_spells_a_kind_by_hand() -> None:
    # A kind's name is models/devices/<kind>.py's KIND: compared against `.kind` or used as a
    # key, a bare string would be one more file to touch when a kind is added or renamed.
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = []
    for path in [*root.glob("hub/**/*.py"), *root.glob("edge/**/*.py")]:
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                on_kind = any(
                    (isinstance(s, ast.Attribute) and s.attr == "kind")
                    or (
                        isinstance(s, ast.Call)
                        and any(isinstance(a, ast.Constant) and a.value == "kind" for a in s.args)
                    )
                    for s in sides
                )
                spelled = [
                    s for s in sides if isinstance(s, ast.Constant) and s.value in devices.KINDS
                ]
                if on_kind and spelled:
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
            elif isinstance(node, ast.Tuple) and node.elts:
                first = node.elts[0]
                if isinstance(first, ast.Constant) and first.value in devices.KINDS:
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
