"""The seam through which hub engines send commands to devices (display, voice, print, gallery)."""

from __future__ import annotations

from typing import Protocol

from models.commands import CommandBody


class CommandSender(Protocol):
    """Sends a command to one device; returns the command id."""

    def send(self, hall: str, device: str, body: CommandBody) -> str:
        """Publish `body` to the device's cmd topic (QoS 1)."""


class RecordingSender:
    """A CommandSender that keeps what it was asked to send (for pure-engine tests and dry runs)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, CommandBody]] = []

    def send(self, hall: str, device: str, body: CommandBody) -> str:
        """Record the command."""
        from models.ids import new_event_id

        self.sent.append((hall, device, body))
        return new_event_id()
