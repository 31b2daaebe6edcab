"""The post ledger engine (pure): who holds each seat, and why (DUTY-1, POST-7, ATT-7, POST-6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.duty.ledger import (
    Absence,
    Basis,
    DayFacts,
    FaceSeen,
    FlagKind,
    SeatRoster,
    StandIn,
    build_ledger,
    expected_staff,
)

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 7)


def at(hhmm: str, day: date = DAY) -> datetime:
    h, m = hhmm.split(":")
    return datetime(day.year, day.month, day.day, int(h), int(m), tzinfo=TZ)


def facts(**kw: object) -> DayFacts:
    base: dict[str, object] = {
        "day": DAY,
        "opening": at("08:30"),
        "closing": at("18:00"),
        "seats": [SeatRoster("w02-a", "w02", a="S021", b="S091")],
        "arrivals": {"S021": at("08:20"), "S091": at("08:10")},
    }
    base.update(kw)
    return DayFacts(**base)  # type: ignore[arg-type]


def test_the_rostered_a_holder_holds_the_seat_all_day() -> None:
    """Rule DUTY-1: the A holder who arrives holds the seat; nobody else is involved."""
    ledger = build_ledger(facts())
    h = ledger.holder_at("w02-a", at("10:00"))
    assert h is not None and (h.staff_id, h.basis) == ("S021", Basis.A)
    assert ledger.handovers == [] and ledger.flags == []


def test_sick_a_holder_is_replaced_by_b_at_once() -> None:
    """Rule POST-7: A on sick leave, B takes over; a leave approved that morning is unplanned."""
    sick = Absence("S021", at("00:00"), at("00:00") + timedelta(days=1), "sick", at("07:50"), 5)
    ledger = build_ledger(facts(absences=[sick], arrivals={"S091": at("08:10")}))
    h = ledger.holder_at("w02-a", at("09:00"))
    assert h is not None and (h.staff_id, h.basis, h.cause, h.ref) == ("S091", Basis.B, "sick", 5)
    assert ledger.handovers == []  # B holds from the start of the day: nothing changed hands


def test_planned_absence_is_handed_over_a_day_ahead() -> None:
    """Rule POST-7: leave from 14:00 approved the day before: the A->B handover is planned."""
    leave = Absence("S021", at("14:00"), at("18:00"), "personal", at("16:00", DAY - timedelta(1)))
    ledger = build_ledger(facts(absences=[leave]))
    (out, back) = ledger.handovers
    assert (out.at, out.from_staff, out.to_staff, out.basis) == (at("14:00"), "S021", "S091", "B")
    assert out.planned and out.notice_at == leave.approved_at
    assert (back.at, back.from_staff, back.to_staff) == (at("18:00"), "S091", "S021")


def test_a_not_arrived_hands_to_b_at_opening_and_takes_back_on_arrival() -> None:
    """Rule POST-7: A late with no leave: B holds from opening until A's punch."""
    ledger = build_ledger(facts(arrivals={"S021": at("09:05"), "S091": at("08:10")}))
    first, second = ledger.handovers
    assert (first.at, first.to_staff, first.cause, first.planned) == (
        at("08:30"),
        "S091",
        "not_arrived",
        False,
    )
    assert (second.at, second.to_staff) == (at("09:05"), "S021")


def test_b_holding_its_own_seat_does_not_leave_it_and_the_window_is_flagged_empty() -> None:
    """A one-seat window whose B holds another seat: nobody takes over; DUTY-1 flags it."""
    seats = [
        SeatRoster("w01-a", "w01", a="S011", b="S012"),
        SeatRoster("w02-a", "w02", a="S021", b="S011"),
    ]
    sick = Absence("S021", at("00:00"), at("23:59"), "sick")
    ledger = build_ledger(
        facts(seats=seats, absences=[sick], arrivals={"S011": at("08:00"), "S012": at("08:00")})
    )
    h = ledger.holder_at("w02-a", at("10:00"))
    assert h is not None and h.basis is Basis.VACANT and h.staff_id is None
    (flag,) = ledger.flags
    assert (flag.kind, flag.window, flag.rule) == (FlagKind.WINDOW_EMPTY, "w02", "DUTY-1")
    assert (flag.start, flag.end) == (at("08:30"), at("18:00"))


