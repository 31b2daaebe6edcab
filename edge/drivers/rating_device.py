"""The citizen rating device (评价器) at a counter seat: shows who serves, takes the rating.

Protocol: firmware_cfg/protocols/rating_device.md (edge/serialproto/rating.py). A ShowServing
command becomes a SHOW frame (staff number, name, ticket). When the ticket shown is replaced
(service finished, next citizen called) the device is PROMPTed to rate it; the citizen presses
one level per dimension the hub's rating scheme names (RATE-1; default the national four); a
dissatisfied overall level is ASKed a reason and, with the hall's contact key, offered to leave
a phone number for the call back (RATE-3), sealed on the device (models/contact.py, PRIV-1).
One Rating event per served ticket: no press within `timeout_s` is a Rating with level None.
A press with nothing to rate, or a second press for a ticket already rated, is still reported
(the hub refuses it with the reason: nothing lost). A garbled frame is a device fault (DEV-4).
Backends: `real` opens `port` with pyserial; `simulated` opens a pty whose peer is RatingPeer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from edge.drivers.base import CommandOutcome, DeviceContext, Driver
from edge.drivers.serial_link import (
    LineWatch,
    PortClosed,
    PtyPeer,
    SerialLink,
    close_line,
    open_line,
)
from edge.serialproto.framing import FrameError, frame_clock
from edge.serialproto.rating import (
    DIMENSIONS,
    AskPhoneFrame,
    AskReasonFrame,
    HostDecoder,
    HostFrame,
    PhoneEntry,
    Press,
    PromptFrame,
    RatingDecoder,
    ReasonChoice,
    ShowFrame,
    ThanksFrame,
    encode_host,
    encode_phone,
    encode_press,
    encode_reason,
)
from models.commands import Command, ShowServing
from models.contact import PUBLIC_KEY_ENV, ContactError, seal
from models.devices.rating_device import (
    KIND,
    RatingDeviceConfig,
)
from models.events import Rating

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    ticket: str | None
    staff: str | None
    deadline: float
    dims: tuple[str, ...]
    levels: dict[str, int] = field(default_factory=dict)
    step: str = "rate"  # rate -> reason -> phone
    reason: str | None = None


class RatingSession:
    """The device's rating logic, pure: feed it shows, presses, reasons, phones and the time."""

    def __init__(
        self,
        config: RatingDeviceConfig,
        seat: str,
        emit: Callable[[Rating], None],
        send: Callable[[HostFrame], None],
    ) -> None:
        self.config, self.seat, self._emit, self._send = config, seat, emit, send
        self.staff: str | None = None
        self.ticket: str | None = None
        self.dims: tuple[str, ...] = tuple(config.dimensions)
        self.pending: _Pending | None = None
        self.rated: set[str] = set()  # tickets already rated on this device today
        self._last: tuple[str, str | None, float] | None = None  # just rated, until when

    def show(
        self,
        staff: str | None,
        name: str,
        ticket: str | None,
        now: float,
        dimensions: list[str] | None = None,
    ) -> None:
        """The hub says who serves, which ticket and what to rate; a replaced unrated ticket is
        prompted."""
        old = self.ticket
        if old and old != ticket and old not in self.rated:
            if self.pending is not None and self.pending.ticket != old:
                self._finish(self.pending, now)
            if self.pending is None or self.pending.ticket != old:
                self._prompt(old, self.staff, now)
        self.staff, self.ticket = staff, ticket
        known = [d for d in dimensions or () if d in DIMENSIONS]
        self.dims = tuple(known) if "overall" in known else tuple(self.config.dimensions)
        self._send(ShowFrame(self.config.address, staff or "", name, ticket or ""))

    def _prompt(self, ticket: str | None, staff: str | None, now: float) -> None:
        self.pending = _Pending(ticket, staff, now + self.config.timeout_s, self.dims)
        timeout = max(1, int(self.config.timeout_s))
        self._send(PromptFrame(self.config.address, self.dims, timeout))

    def press(self, dimension: str, level: int, now: float) -> None:
        """A level pressed: rate the pending (or current) ticket, or report a stray press."""
        p = self.pending
        if p is None and self.ticket and self.ticket not in self.rated:
            self._prompt(self.ticket, self.staff, now)  # rating during the service
            p = self.pending
        if p is None or p.step != "rate" or dimension not in p.dims:
            # rule: nothing lost; the hub refuses a duplicate or a press with no service
            ticket, staff = None, self.staff
            if self.ticket in self.rated:
                ticket = self.ticket
            elif self._last is not None and now < self._last[2]:
                ticket, staff = self._last[0], self._last[1]
            dims = {} if dimension == "overall" else {dimension: level}
            level_ = level if dimension == "overall" else None
            self._emit(
                Rating(
                    seat=self.seat,
                    ticket=ticket,
                    shown_staff_id=staff,
                    level=level_,
                    dimensions=dims,
                )
            )
            return
        p.levels[dimension] = level
        if all(d in p.levels for d in p.dims):
            if p.levels["overall"] <= self.config.dissatisfied_max:
                self._ask_reason(p, now)
            else:
                self._finish(p, now)

    def _ask_reason(self, p: _Pending, now: float) -> None:
        if not self.config.reasons:
            self._ask_phone(p, now)
            return
        p.step, p.deadline = "reason", now + self.config.reason_timeout_s
        labels = tuple(r.label for r in self.config.reasons)
        self._send(AskReasonFrame(self.config.address, labels))

    def _ask_phone(self, p: _Pending, now: float) -> None:
        """rule RATE-3: a dissatisfied citizen may leave a number for the same-day call back."""
        if not self.config.contact_key:
            self._finish(p, now)
            return
        p.step, p.deadline = "phone", now + self.config.phone_timeout_s
        self._send(AskPhoneFrame(self.config.address, max(1, int(self.config.phone_timeout_s))))

    def reason(self, index: int, now: float) -> bool:
        """A reason chosen; False when no reason was asked or the index is not in the list."""
        p = self.pending
        if p is None or p.step != "reason" or not 1 <= index <= len(self.config.reasons):
            return False
        p.reason = self.config.reasons[index - 1].code
        self._ask_phone(p, now)
        return True

    def phone(self, digits: str, now: float) -> bool:
        """The number typed (or skipped, empty); sealed here, never kept in clear (PRIV-1).
        False when no number was asked or it is not a phone number (the rating goes on
        without it)."""
        p = self.pending
        if p is None or p.step != "phone":
            return False
        contact, ok = None, True
        if digits and self.config.contact_key:
            try:
                contact = seal(self.config.contact_key, digits)
            except ContactError:
                ok = False
        self._finish(p, now, contact)
        return ok

    def tick(self, now: float) -> None:
        """Close a step whose time ran out: what was pressed (and chosen), or not rated."""
        if self.pending is not None and now >= self.pending.deadline:
            self._finish(self.pending, now)

    def _finish(self, p: _Pending, now: float, contact: str | None = None) -> None:
        self.pending = None
        if p.ticket:
            self.rated.add(p.ticket)
            self._last = (p.ticket, p.staff, now + self.config.timeout_s)
        dims = {d: v for d, v in p.levels.items() if d != "overall"}
        self._emit(
            Rating(
                seat=self.seat,
                ticket=p.ticket,
                shown_staff_id=p.staff,
                level=p.levels.get("overall"),
                dimensions=dims,
                reason=p.reason,
                contact=contact,
            )
        )
        if p.levels:
            self._send(ThanksFrame(self.config.address))


