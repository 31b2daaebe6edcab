"""hub.areas.Ticker: the background rounds every area's watcher runs on (users, compliance,
complaints, ratings): rounds on time in a named thread, a failing round does not stop the next,
stop is safe twice."""

from __future__ import annotations

import threading
import time

from hub.areas import Ticker


class Counting(Ticker):
    """Fails its second round, counts every round."""

    thread_name = "test-tick"

    def __init__(self) -> None:
        super().__init__(0.01)
        self.rounds = 0
        self.threads: set[str] = set()

    def round(self) -> None:
        self.rounds += 1
        self.threads.add(threading.current_thread().name)
        if self.rounds == 2:
            raise RuntimeError("one bad round")


def test_a_failing_round_does_not_stop_the_ticker() -> None:
    ticker = Counting().start()
    deadline = time.monotonic() + 10
    while ticker.rounds < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    ticker.stop()
    ticker.stop()  # safe twice
    assert ticker.rounds >= 5 and ticker.threads == {"test-tick"}
    stopped = ticker.rounds
    time.sleep(0.05)
    assert ticker.rounds == stopped  # no round after stop
