"""The issue's stall, end to end: poison from one device among a terminal's punches (issue 14).

Measured before the fix: 300 good punches with a few poison messages from another device among
them -> 103 stored, 0 dead letters, ingest stuck. Now: all 300 stored, every poison message a
dead letter, everything acknowledged, with either writer, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy.engine import Engine

from hub.events import queries
from hub.ingest.worker import IngestWorker
from tests.hub.ingest.conftest import evt_topic, punch, wait_until
from tests.hub.ingest.poison import install_poison_trigger
from tests.support.broker import Broker


def _forced(payload: bytes, **changes: object) -> bytes:
    data = json.loads(payload)
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_poison_among_300_punches_never_stalls_ingest(
    engine: Engine, broker: Broker, writer: str
) -> None:
    install_poison_trigger(engine)  # the database itself refuses poison* devices' facts
    good = [punch(device="w01-face", seq=n) for n in range(1, 301)]
    bad_device = punch(device="w02-face", seq=1)
    poison = [
        (evt_topic(bad_device), _forced(bad_device.to_json(), seq=2**63)),
        (evt_topic(bad_device), _forced(bad_device.to_json(), ts="0001-01-01T00:00:00+08:00")),
        *[(evt_topic(p), p.to_json()) for p in (punch(device="poison-1", seq=k) for k in (1, 2))],
    ]
    messages = [(evt_topic(e), e.to_json()) for e in good]
    for k, item in enumerate(poison):
        messages.insert(40 + 70 * k, item)
    worker = IngestWorker(
        engine,
        broker.url,
        client_id=f"hub-stall-{writer}",
        batch_size=50,
        batch_ms=20,
        receive_maximum=100,  # a small in-flight window: a stalled batch would fill it
        writer=writer,  # type: ignore[arg-type]
    ).start()
    pub = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="stall-devices",
        protocol=mqtt.MQTTv5,
    )
    try:
        assert worker.wait_ready(10)
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        infos = [pub.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(20)
        wait_until(
            lambda: worker.stats.snapshot()["acked"] >= len(messages), timeout=60, what="acks"
        )
        stats = worker.stats.snapshot()
    finally:
        pub.disconnect()
        pub.loop_stop()
        worker.stop()
    assert queries.count_events(engine) == (300, 300)
    letters = queries.dead_letters(engine)
    assert len(letters) == len(poison)
    reasons = sorted(str(d["reason"]) for d in letters)
    assert sum("seq" in r and "less than or equal" in r for r in reasons) == 1
    assert sum(r.startswith("invalid: ts") for r in reasons) == 1
    assert sum("poisoned fact refused by the database" in r for r in reasons) == 2
    assert (stats["stored"], stats["dead_letters"], stats["acked"]) == (300, 4, 304)
    assert stats["isolated"] == 2
