"""models/broker.py: the one way every MQTT client reaches the broker (settings part)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from models.broker import BrokerSettings


def test_urls_ports_and_credentials_in_the_url() -> None:
    b = BrokerSettings.of("mqtt://hub:s%40cret@10.0.0.2:1884")
    assert (b.host, b.port, b.tls, b.username) == ("10.0.0.2", 1884, False, "hub")
    assert b.password is not None and b.password.get_secret_value() == "s@cret"
    assert b.url == "mqtt://10.0.0.2:1884" and "s@cret" not in repr(b)  # the URL keeps no secret
    assert b.describe() == "mqtt://10.0.0.2:1884 as hub"
    tls = BrokerSettings.of("mqtts://hub%40hall:p%2Fw@broker.example")
    assert (tls.port, tls.tls, tls.username) == (8883, True, "hub@hall")
    given = BrokerSettings(url="mqtt://u:from-url@h", username="hub")  # the field wins
    assert given.username == "hub" and given.password is None
    assert BrokerSettings.of("mqtt://[::1]:1999").host == "::1"


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"url": "http://x"}, "mqtt://host:port"),
        ({"url": "tcp://x"}, "mqtt://host:port"),
        ({"url": "mqtt://"}, "names no host"),
        ({"url": "mqtt://h:99999"}, "bad port"),
        ({"url": "mqtts://h", "tls_cert": Path("c.crt")}, "together"),
        ({"url": "mqtt://h", "tls_ca": Path("ca.crt")}, "not mqtts://"),
        ({"url": "mqtt://h", "colour": "red"}, "extra"),
    ],
)
def test_a_broker_that_cannot_be_reached_as_asked_is_refused(
    settings: dict[str, object], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        BrokerSettings.model_validate(settings)


def test_the_client_carries_credentials_and_tls() -> None:
    plain = BrokerSettings.of("mqtt://hub:pw@127.0.0.1:1883").client("c1", manual_ack=True)
    assert plain.username == "hub" and plain.password == "pw" and plain._ssl is False
    tls = BrokerSettings(url="mqtts://broker.example").client("c2")  # the system's CAs
    assert tls._ssl is True
