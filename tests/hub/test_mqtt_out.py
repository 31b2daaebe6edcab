"""MqttCommandSender delivers commands that a raw paho subscriber receives (real broker)."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt

from hub.mqtt_out import MqttCommandSender
from models.commands import Announce, CommandType, DisplayText, parse_command
from models.topics import build_topic
from tests.support.broker import Broker


def test_command_reaches_a_raw_subscriber(broker: Broker) -> None:
    received: list[mqtt.MQTTMessage] = []
    subscribed = threading.Event()
    got = threading.Event()
    sub = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="dev", protocol=mqtt.MQTTv5
    )
    sub.on_connect = lambda c, *_: c.subscribe(build_topic("demo", "w03-led", "cmd"), qos=1)
    sub.on_subscribe = lambda *_: subscribed.set()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        received.append(msg)
        if len(received) == 2:
            got.set()

    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.loop_start()
    sender = MqttCommandSender(broker.url, client_id="hub-out").start()
    try:
        assert subscribed.wait(10) and sender.connected
        id1 = sender.send("demo", "w03-led", DisplayText(text="A012 请到3号窗口"))
        id2 = sender.send("demo", "w03-led", Announce(text="请A012号到3号窗口办理"))
        assert got.wait(10)
    finally:
        sender.stop()
        sub.disconnect()
        sub.loop_stop()
    cmds = [parse_command(m.payload) for m in received]
    assert [c.id for c in cmds] == [id1, id2]
    assert cmds[0].type is CommandType.DISPLAY_TEXT and cmds[0].body.text == "A012 请到3号窗口"  # type: ignore[union-attr]
    assert all(m.qos == 1 and not m.retain for m in received)
    assert received[0].topic == "hk/v1/demo/w03-led/cmd"
