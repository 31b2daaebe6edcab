"""Run the demo hall in one process: broker, hub (SQLite), an edge agent per node, the scenario."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from hub.problems import Problem
from models.layout import Hall, load_hall

logger = logging.getLogger(__name__)
DEMO_HALL = Path(__file__).resolve().parents[2] / "firmware_cfg" / "halls" / "demo"


def demo_secret(
    data_dir: Path, name: str = "secret_key", make: Callable[[], str] | None = None
) -> str:
    """A demo secret: made once, kept in the demo data folder (mode 0600), never in the repo."""
    path = data_dir / name
    if not path.exists():
        path.write_text((make or (lambda: secrets.token_urlsafe(32)))())
        path.chmod(0o600)
    return path.read_text().strip()


def provide_face_keys(data_dir: Path, hall_id: str) -> None:
    """Give the demo's hub its face master key and the demo terminals their hall key (PRIV-1).

    A real hall sets HK_FACE_KEY on the hub and HK_FACE_HALL_KEY on each terminal
    (`hallkeeper staff hall-key`); the demo keeps both in its data folder.
    """
    from cryptography.fernet import Fernet

    from hub.staff.crypto import hall_key

    master = demo_secret(data_dir, "face_key", lambda: Fernet.generate_key().decode())
    os.environ.setdefault("HK_FACE_KEY", master)
    os.environ.setdefault("HK_FACE_HALL_KEY", hall_key(master.encode(), hall_id).decode())


class DemoProblem(Problem):
    """The demo cannot start: a catalogue key the CLI words in the reader's language."""


def check_port_free(host: str, port: int) -> None:
    """Refuse a web port another program (another demo, a hub) already listens on."""
    if port == 0:
        return
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            raise DemoProblem("demo.port_busy", port=port) from None


def run_id() -> str:
    """A short id of this run: the MQTT client ids carry it, so two demos on one broker never
    take over each other's sessions (a fixed id knocked the other demo off, again and again)."""
    return secrets.token_hex(3)


def clear_device_states(broker_url: str, hall: Hall) -> None:
    """Remove the devices' retained "offline" states at a clean stop: the next run's hub must
    not take a planned stop for 52 devices gone offline (alerts left behind)."""
    from models.broker import BrokerSettings
    from models.topics import Channel, build_topic

    broker = BrokerSettings.of(broker_url)
    client = broker.client(f"hk-demo-stop-{run_id()}")
    try:
        client.connect(broker.host, broker.port)
    except OSError:
        logger.info("demo stop: the broker is gone; retained device states stay")
        return
    client.loop_start()
    try:
        for device in hall.devices:
            topic = build_topic(hall.id, device.id, Channel.STATE)
            client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    except (RuntimeError, ValueError):
        logger.info("demo stop: retained device states not all cleared")
    finally:
        client.disconnect()
        client.loop_stop()


def run_demo(
    data_dir: Path,
    *,
    broker_url: str | None = None,
    port: int = 8000,
    hall_dir: Path = DEMO_HALL,
    scenario: bool = True,
    pace: float = 1.0,
    stop_event: threading.Event | None = None,
    on_ready: object = None,
    episode_timings: dict[str, float] | None = None,
) -> None:
    """Start everything, print the hub's URL, and stop cleanly on Ctrl-C (or `stop_event`).
    `episode_timings`: when the citizens' episodes happen (hub.demo.citizens.CitizenEpisodes)."""
    from edge.agent import Agent
    from edge.settings import AgentSettings
    from hub.demo.broker import choose_broker
    from hub.server import HubServer
    from hub.settings import HubSettings

    check_port_free("127.0.0.1", port)  # before anything starts: a clear word, no traceback
    data_dir.mkdir(parents=True, exist_ok=True)
    hall = load_hall(hall_dir)
    stop = stop_event or threading.Event()
    run = run_id()
    broker = choose_broker(data_dir, broker_url)
    provide_face_keys(data_dir, hall.id)
    from hub.demo.citizens import CitizenEpisodes, provide_contact_key

    provide_contact_key(data_dir, demo_secret)  # citizens' numbers sealed (PRIV-1)
    hub = agents = runner = faces = episodes = None
    try:
        settings = HubSettings(
            database_url=f"sqlite:///{(data_dir / 'hub.db').resolve()}",
            broker_url=broker.url,
            hall_dirs=[hall_dir],
            calendar_file=data_dir / "calendar.toml",  # the years entered stay with the demo
            port=port,
            client_id=f"hk-demo-{run}",
            secret_key=demo_secret(data_dir),
            tick_s=5.0,
        )
        hub = HubServer(settings).start()
        from hub.demo.seed import seed_staff

        assert hub.engine is not None
        logger.info("demo staff: %d seats staffed", seed_staff(hub.engine, hall))
        from hub.duty.demo import seed_duty  # roster, duty chiefs, the month so far (DUTY-1..5)

        seed_duty(hub.engine, hall, hub.clock())
        from hub.users.accounts import ensure_demo_admin

        assert hub.engine is not None
        login = ensure_demo_admin(hub.engine)  # a fresh random password, shown only below
        edge = AgentSettings(
            broker_url=broker.url,
            data_dir=data_dir / "edge",
            heartbeat_s=10.0,
            clock_synced=True,
            client_id_suffix=f"-{run}",
            session_expiry_s=600,  # a run's device sessions need not outlive it by long
        )
        agents = [
            Agent(hall, node, edge).start() for node in sorted({d.node for d in hall.devices})
        ]
        running = sum(len(a.runtimes) for a in agents)
        skipped = {k: v for a in agents for k, v in a.skipped.items()}
        if scenario:
            from hub.demo.scenario import Scenario

            runner = Scenario(hall, agents, hub, pace=pace).start()
            episodes = CitizenEpisodes(  # DEV-4, RATE-3, DUTY-6
                hall, hub, runner.drivers, runner, **(episode_timings or {})
            ).start()
            from hub.demo.faces import DemoFaces

            faces = DemoFaces(hall, agents, hub, data_dir).start()  # staff punch (ATT-1)
        print(f"\nhallkeeper demo hall '{hall.name}' is running.")
        print(f"  broker:  {broker.url} ({broker.kind})")
        print(f"  devices: {running} running through the edge runtime, {len(skipped)} skipped")
        for device, why in sorted(skipped.items()):
            print(f"           - {device}: {why}")
        print(f"  hub:     {hub.api_url}/   (Ctrl-C stops everything)")
        print(f"  login:   {login.username} / {login.password}   (this run only)\n", flush=True)
        if callable(on_ready):
            on_ready(hub)
        _wait(stop)
    finally:
        logger.info("stopping the demo hall")
        if episodes is not None:
            episodes.stop()
        if runner is not None:
            runner.stop()
        if faces is not None:
            faces.stop()
        if hub is not None:
            hub.closing()  # the devices go offline on purpose: recorded, no alerts (DEV-2)
        for agent in reversed(agents or []):
            agent.stop()  # the hub still takes their last facts and offline states
        if hub is not None:
            hub.switched_off()  # faults re-judged when the devices are back (no alert left)
            hub.stop()
        if agents:
            clear_device_states(broker.url, hall)
        broker.stop()


def _wait(stop: threading.Event) -> None:
    """Block until Ctrl-C, SIGTERM, or the stop event."""
    if threading.current_thread() is threading.main_thread():

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
    while not stop.wait(0.5):
        pass
