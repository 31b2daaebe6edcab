"""How every MQTT client of hallkeeper reaches the broker: one settings model, one client factory.

The edge's device sessions and the hub's ingest workers, command publisher and Home Assistant
bridge all build their paho client here: the URL (`mqtt://host[:port]`, or `mqtts://` for TLS,
port 8883 by default; credentials in the URL are taken as the username and password), TLS with
the CA that signed the broker's certificate and, for mutual TLS, the client's own certificate
and key, the credentials, MQTT v5 with paho's VERSION2 callbacks, and the CONNECT properties
(session expiry, receive maximum). The one module of models/ that touches paho: it makes and
connects clients, nothing else; every process builds its own settings in main().
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

SCHEMES = frozenset({"mqtt", "mqtts"})


def check_url(url: str) -> str:
    """`url` if it names an MQTT broker (mqtt[s]://host[:port]), else ValueError saying why."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(
            f"broker URL {url!r}: must look like mqtt://host:port or mqtts://host:port"
        )
    if not parts.hostname:
        raise ValueError(f"broker URL {url!r} names no host")
    try:
        _ = parts.port
    except ValueError:
        raise ValueError(f"broker URL {url!r} has a bad port") from None
    return url


class BrokerSettings(BaseModel):
    """Where one MQTT client connects, how it proves who it is, and how it checks the broker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(
        description="mqtt://host[:port], or mqtts://host[:port] for TLS (port 8883 by default)"
    )
    username: str | None = Field(default=None, description="Broker user")
    password: SecretStr | None = Field(default=None, description="Broker password (secret)")
    tls_ca: Path | None = Field(
        default=None, description="CA file that signed the broker's certificate (system CAs: unset)"
    )
    tls_cert: Path | None = Field(
        default=None, description="This client's certificate, for mutual TLS (with tls_key)"
    )
    tls_key: Path | None = Field(
        default=None, description="The private key of tls_cert (mutual TLS)"
    )
    keepalive_s: int = Field(default=30, ge=5, le=3600, description="MQTT keep-alive")

    @model_validator(mode="before")
    @classmethod
    def _credentials_from_url(cls, data: Any) -> Any:
        """mqtt://user:password@host: the URL keeps no secret, the fields get them."""
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            return data
        parts = urlsplit(data["url"])
        if not parts.username:
            return data
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        netloc += f":{parts.port}" if parts.port else ""
        data = {**data, "url": urlunsplit((parts.scheme, netloc, parts.path, "", ""))}
        if data.get("username") is None:
            data["username"] = unquote(parts.username)
            if parts.password is not None and data.get("password") is None:
                data["password"] = unquote(parts.password)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> BrokerSettings:
        check_url(self.url)
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("give tls_cert and tls_key together (mutual TLS), or neither")
        given = [f for f in ("tls_ca", "tls_cert") if getattr(self, f) is not None]
        if given and not self.tls:
            raise ValueError(f"{', '.join(given)} given but the URL is not mqtts://")
        return self

    @classmethod
    def of(cls, broker: str | BrokerSettings) -> BrokerSettings:
        """Settings from a URL (with credentials, if any), or the settings themselves."""
        return broker if isinstance(broker, BrokerSettings) else cls(url=broker)

    @property
    def tls(self) -> bool:
        """True for mqtts://."""
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def host(self) -> str:
        """The broker's host name or address."""
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        """The broker's port (1883, or 8883 for mqtts://, when the URL gives none)."""
        return urlsplit(self.url).port or (8883 if self.tls else 1883)

    def client(self, client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
        """A paho 2.x MQTT v5 client for this broker: credentials and TLS set, not connected."""
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=manual_ack,
        )
        client.on_socket_open = _no_delay
        if self.username is not None:
            password = self.password.get_secret_value() if self.password is not None else None
            client.username_pw_set(self.username, password)
        if self.tls:
            client.tls_set(
                ca_certs=str(self.tls_ca) if self.tls_ca else None,
                certfile=str(self.tls_cert) if self.tls_cert else None,
                keyfile=str(self.tls_key) if self.tls_key else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,  # checks the certificate and the host name
            )
        return client

    def connect_async(
        self,
        client: mqtt.Client,
        *,
        clean_start: bool | Literal[3] = mqtt.MQTT_CLEAN_START_FIRST_ONLY,
        session_expiry_s: int | None = None,
        receive_maximum: int | None = None,
        keepalive_s: int | None = None,
    ) -> None:
        """Connect `client` in the background (paho retries) with these MQTT v5 properties.

        clean_start False resumes a persistent session (edge devices, ingest workers).
        """
        props = Properties(PacketTypes.CONNECT)
        if session_expiry_s is not None:
            props.SessionExpiryInterval = session_expiry_s
        if receive_maximum is not None:
            props.ReceiveMaximum = receive_maximum
        client.connect_async(
            self.host,
            self.port,
            keepalive=keepalive_s or self.keepalive_s,
            clean_start=clean_start,
            properties=props,
        )

    def describe(self) -> str:
        """`mqtts://host:port as user` for logs (never the password)."""
        who = f" as {self.username}" if self.username else ""
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{self.host}:{self.port}{who}"


def _no_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """Send small packets at once (TCP_NODELAY): a key press, its PUBACK and the display command
    are each one small packet, and Nagle's wait for the peer's delayed ACK costs ~40 ms."""
    with contextlib.suppress(OSError, AttributeError):  # not a TCP socket: nothing to set
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
