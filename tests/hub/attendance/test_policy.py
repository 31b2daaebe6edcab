"""Policies as data: the shipped presets, and a hall's edited copy validated with clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hub.attendance.policy import PolicyError, load_policy, parse_policy, preset_names

PRESETS = Path(__file__).resolve().parents[3] / "hub" / "attendance" / "presets"


def test_presets_shipped():
    assert preset_names() == ["clinic-4x", "hall-2015", "wenshang-2021"]
    default = load_policy()
    assert default.name == "wenshang-2021"  # rule ATT-2
    assert default.checkpoint_names() == ["AM_IN", "AM_OUT", "PM_IN", "PM_OUT"]
    assert (default.dedup_s, default.open_before, default.close_after) == (60, 120, 240)
    assert load_policy("hall-2015").late_grace == 15  # rule ATT-3
    clinic = load_policy("clinic-4x")
    assert clinic.checkpoints[2].opens_before == 10  # rule ATT-4
    assert clinic.penalties is not None and clinic.penalties.monthly_limit_yuan == 500  # ATT-9
    assert load_policy("wenshang-2021").penalties is None


def test_seasons():
    p = load_policy()
    assert p.season.is_summer(date(2025, 5, 1)) and p.season.is_summer(date(2025, 9, 30))
    assert not p.season.is_summer(date(2025, 4, 30)) and not p.season.is_summer(date(2025, 10, 1))


def test_hall_copy_is_loaded_from_a_file(tmp_path: Path):
    text = (PRESETS / "wenshang-2021.toml").read_text(encoding="utf-8")
    text = text.replace('name = "wenshang-2021"', 'name = "our-hall"').replace(
        "late_grace = 0 ", "late_grace = 5 "
    )
    path = tmp_path / "our-hall.toml"
    path.write_text(text, encoding="utf-8")
    p = load_policy(path)
    assert (p.name, p.late_grace) == ("our-hall", 5)
    assert load_policy(str(path), timezone="Asia/Urumqi").timezone == "Asia/Urumqi"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('summer = "08:30"', 'summer = "8.30"'), "checkpoints.0.summer"),
        (('summer = "14:00"', 'summer = "11:00"'), "must increase"),
        (("dedup_s = 60", "dedup_s = -1"), "dedup_s"),
        (("dedup_s = 60", "dedup_seconds = 60"), "dedup_seconds: Extra inputs are not permitted"),
        (('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"'), "unknown time zone"),
        (('summer_start = "05-01"', 'summer_start = "11-01"'), "summer_start must come before"),
        (("close_after = 240", "close_after = 400"), "close after midnight"),
        (("[season]", "[season"), "not valid TOML"),
    ],
)
def test_bad_copies_are_refused_clearly(edit: tuple[str, str], message: str):
    text = (PRESETS / "wenshang-2021.toml").read_text(encoding="utf-8")
    assert edit[0] in text
    with pytest.raises(PolicyError, match=r"our\.toml") as err:
        parse_policy(text.replace(edit[0], edit[1], 1), "our.toml")
    assert message in str(err.value)


def test_unknown_preset_names_the_presets():
    with pytest.raises(PolicyError, match="presets: clinic-4x, hall-2015, wenshang-2021"):
        load_policy("nope")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy("/nonexistent/our.toml")
