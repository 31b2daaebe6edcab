"""Two operators at once on the same citizen's matter (SQLite and PostgreSQL): a complaint
answered twice, a follow-up verified twice with different findings, a call-back ended twice.
One step is taken, the other refused with its reason; the citizen sees one answer and the log
one step (DUTY-6, RATE-3, DEV-4)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from hub.complaints import callbacks, store
from hub.complaints.rules import ComplaintError
from hub.ratings.followup import act, followup
from hub.ratings.followup_rules import FollowupError
from models.contact import new_keypair, seal
from tests.hub.complaints.test_complaints_store import CAL, MON, TZ, take
from tests.hub.ratings.test_ratings_projector import Rig

TRIES = 6


def at_once(*steps: Callable[[], Any]) -> list[BaseException | None]:
    """Run the steps in threads released together; what each raised (None: it went through)."""
    start = threading.Barrier(len(steps))
    out: list[BaseException | None] = [None] * len(steps)

    def run(i: int, step: Callable[[], Any]) -> None:
        start.wait()
        try:
            step()
        except Exception as exc:  # judged by the caller
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(steps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_a_complaint_answered_by_two_chiefs_at_once_has_one_answer(engine: Engine) -> None:
    # rule DUTY-6: the answer told to the complainant is the one recorded
    for n in range(TRIES):
        cid = take(engine, window="w01").id
        store.act(engine, cid, "investigate", "li", MON)

        def answer(who: str, words: str, cid: int = cid) -> Callable[[], Any]:
            return lambda: store.act(
                engine, cid, "answer", who, MON, note=words, finding="partly", told_how="phone"
            )

        raised = at_once(answer("li", f"李的答复{n}"), answer("wang", f"王的答复{n}"))
        assert sorted(type(r).__name__ for r in raised) == ["ComplaintError", "NoneType"], raised
        got = store.get(engine, cid)
        (step,) = [e for e in got["log"] if e["action"] == "answer"]
        assert got["answer"] == {"li": f"李的答复{n}", "wang": f"王的答复{n}"}[step["actor"]]


def test_a_follow_up_verified_by_two_at_once_keeps_one_finding(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule RATE-3: the steps in order, each once
    rig = Rig(engine)
    for _ in range(TRIES):
        ticket = rig.serve()
        rig.rate(ticket, 1, reason="attitude")
        fid = max(t["id"] for t in rig.rows("rating_followup"))
        act(engine, fid, "contacted", "li", MON, note="phoned")

        def verify(who: str, finding: str, fid: int = fid) -> Callable[[], Any]:
            return lambda: act(engine, fid, "verified", who, MON, finding=finding)

        raised = at_once(verify("li", "substantiated"), verify("wang", "unfounded"))
        assert sorted(type(r).__name__ for r in raised) == ["FollowupError", "NoneType"], raised
        task = followup(engine, fid)
        (step,) = [e for e in task["log"] if e["action"] == "verified"]
        assert task["finding"] == {"li": "substantiated", "wang": "unfounded"}[step["actor"]]
        assert isinstance(next(r for r in raised if r), FollowupError)


def test_a_call_back_ended_by_two_at_once_is_one_call(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule DEV-4 (the call-back task), PRIV-1 (the number erased once)
    private, public = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    for _ in range(TRIES):
        cb = callbacks.open_callback(
            engine,
            "demo",
            source="hall-kiosk",
            service="social",
            note="系统故障",
            contact=seal(public, "13800138000"),
            now=MON,
            tz=TZ,
            is_workday=CAL,
        )

        def call(who: str, cb: int = cb) -> Callable[[], Any]:
            return lambda: callbacks.callback_step(
                engine, cb, who, MON, result="reached", outcome=f"{who} 已约明天办理"
            )

        raised = at_once(call("li"), call("wang"))
        assert sorted(type(r).__name__ for r in raised) == ["ComplaintError", "NoneType"], raised
        done = callbacks.callback(engine, cb)
        assert done["attempts"] == 1 and done["outcome"] == f"{done['done_by']} 已约明天办理"
        assert isinstance(next(r for r in raised if r), ComplaintError)
