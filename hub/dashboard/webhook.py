"""Alerts to a group robot (WeCom 企业微信 or DingTalk 钉钉), an optional setting: every new or
re-opened alert is posted once, worded from the catalogue, in the robot's text format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from hub.dashboard import words
from hub.dashboard.i18n import translator
from hub.dashboard.views import people_names
from hub.fleet.tables import Alert, AlertNote
from models.layout import Hall

logger = logging.getLogger(__name__)


def robot_payload(text: str) -> dict[str, Any]:
    """A text message as both robots take it (WeCom and DingTalk share the shape)."""
    return {"msgtype": "text", "text": {"content": text}}


def signed_url(url: str, secret: str, now_ms: int) -> str:
    """A DingTalk robot URL with its signature (加签: HMAC-SHA256 of `timestamp\\nsecret`)."""
    digest = hmac.new(secret.encode(), f"{now_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote(base64.b64encode(digest).decode(), safe="")
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={now_ms}&sign={sign}"


def alert_text(t: Callable[..., str], alert: Alert, hall: str, names: dict[str, str]) -> str:
    """One line a person reads in the group: severity, hall, where, what, the rule."""
    where = names.get(f"window:{alert.window}", alert.window or alert.device)
    rule = f"（{alert.rule} {t(f'rule.{alert.rule}.title')}）" if alert.rule else ""
    again = t("webhook.reopened") if alert.reopened else ""
    head = f"【{t('severity.' + alert.severity)}】{hall} · {where}"
    return f"{head}：{words.alert_message(t, alert)}{rule}{again}"


class AlertWebhook:
    """Posts each alert raised or re-opened after it started (a background of the hub)."""

    def __init__(
        self,
        engine: Engine,
        halls: list[Hall],
        url: str,
        *,
        fmt: str = "wecom",
        secret: str | None = None,
        lang: str = "zh-CN",
        interval_s: float = 5.0,
        post: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        """Watch `engine`'s alert desk; post to `url` (a WeCom or DingTalk robot)."""
        self.engine, self.halls, self.url = engine, halls, url
        self.fmt, self.secret, self.lang = fmt, secret, lang
        self.interval_s = interval_s
        self._post = post or self._http_post
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_alert = self.last_note = 0
        self.sent = 0

    def _http_post(self, url: str, body: dict[str, Any]) -> None:
        r = httpx.post(url, json=body, timeout=5.0)
        r.raise_for_status()
        answer = (
            r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        )
        if answer.get("errcode", 0) != 0:
            raise RuntimeError(f"robot refused: {answer}")

    def mark_now(self) -> None:
        """Start after what is already there: only alerts from now on are posted."""
        with Session(self.engine) as s:
            self.last_alert = s.exec(select(func.max(Alert.id))).one() or 0
            self.last_note = s.exec(select(func.max(AlertNote.id))).one() or 0

    def due(self) -> list[Alert]:
        """Alerts raised, or re-opened, since the last pass."""
        with Session(self.engine) as s:
            new = list(s.exec(select(Alert).where(col(Alert.id) > self.last_alert)).all())
            notes = s.exec(
                select(AlertNote).where(
                    col(AlertNote.id) > self.last_note, AlertNote.action == "reopen"
                )
            ).all()
            again = [a for n in notes if (a := s.get(Alert, n.alert_id)) is not None]
            self.last_note = max([self.last_note, *(n.id or 0 for n in notes)])
        self.last_alert = max([self.last_alert, *(a.id or 0 for a in new)])
        return sorted({a.id: a for a in [*new, *again]}.values(), key=lambda a: a.id or 0)

    def run_once(self) -> int:
        """Post what is due; how many were posted (a failed post is logged, not retried)."""
        due = self.due()
        if not due:
            return 0
        t = translator(self.lang)
        halls = {h.id: h.name for h in self.halls}
        with Session(self.engine) as s:
            names = people_names(s, self.halls)
        posted = 0
        for alert in due:
            text = alert_text(t, alert, halls.get(alert.hall, alert.hall), names)
            url = self.url
            if self.fmt == "dingtalk" and self.secret:
                url = signed_url(url, self.secret, int(time.time() * 1000))
            try:
                self._post(url, robot_payload(text))
                posted += 1
            except Exception as exc:
                logger.warning("alert %s not posted to the robot: %s", alert.id, exc)
        self.sent += posted
        return posted

    def start(self) -> AlertWebhook:
        """Post from a daemon thread every interval, starting after today's alerts."""
        self.mark_now()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alert-webhook", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop posting; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:
                logger.exception("alert webhook pass failed; will retry")


def from_settings(engine: Engine, halls: list[Hall], settings: Any) -> AlertWebhook | None:
    """The webhook the settings name, or None when none is set."""
    url = getattr(settings, "alert_webhook_url", None)
    if url is None:
        return None
    secret = getattr(settings, "alert_webhook_secret", None)
    return AlertWebhook(
        engine,
        halls,
        url.get_secret_value(),
        fmt=settings.alert_webhook_format,
        secret=secret.get_secret_value() if secret else None,
        lang=settings.alert_webhook_lang,
    )
