"""The queue's words on the hall's devices: counter displays, hall screen, voice (QUEUE-4).

A call shows `A012 请到3号窗口` on the window's LED and the hall screen and is spoken
`请A012号到3号窗口办理`. A window that cannot serve shows 暂停服务 with the reason and, when
one is open, the window to go to instead (DEV-4). A device command never stops the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from hub.commands import CommandSender
from hub.queue.engine import EventKind, QueueEngine, QueueEvent
from hub.queue.notices import pause_lines
from models.commands import Announce, CommandBody, DisplayText
from models.devices import counter_display, hall_display, ticket_printer, voice
from models.layout import Hall

logger = logging.getLogger(__name__)


def call_text(ticket: str, number: int) -> str:
    """What the counter display shows for a call (QUEUE-4)."""
    return f"{ticket} 请到{number}号窗口"


def announce_text(ticket: str, number: int) -> str:
    """What the voice says for a call."""
    return f"请{ticket}号到{number}号窗口办理"


def welcome_text(number: int) -> str:
    """What an open window's display shows with nobody called."""
    return f"{number}号窗口 欢迎办理"


class Announcer:
    """Sends the queue's display, voice and print commands to one hall's devices."""

    def __init__(self, hall: Hall, sender: CommandSender) -> None:
        self.hall, self.sender = hall, sender

    def devices(self, kind: str, window: str | None = None) -> list[str]:
        """The hall's devices of one kind (at one window)."""
        return [
            d.id
            for d in self.hall.devices
            if d.kind == kind and (window is None or d.window == window)
        ]

    def printer_for(self, device: str) -> str | None:
        """The ticket printer for a kiosk: one on the same node, else the first."""
        printers = [d for d in self.hall.devices if d.kind == ticket_printer.KIND]
        try:
            node = self.hall.device(device).node
        except KeyError:
            node = None
        same = [d.id for d in printers if d.node == node]
        if same:
            return same[0]
        return printers[0].id if printers else None

    def send(self, device: str, body: CommandBody) -> str | None:
        """Send one command; its id, or None when it could not be sent (DEV-4)."""
        try:
            return self.sender.send(self.hall.id, device, body)
        except Exception:  # a device command must never stop the queue (DEV-4)
            logger.exception("command to %s not sent", device)
            return None

    def show(self, window: str, text: str, line: int = 0) -> None:
        """Show one line on the window's counter display(s)."""
        for dev in self.devices(counter_display.KIND, window):
            self.send(dev, DisplayText(text=text, line=line))

    def show_paused(self, queue: QueueEngine, window: str) -> None:
        """暂停服务 and why, and where to go instead (rule DEV-4)."""
        c = queue.counter(window)
        first, second = pause_lines(c.pause_reason, self.elsewhere(queue, window))
        self.show(window, second, line=1)  # the detail first: the headline is the last word
        self.show(window, first)

    def elsewhere(self, queue: QueueEngine, window: str) -> int | None:
        """An open window serving what this one serves (a neighbour first), by its number."""
        me = queue.counter(window).spec
        try:
            neighbours = next(w.neighbours for w in self.hall.windows if w.id == window)
        except StopIteration:
            neighbours = []
        others = sorted(
            (c for c in queue.counters.values() if c.spec.window != window and not c.paused),
            key=lambda c: (c.spec.window not in neighbours, c.spec.number),
        )
        for c in others:
            if set(me.services) & set(c.spec.services):
                return c.spec.number
        return None

    def announce(self, queue: QueueEngine, events: Sequence[QueueEvent]) -> None:
        """The display, hall screen and voice commands for these queue changes (QUEUE-4)."""
        for ev in events:
            c = queue.counters.get(ev.window or "")
            n = c.spec.number if c else 0
            if ev.kind in (EventKind.CALLED, EventKind.RECALLED) and ev.ticket and ev.window:
                self.show(ev.window, call_text(ev.ticket, n))  # rule QUEUE-4
                for dev in self.devices(hall_display.KIND):
                    self.send(dev, DisplayText(text=call_text(ev.ticket, n)))
                for dev in self.devices(voice.KIND):
                    self.send(dev, Announce(text=announce_text(ev.ticket, n)))
            elif ev.kind is EventKind.PAUSED and ev.window:
                self.show_paused(queue, ev.window)
            elif ev.kind is EventKind.RESUMED and ev.window:
                self.show(ev.window, "", line=1)
                self.show(ev.window, welcome_text(n))
