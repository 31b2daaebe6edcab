"""The day's actions of one simulated hall, drawn from a seeded random generator (pure).

Times are simulated seconds after the day's start (07:50 local). What happens, per hall:
staff punch at the face terminal on arrival, at lunch and on leaving (rule ATT-1), but for the
A holders on leave (hub.simulate.layout.on_leave): the backup (B, rule POST-7) works the day and
the spare substitute arrives late, at about 09:10 (ATT-7); citizens
take tickets at the kiosk; each window calls, starts and finishes services from its keypad
and most citizens rate the service as it ends; staff leave their seat now and then, usually with the
away sign out (POST-2), sometimes for longer than 10 minutes (POST-1); some devices report a
fault and clear it (DEV-4); some face terminals lose the network over lunch (their outbox
replays the punches afterwards).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hub.simulate.layout import SERVICES, backup_of, device_prefix, on_leave, spare_of, staff_of

DAY_S = 10 * 3600
"""The simulated day: 07:50 to 17:50."""
OPEN_S = 40 * 60
"""Windows open at 08:30."""
CLOSE_S = DAY_S - 20 * 60
"""Windows stop calling at 17:30."""
LEVEL_WEIGHTS = {5: 60, 4: 25, 3: 9, 2: 4, 1: 2}
"""How simulated citizens rate."""


@dataclass(frozen=True, slots=True, order=True)
class Action:
    """One thing a simulated person or device does at `at_s` simulated seconds."""

    at_s: float
    hall: int
    kind: str  # punch ticket key rate leave back fault offline online
    device: str
    arg: str = ""
    flag: bool = False


def _punches(hall: int, hid: str, windows: int, rng: random.Random) -> list[Action]:
    away = on_leave(windows)
    people = [(staff_of(hid, n), 5 * 60.0) for n in range(1, windows + 1) if n not in away]
    if "sick" in away.values():
        people.append((backup_of(hid), 5 * 60.0))  # B takes over the sick A's seat (POST-7)
    if "annual" in away.values():
        people.append((spare_of(hid), 75 * 60.0))  # the substitute, late: 09:05-09:45 (ATT-7)
    out: list[Action] = []
    for staff, earliest in people:
        times = [
            rng.uniform(earliest, earliest + 40 * 60),  # 07:55-08:35: some late (ATT)
            rng.uniform(4 * 3600 + 10 * 60, 4 * 3600 + 25 * 60),  # lunch out 12:00-12:15
            rng.uniform(5 * 3600 + 30 * 60, 5 * 3600 + 45 * 60),  # back 13:20-13:35
            rng.uniform(CLOSE_S, DAY_S - 60),  # leaving 17:30-17:49
        ]
        if rng.random() < 0.05:
            times.pop(rng.randrange(len(times)))  # a forgotten punch
        out += [Action(t, hall, "punch", f"{device_prefix(hall)}face", staff) for t in times]
    return out


def _tickets(hall: int, windows: int, rng: random.Random) -> list[Action]:
    out: list[Action] = []
    t = float(OPEN_S - 10 * 60)
    mean_gap = 8 * 60 / max(1, windows)  # a citizen per window every ~8 minutes
    while t < CLOSE_S - 15 * 60:
        t += rng.expovariate(1 / mean_gap)
        service = SERVICES[rng.randrange(len(SERVICES))][0]
        out.append(
            Action(t, hall, "ticket", f"{device_prefix(hall)}kiosk", service, rng.random() < 0.1)
        )
    return out


def _window(hall: int, n: int, rng: random.Random) -> list[Action]:
    wid = f"{device_prefix(hall)}w{n:02d}"
    out: list[Action] = []
    t = OPEN_S + rng.uniform(0, 120)
    while t < CLOSE_S:
        out.append(Action(t, hall, "key", f"{wid}-keypad", "next"))
        t += rng.uniform(30, 90)
        out.append(Action(t, hall, "key", f"{wid}-keypad", "start"))
        t += rng.uniform(4 * 60, 15 * 60)
        if rng.random() < 0.9:  # the citizen rates as the service ends; some walk away
            level = rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
            out.append(Action(t - rng.uniform(5, 30), hall, "rate", f"{wid}-rate", str(level)))
        out.append(Action(t, hall, "key", f"{wid}-keypad", "finish"))
        t += rng.uniform(30, 180)
    return out


def _away(hall: int, n: int, rng: random.Random) -> list[Action]:
    seat = f"{device_prefix(hall)}w{n:02d}-a"
    out: list[Action] = []
    for _ in range(rng.choice([1, 2, 3])):
        t = rng.uniform(OPEN_S + 1800, CLOSE_S - 1800)
        minutes = rng.choice([2, 5, 8, 12])  # 12: too long (POST-1)
        with_sign = rng.random() < 0.85  # without the sign: POST-2
        out.append(Action(t, hall, "leave", seat, flag=with_sign))
        out.append(Action(t + minutes * 60, hall, "back", seat, flag=with_sign))
    return out


def hall_day(hall: int, hid: str, windows: int, seed: int) -> list[Action]:
    """Every action of one hall's day, in time order."""
    rng = random.Random(f"{seed}:{hall}")
    actions = _punches(hall, hid, windows, rng) + _tickets(hall, windows, rng)
    for n in range(1, windows + 1):
        actions += _window(hall, n, rng) + _away(hall, n, rng)
    if rng.random() < 0.3:  # a device fault, cleared an hour later (DEV-4)
        device = f"{device_prefix(hall)}w{rng.randint(1, windows):02d}-a-radar"
        t = rng.uniform(OPEN_S, CLOSE_S - 3600)
        actions.append(Action(t, hall, "fault", device, "sim_fault", True))
        actions.append(Action(t + 3600, hall, "fault", device, "sim_fault", False))
    if rng.random() < 0.25:  # the face terminal offline over lunch: punches replay later
        t = 4 * 3600 + rng.uniform(0, 600)
        actions.append(Action(t, hall, "offline", f"{device_prefix(hall)}face"))
        actions.append(
            Action(t + rng.uniform(1.5, 2.5) * 3600, hall, "online", f"{device_prefix(hall)}face")
        )
    return sorted(actions)
