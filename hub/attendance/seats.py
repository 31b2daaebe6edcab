"""Who holds a seat at which window on a day: the one place attendance asks (rules ATT-7, ATT-8).

Today the answer is the staff table's `window` of each active staff member; the roster's post
ledger (DUTY-1, POST-7) answers it instead by handing its own `SeatReader` to the workflow
(`AttendanceWorkflow(..., seats=...)`), which the reports and the substitute check use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.attendance.store import STAFF

SeatReader = Callable[[Connection, date], dict[str, str]]
"""(connection, day) -> staff_id -> the window whose seat they hold that day."""


def staff_table_holders(conn: Connection, day: date) -> dict[str, str]:
    """Staff id -> window, from the staff table (active staff with a window)."""
    q = sa.select(STAFF.c.staff_id, STAFF.c.window).where(
        STAFF.c.active.is_(True), STAFF.c.window.is_not(None), STAFF.c.window != ""
    )
    return {sid: window for sid, window in conn.execute(q)}


def window_mates(holders: dict[str, str], staff_id: str) -> tuple[str | None, list[str]]:
    """(the window whose seat `staff_id` holds, the others holding a seat there)."""
    window = holders.get(staff_id)
    if window is None:
        return None, []
    return window, sorted(s for s, w in holders.items() if w == window and s != staff_id)
