"""Every fact authorised by its sender's kind and place (ARCHITECTURE "Every fact is authorised").

The broker's ACL stops a device posing as another; this stops a device sending what it can
never produce: a punch from a rating pad, an away sign for a seat that is not the sign's, a
call request for another window, a ticket from anything but the hall's kiosk. The table of
which event types each device kind may send is `models.devices` (one module per kind); the
place comes from the hall layout. Pure: no I/O; the pipeline refuses what `refusal` names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from models import devices
from models.envelope import Envelope
from models.events import AwaySign, CallRequest, Presence, Rating
from models.layout import Hall

NOT_IN_LAYOUT = "unknown device"
"""The start of the reason for a device the hall layout does not have."""
NOT_AUTHORISED = "not authorised"
"""The start of the reason for a fact its device's kind or place cannot produce."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What one device of the layout may report: its kind, and the seats and windows it serves."""

    kind: str
    seats: frozenset[str]
    windows: frozenset[str]


Grants = Mapping[tuple[str, str], Grant]
"""(hall, device) -> Grant, for every device of every hall the hub serves."""


def grants_for(halls: Iterable[Hall]) -> dict[tuple[str, str], Grant]:
    """Each device's grant: its own seat (its settings' seat, else the layout's; a device placed
    at a window only, its window's seats) and its own window."""
    out: dict[tuple[str, str], Grant] = {}
    for hall in halls:
        window_seats = {w.id: frozenset(w.seats) for w in hall.windows}
        for d in hall.devices:
            seat = getattr(d.settings, "seat", None) or d.seat
            window = getattr(d.settings, "window", None) or d.window
            seats = frozenset({seat}) if seat else window_seats.get(window or "", frozenset())
            windows = frozenset({window}) if window else frozenset()
            out[(hall.id, d.id)] = Grant(d.kind, seats, windows)
    return out


def refusal(env: Envelope, grants: Grants) -> str | None:
    """Why the sender of `env` cannot have produced it, or None when it may."""
    grant = grants.get((env.hall, env.device))
    if grant is None:
        return f"{NOT_IN_LAYOUT}: {env.hall}/{env.device} is not in the hall layout"
    if not devices.may_send(grant.kind, env.type):
        return f"{NOT_AUTHORISED}: a {grant.kind} cannot send {env.type.value}"
    body = env.body
    if isinstance(body, AwaySign | Presence | Rating) and body.seat not in grant.seats:
        own = ", ".join(sorted(grant.seats)) or "none"
        return f"{NOT_AUTHORISED}: {env.device} reports seat {body.seat}, its own seats: {own}"
    if isinstance(body, CallRequest) and body.window not in grant.windows:
        own = ", ".join(sorted(grant.windows)) or "none"
        return f"{NOT_AUTHORISED}: {env.device} acts for window {body.window}, its own: {own}"
    return None
