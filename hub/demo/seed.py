"""Demo staff: one person per seat of the demo hall, with names and A/B seat assignments."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from hub.compliance.tables import SeatAssignment
from hub.db import session_scope
from hub.staff.tables import Staff
from models.layout import Hall

NAMES = [
    "王芳",
    "李娜",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄敏",
    "周杰",
    "吴婷",
    "徐明",
    "孙丽",
    "马超",
    "朱琳",
    "胡斌",
    "郭颖",
]
UNITS = {
    "social": "人社局",
    "medical": "医保局",
    "property": "自然资源局",
    "fund": "公积金中心",
    "general": "行政审批局",
}


def seed_staff(engine: Engine, hall: Hall) -> int:
    """Give every seat a staff member (A post first, B second, POST-7); returns how many."""
    count = 0
    with session_scope(engine) as session:
        for window in hall.windows:
            unit = UNITS.get(window.services[0], "") if window.services else ""
            for position, seat in enumerate(window.seats):
                staff_id = f"S{window.number:02d}{position + 1}"
                name = NAMES[count % len(NAMES)]
                if session.get(Staff, staff_id) is None:
                    session.add(
                        Staff(
                            staff_id=staff_id,
                            hall=hall.id,
                            name=name,
                            unit=unit,
                            window=window.id,
                            created_at=datetime.now(UTC),
                        )
                    )
                session.merge(
                    SeatAssignment(
                        hall=hall.id,
                        seat=seat,
                        window=window.id,
                        staff_id=staff_id,
                        role="A" if position == 0 else "B",
                    )
                )
                count += 1
    return count
