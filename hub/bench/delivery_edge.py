"""`python -m hub.bench.delivery_edge`: one edge agent process for the delivery runs.

It runs one simulated away sign of a small hall and toggles it until the device's fact seq
reaches --target, appending each seq to --log once emit() returned (the fact is durable in the
outbox), then waits until the outbox holds no fact (every fact acknowledged by the hub), prints
"drained" and stops. Killed with -9 and started again it goes on from its outbox.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from edge.agent import Agent
from edge.drivers.away_sign import AwaySignDriver
from edge.settings import AgentSettings
from models.layout import Hall, hall_from_dict

HALL, NODE = "bench", "n1"
SIGNS = ("sign-a", "sign-b", "sign-c", "sign-d")


def bench_hall() -> Hall:
    """A hall of one window whose seats each have a simulated away sign, all on node n1."""
    seats = [f"w01-{c}" for c in "abcd"]
    return hall_from_dict(
        {
            "id": HALL,
            "name": "delivery bench",
            "windows": [{"id": "w01", "number": 1, "seats": seats}],
            "devices": [
                {
                    "id": sign,
                    "kind": "away_sign",
                    "node": NODE,
                    "window": "w01",
                    "seat": seat,
                    "settings": {"backend": "simulated", "debounce_s": 0.0},
                }
                for sign, seat in zip(SIGNS, seats, strict=True)
            ],
        }
    )


def settings_for(broker: str, data_dir: Path, **extra: object) -> AgentSettings:
    """Quick reconnects and re-sends (a bench compresses time), rare heartbeats."""
    values: dict[str, object] = {
        "broker_url": broker,
        "data_dir": data_dir,
        "heartbeat_s": 60.0,
        "reconnect_min_s": 0.1,
        "reconnect_max_s": 1.0,
        "keepalive_s": 5,
        "resend_after_s": 2.0,
        "resend_max_s": 8.0,
    }
    values.update(extra)
    return AgentSettings(**values)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the agent, toggle the sign to the target, wait for the drain."""
    parser = argparse.ArgumentParser(prog="python -m hub.bench.delivery_edge")
    parser.add_argument("--broker", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--device", default=SIGNS[0], choices=SIGNS)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--pause", type=float, default=0.005, help="Seconds between toggles")
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args(argv)
    agent = Agent(
        bench_hall(), NODE, settings_for(args.broker, args.data_dir), devices=[args.device]
    ).start()
    rt = agent.runtime(args.device)
    driver = rt.driver
    assert isinstance(driver, AwaySignDriver)
    with open(args.log, "a", buffering=1) as log:
        while rt.outbox.last_seq(args.device) < args.target:
            driver.simulate_remove() if driver.placed else driver.simulate_place()
            log.write(f"{rt.outbox.last_seq(args.device)}\n")
            time.sleep(args.pause)
    while any(row.fact for row in rt.outbox.pending(args.device, limit=10)):
        time.sleep(0.05)
    print("drained", flush=True)
    agent.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