def test_late_substitute_is_on_post_only_from_their_punch_and_the_leave_is_flagged() -> None:
    """Rule ATT-7: until the substitute's punch, B sits in and the leaver's leave is flagged."""
    leave = Absence("S021", at("00:00"), at("23:59"), "annual", at("09:00", date(2026, 12, 1)), 7)
    sub = StandIn(Basis.SUBSTITUTE, "S031", at("00:00"), at("23:59"), "S021", "w02", leave_id=7)
    ledger = build_ledger(
        facts(
            absences=[leave],
            stand_ins=[sub],
            arrivals={"S091": at("08:10"), "S031": at("09:12")},
        )
    )
    assert ledger.holder_at("w02-a", at("08:00")).staff_id == "S031"  # type: ignore[union-attr]
    b = ledger.holder_at("w02-a", at("08:45"))
    assert b is not None and (b.staff_id, b.basis) == ("S091", Basis.B)
    s = ledger.holder_at("w02-a", at("09:30"))
    assert s is not None and (s.staff_id, s.basis) == ("S031", Basis.SUBSTITUTE)
    (flag,) = ledger.flags
    assert (flag.kind, flag.rule, flag.staff_id, flag.ref) == (
        FlagKind.SUBSTITUTE_MISSING,
        "ATT-7",
        "S021",
        7,
    )
    assert (flag.start, flag.end) == (at("08:30"), at("09:12"))


def test_unenrolled_substitute_is_seen_by_presence_at_the_seat() -> None:
    """Rule ATT-7: a unit's substitute who cannot punch counts once the seat is occupied."""
    leave = Absence("S021", at("00:00"), at("23:59"), "annual")
    sub = StandIn(Basis.SUBSTITUTE, "U900", at("00:00"), at("23:59"), "S021", "w02")
    ledger = build_ledger(
        facts(
            seats=[SeatRoster("w02-a", "w02", a="S021")],
            absences=[leave],
            stand_ins=[sub],
            arrivals={},
            presence={"w02-a": [(at("08:40"), None)]},
            punchers=frozenset({"S021"}),
        )
    )
    assert ledger.holder_at("w02-a", at("08:35")).basis is Basis.VACANT  # type: ignore[union-attr]
    assert ledger.holder_at("w02-a", at("08:41")).staff_id == "U900"  # type: ignore[union-attr]


def test_cover_holds_once_the_seat_is_occupied_and_b_does_not_sit_in_meanwhile() -> None:
    """Rule POST-6: the cover's presence is checked at the seat; a gap is flagged."""
    cover = StandIn(Basis.COVER, "S041", at("10:00"), at("11:00"), "S021", seat="w02-a", id=3)
    ledger = build_ledger(
        facts(
            stand_ins=[cover],
            presence={"w02-a": [(at("08:25"), at("10:00")), (at("10:07"), None)]},
        )
    )
    gap = ledger.holder_at("w02-a", at("10:03"))
    assert gap is not None and (gap.basis, gap.cause) == (Basis.VACANT, "cover_leave")
    c = ledger.holder_at("w02-a", at("10:30"))
    assert c is not None and (c.staff_id, c.basis) == ("S041", Basis.COVER)
    assert ledger.holder_at("w02-a", at("11:00")).staff_id == "S021"  # type: ignore[union-attr]
    flag = next(f for f in ledger.flags if f.kind is FlagKind.COVER_MISSING)
    assert (flag.start, flag.end, flag.ref, flag.rule) == (at("10:00"), at("10:07"), 3, "POST-6")


def test_a_face_at_the_window_that_is_not_the_holder_is_flagged() -> None:
    """Rule RATE-2: the face seen at the seat must be the ledger's holder."""
    faces = [FaceSeen(at("09:00"), "S021", "w02"), FaceSeen(at("09:30"), "S077", "w02")]
    ledger = build_ledger(facts(faces=faces))
    (flag,) = ledger.flags
    assert (flag.kind, flag.staff_id, flag.start, flag.rule) == (
        FlagKind.FACE_MISMATCH,
        "S077",
        at("09:30"),
        "RATE-2",
    )


def test_same_facts_in_any_order_give_the_same_ledger() -> None:
    """Facts are stored, verdicts derived: order does not matter."""
    leave = Absence("S021", at("14:00"), at("16:00"), "personal")
    a = build_ledger(facts(absences=[leave], arrivals={"S021": at("08:20"), "S091": at("08:10")}))
    b = build_ledger(facts(absences=[leave], arrivals={"S091": at("08:10"), "S021": at("08:20")}))
    assert a.holdings == b.holdings and a.handovers == b.handovers


def test_expected_staff_are_the_rostered_holders_and_stand_ins() -> None:
    """Rule DUTY-1: only rostered staff (and stand-ins) are expected at work."""
    seats = [SeatRoster("w01-a", "w01", a="S011", b="S012"), SeatRoster("w02-a", "w02", a="S021")]
    sub = StandIn(Basis.SUBSTITUTE, "S031", at("00:00"), at("23:59"), "S021", "w02")
    assert expected_staff(seats, [sub]) == {"S011", "S012", "S021", "S031"}
