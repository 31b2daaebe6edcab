"""Run as `python -m tests.edge.emitter`: an edge agent process whose simulated away sign is
toggled until the device's fact seq reaches --target, then waits until the outbox has drained.

Each toggle's resulting seq is appended to --log after emit() returned (durable in the outbox).
With --target 0 it just runs until killed (for the LWT test).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from edge.agent import Agent
from edge.drivers.away_sign import AwaySignDriver
from tests.edge.hubside import NODE, SIGN, agent_settings, make_hall


def main() -> None:
    """Parse arguments, run the agent, toggle the sign."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--target", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args()
    agent = Agent(
        make_hall(), NODE, agent_settings(args.broker, args.data_dir), devices=[SIGN]
    ).start()
    rt = agent.runtime(SIGN)
    driver = rt.driver
    assert isinstance(driver, AwaySignDriver)
    print("started", flush=True)
    if args.target == 0:
        while True:
            time.sleep(1)
    with open(args.log, "a", buffering=1) as log:
        while rt.outbox.last_seq(SIGN) < args.target:
            driver.simulate_remove() if driver.placed else driver.simulate_place()
            log.write(f"{rt.outbox.last_seq(SIGN)}\n")
            if args.pause:
                time.sleep(args.pause)
    while any(row.fact for row in rt.outbox.pending(SIGN)):
        time.sleep(0.01)
    print("drained", flush=True)
    agent.stop()


if __name__ == "__main__":
    main()
