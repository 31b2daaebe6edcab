"""The demo hall's face terminals punch: enrolled demo people come to them at checkpoint times.

Two demo staff members get a face: photos from the face_recognition project's examples
(MIT licence, `faces/LICENSE.face_recognition`; public figures, used as stand-in faces), shipped
in `faces/<person>/`: their gallery photos are enrolled on the hub (photo enrollment), and a
third photo of each, not enrolled, is animated into a performer clip (edge/face/clips.py: a
person who does what the terminal asks, so the challenge-response liveness is honestly passed).
Through the day, at the hall's checkpoint times (its attendance policy), each comes to a
terminal: one always on time, the other late in the morning and the afternoon and gone before
the afternoon stop (a missing punch). A visit whose time passed before the demo started is
played at once while its checkpoint window is still open; earlier ones stay missing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from models.devices import face_terminal
from models.layout import Hall

logger = logging.getLogger(__name__)
FACES = Path(__file__).resolve().parent / "faces"


@dataclass(frozen=True, slots=True)
class Habit:
    """When a demo person comes, relative to each checkpoint's target (None: not at all)."""

    arrive_min: int | None
    leave_min: int | None
    skip: tuple[str, ...] = ()


HABITS = {
    "obama": Habit(arrive_min=-12, leave_min=4),
    "kit_harington": Habit(arrive_min=9, leave_min=6, skip=("PM_OUT",)),
}
"""Each face's habit: obama on time everywhere; kit late to arrive, missing the PM stop."""


@dataclass(frozen=True, slots=True)
class Visit:
    """One planned visit: who, at which terminal, when, for which checkpoint."""

    at: datetime
    staff_id: str
    face: str
    device: str
    checkpoint: str
    closes: datetime


def plan_visits(hall: Hall, people: list[tuple[str, str, str]], day: datetime) -> list[Visit]:
    """The day's visits of (staff id, face, terminal) by their habits and the hall's policy."""
    from zoneinfo import ZoneInfo

    from hub.attendance.plan import make_plan
    from hub.attendance.policy import load_policy

    zone = ZoneInfo(hall.timezone)
    plan = make_plan(load_policy(hall.attendance_policy), day.astimezone(zone).date(), zone)
    visits = []
    for staff_id, face, device in people:
        habit = HABITS[face]
        for slot in plan.slots:
            offset = habit.arrive_min if slot.arrive else habit.leave_min
            if offset is None or slot.name in habit.skip:
                continue
            visits.append(
                Visit(
                    datetime.fromtimestamp(slot.target, UTC) + timedelta(minutes=offset),
                    staff_id,
                    face,
                    device,
                    slot.name,
                    datetime.fromtimestamp(slot.closes, UTC),
                )
            )
    return sorted(visits, key=lambda v: v.at)


def due(pending: list[Visit], now: datetime) -> tuple[list[Visit], list[Visit]]:
    """(visits to play now, visits whose checkpoint window closed before they were played)."""
    passed = [v for v in pending if v.at <= now]
    return [v for v in passed if now < v.closes], [v for v in passed if now >= v.closes]


class DemoFaces:
    """Enrolls the demo faces, renders their clips, and plays the visits (one thread)."""

    def __init__(self, hall: Hall, agents: list[Any], hub: Any, data_dir: Path) -> None:
        self.hall, self.hub, self.data_dir = hall, hub, data_dir
        self.drivers = {
            device: runtime.driver
            for agent in agents
            for device, runtime in agent.runtimes.items()
            if getattr(runtime.driver, "kind", "") == face_terminal.KIND
        }
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.played: list[Visit] = []

    def people(self) -> list[tuple[str, str, str]]:
        """(staff id, face, terminal): the first seat of the first windows, one per terminal."""
        seats = [f"S{w.number:02d}1" for w in self.hall.windows]
        faces = sorted(HABITS)
        return list(zip(seats, faces, sorted(self.drivers), strict=False))

    def start(self) -> DemoFaces:
        """Prepare and run in the background (rendering the clips takes several seconds)."""
        self._thread = threading.Thread(target=self._run, name="demo-faces", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop playing visits; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def enroll(self) -> None:
        """Enroll each demo face on the hub from its shipped photos and publish the gallery."""
        from sqlmodel import Session

        from hub.staff.enroll import enroll
        from hub.staff.tables import Staff

        sync = next(
            (a.state["staff_sync"] for a in self.hub.areas if "staff_sync" in a.state), None
        )
        if sync is None or sync.master_key is None:
            logger.warning("demo faces: no staff area or face key; the terminals stay idle")
            return
        for staff_id, face, _ in self.people():
            with Session(sync.engine) as s:
                member = s.get(Staff, staff_id)
            if member is None:
                continue
            photos = [
                (p.name, p.read_bytes())
                for p in sorted((FACES / face).iterdir())
                if p.suffix in (".jpg", ".jpeg") and p.stem != "visit"
            ]
            enroll(
                sync.engine,
                keys=sync.key_store(),
                staff_id=staff_id,
                name=member.name,
                hall=self.hall.id,
                photos=photos,
                unit=member.unit,
                window=member.window,
            )
        sync.publish(self.hall.id)

    def performer(self, face: str) -> Path:
        """The face's performer folder (rendered once into the demo data folder)."""
        from edge.face.clips import perform, subject_from_photo, write_performer

        folder = self.data_dir / "faces" / face
        if not (folder / "neutral").is_dir():
            subject = subject_from_photo(FACES / face / "visit.jpg", 0, face)
            write_performer(folder, perform(subject, seed=1))
        return folder

    def _run(self) -> None:
        try:
            self.enroll()
            clips = {face: self.performer(face) for _, face, _ in self.people()}
        except Exception:
            logger.exception("demo faces could not be prepared; the terminals stay idle")
            return
        day = datetime.now(UTC)
        pending = plan_visits(self.hall, self.people(), day)
        logger.info("demo faces: %d visits planned today", len(pending))
        while not self._stop.wait(2.0):
            now = datetime.now(UTC)
            if now.astimezone().date() != day.astimezone().date():
                day, pending = now, plan_visits(self.hall, self.people(), now)
            play, missed = due(pending, now)
            for visit in missed:
                pending.remove(visit)  # its window closed before the demo ran: stays missing
            for visit in play:
                if self.drivers[visit.device].play(str(clips[visit.face])):
                    pending.remove(visit)
                    self.played.append(visit)
                    logger.info(
                        "demo: %s comes to %s (%s)", visit.staff_id, visit.device, visit.checkpoint
                    )
