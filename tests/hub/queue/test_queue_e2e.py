"""End to end: keypad pty -> edge agent -> broker -> ingest + QueueProjector -> display pty."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, select

from hub.bench.call import CallRig
from hub.events.tables import Event
from hub.queue.tables import QueueEventRow
from tests.support.broker import Broker
from tests.support.waiting import wait_until as wait_for


def test_keypad_call_reaches_the_counter_display_through_the_hub(
    broker: Broker, tmp_path: Path
) -> None:
    # rule QUEUE-1, QUEUE-4, QUEUE-5
    rig = CallRig(broker.url, tmp_path).start()
    try:
        rig.projector.issue("medical")
        rig.projector.issue("medical", green=True)
        rig.call_next()
        assert rig.display_peer.lines[0] == "B002 请到3号窗口"  # rule QUEUE-2: green first
        rig.keypad_peer.press("recall")
        wait_for(lambda: len(rig.display_peer.shown) == 2)
        rig.keypad_peer.press("pause")
        wait_for(lambda: rig.display_peer.lines[0] == "暂停服务")
        rig.keypad_peer.write(b"\xaa\x02\x03\x01\x00")  # garbled: a fault, nothing lost
        rig.keypad_peer.press("resume")
        wait_for(lambda: rig.display_peer.lines[0] == "3号窗口 欢迎办理")
        rig.call_next()
        assert rig.display_peer.lines[0] == "B001 请到3号窗口"
        # rule DEV-4: a display that does not answer is a fault; the queue keeps working
        rig.projector.issue("medical")
        rig.display_peer.mute = True
        rig.call_next()
        assert rig.projector.queue.tickets["B003"].state.value == "called"

        def faults() -> list[tuple[str, str]]:
            with Session(rig.engine) as s:
                rows = s.exec(select(Event).where(Event.type == "device_fault")).all()
                return [(r.device, json.loads(r.body)["code"]) for r in rows]

        wait_for(lambda: ("w03-led", "display_no_answer") in faults())
        rig.display_peer.mute = False
        rig.keypad_peer.press("next")  # B003 finished, nobody waits
        wait_for(lambda: rig.display_peer.lines[0] == "暂无等候")
        with Session(rig.engine) as s:
            kinds = [r.kind for r in s.exec(select(QueueEventRow).order_by(QueueEventRow.seq))]
        assert kinds == [
            "day_reset",
            "issued",
            "issued",
            "called",
            "recalled",
            "paused",
            "resumed",
            "finished",
            "called",
            "issued",
            "finished",
            "called",
            "finished",
        ]
        # rule DEV-4: the garbled frame reached the hub as a device fault with its reason
        assert faults()[0] == ("w03-keypad", "keypad_garbled_frame")
        # rule DEV-4: paused from the desk with a reason, the display's bytes say 暂停服务 and why
        rig.projector.act("w03", "pause", reason="system_fault")
        wait_for(lambda: rig.display_peer.lines.get(0) == "暂停服务")
        wait_for(lambda: "业务系统故障" in rig.display_peer.lines.get(1, ""))
    finally:
        rig.stop()
