"""The fleet simulator: generated halls, the day's plan, and a short day end to end."""

from __future__ import annotations

from pathlib import Path

from hub.simulate.layout import make_hall
from hub.simulate.plan import DAY_S, hall_day
from hub.simulate.run import SimOptions, simulate
from tests.support.broker import Broker

SEED = 2  # this seed has a device fault and a face terminal offline over lunch


def test_generated_halls_are_valid_and_fleet_unique() -> None:
    """Every hall validates as a layout; device ids never repeat across halls (MQTT client ids)."""
    halls = [make_hall(i, 3) for i in range(5)]
    assert len({h.id for h in halls}) == 5
    ids = [d.id for h in halls for d in h.devices]
    assert len(ids) == len(set(ids)) == 5 * (2 + 3 * 4)
    kinds = {d.kind for d in halls[0].devices}
    assert kinds == {
        "face_terminal",
        "kiosk",
        "counter_keypad",
        "rating_device",
        "away_sign",
        "presence_radar",
    }
    seats = {d.seat for d in halls[0].devices if d.kind in ("away_sign", "presence_radar")}
    assert seats == {s for w in halls[0].windows for s in w.seats}


def test_plan_is_seeded_ordered_and_within_the_day() -> None:
    """The same seed gives the same day; actions are in time order inside the day."""
    a, b = hall_day(0, "sim-0000", 4, SEED), hall_day(0, "sim-0000", 4, SEED)
    assert a == b and a == sorted(a)
    assert a != hall_day(0, "sim-0000", 4, SEED + 1)
    assert all(0 <= x.at_s <= DAY_S + 3 * 3600 for x in a)
    kinds = {x.kind for x in a}
    assert {"punch", "ticket", "key", "rate", "leave", "back"} <= kinds
    leaves = [x for x in a if x.kind == "leave"]
    assert len(leaves) == len([x for x in a if x.kind == "back"]) >= 4


def test_a_short_day_end_to_end(broker: Broker, tmp_path: Path) -> None:
    """Two halls through the real edge runtime and hub: every fact stored, records derived."""
    opts = SimOptions(
        halls=2,
        windows=2,
        speed=2400,
        broker=broker.url,
        seed=SEED,
        workdir=tmp_path,
        processes=1,
        batch_ms=200,
    )
    result = simulate(opts)
    assert result.errors == []
    assert result.devices == result.connected == 2 * (2 + 2 * 4)
    assert result.sent_total > 0
    assert result.lost == 0
    assert result.stored.facts == result.sent_total - result.outbox_left
    assert result.stored.dead_letters == 0
    assert result.actions["offline"] == result.actions["online"] >= 1
    by_type = result.stored.by_type
    # Punches made while the face terminal was offline were replayed from its outbox.
    assert by_type["punch"] == result.actions["punch"]
    assert by_type["ticket_issued"] == result.actions["ticket"]
    assert by_type["call_request"] == result.actions["key"]
    assert by_type["rating"] >= result.actions["rate"]  # + "not rated" when a prompt times out
    assert by_type["away_sign_placed"] >= 1 and by_type["presence"] >= 1
    assert by_type["device_fault"] >= 2  # the simulated fault raised and cleared
    derived = result.stored.derived
    assert derived["attendance days"] >= 4  # 2 halls x 2 staff
    assert derived["punches judged"] == by_type["punch"]
    assert derived["queue tickets"] == by_type["ticket_issued"]
    assert derived["away periods"] >= 1
    assert derived["ratings"] >= 1  # bound to a service the hub's queue had in progress
    assert derived["services finished"] >= 1
