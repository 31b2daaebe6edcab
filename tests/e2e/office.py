"""A hall office at its browser: the demo hall running as `hallkeeper demo` runs it, and a
Chromium page that logs in, fills forms, reads what the pages say and keeps a screenshot of each.

Screenshots go to the test's tmp dir; with HK_OFFICE_DAY_SHOTS=<dir> (for example
docs/screenshots/office-day) a second copy goes there, for the record kept in the repository.
"""

from __future__ import annotations

import os
import re
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import cv2
import numpy as np

from hub.dashboard import i18n
from tests.conftest import FACES as SHARED_FACES
from tests.e2e.browser import form_login
from tests.support.pages import leaks

FACES = SHARED_FACES if SHARED_FACES.exists() else Path("/work/shared/data/faces")
"""The shared face photos (beside the checkout; a worktree deeper down reads them here)."""
SHOTS_ENV = "HK_OFFICE_DAY_SHOTS"
LOGIN = re.compile(r"login:\s+(\S+) / (\S+)")


@dataclass
class Demo:
    """The demo hall in a thread: its hub, the admin login its banner printed, how to stop."""

    hub: Any
    admin: tuple[str, str]
    stop: threading.Event
    thread: threading.Thread


@contextmanager
def running_demo(
    data_dir: Path,
    broker_url: str,
    read_banner: Any,
    pace: float = 10.0,
    hall_dir: Path | None = None,
) -> Iterator[Demo]:
    """`hallkeeper demo --pace 10` with a real broker: hub on SQLite, edge agents, the
    citizens and staff at ten times a hall's pace (a rating within the test's minutes)."""
    from hub.demo.run import run_demo

    stop = threading.Event()
    ready: list[Any] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            run_demo(
                data_dir,
                **({"hall_dir": hall_dir} if hall_dir else {}),
                broker_url=broker_url,
                port=0,
                pace=pace,
                stop_event=stop,
                on_ready=ready.append,
            )
        except BaseException as exc:  # shown by the test, not lost in the thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="office-day-demo", daemon=True)
    thread.start()
    for _ in range(1200):
        if ready or failed or not thread.is_alive():
            break
        stop.wait(0.1)
    if failed or not ready:
        stop.set()
        thread.join(30)
        raise AssertionError(f"the demo did not start: {failed}")
    found = LOGIN.search(read_banner())
    assert found, "the demo's banner names no login"
    try:
        yield Demo(ready[0], (found.group(1), found.group(2)), stop, thread)
    finally:
        stop.set()
        thread.join(60)


@dataclass
class Office:
    """One browser page of the hall office, with the pages it has seen."""

    page: Any
    base: str
    shots: list[Path]
    allowed: set[str] = field(default_factory=set)
    seen: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        """Open a page; it answers 200 with HTML."""
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        return response

    def login(self, username: str, password: str) -> None:
        """Log out whoever is in, then log in through the form."""
        form_login(self.page, self.base, username, password)

    def shot(self, name: str, *, lang: str = "zh-CN") -> None:
        """Check what the page says (Chinese, no codes, no JSON) and keep a screenshot."""
        self.check(name, lang=lang)
        for folder in self.shots:
            folder.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        self.seen.append(name)

    def check(self, name: str, *, lang: str = "zh-CN") -> None:
        """What the page says: its language, and on a Chinese page no English, bare codes or
        JSON; no key without words. Noted (the day goes on); the test fails on them at its end."""
        html = self.page.content()
        assert f'lang="{lang}"' in html, (name, self.page.url)
        if lang == "zh-CN":
            found = sorted(set(leaks(html, self.allowed)))
            if found:
                self.problems.append(f"{name} {self.page.url}: {found[:12]}")
            assert re.search(r"[\u4e00-\u9fff]", self.page.inner_text("body")), name
        if i18n.missed():
            self.problems.append(f"{name}: untranslated {sorted(i18n.missed())}")
            i18n.clear_missed()

    def crawl(self, starts: list[str], *, lang: str, limit: int = 90) -> list[str]:
        """Every page reachable by the links of the pages from `starts` (one page of each kind:
        /ratings/followups/1 stands for every follow-up), each read by `check`. Downloads, the
        API, logging out and the language switch are not followed."""
        todo, kinds, visited = deque(starts), set(), []
        while todo and len(visited) < limit:
            path = todo.popleft()
            kind = re.sub(r"\d+", "N", urlsplit(path).path)
            if kind in kinds:
                continue
            kinds.add(kind)
            response = self.page.goto(self.base + path)
            assert response is not None
            kind_of = response.headers.get("content-type", "")
            if response.status != 200 or "text/html" not in kind_of:
                self.problems.append(f"{path}: {response.status} {kind_of}")
                continue
            visited.append(path)
            self.check(path, lang=lang)
            links = self.page.eval_on_selector_all(
                "main a[href]",
                "els => els.map(e => [e.getAttribute('href'), e.hasAttribute('download')])",
            )
            for href, download in links:
                target = urlsplit(urljoin(path, href))
                if download or target.netloc or not target.path.startswith("/"):
                    continue
                if target.path.startswith(("/api/", "/logout", "/login", "/static/")):
                    continue
                if "lang=" in target.query:
                    continue
                todo.append(target.path + (f"?{target.query}" if target.query else ""))
        return visited

    def submit(self, form: str, button: str = "button[type=submit]", *, ok: bool = True) -> None:
        """Click a form's button and wait for the page it leads to; `ok`: not a refusal."""
        with self.page.expect_navigation():
            self.page.locator(form).locator(button).first.click()
        if ok:
            self.no_refusal(form)

    def click(self, target: Any, *, ok: bool = True) -> None:
        """Click a button (a locator) and wait for the page it leads to."""
        with self.page.expect_navigation():
            target.click()
        if ok:
            self.no_refusal(str(target))

    def no_refusal(self, what: str) -> None:
        """The page is not an error page and shows no refusal."""
        refused = self.page.locator("#problem, .field-error, #error-message")
        if refused.count():
            raise AssertionError(f"{what} refused: {self.page.inner_text('main')[:600]}")


def shot_dirs(tmp: Path) -> list[Path]:
    """The test's own screenshot folder, and the repository's when asked for."""
    dirs = [tmp / "screenshots"]
    if os.environ.get(SHOTS_ENV):
        dirs.append(Path(os.environ[SHOTS_ENV]).resolve())
    return dirs


def _jpeg(image: Any) -> bytes:
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return bytes(buf.tobytes())


def bad_photos(folder: Path) -> dict[str, Path]:
    """Photos each enrollment check refuses, from the shared face data: code -> file."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "no_face": _jpeg(np.full((480, 640, 3), 90, np.uint8)),
        "several_faces": (FACES / "probe" / "kit_with_rose.jpg").read_bytes(),
        "face_too_small": (FACES / "frames" / "obama-240p.jpg").read_bytes(),
        "blurred": _jpeg(
            cv2.GaussianBlur(cv2.imread(str(FACES / "frames" / "obama-720p.jpg")), (0, 0), 6)
        ),
    }
    out = {}
    for code, data in made.items():
        out[code] = folder / f"{code}.jpg"
        out[code].write_bytes(data)
    return out


def workflow(hub: Any) -> Any:
    """An attendance workflow on the hub's database (the records the pages wrote)."""
    from hub.attendance.policy import load_policy
    from hub.attendance.projector import AttendanceProjector
    from hub.attendance.workflow import AttendanceWorkflow

    hall = hub.halls[0]
    policy = load_policy(hall.attendance_policy, timezone=hall.timezone)
    return AttendanceWorkflow(hub.engine, AttendanceProjector(policy))
