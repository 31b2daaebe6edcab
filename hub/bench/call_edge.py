"""The counter's Pi for `hallkeeper bench call`, in a process of its own.

In a hall the counter's edge agent (keypad and display drivers, outbox, MQTT session) runs on
the counter's Pi, not in the hub's interpreter. Run in one Python process, the two sides share
one interpreter lock and each waits for the other's work, which a hall never sees; so by
default the bench runs the agent and its serial peers here, in a child process, and measures
each call where a citizen would: from the key press written into the keypad's pseudo-terminal
to the frame read from the display's.

The parent drives it over a pipe: "call" -> milliseconds (or None after a timeout), "shown" ->
the display's first line, "stop".
"""

from __future__ import annotations

import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

KEYPAD, DISPLAY = "w03-keypad", "w03-led"
PI = "pi-w03"


def serve(conn: Connection, hall_dir: str, broker_url: str, work: str, outbox_sync: str) -> None:
    """Run the counter's agent until told to stop; answer the parent's calls."""
    from edge.agent import Agent
    from edge.settings import AgentSettings
    from models.layout import load_hall

    settings = AgentSettings(
        broker_url=broker_url,
        data_dir=Path(work) / "edge",
        clock_synced=True,
        outbox_sync=outbox_sync,
        heartbeat_s=3600,
    )
    agent = Agent(load_hall(Path(hall_dir)), PI, settings, devices=[KEYPAD, DISPLAY]).start()
    try:
        for dev in (KEYPAD, DISPLAY):
            if dev in agent.skipped:
                conn.send(("error", f"{dev} did not start: {agent.skipped[dev]}"))
                return
            if not agent.runtime(dev).session.wait_ready(20):
                conn.send(("error", f"{dev} did not connect"))
                return
        drivers: list[Any] = [agent.runtime(dev).driver for dev in (KEYPAD, DISPLAY)]
        keypad, display = (driver.peer for driver in drivers)  # the pty peers, as wired
        shown = threading.Event()
        display.on_show = lambda _show: shown.set()
        conn.send(("ready", None))
        while (command := conn.recv()) != "stop":
            if command == "call":
                shown.clear()
                t0 = time.perf_counter()
                keypad.press("next")
                arrived = shown.wait(10)
                conn.send((time.perf_counter() - t0) * 1000 if arrived else None)
            elif command == "shown":
                conn.send(display.lines.get(0, ""))
    finally:
        agent.stop()
        conn.close()
