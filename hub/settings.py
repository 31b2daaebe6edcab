"""The hub's settings: one pydantic-settings tree, from HK_* environment variables (and .env).

Built in main() (or by a test), never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.fleet.engine import FleetPolicy
from models.broker import BrokerSettings
from models.errors import explain


class HubBaseSettings(BaseSettings):
    """The hub's settings without its secrets: enough to migrate, push config, or run ingest."""

    model_config = SettingsConfigDict(
        env_prefix="HK_",
        extra="forbid",
        frozen=True,
    )

    database_url: str = Field(
        default="sqlite:///data/hallkeeper.db",
        description="SQLAlchemy URL: a SQLite file or PostgreSQL",
    )
    broker_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="MQTT broker: mqtt://host:port or mqtts://host:port",
    )
    broker_username: str | None = Field(default=None, description="Broker user of the hub")
    broker_password: SecretStr | None = Field(default=None, description="Broker password (secret)")
    broker_tls_ca: Path | None = Field(
        default=None, description="CA of the broker's certificate, for mqtts:// (system CAs: unset)"
    )
    broker_tls_cert: Path | None = Field(
        default=None, description="The hub's client certificate, for mutual TLS (with the key)"
    )
    broker_tls_key: Path | None = Field(
        default=None, description="The private key of broker_tls_cert"
    )
    hall_dirs: list[Path] = Field(
        default_factory=lambda: [Path("firmware_cfg/halls/demo")],
        description="Hall folders (hall.toml + devices/) this hub serves",
    )
    host: str = Field(default="127.0.0.1", description="API listen address")
    port: int = Field(default=8000, ge=0, le=65535, description="API listen port (0: any free)")
    client_id: str = Field(
        default="hk-hub",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="MQTT client id prefix; ingest keeps a persistent session",
    )
    share_group: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,32}$",
        description="MQTT v5 shared-subscription group for ingest",
    )
    batch_size: int = Field(default=200, ge=1, le=10_000, description="Ingest batch size")
    batch_ms: int = Field(default=50, ge=1, le=10_000, description="Ingest batch wait (ms)")
    ingest_writer: Literal["auto", "thread", "process"] = Field(
        default="auto",
        description="Where ingest validates and stores: a child process (auto, given 2+ CPUs) "
        "or a thread of the hub process",
    )
    max_clock_ahead_s: float = Field(
        default=600.0,
        ge=0,
        le=86_400,
        description="How far a fact's device time may be ahead of the hub's clock (seconds); "
        "a fact further ahead is refused as a dead letter",
    )
    inactivity_s: float = Field(
        default=180.0, gt=0, description="Silence after which a device is inactive"
    )
    clock_skew_ms: float = Field(default=2000.0, gt=0, description="Clock skew alert threshold")
    backlog_fraction: float = Field(
        default=0.5, gt=0, le=1, description="Outbox fill fraction that raises an alert"
    )
    tick_s: float = Field(default=15.0, gt=0, description="Fleet tick interval (seconds)")
    quiet_hours: str | None = Field(
        default=None,
        pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$",
        description="Local HH:MM-HH:MM when devices are off (rule DEV-2), e.g. 19:00-07:00: "
        "no new offline/inactive alerts then",
    )
    calendar_file: Path | None = Field(
        default=None,
        description="The hall calendar file: years of holidays and make-up workdays the national "
        "package does not know yet (rule ATT-10); default calendar.toml in the first hall folder",
    )
    reopen_within_s: float = Field(
        default=6 * 3600.0,
        ge=0,
        description="An alert that comes back within this long of being resolved is re-opened "
        "(one incident, counted again) instead of raised anew",
    )
    heartbeat_sample_s: float = Field(
        default=900.0,
        gt=0,
        description="Heartbeats are not stored as events: the device's latest is its health, "
        "and one every this many seconds is kept as its history",
    )
    heartbeat_retention_days: float = Field(
        default=30.0, gt=0, description="Heartbeat history older than this is deleted"
    )
    alert_webhook_url: SecretStr | None = Field(
        default=None,
        description="Group robot webhook that hears of every new or re-opened alert "
        "(HK_ALERT_WEBHOOK_URL; WeCom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..., "
        "DingTalk: https://oapi.dingtalk.com/robot/send?access_token=...); unset: none",
    )
    alert_webhook_format: Literal["wecom", "dingtalk"] = Field(
        default="wecom", description="The robot's message format"
    )
    alert_webhook_secret: SecretStr | None = Field(
        default=None, description="DingTalk robot signing secret (加签), when the robot has one"
    )
    alert_webhook_lang: Literal["zh-CN", "en"] = Field(
        default="zh-CN", description="Language of the robot's messages"
    )
    push_config_on_start: bool = Field(default=True, description="Publish configs at start")
    auth_required: bool = Field(
        default=True,
        description="Operators must log in for the dashboard and every /api route but health",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a /metrics scrape must send (HK_METRICS_TOKEN); unset: "
        "/metrics is open, so keep the hub on 127.0.0.1 or behind a proxy",
    )
    ha_discovery: bool = Field(
        default=False,
        description="Publish Home Assistant MQTT discovery documents and device states",
    )
    ha_prefix: str = Field(
        default="homeassistant",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Home Assistant's MQTT discovery prefix",
    )
    areas: list[str] | None = Field(
        default=None,
        description="Area modules to load (hub/areas.py); None: every built area of AREA_MODULES",
    )

    def calendar_path(self) -> Path | None:
        """The hall calendar file: the setting, else calendar.toml of the first hall folder."""
        if self.calendar_file is not None:
            return self.calendar_file
        return Path(self.hall_dirs[0]) / "calendar.toml" if self.hall_dirs else None

    def fleet_policy(self) -> FleetPolicy:
        """The fleet thresholds these settings name."""
        return FleetPolicy(
            inactivity_s=self.inactivity_s,
            clock_skew_ms=self.clock_skew_ms,
            backlog_fraction=self.backlog_fraction,
            quiet_hours=tuple(self.quiet_hours.split("-")) if self.quiet_hours else None,  # type: ignore[arg-type]
            reopen_within_s=self.reopen_within_s,
            heartbeat_sample_s=self.heartbeat_sample_s,
            heartbeat_retention_days=self.heartbeat_retention_days,
        )

    def broker(self) -> BrokerSettings:
        """How every MQTT client of the hub reaches the broker (models/broker.py)."""
        return BrokerSettings(
            url=self.broker_url,
            username=self.broker_username,
            password=self.broker_password,
            tls_ca=self.broker_tls_ca,
            tls_cert=self.broker_tls_cert,
            tls_key=self.broker_tls_key,
        )

    @model_validator(mode="after")
    def _broker(self) -> HubBaseSettings:
        try:  # the URL and the TLS files fit together, at start and not at the first connect
            self.broker()
        except ValidationError as exc:
            raise ValueError(explain(exc)) from None
        return self


class HubSettings(HubBaseSettings):
    """Everything the running hub needs; secrets have no default and come from the environment."""

    secret_key: SecretStr = Field(
        description="Signs operator sessions and derives data keys (HK_SECRET_KEY); no default"
    )