class RatingPeer(PtyPeer):
    """A simulated rating device on a pseudo-terminal: records host frames, presses keys."""

    def __init__(self, address: int = 1) -> None:
        super().__init__(name="rating-peer")
        self.address = address
        self.received: list[HostFrame | FrameError] = []
        self._answers: dict[type, bytes] = {}  # what a citizen who is rating answers next
        decoder = HostDecoder()
        self._read_into(lambda data: self._got(decoder.feed(data)))

    def _got(self, frames: list[HostFrame | FrameError]) -> None:
        self.received.extend(frames)
        for f in frames:
            if isinstance(f, ThanksFrame):
                self._answers.clear()  # that citizen is done
            answer = self._answers.pop(type(f), None)
            if answer is not None:
                self._write_quietly(answer)

    def rate(self, level: int, reason: int = 1, phone: str = "") -> None:
        """A citizen rates every dimension the device asks for at `level`; asked why, chooses
        `reason`; asked for a number, types `phone` (empty: skips)."""
        prompts = [f for f in self.received if isinstance(f, PromptFrame)]
        dims = prompts[-1].dimensions if prompts else ("overall",)
        self._answers[AskReasonFrame] = encode_reason(ReasonChoice(self.address, reason))
        self._answers[AskPhoneFrame] = encode_phone(PhoneEntry(self.address, phone))
        for dim in dims:
            self.press(level, dim)

    @property
    def screen(self) -> ShowFrame | None:
        """The last SHOW frame received."""
        shows = [f for f in self.received if isinstance(f, ShowFrame)]
        return shows[-1] if shows else None

    def press(self, level: int, dimension: str = "overall") -> bytes:
        """The citizen presses a level key; returns the frame sent."""
        frame = encode_press(Press(self.address, dimension, level))
        self.write(frame)
        return frame

    def choose_reason(self, index: int) -> bytes:
        """The citizen picks reason number `index` (1-based)."""
        frame = encode_reason(ReasonChoice(self.address, index))
        self.write(frame)
        return frame

    def type_phone(self, digits: str) -> bytes:
        """The citizen types a phone number (empty: skips)."""
        frame = encode_phone(PhoneEntry(self.address, digits))
        self.write(frame)
        return frame


