"""Topic builder and parser of contract v1."""

import pytest

from models.errors import ContractError
from models.topics import Channel, build_topic, parse_topic, subscription


def test_build_and_parse_round_trip() -> None:
    topic = build_topic("demo", "w01-face", Channel.EVT)
    assert topic == "hk/v1/demo/w01-face/evt"
    parsed = parse_topic(topic)
    assert (parsed.hall, parsed.device, parsed.channel) == ("demo", "w01-face", Channel.EVT)


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("hk/v1/demo/evt", "5 levels"),
        ("xx/v1/demo/dev/evt", "not under hk/"),
        ("hk/v2/demo/dev/evt", "contract 'v2'"),
        ("hk/v1/demo/dev/nope", "unknown channel"),
        ("hk/v1/De Mo/dev/evt", "hall id"),
        ("hk/v1/demo/+/evt", "device id"),
    ],
)
def test_parse_rejects_with_reason(topic: str, reason: str) -> None:
    with pytest.raises(ContractError, match=reason):
        parse_topic(topic)


def test_build_refuses_wildcards_in_names() -> None:
    with pytest.raises(ContractError):
        build_topic("demo", "#", Channel.CMD)


def test_subscription_filters() -> None:
    assert subscription(Channel.EVT) == "hk/v1/+/+/evt"
    assert subscription("hb", hall="demo") == "hk/v1/demo/+/hb"
    assert subscription(Channel.EVT, share_group="hub") == "$share/hub/hk/v1/+/+/evt"
