"""The citizen is told when a hall device fails (rule DEV-4): the kiosk and the hall screen.

Every ticket a kiosk issues is sent to the printer; the printer's command result (or its
silence for `print_timeout_s`) decides what the kiosk tells the citizen: "take your ticket",
or the number large, why it was not printed, a QR code of it for a phone, said aloud
(ShowTicket to the kiosk device; the kiosk page gets the same outcome). Faults and outages of
hall-wide devices (printer, voice, kiosk) become notices on the hall screen: on its page
(the queue snapshot) and as a notice line to each hall display device.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from hub.queue.announce import Announcer
from hub.queue.notices import PRINT_FAULTS, TicketWords, hall_notices, ticket_words
from models.commands import DisplayText, PrintTicket, ShowTicket
from models.devices import hall_display, rating_device, ticket_printer, voice
from models.devices.kiosk import KIND as KIOSK
from models.envelope import Envelope
from models.events import CommandResult, DeviceFault
from models.layout import Hall

logger = logging.getLogger(__name__)
HALL_WIDE = (ticket_printer.KIND, voice.KIND, KIOSK)
"""Device kinds whose faults concern the whole hall (their notice goes on the hall screen)."""
NOTICE_LINE = 1
"""The hall display line that carries the fault notice (line 0 is the call)."""
RATING_OUT = frozenset({"offline", "rating_port_error"})
"""A rating device's states that stop citizens rating at its window."""
RATING_OUT_TEXT = "评价器暂停使用，可扫码投诉建议或到咨询台评价"


@dataclass(frozen=True, slots=True)
class TicketOutcome:
    """What became of a ticket's printing, and what the citizen is told."""

    ticket: str
    service_name: str
    ahead: int
    printed: bool
    fault: str | None
    words: TicketWords
    qr: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form for the kiosk page."""
        return {
            "ticket": self.ticket,
            "service_name": self.service_name,
            "ahead": self.ahead,
            "printed": self.printed,
            "fault": self.fault,
            "title": self.words.title,
            "detail": self.words.detail,
            "speech": self.words.speech,
            "qr": self.qr,
        }


@dataclass(slots=True)
class PendingPrint:
    """A ticket sent to the printer, waiting for its result."""

    ticket: str
    service_name: str
    ahead: int
    issued_at: datetime
    kiosk: str | None
    sent_at: datetime
    done: threading.Event = field(default_factory=threading.Event)
    outcome: TicketOutcome | None = None


def qr_text(hall: Hall, ticket: str, service_name: str, issued_at: datetime, tz: Any) -> str:
    """What a ticket's QR code holds: hall, number, service, time (to keep on a phone)."""
    return f"{hall.name} 取号 {ticket} {service_name} {issued_at.astimezone(tz):%Y-%m-%d %H:%M}"


