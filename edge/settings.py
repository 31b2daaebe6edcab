"""The edge agent's settings: one pydantic tree, built in main() (never at import).

Every field can come from the environment with the prefix `HK_EDGE_` (e.g. `HK_EDGE_BROKER_URL`,
`HK_EDGE_PASSWORD`). Secrets have no default: without a password (environment or file) the
agent connects without one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.broker import BrokerSettings, check_url
from models.errors import explain


class AgentSettings(BaseSettings):
    """How one edge agent reaches the broker, where it keeps its state, and its timings."""

    model_config = SettingsConfigDict(env_prefix="HK_EDGE_", extra="forbid", frozen=True)

    broker_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="mqtt://host:port, or mqtts://host:port for TLS",
    )
    username: str | None = Field(
        default=None,
        description="Broker user; `{device}` is replaced by the device id (per-device users)",
    )
    password: SecretStr | None = Field(
        default=None,
        description="Broker password (from the environment, HK_EDGE_PASSWORD); no default",
    )
    password_file: Path | None = Field(
        default=None,
        description="File holding the password; "
        "`{device}` in the path is replaced by the device id",
    )
    tls_ca: Path | None = Field(
        default=None, description="CA file for mqtts:// (system CAs when unset)"
    )
    tls_cert: Path | None = Field(
        default=None,
        description="The device's client certificate for mutual TLS (with tls_key); "
        "`{device}` in the path is replaced by the device id",
    )
    tls_key: Path | None = Field(
        default=None,
        description="The private key of tls_cert; `{device}` in the path is replaced",
    )
    data_dir: Path = Field(
        default=Path("data/edge"), description="Outbox and applied configs are kept here"
    )
    heartbeat_s: float = Field(default=30.0, gt=0, description="Seconds between heartbeats")
    outbox_capacity: int | None = Field(
        default=None,
        ge=10,
        description="Rows the outbox holds before heartbeats are dropped (facts never are); "
        "unset: outbox_days of busy days of the node's devices (edge.agent.outbox_rows)",
    )
    outbox_days: float = Field(
        default=7.0,
        gt=0,
        description="Days of facts the outbox is sized for when outbox_capacity is unset",
    )
    outbox_sync: Literal["full", "normal"] = Field(
        default="full",
        description="full: a fact survives power loss once emit() returns; "
        "normal: it survives a crash of the agent only (much faster, for simulators)",
    )
    held_facts_max: int = Field(
        default=10_000,
        ge=100,
        description="Facts kept in memory while the outbox cannot be written (disk full, "
        "read-only): beyond this they are counted as lost in the device's fault",
    )
    fault_window_s: float = Field(
        default=60.0,
        ge=0,
        description="Repeats of one fault code within this many seconds are sent as one fact "
        "with a count (the first at once)",
    )
    inflight: int = Field(
        default=100, ge=1, le=1000, description="Unacknowledged publishes per device at a time"
    )
    resend_after_s: float = Field(
        default=30.0,
        gt=0,
        description="Send again the facts the hub has not acknowledged after this long without "
        "progress (the broker took them while the hub's session was gone); doubles each time",
    )
    resend_max_s: float = Field(
        default=600.0, gt=0, description="Longest wait between two such re-sends"
    )
    keepalive_s: int = Field(default=30, ge=5, le=3600, description="MQTT keep-alive")
    session_expiry_s: int = Field(
        default=7 * 24 * 3600, ge=0, description="How long the broker keeps a device's session"
    )
    client_id_suffix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_-]{0,16}$",
        description="Appended to each device's MQTT client id (the demo: one per run, so two "
        "demos on one broker never take over each other's sessions)",
    )
    reconnect_min_s: float = Field(default=0.5, gt=0, description="First reconnect delay")
    reconnect_max_s: float = Field(default=30.0, gt=0, description="Longest reconnect delay")
    clock_synced: bool | None = Field(
        default=None, description="Override the kernel's NTP state (None: ask the kernel)"
    )

    @field_validator("broker_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    @model_validator(mode="after")
    def _secrets(self) -> AgentSettings:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give the password in the environment or in a file, not both")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        if self.resend_max_s < self.resend_after_s:
            raise ValueError("resend_max_s must be >= resend_after_s")
        try:  # the TLS files fit the URL (mutual TLS: certificate and key together)
            BrokerSettings(
                url=self.broker_url,
                tls_ca=self.tls_ca,
                tls_cert=self.tls_cert,
                tls_key=self.tls_key,
            )
        except ValidationError as exc:
            raise ValueError(explain(exc)) from None
        return self

    def broker(self, device: str) -> BrokerSettings:
        """How one device's session reaches the broker (models/broker.py)."""
        user, password = self.credentials(device)
        return BrokerSettings(
            url=self.broker_url,
            username=user,
            password=SecretStr(password) if password is not None else None,
            tls_ca=self.tls_ca,
            tls_cert=_for_device(self.tls_cert, device),
            tls_key=_for_device(self.tls_key, device),
            keepalive_s=self.keepalive_s,
        )

    def credentials(self, device: str) -> tuple[str | None, str | None]:
        """(username, password) for one device's session."""
        user = self.username.replace("{device}", device) if self.username else None
        if self.password is not None:
            return user, self.password.get_secret_value()
        if self.password_file is not None:
            path = _for_device(self.password_file, device)
            assert path is not None
            return user, path.read_text(encoding="utf-8").strip()
        return user, None


def _for_device(path: Path | None, device: str) -> Path | None:
    """A per-device file: `{device}` in the path replaced by the device id."""
    return Path(str(path).replace("{device}", device)) if path is not None else None
