"""A tiny ingest process: `python -m hub.ingest.run --db URL --broker URL` (tests, benchmarks).

It runs one IngestWorker until SIGTERM or SIGINT, logging its counters every few seconds. With
`--hall` and `--area`, the named areas' projectors run too (their device commands are sent),
without the rest of the hub: what the crash tests kill and restart.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.db import make_engine, migrate
from hub.ingest.worker import IngestWorker

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the worker until a signal, stop it cleanly."""
    parser = argparse.ArgumentParser(prog="python -m hub.ingest.run", description=__doc__)
    parser.add_argument("--db", required=True, help="SQLAlchemy database URL")
    parser.add_argument("--broker", required=True, help="mqtt://host:port")
    parser.add_argument("--client-id", default="hallkeeper-hub-ingest")
    parser.add_argument("--share-group", default=None)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batch-ms", type=float, default=50.0)
    parser.add_argument(
        "--writer",
        choices=("auto", "thread", "process"),
        default="auto",
        help="Validate and store in a child process or on a thread (auto: a process given 2+ CPUs)",
    )
    parser.add_argument("--hall", action="append", default=[], help="A hall folder")
    parser.add_argument(
        "--area", action="append", default=[], help="An area module whose projectors run"
    )
    parser.add_argument("--migrate", action="store_true", help="Upgrade the schema first")
    parser.add_argument("--stats-every", type=float, default=5.0, help="Seconds between logs")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = make_engine(args.db)
    if args.migrate:
        migrate(engine)
    projectors, parts = _area_projectors(engine, args)
    worker = IngestWorker(
        engine,
        args.broker,
        client_id=args.client_id,
        share_group=args.share_group,
        batch_size=args.batch_size,
        batch_ms=args.batch_ms,
        writer=args.writer,
        projectors=projectors,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    worker.start()
    ready = worker.wait_ready(30)
    while not ready and not done.is_set():  # a slow broker or host: say so, keep waiting
        logger.warning("ingest %s: not subscribed after 30 s; still trying", args.client_id)
        ready = worker.wait_ready(30)
    if ready:
        logger.info("ingest ready: %s", ", ".join(worker.topics))
    while not done.wait(args.stats_every):
        logger.info("ingest stats: %s", worker.stats.snapshot())
    worker.stop()
    for part in parts:
        part.stop()
    engine.dispose()
    return 0


def _area_projectors(engine: Any, args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """The projectors of the `--area` modules for the `--hall` layouts, and what to stop."""
    if not args.area:
        return [], []
    from hub.areas import AreaContext, load_areas
    from hub.mqtt_out import MqttCommandSender
    from models.layout import load_hall

    sender = MqttCommandSender(
        args.broker, client_id=f"{args.client_id}-out-{uuid.uuid4().hex[:6]}"
    ).start()
    ctx = AreaContext(
        engine=engine,
        halls=[load_hall(Path(h)) for h in args.hall],
        commands=sender,
        clock=lambda: datetime.now(UTC),
    )
    projectors = [p for part in load_areas(ctx, args.area) for p in part.projectors]
    return projectors, [sender]


if __name__ == "__main__":
    raise SystemExit(main())
