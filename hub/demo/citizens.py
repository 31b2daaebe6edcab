"""The demo's citizen episodes (DEV-4, RATE-3, DUTY-6): what a hall's day brings a citizen.

- The ticket printer runs out of paper for a while (`paper_out_after_s`, for `paper_out_s`,
  then every `paper_every_s`): the kiosk still gives the number, shows it large with a QR code
  and says why; the hall screen shows the notice until paper is loaded.
- A citizen is dissatisfied and leaves a phone number on the rating device: the follow-up
  opens, due the same working day; the demo's duty chief reaches them, verifies the
  complaint and starts its rectification (the operator closes it on the dashboard).
- A citizen complains on the public page the hall's QR poster opens (`complaint_after_s`).

Everything goes through the real parts: the printer's pty peer, the rating device's peer, the
hub's HTTP page. The hall's contact key is kept in the demo folder like its other secrets.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.layout import Hall

logger = logging.getLogger(__name__)
COMPLAINT = (
    "上午在窗口办理业务，工作人员没有一次性告知需要的材料，让我来回跑了两趟。"
    "希望窗口能把材料清单贴出来。"
)


def provide_contact_key(data_dir: Path, secret: Callable[..., str]) -> None:
    """The demo hall's contact key pair (PRIV-1): the hub opens numbers with the private key
    (HK_CONTACT_KEY); the rating devices seal them with the public one (HK_CONTACT_PUBLIC_KEY).
    A real hall provisions both (`hallkeeper complaints contact-key`)."""
    from models.contact import new_keypair, public_of

    private = secret(data_dir, "contact_key", lambda: new_keypair()[0])
    os.environ.setdefault("HK_CONTACT_KEY", private)
    os.environ.setdefault("HK_CONTACT_PUBLIC_KEY", public_of(os.environ["HK_CONTACT_KEY"]))


class CitizenEpisodes:
    """Plays the episodes on the demo hall's devices and pages, from one thread."""

    def __init__(
        self,
        hall: Hall,
        hub: Any,
        drivers: dict[str, Any],
        scenario: Any,
        *,
        paper_out_after_s: float = 20.0,
        paper_out_s: float = 60.0,
        paper_every_s: float = 900.0,
        complaint_after_s: float = 30.0,
        reask_s: float = 60.0,
    ) -> None:
        self.hall, self.hub, self.drivers, self.scenario = hall, hub, drivers, scenario
        self.paper_out_after_s, self.paper_out_s = paper_out_after_s, paper_out_s
        self.paper_every_s, self.complaint_after_s = paper_every_s, complaint_after_s
        self.reask_s = reask_s
        self.done: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> CitizenEpisodes:
        """Begin; the first dissatisfied citizen is the next one to rate."""
        self._ask_dissatisfied()
        self._thread = threading.Thread(target=self._run, name="demo-citizens", daemon=True)
        self._thread.start()
        return self

    def _ask_dissatisfied(self) -> None:
        """rule RATE-3: the next citizen to rate is dissatisfied and leaves a number (asked
        again every `reask_s` until a follow-up with a number opens: a rating can be lost)."""
        if self.scenario is not None and 1 not in self.scenario.next_levels:
            self.scenario.next_levels[:0] = [1]

    def stop(self) -> None:
        """Stop; safe twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        clock = 0.0
        next_out, back_at = self.paper_out_after_s, None
        complained = followed = False
        while not self._stop.wait(1.0):
            clock += 1.0
            try:
                if back_at is None and clock >= next_out:
                    back_at = clock + self.paper_out_s if self._paper(False) else None
                    next_out = clock + self.paper_every_s
                elif back_at is not None and clock >= back_at:
                    self._paper(True)
                    back_at = None
                if not complained and clock >= self.complaint_after_s:
                    complained = self._complain()
                if not followed:
                    followed = self._follow_up()
                    if not followed and clock % self.reask_s == 0:
                        self._ask_dissatisfied()
            except Exception:  # an episode that fails must not end the demo
                logger.exception("demo citizen episode failed")

    def _paper(self, loaded: bool) -> bool:
        """rule DEV-4: the roll runs out (the kiosk still gives numbers), later it is loaded."""
        printer = self.drivers.get("hall-printer")
        if printer is None or getattr(printer, "peer", None) is None:
            return False
        printer.peer.paper = loaded
        self.done.append("paper_loaded" if loaded else "paper_out")
        logger.info("demo: %s", "paper loaded" if loaded else "the ticket printer is out of paper")
        return True

    def _complain(self) -> bool:
        """rule DUTY-6: a citizen complains on the page the hall's QR code opens."""
        import httpx

        with httpx.Client(base_url=self.hub.api_url, timeout=10) as c:
            page = c.get(f"/c/{self.hall.id}")
            token = re.search(r'name="token" value="([^"]+)"', page.text)
            if page.status_code != 200 or token is None:
                return False
            sent = c.post(
                f"/c/{self.hall.id}",
                data={
                    "text": COMPLAINT,
                    "window": self.hall.windows[0].id,
                    "token": token.group(1),
                },
            )
        if sent.status_code == 200 and "TS" in sent.text:
            self.done.append("complaint")
            logger.info("demo: a citizen complained on the public page")
            return True
        return False

    def _follow_up(self) -> bool:
        """rule RATE-3: the duty chief reaches the dissatisfied citizen and verifies."""
        import sqlalchemy as sa

        from hub.attendance.calendar import WorkCalendar
        from hub.ratings.followup import FOLLOWUP, act
        from hub.ratings.followup_rules import FollowupError

        engine = self.hub.engine
        with engine.connect() as conn:
            fid = conn.execute(
                sa.select(FOLLOWUP.c.id)
                .where(
                    FOLLOWUP.c.hall == self.hall.id,
                    FOLLOWUP.c.state == "open",
                    FOLLOWUP.c.contact.is_not(None),
                )
                .order_by(FOLLOWUP.c.id)
                .limit(1)
            ).scalar()
        if fid is None:
            return False
        now = self.hub.clock()
        from zoneinfo import ZoneInfo

        try:
            act(engine, fid, "assign", "demo-chief", now, assignee="demo-chief")
            act(engine, fid, "contacted", "demo-chief", now, note="已电话联系，群众说明了情况")
            act(engine, fid, "verified", "demo-chief", now, finding="partly", note="核实部分属实")
            act(
                engine,
                fid,
                "rectify",
                "demo-chief",
                now,
                note="窗口张贴一次性告知材料清单",
                tz=ZoneInfo(self.hall.timezone),
                is_workday=WorkCalendar().is_workday,
            )
        except FollowupError:
            logger.exception("demo follow-up could not be worked")
        self.done.append("followup")
        logger.info("demo: follow-up %s worked to rectification", fid)
        return True