class RatingDeviceDriver(Driver[RatingDeviceConfig]):
    """Drives one rating device: ShowServing in, Rating events out."""

    kind = KIND
    Config = RatingDeviceConfig

    def __init__(self, ctx: DeviceContext, config: RatingDeviceConfig) -> None:
        super().__init__(ctx, config)
        self.seat = ctx.seat or ctx.device.removesuffix("-rate")
        self.peer: RatingPeer | None = None
        self.errors = 0
        self._lock = threading.RLock()
        self._session = RatingSession(config, self.seat, self._emit, self._write)
        self._link: SerialLink | None = None
        self._watch: LineWatch | None = None

    def start(self) -> None:
        """Open the port (or the simulated device) and start reading."""
        cfg = self.config
        wait_s, tick_s = frame_clock(cfg.frame_timeout_ms)
        self.peer, self._link = open_line(
            cfg.backend,
            cfg.port,
            cfg.baudrate,
            peer=lambda: RatingPeer(cfg.address),
            timeout=tick_s,
            missing="rating_device: the real backend needs `port`",
        )
        self._session = RatingSession(self._with_key(cfg), self.seat, self._emit, self._write)
        decoder = RatingDecoder(wait_s)

        def on_data(data: bytes) -> None:  # an empty read is the half-frame clock's tick
            with self._lock:
                for item in decoder.feed(data, time.monotonic()):
                    self._handle(item)
                self._session.tick(time.monotonic())

        self._watch = LineWatch(self.ctx, "rating_port_error")
        self._link.start_reading(
            on_data,
            self._watch.failed,
            name=f"rating-{self.ctx.device}",
            on_restored=self._watch.restored,
        )
        port = self._link.port
        logger.info("rating device %s on %s for seat %s", self.ctx.device, port, self.seat)

    def _with_key(self, cfg: RatingDeviceConfig) -> RatingDeviceConfig:
        """The config with the hall's contact key: its own, else $HK_CONTACT_PUBLIC_KEY."""
        key = cfg.contact_key or os.environ.get(PUBLIC_KEY_ENV, "").strip() or None
        if key and key != cfg.contact_key:
            try:
                seal(key, "13800000000")  # a key that cannot seal is no key
            except (ContactError, ValueError):
                self.ctx.fault("rating_contact_key", f"${PUBLIC_KEY_ENV} is not a contact key")
                key = None
        return cfg.model_copy(update={"contact_key": key})

    def stop(self) -> None:
        """Stop reading and close the port; safe twice."""
        close_line(self._link, self.peer)
        self._link, self.peer = None, None

    def status(self) -> str:
        """fault while the serial line is gone, degraded after garbled frames, else ok."""
        if self._watch is not None and self._watch.up:
            return "fault"
        return "degraded" if self.errors else "ok"

    def handle(self, command: Command) -> CommandOutcome:
        """Show a ShowServing (RATE-2); other commands are refused."""
        body = command.body
        if not isinstance(body, ShowServing):
            return CommandOutcome(False, f"rating_device does not take {command.type.value}")
        with self._lock:
            self._session.show(
                body.staff_id, body.name or "", body.ticket, time.monotonic(), body.dimensions
            )
        return CommandOutcome(True, "shown")

    def _emit(self, rating: Rating) -> None:
        self.ctx.emit(rating)

    def _write(self, frame: HostFrame) -> None:
        link = self._link
        if link is None:
            return
        try:
            link.write(encode_host(frame))
        except PortClosed:
            return
        except OSError as exc:  # pyserial's SerialException (PortGone too) is an OSError
            if self._watch is not None:
                self._watch.failed(exc)

    def _handle(self, item: Press | ReasonChoice | PhoneEntry | FrameError) -> None:
        if isinstance(item, FrameError):
            self.errors += 1
            logger.warning("rating device %s: %s", self.ctx.device, item)
            self.ctx.fault("rating_garbled_frame", str(item), severity="warning")  # rule DEV-4
            return
        if item.address != self.config.address:
            logger.info(
                "rating device %s: frame for address %d ignored", self.ctx.device, item.address
            )
            return
        now = time.monotonic()
        if isinstance(item, Press):
            self._session.press(item.dimension, item.level, now)
        elif isinstance(item, PhoneEntry):
            if not self._session.phone(item.digits, now):  # never log the digits (PRIV-1)
                self.ctx.fault(
                    "rating_bad_phone",
                    "a phone entry not asked for, or not a number",
                    severity="warning",
                )
        elif not self._session.reason(item.index, now):
            self.ctx.fault(
                "rating_stray_reason", f"reason {item.index} not asked", severity="warning"
            )


DRIVER = RatingDeviceDriver
