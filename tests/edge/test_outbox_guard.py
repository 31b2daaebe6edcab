"""An outbox that cannot be written: its own error, facts held in order, back-off (rule DEV-4).

The outbox lives on a real 1 MiB tmpfs filled to the last byte (tests/support/disk.py).
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from edge.health import Backoff, HealthBoard, Problem, storage_problem
from edge.outbox import BuildPayload, Outbox
from edge.outbox_guard import OutboxGuard
from tests.support.disk import fill, small_disk

__all__ = ["small_disk"]  # the fixture, imported


def fact(n: int) -> BuildPayload:
    """A fact whose payload says its number (and pads the outbox)."""
    return lambda seq: ("t/evt", f'{{"n": {n}, "seq": {seq}, "pad": "{"x" * 2000}"}}'.encode())


def until_refused(ob: Outbox, start: int = 0) -> tuple[int, BaseException]:
    """Append facts until the outbox refuses one; (facts stored, the error)."""
    for n in range(start, start + 10_000):
        try:
            ob.append_facts("d1", [fact(n)])
        except (sqlite3.Error, OSError) as exc:
            return n, exc
    raise AssertionError("the outbox never refused a write on a full disk")


def test_a_full_disk_is_reported_as_itself_not_as_a_failed_rollback(small_disk: Path) -> None:
    ob = Outbox(small_disk / "o.db", capacity=1000)
    filler = fill(small_disk)
    stored, exc = until_refused(ob)
    # SQLite rolls back by itself after SQLITE_FULL; the outbox's ROLLBACK would then fail
    # with "no transaction is active" and hide this error (it did)
    assert "full" in str(exc) and "rollback" not in str(exc).lower(), exc
    assert storage_problem(exc).code == "outbox_disk_full"
    assert ob.depth() == stored == ob.last_seq("d1")  # the refused fact took no seq
    filler.unlink()
    ob.append_facts("d1", [fact(stored)])
    assert ob.last_seq("d1") == stored + 1 and ob.depth() == stored + 1
    seqs = [r.seq for r in ob.pending("d1", limit=10_000)]
    assert seqs == list(range(1, stored + 2))
    ob.close()


class Clock:
    """A hand-moved monotonic clock for the back-off."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_refused_facts_wait_in_order_and_are_retried_with_back_off(small_disk: Path) -> None:
    ob = Outbox(small_disk / "o.db", capacity=1000)
    board, reports, clock = HealthBoard(), [], Clock()
    guard = OutboxGuard(
        ob,
        "d1",
        board,
        lambda p, active: reports.append((p.code, active)),
        hold_max=100,
        backoff=Backoff(1.0, 8.0),
        clock=clock,
    )
    filler = fill(small_disk)
    n = 0
    while guard.store([fact(n)]):
        n += 1
        assert n < 10_000
    assert guard.broken and guard.held == 1
    assert reports == [("outbox_disk_full", True)]
    assert [p.code for p in board.problems()] == ["outbox_disk_full"]
    assert guard.store([fact(n + 1), fact(n + 2)]) is False  # behind the held one, untried
    assert guard.held == 3
    assert guard.retry() is False and guard.next_retry_in(clock.now) == pytest.approx(1.0)
    clock.now += 1.0
    assert guard.retry() is False  # still full: the next wait doubles
    assert guard.next_retry_in(clock.now) == pytest.approx(2.0)
    assert reports == [("outbox_disk_full", True)]  # the same problem is not raised again
    filler.unlink()
    clock.now += 1.0
    assert guard.retry() is False  # not yet due
    clock.now += 1.0
    assert guard.retry() is True
    assert reports[-1] == ("outbox_disk_full", False) and board.problems() == []
    assert guard.held == 0 and guard.lost == 0
    payloads = [r.payload for r in ob.pending("d1", limit=10_000)]
    numbers = [int(p.split(b",")[0].split(b":")[1]) for p in payloads]
    assert numbers == list(range(n + 3))  # every fact, in the order emitted
    ob.close()


def test_beyond_hold_max_facts_are_counted_lost_in_the_reason(small_disk: Path) -> None:
    ob = Outbox(small_disk / "o.db", capacity=1000)
    board = HealthBoard()
    guard = OutboxGuard(ob, "d1", board, lambda p, a: None, hold_max=5, clock=Clock())
    fill(small_disk)
    while guard.store([fact(0)]):
        pass
    guard.store([fact(1)] * 7)
    assert guard.held == 5 and guard.lost == 3
    (problem,) = board.problems()
    assert problem.message.endswith("; 3 facts lost"), problem
    ob.close()


def test_storage_problems_in_words() -> None:
    assert storage_problem(OSError(errno.ENOSPC, "No space left on device")).code == (
        "outbox_disk_full"
    )
    ro = storage_problem(sqlite3.OperationalError("attempt to write a readonly database"))
    assert ro == Problem(
        "outbox_read_only", "storage is read-only: attempt to write a readonly database", "critical"
    )
    assert storage_problem(OSError(errno.EROFS, "Read-only file system")).code == (
        "outbox_read_only"
    )
    other = storage_problem(sqlite3.OperationalError("disk I/O error"))
    assert other.code == "outbox_write_failed" and "disk I/O error" in other.message


def test_back_off_doubles_to_its_limit_and_resets() -> None:
    b = Backoff(0.5, 4.0)
    assert b.due(0.0)
    assert [b.failed(0.0) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert not b.due(3.9) and b.due(4.0)
    b.reset()
    assert b.due(0.0) and b.failed(10.0) == 10.5
    with pytest.raises(ValueError):
        Backoff(0, 1)


def test_the_board_puts_the_worst_first_and_says_fault_for_errors() -> None:
    board = HealthBoard()
    board.set(Problem("keypad_garbled_frame", "bad checksum", "warning"))
    assert board.status("degraded") == "degraded"
    assert board.set(Problem("keypad_port_error", "serial port gone")) is True
    assert board.set(Problem("keypad_port_error", "serial port gone")) is False
    board.set(Problem("outbox_disk_full", "disk full", "critical"))
    assert [p.code for p in board.problems()] == [
        "outbox_disk_full",
        "keypad_port_error",
        "keypad_garbled_frame",
    ]
    assert board.status("ok") == "fault"
    assert board.clear("outbox_disk_full") and not board.clear("outbox_disk_full")
