"""The fleet simulator: generated halls, the day's plan, and a short day end to end, with each
hall's roster, duty chief, a sick A replaced by B and a late substitute (rules DUTY-1, DUTY-2,
POST-7, ATT-7, RATE-2)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from hub.db import make_engine
from hub.duty.chief_store import chief_on
from hub.duty.ledger_store import hall_duty, ledger_day
from hub.simulate.layout import backup_of, make_hall, spare_of, staff_of
from hub.simulate.plan import DAY_S, hall_day
from hub.simulate.report import Stored
from hub.simulate.run import (
    DEVICES_PER_PROCESS,
    SimOptions,
    SimResult,
    SimulationError,
    _groups,
    connect_failure,
    day_start,
    devices_per_hall,
    simulate,
)
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
    punchers = {x.arg for x in a if x.kind == "punch"}  # rules POST-7, ATT-7
    hid = "sim-0000"
    assert staff_of(hid, 1) not in punchers and staff_of(hid, 2) not in punchers  # on leave
    assert {backup_of(hid), spare_of(hid), staff_of(hid, 3)} <= punchers
    spare = min(x.at_s for x in a if x.kind == "punch" and x.arg == spare_of(hid))
    assert spare > 75 * 60  # the substitute arrives after opening (08:30 is 40 min in)


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
    # counts are read once every durable projector has applied every stored fact (it read
    # them before, and "punches judged" came up short under load)
    assert result.caught_up and result.problems() == []
    assert result.not_delivered == 0
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
    assert result.duty == {"roster_entries": result.duty["roster_entries"], "leaves": 4}
    assert derived["roster entries"] == result.duty["roster_entries"] > 0
    check_duty(f"sqlite:///{tmp_path / 'hub.db'}")


def check_duty(url: str) -> None:
    """The first hall's day as the post ledger tells it: B holds the sick A's seat (POST-7),
    the spare substitutes from their late arrival (ATT-7, the leaver's leave flagged until
    then), ratings bind to whoever served (RATE-2), only rostered staff and the substitute
    are judged (DUTY-1), and the day has a duty chief (DUTY-2)."""
    hall = make_hall(0, 2)
    hd = hall_duty(hall)
    hid, backup, spare = hall.id, backup_of(hall.id), spare_of(hall.id)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            day = date.fromisoformat(
                str(conn.execute(sa.text("SELECT min(day) FROM att_day")).scalar())
            )
            ledger = ledger_day(conn, hd, day)
            w01 = {(h.staff_id, h.basis.value) for h in ledger.holdings if h.seat == "w01-a"}
            w02 = {(h.staff_id, h.basis.value) for h in ledger.holdings if h.seat == "w02-a"}
            assert (backup, "B") in w01 and all(s != staff_of(hid, 1) for s, _b in w01)
            assert (spare, "substitute") in w02
            flag = next(f for f in ledger.flags if f.kind.value == "substitute_missing")
            assert (flag.staff_id, flag.rule) == (staff_of(hid, 2), "ATT-7") and flag.ref
            judged = set(
                conn.execute(
                    sa.text("SELECT DISTINCT staff_id FROM att_day WHERE staff_id LIKE :h"),
                    {"h": f"{hid}-%"},
                ).scalars()
            )
            assert judged <= {staff_of(hid, 1), staff_of(hid, 2), backup, spare}
            assert {backup, spare} <= judged
            rated = set(
                conn.execute(
                    sa.text(
                        "SELECT DISTINCT staff_id FROM rating WHERE hall = :h AND window = 'w01'"
                    ),
                    {"h": hid},
                ).scalars()
            )
            assert rated and staff_of(hid, 1) not in rated  # the sick A collects nothing
            assert chief_on(conn, hd, day) is not None
    finally:
        engine.dispose()


def test_facts_left_in_outboxes_are_not_delivered() -> None:
    # the simulator printed "lost 0" while 63,471 facts sat in outboxes
    result = SimResult(halls=1, devices=2, connected=2)
    result.sent = {"h/a": 10, "h/b": 5}
    result.left = {"h/a": 6, "h/b": 0}
    result.stored = Stored(per_device={"h/a": 4, "h/b": 4})
    assert (result.not_delivered, result.outbox_left, result.lost) == (7, 6, 1)
    assert result.problems() == ["7 of 15 facts not delivered (6 still in outboxes, 1 lost)"]
    result.caught_up = False
    assert "derived counts are short" in result.problems()[-1]


def test_device_processes_are_sized_below_selects_file_descriptor_limit() -> None:
    # 50 halls with the old default of 4 processes: select() failed past 1,024 descriptors
    groups = _groups(50, 0, 4)
    per_process = [len(g) * devices_per_hall(4) for g in groups]
    assert sum(per_process) == 900 and max(per_process) <= DEVICES_PER_PROCESS
    assert sorted(h for g in groups for h in g) == list(range(50))
    assert len(_groups(50, 4, 4)) == 4  # as asked, when asked
    text = connect_failure(900, 460, 1187, 4)
    assert "460 of 900" in text and "select()" in text and "--processes 8" in text


def test_devices_that_cannot_connect_fail_the_run_clearly(tmp_path: Path) -> None:
    # a broker that takes only a few clients: the hub connects, most devices cannot
    broker = Broker(tmp_path / "broker", extra_conf="max_connections 8\n").start()
    try:
        opts = SimOptions(
            halls=2,
            windows=2,
            speed=2400,
            broker=broker.url,
            workdir=tmp_path,
            processes=1,
            duty=False,
            connect_s=5,
        )
        with pytest.raises(SimulationError, match=r"only \d+ of 20 simulated devices connected"):
            simulate(opts)
    finally:
        broker.kill()


def test_the_simulated_day_is_one_already_over_never_ahead_of_the_hubs_clock() -> None:
    # after 16:00 UTC (00:00 in Shanghai) "today from 07:50" lay 7 hours ahead: every fact
    # was refused as a dead letter (more than 10 minutes ahead of the hub's clock)
    sh = ZoneInfo("Asia/Shanghai")
    for now in (
        datetime(2026, 12, 4, 0, 14, tzinfo=sh),  # just past midnight
        datetime(2026, 12, 4, 9, 0, tzinfo=sh),  # the working day under way
        datetime(2026, 12, 4, 23, 0, tzinfo=sh),  # the day and its evening over
    ):
        start = day_start(until_s=DAY_S, now=now)
        assert start.timetz().replace(tzinfo=None) == dtime(7, 50) and start.tzinfo == sh
        assert start + timedelta(seconds=DAY_S + 3 * 3600) <= now
        assert now - start < timedelta(days=2)
    assert day_start(now=datetime(2026, 12, 4, 23, 0, tzinfo=sh)).date() == date(2026, 12, 4)
