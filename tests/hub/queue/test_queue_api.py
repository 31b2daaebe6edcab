"""The queue API on a real uvicorn server: tickets, counter actions, stats, the SSE push."""

from __future__ import annotations

import json

import httpx

from hub.commands import RecordingSender
from hub.queue.service import QueueProjector
from models.commands import PrintTicket


def test_issue_call_finish_and_stats(api: tuple[str, QueueProjector, RecordingSender]) -> None:
    # rule QUEUE-1, QUEUE-5
    url, _, sender = api
    with httpx.Client(base_url=url, timeout=10) as c:
        r = c.post("/api/queue/tickets", json={"service": "social", "print": True})
        assert r.status_code == 201, r.text
        assert (r.json()["ticket"], r.json()["ahead"]) == ("A001", 0)
        r2 = c.post("/api/queue/tickets", json={"service": "social"}).json()
        assert (
            r2["ticket"] == "A002" and r2["ahead"] == 1 and r2["est_wait_min"] == 2
        )  # 1 x 300 s / 3 counters
        assert c.post("/api/queue/tickets", json={"service": "nope"}).status_code == 409
        r = c.post("/api/queue/windows/w01/next", params={"staff": "s01"})
        assert [e["kind"] for e in r.json()["events"]] == ["called"]
        c.post("/api/queue/windows/w01/actions", json={"action": "start"})
        r = c.post("/api/queue/windows/w01/actions", json={"action": "finish"})
        assert r.json()["events"][0]["ticket"] == "A001"
        assert (
            c.post("/api/queue/windows/w01/actions", json={"action": "recall"}).status_code == 409
        )
        assert c.post("/api/queue/windows/w99/next").status_code == 404
        state = c.get("/api/queue/state").json()
        assert {t["ticket"]: t["state"] for t in state["tickets"]} == {
            "A001": "done",
            "A002": "waiting",
        }
        st = c.get("/api/queue/stats").json()
        assert st["total"]["served"] == 1
        assert [g["key"] for g in st["by_staff"]] == ["s01"]
    prints = [b for _, d, b in sender.sent if isinstance(b, PrintTicket)]
    assert [p.ticket for p in prints] == ["A001"]


def test_hall_page_is_chinese_and_listens_to_the_stream(
    api: tuple[str, QueueProjector, RecordingSender],
) -> None:
    url, _, _ = api
    page = httpx.get(f"{url}/api/queue/hall", timeout=10)
    assert page.status_code == 200
    assert "正在呼叫" in page.text and "等候人数" in page.text
    assert 'new EventSource("/api/queue/stream' in page.text
    assert "setInterval(tick" in page.text and "fetch(" not in page.text  # push, not polling


def test_stream_pushes_each_change(api: tuple[str, QueueProjector, RecordingSender]) -> None:
    # rule QUEUE-4
    url, projector, _ = api
    projector.issue("medical")
    snapshots: list[dict] = []
    with httpx.stream("GET", f"{url}/api/queue/stream", timeout=10) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if not line.startswith("data:"):
                continue
            snapshots.append(json.loads(line[5:]))
            if len(snapshots) == 1:
                projector.act("w03", "next")  # from another thread than the server's loop
            else:
                break
    assert snapshots[0]["calls"] == []
    assert snapshots[1]["calls"][0]["text"] == "B001 请到3号窗口"
