"""Timezone-aware timestamps in the database, one way for every area.

SQLite hands `DateTime(timezone=True)` values back naive and PostgreSQL in the session's zone;
`aware()` turns either into aware UTC, and `UtcDateTime` does it on the column itself, refusing
naive values on the way in (no naive datetime crosses a function boundary).

Every timestamp column of the hub is a `UtcDateTime` (tests/hub/test_utc_columns.py checks it).
SQLite keeps plain `DateTime` as text without its zone and compares it as text: an aware bound
in the hall's zone (Shanghai midnight) was written as its wall time, eight hours off the stored
UTC, and the hall's first hours fell out of "the day". The type binds every value, in queries as
in writes, as UTC, so a caller may give the hall's own bounds; the text stored for UTC is the
one plain `DateTime` stored (no migration; PostgreSQL's timestamptz is unchanged).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

import sqlalchemy as sa


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A datetime read back from the database as aware UTC (None stays None)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """DateTime(timezone=True) that stores UTC, refuses naive values and reads back aware UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Aware UTC, whatever the database returned."""
        return aware(value)
