"""The demo looks like a hall (point 18.7): services of minutes, a citizen about a minute,
away periods of a few minutes about once an hour per seat, and one or two rule-breaking ones an
hour in the whole hall (POST-1 too long, POST-2 without the sign), never two of one window away
together (POST-5) and no calls at a window whose staff are away (POST-4).

The scenario runs on its own clock against recording devices for ten hall hours per seed; the
figures are measured from what the devices were told, not from the scenario's bookkeeping."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from statistics import mean
from types import SimpleNamespace
from typing import Any

import pytest

from hub.demo.scenario import Scenario
from models.layout import load_hall

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"
HOURS = 10


class Recorder:
    """Every device call with the scenario's clock at the time."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, str, Any]] = []
        self.scenario: Scenario | None = None

    def note(self, device: str, what: str, value: Any = None) -> None:
        assert self.scenario is not None
        self.calls.append((self.scenario.elapsed_s, device, what, value))

    def drivers(self, hall: Any) -> dict[str, Any]:
        """Fake drivers with the methods the scenario uses."""
        out: dict[str, Any] = {}
        for d in hall.devices:
            dev = d.id
            if d.kind == "counter_keypad":
                out[dev] = SimpleNamespace(
                    peer=SimpleNamespace(press=lambda a, dev=dev: self.note(dev, "press", a))
                )
            elif d.kind == "away_sign":
                out[dev] = SimpleNamespace(
                    simulate_place=lambda dev=dev: self.note(dev, "sign", True),
                    simulate_remove=lambda dev=dev: self.note(dev, "sign", False),
                )
            elif d.kind == "presence_radar":
                out[dev] = SimpleNamespace(
                    simulate_present=lambda p, dev=dev: self.note(dev, "present", p)
                )
            elif d.kind == "kiosk":
                out[dev] = SimpleNamespace(
                    take=lambda service, green_channel=False, dev=dev: self.note(dev, "take")
                )
            elif d.kind == "rating_device":
                out[dev] = SimpleNamespace(
                    peer=SimpleNamespace(
                        rate=lambda level, phone="", dev=dev: self.note(dev, "rate", level)
                    )
                )
        return out


def run_hall(seed: int) -> Recorder:
    hall = load_hall(DEMO)
    rec = Recorder()
    scenario = Scenario(hall, [], None, tick_s=3.0, seed=seed)
    scenario.drivers = rec.drivers(hall)
    rec.scenario = scenario
    while scenario.elapsed_s < HOURS * 3600:
        scenario.step()
    return rec


def away_periods(rec: Recorder) -> list[dict[str, Any]]:
    """Seat away periods from the radar, with whether the sign was on the counter."""
    open_: dict[str, dict[str, Any]] = {}
    signed: dict[str, bool] = defaultdict(bool)
    out = []
    for at, dev, what, value in rec.calls:
        seat = dev.rsplit("-", 1)[0]
        if what == "sign":
            signed[seat] = signed[seat] or value
        elif what == "present" and value is False:
            open_[seat] = {"seat": seat, "start": at}
            signed[seat] = False
        elif what == "present" and value is True and seat in open_:
            period = open_.pop(seat)
            period.update(end=at, minutes=(at - period["start"]) / 60)
            out.append(period)
    for p in out:  # the sign goes on just before the radar sees the seat empty
        p["signed"] = any(
            c[2] == "sign" and c[3] is True and c[1] == f"{p['seat']}-sign"
            for c in rec.calls
            if abs(c[0] - p["start"]) < 1e-6
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_demo_hall_keeps_a_halls_pace(seed: int) -> None:
    rec = run_hall(seed)
    hall = load_hall(DEMO)
    # citizens: about one a minute
    taken = sum(1 for c in rec.calls if c[2] == "take")
    assert 40 * HOURS <= taken <= 80 * HOURS, taken
    # services of minutes: start to finish at each window
    started: dict[str, float] = {}
    services = []
    for at, dev, what, value in rec.calls:
        if what == "press" and value == "start":
            started[dev] = at
        elif what == "press" and value == "finish" and dev in started:
            services.append((at - started.pop(dev)) / 60)
    assert services and min(services) >= 2 and max(services) <= 8.1, services
    assert 3.5 <= mean(services) <= 6.5
    # away periods: ordinary ones short and signed; rule-breaking ones one or two an hour
    periods = away_periods(rec)
    seats = sum(len(w.seats) for w in hall.windows)
    assert 0.5 * seats * HOURS <= len(periods) <= 2.5 * seats * HOURS, len(periods)
    too_long = [p for p in periods if p["minutes"] > 10]  # rule POST-1
    unsigned = [p for p in periods if not p["signed"]]  # rule POST-2
    assert all(p["signed"] for p in too_long) and all(p["minutes"] <= 10 for p in unsigned)
    per_hour = (len(too_long) + len(unsigned)) / HOURS
    assert 0.8 <= per_hour <= 2.5, (len(too_long), len(unsigned))
    assert too_long and unsigned  # both kinds happen
    ordinary = [p for p in periods if p not in too_long and p not in unsigned]
    assert all(2 <= p["minutes"] <= 7.1 for p in ordinary)
    # rule POST-5: never both seats of one window away at the same time
    window_of = {s: w.id for w in hall.windows for s in w.seats}
    for a in periods:
        for b in periods:
            if a is not b and window_of[a["seat"]] == window_of[b["seat"]]:
                assert a["end"] <= b["start"] or b["end"] <= a["start"], (a, b)
    # rule POST-4: a window whose only staff member is away calls nobody
    for w in hall.windows:
        if len(w.seats) != 1:
            continue
        mine = [p for p in periods if p["seat"] == w.seats[0]]
        calls = [c[0] for c in rec.calls if c[1] == f"{w.id}-keypad" and c[3] == "next"]
        assert not [t for t in calls for p in mine if p["start"] < t < p["end"]]
    # every window serves, and citizens rate most services
    assert {c[1] for c in rec.calls if c[2] == "rate"} == {f"{w.id}-rate" for w in hall.windows}
    assert sum(c[2] == "rate" for c in rec.calls) >= 0.8 * len(services)
