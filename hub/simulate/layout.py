"""Generated hall layouts (models.layout.Hall objects in memory) for the fleet simulator."""

from __future__ import annotations

from models.layout import Device, Hall, Service, Window

SERVICES = (("social", "社保业务", "A"), ("medical", "医保业务", "B"), ("general", "综合受理", "E"))
"""The services every generated hall offers."""


def hall_id(index: int) -> str:
    """The id of the index-th simulated hall."""
    return f"sim-{index:04d}"


def staff_of(hall: str, window: int) -> str:
    """The staff member working window `window` (1-based) of `hall`."""
    return f"{hall}-s{window:02d}"


def device_prefix(index: int) -> str:
    """What the device ids of the index-th hall start with (unique across the fleet)."""
    return f"h{index:04d}-"


def make_hall(index: int, windows: int) -> Hall:
    """A hall with `windows` windows (one seat each) and simulated devices.

    Per hall: a face clock-in terminal and a ticket kiosk on node `entrance`; per window a
    counter keypad and a rating device, per seat an away sign and a presence radar, on node
    `w<NN>` (one Pi per window, as in a real hall). Device ids carry the hall
    (`h0003-w01-keypad`): the edge session's MQTT client id is the bare device id, so two
    halls on one broker must not share device ids (they would take over each other's session).
    """
    hid, p = hall_id(index), device_prefix(index)
    services = [Service(code=c, name=n, prefix=p) for c, n, p in SERVICES]
    wins: list[Window] = []
    devices = [
        Device(
            id=f"{p}face", kind="face_terminal", node="entrance", settings={"backend": "simulated"}
        ),
        Device(id=f"{p}kiosk", kind="kiosk", node="entrance", settings={"backend": "simulated"}),
    ]
    for n in range(1, windows + 1):
        wid, seat, node = f"w{n:02d}", f"w{n:02d}-a", f"w{n:02d}"
        wins.append(
            Window(
                id=wid,
                number=n,
                name=f"{n}号窗口",
                services=[SERVICES[(n - 1) % len(SERVICES)][0]],
                seats=[seat],
                neighbours=[f"w{m:02d}" for m in (n - 1, n + 1) if 1 <= m <= windows],
            )
        )
        sim = {"backend": "simulated"}
        devices += [
            Device(
                id=f"{p}{wid}-keypad",
                kind="counter_keypad",
                node=node,
                window=wid,
                settings={**sim, "window": wid},
            ),
            Device(
                id=f"{p}{wid}-rate",
                kind="rating_device",
                node=node,
                window=wid,
                seat=seat,
                settings=sim,
            ),
            Device(
                id=f"{p}{seat}-sign",
                kind="away_sign",
                node=node,
                window=wid,
                seat=seat,
                settings=sim,
            ),
            Device(
                id=f"{p}{seat}-radar",
                kind="presence_radar",
                node=node,
                window=wid,
                seat=seat,
                settings={**sim, "hold_s": 0.1, "sim_period_s": 0.05, "sim_present": True},
            ),
        ]
    return Hall(
        id=hid,
        name=f"模拟大厅 {index}",
        services=services,
        windows=wins,
        devices=devices,
    )
