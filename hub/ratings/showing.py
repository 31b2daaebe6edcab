"""The one ShowServing a seat's rating device is sent (rule RATE-2), whoever sends it: the
ratings area (a queue change, a rating device back online) and the duty watch (a change of the
seat's holder, a face at the window). Who is shown is who ratings bind to (`present_at`: the
post ledger's holder unless another face punched at the window since that holding began), with
the ticket the window serves and the dimensions the hall's scheme asks (RATE-1)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from hub.queue.store import serving_ticket
from hub.ratings.store import load_settings, present_at, staff_name
from models.commands import ShowServing
from models.layout import Hall

if TYPE_CHECKING:
    from hub.duty.ledger import LedgerDay


def show_serving(
    conn: Connection,
    hall: Hall,
    seat: str,
    window: str,
    at: datetime,
    ledger: LedgerDay | None = None,
) -> ShowServing:
    """What `seat`'s rating device shows at `at`: who is on post (RATE-2), their name and
    number, the ticket `window` serves and the hall's rating dimensions (RATE-1). `ledger`:
    that day's post ledger when the caller has built it already."""
    present = present_at(conn, hall, seat, window, at, ledger)
    day = at.astimezone(ZoneInfo(hall.timezone)).date()
    return ShowServing(
        seat=seat,
        staff_id=present.staff_id,
        name=staff_name(conn, present.staff_id) or None,
        ticket=serving_ticket(conn, hall.id, window, day),
        dimensions=list(load_settings(conn, hall.id).dimensions),
    )