class CitizenDesk:
    """DEV-4 for one hall: tells citizens at the kiosk and on the hall screen what failed."""

    def __init__(
        self,
        hall: Hall,
        announcer: Announcer,
        clock: Callable[[], datetime],
        tz: Any,
        *,
        print_timeout_s: float = 4.0,
        on_change: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.hall, self.announcer, self.clock, self.tz = hall, announcer, clock, tz
        self.print_timeout_s = print_timeout_s
        self.on_change = on_change or (lambda _msg: None)
        self.lock = threading.Lock()
        self.pending: dict[str, PendingPrint] = {}
        self.faults: dict[str, set[str]] = {}  # hall-wide device -> active fault codes
        self.window_faults: dict[str, set[str]] = {}  # rating device -> codes that stop it
        self.recent: list[TicketOutcome] = []

    # ---- the hall screen's notices ----

    def _kind(self, device: str) -> str | None:
        try:
            return self.hall.device(device).kind
        except KeyError:
            return None

    def notices(self) -> list[str]:
        """The hall screen's current fault notices (rule DEV-4)."""
        with self.lock:
            pairs = [
                (self._kind(d) or "", code) for d, codes in self.faults.items() for code in codes
            ]
        return hall_notices(sorted(pairs))

    def restore(self, engine: Engine) -> None:
        """Take the active faults of the hall-wide devices from the fleet's device health."""
        try:
            from sqlmodel import Session, select

            from hub.fleet.tables import DeviceHealth
        except ImportError:
            return
        with Session(engine) as s:
            rows = s.exec(select(DeviceHealth).where(DeviceHealth.hall == self.hall.id)).all()
        with self.lock:
            for r in rows:
                if self._kind(r.device) in HALL_WIDE:
                    codes = {str(f.get("code")) for f in (r.faults or []) if f.get("code")}
                    if r.online is False:
                        codes.add("offline")
                    if codes:
                        self.faults[r.device] = codes

    def _set_fault(self, device: str, code: str, active: bool) -> bool:
        if self._kind(device) == rating_device.KIND:
            self._rating_fault(device, code, active)
            return False
        if self._kind(device) not in HALL_WIDE:
            return False
        before = self.notices()
        with self.lock:
            codes = self.faults.setdefault(device, set())
            if active:
                codes.add(code)
            else:
                codes.discard(code)
            if not codes:
                self.faults.pop(device, None)
        after = self.notices()
        if after != before:
            self._show_notices(after)
            return True
        return False

    def _rating_fault(self, device: str, code: str, active: bool) -> None:
        """A window's rating device that cannot take ratings: its counter display says so on
        line 2, and where else to be heard (rule DEV-4); cleared when it works again."""
        if code not in RATING_OUT:
            return
        with self.lock:
            codes = self.window_faults.setdefault(device, set())
            before = bool(codes)
            (codes.add if active else codes.discard)(code)
            after = bool(codes)
        if before == after:
            return
        dev = self.hall.device(device)
        seat_window = next((w.id for w in self.hall.windows if dev.seat in w.seats), None)
        window = dev.window or seat_window
        if window:
            self.announcer.show(window, RATING_OUT_TEXT if after else "", line=2)

    def _show_notices(self, notices: list[str]) -> None:
        text = "；".join(notices)
        for dev in self.announcer.devices(hall_display.KIND):
            self.announcer.send(dev, DisplayText(text=text[:200], line=NOTICE_LINE))
        self.on_change({"type": "notices", "hall": self.hall.id, "notices": notices})
        logger.info("hall %s notices: %s", self.hall.id, notices or "none")

    def device_state(self, device: str, online: bool) -> None:
        """A device went online or offline (its retained state)."""
        self._set_fault(device, "offline", not online)

    # ---- tickets and the printer ----

    def print_ticket(
        self, ticket: str, service_name: str, ahead: int, issued_at: datetime, kiosk: str | None
    ) -> PendingPrint:
        """Send a ticket to the kiosk's printer and wait for its result (see `resolve`)."""
        now = self.clock()
        p = PendingPrint(ticket, service_name, ahead, issued_at, kiosk, now)
        printer = self.announcer.printer_for(kiosk or "")
        if printer is None:
            self.resolve(p, "no_printer")
            return p
        cid = self.announcer.send(
            printer,
            PrintTicket(ticket=ticket, service_name=service_name, ahead=ahead, issued_at=issued_at),
        )
        if cid is None:
            self.resolve(p, "printer_offline")
            return p
        with self.lock:
            self.pending[cid] = p
        return p

    def handle(self, env: Envelope) -> None:
        """A printer's command result, or a fault of a hall-wide device."""
        body = env.body
        if isinstance(body, CommandResult):
            with self.lock:
                p = self.pending.pop(body.command_id, None)
            if p is not None:
                code = body.detail.split(":")[0].strip()
                fault = None if body.ok else code if code in PRINT_FAULTS else "printer_error"
                self.resolve(p, fault)
        elif isinstance(body, DeviceFault):
            self._set_fault(env.device, body.code, body.active)

    def expire(self, now: datetime | None = None) -> int:
        """Tickets whose printer did not answer in time: the citizen is told now (DEV-4)."""
        now = now or self.clock()
        limit = now - timedelta(seconds=self.print_timeout_s)
        with self.lock:
            late = [(cid, p) for cid, p in self.pending.items() if p.sent_at <= limit]
            for cid, _ in late:
                del self.pending[cid]
        for _, p in late:
            self.resolve(p, "printer_no_answer")
        return len(late)

    def wait(self, p: PendingPrint, timeout: float | None = None) -> TicketOutcome:
        """The outcome of a print, waiting up to `timeout` (default `print_timeout_s`) for the
        printer; a printer that does not answer in time is told as such (rule DEV-4)."""
        if p.done.wait(self.print_timeout_s if timeout is None else timeout):
            assert p.outcome is not None
            return p.outcome
        with self.lock:
            mine = [cid for cid, q in self.pending.items() if q is p]
            for cid in mine:
                del self.pending[cid]
        if not mine:  # resolved meanwhile by the printer's answer or the watcher
            p.done.wait()
            assert p.outcome is not None
            return p.outcome
        return self.resolve(p, "printer_no_answer")

    def resolve(self, p: PendingPrint, fault: str | None) -> TicketOutcome:
        """Decide what the citizen is told about a ticket; tell the kiosk (rule DEV-4)."""
        words = ticket_words(p.ticket, p.service_name, p.ahead, fault)
        qr = qr_text(self.hall, p.ticket, p.service_name, p.issued_at, self.tz)
        out = TicketOutcome(p.ticket, p.service_name, p.ahead, fault is None, fault, words, qr)
        p.outcome = out
        with self.lock:
            self.recent = [*self.recent[-19:], out]
        if p.kiosk and self._kind(p.kiosk) == KIOSK:
            self.announcer.send(
                p.kiosk,
                ShowTicket(
                    ticket=p.ticket,
                    service_name=p.service_name,
                    ahead=p.ahead,
                    printed=fault is None,
                    fault=fault,
                    title=words.title,
                    detail=words.detail[:200],
                    speech=words.speech,
                    qr=qr[:300],
                ),
            )
        if fault is not None:
            logger.warning(
                "hall %s: %s not printed (%s); the kiosk says so", self.hall.id, p.ticket, fault
            )
        self.on_change({"type": "ticket", "hall": self.hall.id, "kiosk": p.kiosk, **out.as_dict()})
        p.done.set()
        return out

    def outcomes(self) -> Iterable[TicketOutcome]:
        """The latest ticket outcomes (all kiosks, newest last)."""
        with self.lock:
            return list(self.recent)
