"""Generated hall layouts (models.layout.Hall objects in memory) for the fleet simulator."""

from __future__ import annotations

from models.devices import DeviceConfigBase
from models.devices.away_sign import AwaySignConfig
from models.devices.counter_keypad import CounterKeypadConfig
from models.devices.face_terminal import FaceTerminalConfig
from models.devices.kiosk import KioskConfig
from models.devices.presence_radar import PresenceRadarConfig
from models.devices.rating_device import RatingDeviceConfig
from models.layout import Device, Hall, Service, Window

SERVICES = (("social", "社保业务", "A"), ("medical", "医保业务", "B"), ("general", "综合受理", "E"))
"""The services every generated hall offers."""


def hall_id(index: int) -> str:
    """The id of the index-th simulated hall."""
    return f"sim-{index:04d}"


def staff_of(hall: str, window: int) -> str:
    """The staff member working window `window` (1-based) of `hall`."""
    return f"{hall}-s{window:02d}"


def backup_of(hall: str) -> str:
    """The hall's backup staff member (备岗): B of every seat (rule POST-7)."""
    return f"{hall}-b01"


def spare_of(hall: str) -> str:
    """The hall's spare, who substitutes for a staff member on leave (rule ATT-7)."""
    return f"{hall}-x01"


SICK_WINDOW = 1
"""The window whose A holder is sick on the simulated day: B takes over (rule POST-7)."""
AWAY_WINDOW = 2
"""The window whose A holder is on annual leave: the spare substitutes, arriving late (ATT-7)."""


def on_leave(windows: int) -> dict[int, str]:
    """Window number -> the kind of leave its A holder is on, on the simulated day."""
    out = {SICK_WINDOW: "sick", AWAY_WINDOW: "annual"}
    return {n: kind for n, kind in out.items() if n <= windows}


def device_prefix(index: int) -> str:
    """What the device ids of the index-th hall start with (unique across the fleet)."""
    return f"h{index:04d}-"


def _device(
    device_id: str,
    node: str,
    config: DeviceConfigBase,
    window: str | None = None,
    seat: str | None = None,
) -> Device:
    """A simulated device (every config's backend defaults to `simulated`) of its config's kind."""
    return Device(
        id=device_id, kind=config.kind, node=node, window=window, seat=seat, settings=config
    )


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
        _device(f"{p}face", "entrance", FaceTerminalConfig()),
        _device(f"{p}kiosk", "entrance", KioskConfig()),
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
        radar = PresenceRadarConfig(hold_s=0.1, sim_period_s=0.05, sim_present=True)
        devices += [
            _device(f"{p}{wid}-keypad", node, CounterKeypadConfig(window=wid), window=wid),
            _device(f"{p}{wid}-rate", node, RatingDeviceConfig(), window=wid, seat=seat),
            _device(f"{p}{seat}-sign", node, AwaySignConfig(), window=wid, seat=seat),
            _device(f"{p}{seat}-radar", node, radar, window=wid, seat=seat),
        ]
    return Hall(
        id=hid,
        name=f"模拟大厅 {index}",
        services=services,
        windows=wins,
        devices=devices,
    )
