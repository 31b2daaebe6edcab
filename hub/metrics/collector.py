"""The hub's Prometheus collector: this process's ingest counters, fleet and alerts from the DB.

Read at scrape time, never cached. Metric names (all prefixed `hallkeeper_`):

- `ingest_received_total`, `ingest_stored_events_total`, `ingest_duplicates_total`,
  `ingest_dead_letters_total`, `ingest_batches_total`, `ingest_projector_errors_total`,
  `ingest_store_retries_total`, `ingest_broker_connects_total`: this process's ingest worker
  (counters since it started; the ingest rate is `rate(hallkeeper_ingest_stored_events_total[1m])`).
- `ingest_lag_seconds` (last batch, receipt to acknowledgement), `ingest_max_lag_seconds`,
  `ingest_queue_depth` (received, not yet stored).
- `event_age_seconds`: hub time minus the newest stored event's receipt time (all workers).
- `dead_letters`: rows in the dead-letter table (all workers); `refused_messages_total{reason}`:
  the same by reason code (hub.ingest.reasons), whose `rate()` is the dead-letter rate.
- `devices{hall}`, `devices_online{hall}`: layout devices, and those whose last state is online.
- `open_alerts{hall,severity}`: fleet alerts still open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from models.layout import Hall

PREFIX = "hallkeeper_"
INGEST_COUNTERS = {
    "received": ("ingest_received", "Messages the ingest worker received"),
    "stored": ("ingest_stored_events", "Events stored (new, committed)"),
    "duplicates": ("ingest_duplicates", "Messages dropped as duplicates by event id"),
    "dead_letters": ("ingest_dead_letters", "Messages refused into the dead-letter table"),
    "batches": ("ingest_batches", "Batches committed"),
    "projector_errors": ("ingest_projector_errors", "Projector failures (ingest went on)"),
    "store_retries": ("ingest_store_retries", "Batches retried after a database error"),
    "connects": ("ingest_broker_connects", "Connections to the broker"),
}
"""Ingest stats field -> (metric name without prefix and _total, help)."""


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives naive UTC


class HubCollector(Collector):
    """Collects the hub's metrics at each scrape."""

    def __init__(
        self,
        engine: Engine,
        halls: Sequence[Hall],
        ingest_stats: Callable[[], Mapping[str, float]] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine, self.halls, self.ingest_stats, self.clock = engine, halls, ingest_stats, clock

    def collect(self) -> Iterator[Metric]:
        """Every metric, read now."""
        yield from self._ingest()
        yield from self._database()

    def _ingest(self) -> Iterator[Metric]:
        if self.ingest_stats is None:
            return
        stats = self.ingest_stats()
        for field, (name, help_text) in INGEST_COUNTERS.items():
            yield CounterMetricFamily(PREFIX + name, help_text, value=float(stats.get(field, 0)))
        for field, name, help_text, scale in (
            ("last_lag_ms", "ingest_lag_seconds", "Last batch: receipt to acknowledgement", 1e-3),
            ("max_lag_ms", "ingest_max_lag_seconds", "Longest receipt-to-ack time", 1e-3),
            ("queue_depth", "ingest_queue_depth", "Received messages not yet stored", 1.0),
        ):
            yield GaugeMetricFamily(
                PREFIX + name, help_text, value=float(stats.get(field, 0)) * scale
            )

    def _database(self) -> Iterator[Metric]:
        with self.engine.connect() as conn:
            newest = conn.execute(sa.text("SELECT max(received_at) FROM event")).scalar()
            dead = conn.execute(sa.text("SELECT count(*) FROM dead_letter")).scalar_one()
            dead_rows = conn.execute(
                sa.text(
                    "SELECT coalesce(code, 'other'), count(*) FROM dead_letter "
                    "GROUP BY coalesce(code, 'other')"
                )
            ).all()
            online_rows = conn.execute(
                sa.text("SELECT hall, count(*) FROM device_health WHERE online GROUP BY hall")
            ).all()
            alert_rows = conn.execute(
                sa.text(
                    "SELECT hall, severity, count(*) FROM alert WHERE state = 'open' "
                    "GROUP BY hall, severity"
                )
            ).all()
        age = GaugeMetricFamily(
            PREFIX + "event_age_seconds", "Hub time minus the newest event's receipt time"
        )
        if isinstance(newest, str):  # SQLite without type affinity on raw SQL
            newest = datetime.fromisoformat(newest)
        newest_at = _aware(newest)
        if newest_at is not None:
            age.add_metric([], max(0.0, (self.clock() - newest_at).total_seconds()))
        yield age
        yield GaugeMetricFamily(
            PREFIX + "dead_letters", "Rows in the dead-letter table", value=dead
        )
        refused = CounterMetricFamily(
            PREFIX + "refused_messages",
            "Messages refused into dead letters (all workers), by reason code; the dead-letter "
            "rate: rate(hallkeeper_refused_messages_total[5m])",
            labels=["reason"],
        )
        for code, count in dead_rows:
            refused.add_metric([str(code)], float(count))
        yield refused
        devices = GaugeMetricFamily(
            PREFIX + "devices", "Devices in the hall layout", labels=["hall"]
        )
        online = GaugeMetricFamily(
            PREFIX + "devices_online", "Devices whose last state is online", labels=["hall"]
        )
        counts = {str(h): int(n) for h, n in online_rows}
        for hall in self.halls:
            devices.add_metric([hall.id], len(hall.devices))
            online.add_metric([hall.id], counts.pop(hall.id, 0))
        for hall_id, n in sorted(counts.items()):  # devices of halls not in this hub's layout
            online.add_metric([hall_id], n)
        yield devices
        yield online
        alerts = GaugeMetricFamily(
            PREFIX + "open_alerts", "Fleet alerts still open", labels=["hall", "severity"]
        )
        for hall_id, severity, n in alert_rows:
            alerts.add_metric([str(hall_id), str(severity)], int(n))
        yield alerts
