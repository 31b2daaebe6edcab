"""A private Mosquitto run from the shipped deploy/ configuration, with generated PKI and users."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from tests.support.broker import MOSQUITTO, free_port, wait_port
from tests.support.waiting import wait_until as wait_for

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
MAKE_CERTS = DEPLOY / "pki" / "make-certs.sh"
MAKE_USERS = DEPLOY / "mosquitto" / "make_users.py"
SHIPPED_CONF = DEPLOY / "mosquitto" / "mosquitto.conf"
CENTRAL_CONF = DEPLOY / "cluster" / "mosquitto-central.conf"
ETC = "/etc/mosquitto/hallkeeper/"
DATA = "/var/lib/mosquitto/"


def rewrite_conf(
    text: str,
    *,
    tls_port: int,
    local_port: int | None,
    etc: Path,
    data: Path,
    log: Path,
    confd: Path | None,
    mtls: bool = True,
) -> str:
    """A shipped config with only its ports and paths changed (each change must apply once).

    local_port/confd None: the config has no loopback listener / include_dir (the central one).
    With mtls=False, mutual TLS (shipped on) is switched off: for brokers of tests whose users
    have no client certificates.
    """
    edits = [
        (r"^listener 8883$", f"listener {tls_port} 127.0.0.1"),
        (r"^log_dest stdout$", f"log_dest file {log}"),
    ]
    if local_port is not None:
        edits.append((r"^listener 1883 127\.0\.0\.1$", f"listener {local_port} 127.0.0.1"))
    if confd is not None:
        edits.append((r"^include_dir /etc/mosquitto/conf\.d$", f"include_dir {confd}"))
    if not mtls:
        edits.append((r"^require_certificate true$", "require_certificate false"))
    for pattern, new in edits:
        text, n = re.subn(pattern, new, text, flags=re.M)
        assert n == 1, f"shipped config no longer has {pattern!r}"
    assert ETC in text and DATA in text, "shipped config paths changed"
    return text.replace(ETC, f"{etc}/").replace(DATA, f"{data}/")


@dataclass
class SecureBroker:
    """Generated CA, server and client certificates, passwd and ACL, and a running broker."""

    root: Path
    hall: Path
    hub_users: tuple[str, ...] = ("hub", "hub-2")
    identity: str = "device"
    mtls: bool = True  # as shipped
    role: str = "hall"  # or "central": deploy/cluster/mosquitto-central.conf
    client_certs: bool = True  # issue a client certificate per user (make_users.py --pki)
    ha_user: str | None = None  # make_users.py --ha-user: Home Assistant's login
    tls_port: int = field(default_factory=free_port)
    local_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def etc(self) -> Path:
        """Where the broker's files live (the test's /etc/mosquitto/hallkeeper)."""
        return self.root / "etc"

    @property
    def pki(self) -> Path:
        """The CA and client certificates (never on a real broker: the CA key stays offline)."""
        return self.root / "pki"

    @property
    def data(self) -> Path:
        """This broker's persistence folder (the test's /var/lib/mosquitto)."""
        return self.root / f"data-{self.tls_port}"

    @property
    def conf(self) -> Path:
        """This broker's config file."""
        return self.root / f"mosquitto-{self.tls_port}.conf"

    @property
    def confd(self) -> Path:
        """This broker's include_dir (the test's /etc/mosquitto/conf.d): bridges go here."""
        return self.root / f"conf.d-{self.tls_port}"

    @property
    def log(self) -> Path:
        """The broker's log file."""
        return self.data / "mosquitto.log"

    def generate(self) -> SecureBroker:
        """Run make-certs.sh and make_users.py exactly as deploy/README.md says."""
        run = lambda *a: subprocess.run(a, check=True, capture_output=True, text=True)  # noqa: E731
        run("bash", str(MAKE_CERTS), "-d", str(self.pki), "ca")
        run("bash", str(MAKE_CERTS), "-d", str(self.pki), "server", "broker.test.invalid")
        hub_args = [a for u in self.hub_users for a in ("--hub-user", u)]
        run(
            sys.executable,
            str(MAKE_USERS),
            "--role",
            self.role,
            "--hall",
            str(self.hall),
            "--out",
            str(self.etc),
            "--identity",
            self.identity,
            *(["--pki", str(self.pki)] if self.client_certs else []),
            *(["--ha-user", self.ha_user] if self.ha_user else []),
            *hub_args,
        )
        for name in ("ca.crt", "server.crt", "server.key"):
            shutil.copy(self.pki / name, self.etc / name)
        return self.configure()

    def configure(self) -> SecureBroker:
        """Write this broker's config from the shipped one; own its files as `mosquitto`."""
        self.data.mkdir(exist_ok=True)
        hall = self.role == "hall"
        if hall:
            self.confd.mkdir(exist_ok=True)
        text = rewrite_conf(
            (SHIPPED_CONF if hall else CENTRAL_CONF).read_text(encoding="utf-8"),
            tls_port=self.tls_port,
            local_port=self.local_port if hall else None,
            etc=self.etc,
            data=self.data,
            log=self.log,
            confd=self.confd if hall else None,
            mtls=self.mtls,
        )
        self.conf.write_text(text, encoding="utf-8")
        if os.geteuid() == 0:  # the broker drops to user mosquitto, as in production
            ids = pwd.getpwnam("mosquitto")
            self.root.chmod(0o755)
            for path in [self.etc, self.data, *self.etc.iterdir(), *self.root.glob("conf.d-*")]:
                os.chown(path, ids.pw_uid, ids.pw_gid)
        return self

    def start(self) -> SecureBroker:
        """Start mosquitto with the generated config and wait for both listeners."""
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_port(self.tls_port)
            if self.role == "hall":
                wait_port(self.local_port)
        except TimeoutError:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=5)
            raise RuntimeError(f"mosquitto did not start: {err.decode()}") from None
        return self

    def stop(self) -> None:
        """Stop the broker."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def password(self, user: str) -> str:
        """The generated password of a user."""
        return (self.etc / "secrets" / f"{user}.password").read_text(encoding="utf-8").strip()


class Peer:
    """A paho 2.x MQTTv5 client that records what happens to it."""

    def __init__(
        self,
        sb: SecureBroker,
        user: str | None,
        *,
        password: str | None = None,
        cert: str | None = "own",
        tls: bool = True,
        client_id: str = "",
        session_s: int = 0,
    ) -> None:
        self.connack: ReasonCode | None = None
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.error: str | None = None
        self.disconnects = 0
        self.messages: list[mqtt.MQTTMessage] = []
        self.subacks: dict[int, list[ReasonCode]] = {}
        self.pubacks: dict[int, ReasonCode] = {}
        self.lock = threading.Lock()
        c = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"t-{user}-{time.monotonic_ns()}",
            protocol=mqtt.MQTTv5,
        )
        if user is not None:
            c.username_pw_set(user, password if password is not None else sb.password(user))
        if tls:  # a client certificate as deployed (its own), none if the test has none
            who = user if cert == "own" else cert
            if who is not None and not (sb.pki / "clients" / f"{who}.crt").exists():
                who = None
            certfile = None if who is None else str(sb.pki / "clients" / f"{who}.crt")
            keyfile = None if who is None else str(sb.pki / "clients" / f"{who}.key")
            c.tls_set(ca_certs=str(sb.pki / "ca.crt"), certfile=certfile, keyfile=keyfile)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_publish = self._on_publish
        c.on_disconnect = self._on_disconnect
        self.client = c
        self.port = sb.tls_port if tls else sb.local_port
        self.session_s = session_s

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connack = reason_code
        if not reason_code.is_failure:
            self.connected.set()
        self.answered.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected.clear()
        self.disconnects += 1
        if self.connack is None:
            self.error = f"disconnected before CONNACK: {reason_code}"
            self.answered.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append(msg)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        self.subacks[mid] = reason_codes

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.pubacks[mid] = reason_code

    def start(self, timeout: float = 10.0) -> Peer:
        """Connect and wait for the broker's answer (or a TLS/socket refusal)."""
        try:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.session_s
            self.client.connect(
                "127.0.0.1",
                self.port,
                keepalive=30,
                clean_start=self.session_s == 0,
                properties=props,
            )
        except OSError as exc:  # ssl.SSLError is an OSError
            self.error = f"{type(exc).__name__}: {exc}"
            return self
        self.client.loop_start()
        if not self.answered.wait(timeout):
            self.error = self.error or "no CONNACK"
        if self.connack is None or self.connack.is_failure:
            self.client.loop_stop()  # do not let paho retry a refused connection
        return self

    @property
    def accepted(self) -> bool:
        """True when the broker accepted the connection."""
        return self.connack is not None and not self.connack.is_failure

    def subscribe(self, topic: str, qos: int = 1) -> list[ReasonCode]:
        """Subscribe and return the SUBACK reason codes."""
        _, mid = self.client.subscribe(topic, qos)
        assert mid is not None
        wait_for(lambda: mid in self.subacks, what=f"SUBACK for {topic}")
        return self.subacks[mid]

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> ReasonCode:
        """Publish QoS 1 and return the PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        wait_for(lambda: info.mid in self.pubacks, what=f"PUBACK for {topic}")
        return self.pubacks[info.mid]

    def payloads(self, topic: str | None = None) -> list[bytes]:
        """Payloads received so far (on one topic, or all)."""
        with self.lock:
            return [bytes(m.payload) for m in self.messages if topic is None or m.topic == topic]

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


def new_tmp_root() -> Path:
    """A temporary folder outside pytest's 0700 tmp tree (the broker runs as `mosquitto`)."""
    return Path(tempfile.mkdtemp(prefix="hk-securebroker-"))
