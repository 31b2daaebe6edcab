"""HubServer: the hub process composed: database, ingest + projectors, commands, config push,
fleet tick and the HTTP API, started and stopped as one."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.areas import AREA_MODULES, AreaContext, AreaParts, Background, load_areas, with_core
from hub.configpush import PushResult, push_config
from hub.db import make_engine, migrate
from hub.fleet.projector import FleetProjector, utc_now
from hub.fleet.service import FleetService
from hub.ingest.hooks import Projector
from hub.mqtt_out import MqttCommandSender
from hub.settings import HubBaseSettings
from models.layout import Hall, load_hall

if TYPE_CHECKING:
    import uvicorn
    from fastapi import APIRouter
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)


def load_halls(folders: Sequence[Path]) -> list[Hall]:
    """Every hall layout the settings name (raises ContractError saying what is wrong)."""
    return [load_hall(Path(folder)) for folder in folders]


class HubServer:
    """The whole hub in one process; other areas join through hub.areas or the arguments.

    `projectors` and `routers` are added to those of the fleet and of every area module
    (`area_modules`, default: settings.areas or hub.areas.AREA_MODULES). `serve_api`,
    `run_ingest` and `run_background` (fleet tick + area background work) choose the roles:
    `hallkeeper hub ingest` runs ingest only. `clock` is the hub's time (tests pass a fixed one).
    """

    def __init__(
        self,
        settings: HubBaseSettings,
        *,
        halls: Sequence[Hall] | None = None,
        projectors: Sequence[Projector] = (),
        routers: Sequence[APIRouter] = (),
        area_modules: Sequence[str] | None = None,
        serve_api: bool = True,
        run_ingest: bool = True,
        run_background: bool = True,
        clock: Callable[[], datetime] = utc_now,
        migrate_db: bool = True,
    ) -> None:
        self.settings = settings
        self.halls = list(halls) if halls is not None else load_halls(settings.hall_dirs)
        calendar_file = settings.calendar_path()
        if calendar_file is not None:  # rule ATT-10: the years the hall entered
            from hub.attendance.calendar import use_file

            use_file(calendar_file)
        self.projectors: list[Projector] = list(projectors)
        self._given_routers: list[APIRouter] = list(routers)
        self.routers: list[APIRouter] = []
        if area_modules is None:
            area_modules = AREA_MODULES if settings.areas is None else settings.areas
        self.area_modules = with_core(area_modules)
        self.serve_api = serve_api
        self.run_ingest = run_ingest
        self.run_background = run_background
        self.migrate_db = migrate_db
        self.clock = clock
        self.policy = settings.fleet_policy()
        self.engine: Engine | None = None
        self.commands: MqttCommandSender | None = None
        self.ingest: Any = None
        self.fleet: FleetService | None = None
        self.fleet_projector: FleetProjector | None = None
        self.areas: list[AreaParts] = []
        self.background: list[Background] = []
        self.api_port: int | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._api_thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        """http://host:port of the running API."""
        if self.api_port is None:
            raise RuntimeError("the API is not running")
        return f"http://{self.settings.host}:{self.api_port}"

    def start(self, timeout: float = 30.0) -> HubServer:
        """Start every part; returns once the API listens and ingest is subscribed.

        If a part fails to start, the parts already running are stopped and the error raised.
        """
        try:
            return self._start(timeout)
        except BaseException:
            logger.exception("hub failed to start; stopping what was started")
            self.stop()
            raise

    def _start(self, timeout: float) -> HubServer:
        settings = self.settings
        self.engine = make_engine(settings.database_url)
        if self.migrate_db:
            migrate(self.engine)
        suffix = uuid.uuid4().hex[:8]
        self.commands = MqttCommandSender(
            settings.broker(), client_id=f"{settings.client_id}-out-{suffix}"
        ).start()
        self.fleet = FleetService(
            self.engine, self.halls, self.policy, clock=self.clock, interval_s=settings.tick_s
        )
        if self.serve_api or self.run_background:
            self.fleet.sync()  # the registry the API and the opening check read
        ctx = AreaContext(
            engine=self.engine,
            halls=self.halls,
            commands=self.commands,
            clock=self.clock,
            settings=settings,
        )
        self.areas = load_areas(ctx, self.area_modules)
        self.routers = list(self._given_routers)
        self.background = []
        self.fleet_projector = FleetProjector(
            self.policy, clock=self.clock, timezones={h.id: h.timezone for h in self.halls}
        )
        projectors: list[Projector] = [self.fleet_projector, *self.projectors]
        for part in self.areas:
            projectors.extend(part.projectors)
            self.routers.extend(part.routers)
            self.background.extend(part.background)
        if self.run_ingest:
            self._start_ingest(projectors, timeout)
        if settings.push_config_on_start:
            self.push_config()
        if self.run_background:  # once per deployment: not in ingest-only workers
            self.fleet.start()
            for task in self.background:
                task.start()
        else:
            self.background = []
        if self.serve_api:
            self._start_api(timeout)
        logger.info(
            "hub started: %d hall(s), projectors %s%s",
            len(self.halls),
            ", ".join(getattr(p, "name", type(p).__name__) for p in projectors),
            f", API on {self.api_url}" if self.serve_api else "",
        )
        return self

    def _start_ingest(self, projectors: list[Projector], timeout: float) -> None:
        from hub.fleet.raised import FleetAlerts
        from hub.ingest.worker import IngestWorker

        s = self.settings
        assert self.engine is not None
        self.ingest = IngestWorker(
            self.engine,
            s.broker(),
            client_id=f"{s.client_id}-ingest",
            share_group=s.share_group,
            batch_size=s.batch_size,
            batch_ms=s.batch_ms,
            projectors=projectors,
            writer=s.ingest_writer,
            max_ahead=timedelta(seconds=s.max_clock_ahead_s),
            alerts=FleetAlerts(self.engine, self.clock),
            halls=self.halls,
        ).start()
        if not self.ingest.wait_ready(timeout):
            logger.warning("ingest not subscribed after %.0fs; it keeps trying", timeout)

    def _start_api(self, timeout: float) -> None:
        import uvicorn

        from hub.api.app import create_app

        assert self.engine is not None
        app = create_app(
            engine=self.engine,
            halls=self.halls,
            policy=self.policy,
            commands=self.commands,
            routers=self.routers,
            clock=self.clock,
            settings=self.settings,
            probes=self._probes(),
            state={k: v for part in self.areas for k, v in part.state.items()},
        )
        config = uvicorn.Config(
            app,
            host=self.settings.host,
            port=self.settings.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,  # open SSE streams (dashboards, hall screen) end on stop
        )
        sock = config.bind_socket()
        self.api_port = int(sock.getsockname()[1])
        server = uvicorn.Server(config)
        self._uvicorn = server
        self._api_thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="hub-api", daemon=True
        )
        self._api_thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline or not self._api_thread.is_alive():
                raise RuntimeError(f"the API did not start on port {self.api_port}")
            time.sleep(0.02)

    def _probes(self) -> dict[str, Callable[[], object]]:
        """What /api/health shows beside the database: the publisher and ingest."""
        probes: dict[str, Callable[[], object]] = {
            "publisher": lambda: (
                "connected" if self.commands and self.commands.connected else "disconnected"
            ),
        }
        if self.ingest is not None:
            ingest = self.ingest
            probes["ingest"] = lambda: ingest.stats.snapshot()
        return probes

    def push_config(self) -> list[PushResult]:
        """Publish every device's config document (retained, versioned)."""
        if self.engine is None or self.commands is None:
            raise RuntimeError("start the hub first")
        return push_config(self.engine, self.commands, self.halls, self.clock())

    def closing(self) -> None:
        """The hall's devices are about to be switched off on purpose (a clean stop): their
        offline states are recorded, but raise no alert (as in quiet hours, rule DEV-2)."""
        if self.fleet is not None:
            self.fleet.stop()  # no inactivity judged while they go
        if self.fleet_projector is not None:
            self.fleet_projector.closing.set()

    def switched_off(self) -> int:
        """After `closing`, once the devices are off: their faults are forgotten (they report
        again when back) and the fault alerts resolved; how many devices had faults."""
        from hub.fleet.service import switched_off

        if self.engine is None:
            return 0
        return switched_off(self.engine, self.halls, self.clock(), self.policy)

    def stop(self) -> None:
        """Stop every part in reverse order; safe to call twice."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
            if self._api_thread is not None:
                self._api_thread.join(10)
            self._uvicorn = self._api_thread = None
        for task in reversed(self.background):
            task.stop()
        self.background = []
        if self.fleet is not None:
            self.fleet.stop()
        if self.ingest is not None:
            self.ingest.stop()
            self.ingest = None
        if self.commands is not None:
            self.commands.stop()
            self.commands = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        logger.info("hub stopped")

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
