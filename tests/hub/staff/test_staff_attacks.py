"""What an attacker, a fault or a confused operator tries on staff and faces: leaving twice,
a last day to come, a token issued before leaving, coming back, sealed templates that are not
what they say (rules PRIV-1, ATT-1; issue 18.1: judged from the first to the last day)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlmodel import Session

from hub.attendance.projector import AttendanceProjector
from hub.attendance.reports import month_report
from hub.commands import RecordingSender
from hub.ingest.hooks import IngestBatch
from hub.problems import InvalidProblem
from hub.staff.crypto import hall_key
from hub.staff.enroll import store_enrollment
from hub.staff.gallery_sync import GallerySync
from hub.staff.keystore import KeyStore
from hub.staff.leaving import AlreadyLeft, leave_hall
from hub.staff.tables import FaceTemplate, Staff
from hub.staff.terminal_enroll import TerminalEnrollment
from models.commands import StartEnrollment
from models.envelope import make_envelope
from models.events import EnrollmentCaptured, TemplateOffered
from models.face import seal_templates
from models.layout import load_hall
from tests.hub.staff.test_staff_gallery_sync import HALL_DIR, SEQ, T0, Clock

TODAY = date(2026, 11, 23)  # T0 is 09:00 on Monday 23 November in the hall


@pytest.fixture
def hub(sqlite_engine: sa.engine.Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The staff area's parts on a hall clock, with s1 enrolled on 2 November."""
    master = Fernet.generate_key()
    keys = KeyStore(tmp_path / "face-keys.db", master)
    clock, sender = Clock(), RecordingSender()
    sync = GallerySync(sqlite_engine, master, [load_hall(HALL_DIR)], sender, clock, keys=keys)
    store_enrollment(
        sqlite_engine,
        keys=keys,
        staff_id="s1",
        name="甲",
        hall="demo",
        encodings=[np.full(128, 0.1)],
        now=T0 - timedelta(days=21),
    )
    yield sync, TerminalEnrollment(sync), sender, hall_key(master, "demo")
    keys.close()


def member(sync: GallerySync, staff_id: str = "s1") -> Staff:
    with Session(sync.engine) as s:
        found = s.get(Staff, staff_id)
        assert found is not None
        return found


def captured(cmd: StartEnrollment, sealed: str, count: int, device: str = "ent-face1") -> object:
    body = EnrollmentCaptured(
        enrollment_id=cmd.enrollment_id,
        staff_id=cmd.staff_id,
        token=cmd.token,
        templates=sealed,
        count=count,
    )
    return make_envelope(hall="demo", device=device, seq=next(SEQ), ts=T0, synced=True, body=body)


def test_leaving_keeps_the_days_worked_and_happens_once(hub) -> None:  # type: ignore[no-untyped-def]
    """Leaving made a member vanish from the month (no last day); a second leave moved the last
    day later, so the days between were judged 旷工."""
    sync, _te, _sender, _hk = hub
    with pytest.raises(InvalidProblem) as e:  # a last day still to come
        leave_hall(sync, "s1", TODAY + timedelta(days=1))
    assert e.value.key == "staff.leave_future"
    with pytest.raises(InvalidProblem):  # before the first day
        leave_hall(sync, "s1", date(2026, 10, 1))
    left = leave_hall(sync, "s1", date(2026, 11, 20))
    assert left.left_on == date(2026, 11, 20) and left.templates_erased == 1
    assert (member(sync).active, member(sync).leave_date) == (False, date(2026, 11, 20))
    with pytest.raises(AlreadyLeft) as again:
        leave_hall(sync, "s1")
    assert again.value.status == 409 and member(sync).leave_date == date(2026, 11, 20)
    projector = AttendanceProjector()
    report = month_report(sync.engine, projector, "2026-11", T0)
    (row,) = [r for r in report.staff if r.key == "s1"]  # still judged up to the last day
    assert row.as_json()["workdays"] == 15  # 2..20 November: 15 workdays, not the 16 to date


def test_a_token_issued_before_leaving_cannot_bring_the_person_back(hub) -> None:  # type: ignore[no-untyped-def]
    """Rule PRIV-1: a pending enrollment re-enrolled (and re-activated) a member who had left;
    coming back takes a token issued after leaving, and starts a new first day."""
    sync, te, sender, hk = hub
    te.start(staff_id="s1", name="甲", device="ent-face1", hall="demo")
    (old,) = [b for _, _, b in sender.sent if isinstance(b, StartEnrollment)]
    leave_hall(sync, "s1", TODAY - timedelta(days=1))
    sealed = seal_templates([np.full(128, 0.2)] * 3, hk)
    te.project(sync.engine, IngestBatch(events=[captured(old, sealed, 3)]))  # type: ignore[list-item]
    assert member(sync).active is False and sync.key_store().get("s1") is None
    te.start(staff_id="s1", name="甲", device="ent-face1", hall="demo")
    new = [b for _, _, b in sender.sent if isinstance(b, StartEnrollment)][-1]
    te.project(sync.engine, IngestBatch(events=[captured(new, sealed, 3)]))  # type: ignore[list-item]
    back = member(sync)
    assert (back.active, back.start_date, back.leave_date) == (True, TODAY, None)


def test_sealed_templates_that_are_not_what_they_say_are_refused(hub) -> None:  # type: ignore[no-untyped-def]
    """A terminal announcing 3 and sealing 17, one offering 2 templates as one (which stopped
    the rest of the batch), or NaN values: refused; the batch's good facts go on."""
    sync, te, sender, hk = hub
    te.start(staff_id="s2", name="乙", device="ent-face1", hall="demo")
    (cmd,) = [b for _, _, b in sender.sent if isinstance(b, StartEnrollment)]
    many = seal_templates([np.full(128, 0.3)] * 17, hk)
    nan = seal_templates([np.full(128, np.nan)] * 3, hk)
    two = TemplateOffered(
        staff_id="s1", template=seal_templates([np.zeros(128)] * 2, hk), distance=0.2
    )
    offer = make_envelope(
        hall="demo", device="ent-face1", seq=next(SEQ), ts=T0, synced=True, body=two
    )
    good = seal_templates([np.full(128, 0.3)] * 3, hk)
    batch = [captured(cmd, many, 3), captured(cmd, nan, 3), offer, captured(cmd, good, 3)]
    te.project(sync.engine, IngestBatch(events=batch))  # type: ignore[arg-type]
    with Session(sync.engine) as s:
        counts = {
            sid: s.exec(sa.select(sa.func.count()).where(FaceTemplate.staff_id == sid)).one()[0]
            for sid in ("s1", "s2")
        }
    assert counts == {"s1": 1, "s2": 3}  # s1 offered nothing whole; s2 from the good capture
