"""Codes in words: alert kinds, audit actions and before/after changes as the pages say them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from hub.dashboard.i18n import has

Words = Callable[..., str]
FAULT_PREFIX = "fault:"


def code_words(t: Words, prefix: str, code: str | None, fallback: str) -> str:
    """`prefix + code` in words, else the fallback key's words (a code never shows bare)."""
    key = f"{prefix}{code}"
    return t(key) if code is not None and has(key) else t(fallback)


def alert_kind(t: Words, kind: str) -> str:
    """A device alert kind (`offline`, `fault:<code>`) in words."""
    if kind.startswith(FAULT_PREFIX):
        return code_words(t, "fault.", kind[len(FAULT_PREFIX) :], "fault.other")
    if kind.startswith("projection:"):  # hub.ingest.lane: a fact a projector keeps failing on
        return t("alertkind.projection")
    return code_words(t, "alertkind.", kind, "alertkind.fault")


def audit_action(t: Words, action: str) -> str:
    """An audit action (`leave.approve`, `POST /api/...`) in words."""
    if has(f"audit.{action}"):
        return t(f"audit.{action}")
    method, _, path = action.partition(" ")
    if path.startswith("/"):
        verb = code_words(t, "audit.method.", method, "audit.other")
        return Markup("{0} <code>{1}</code>").format(t("audit.api", method=verb), path)
    return t("audit.other")


def value_words(t: Words, name: str, value: Any) -> str:
    """One recorded value in words: a known code by its name, yes/no, else as it is."""
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        if all(isinstance(v, str | int | float | bool) or v is None for v in value):
            return "、".join(value_words(t, name, v) for v in value) or "—"
        return t("audit.n_items", n=len(value))  # records (a roster's changes): how many
    if isinstance(value, dict):
        return "，".join(f"{field_words(t, k)} {value_words(t, k, v)}" for k, v in value.items())
    text = str(value)
    for key in (f"{name}.{text}", text):
        if has(key):
            return t(key)
    return text


def field_words(t: Words, name: str) -> str:
    """A recorded field's name in words (`field.<name>`, else the key `<name>`)."""
    for key in (f"field.{name}", name):
        if has(key):
            return t(key)
    return name


def change_words(t: Words, before: Any, after: Any) -> str:
    """An audit entry's before/after as `field: old → new`, never as JSON."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    parts = []
    for name in dict.fromkeys([*old, *new]):
        label = field_words(t, name)
        if name in old and name in new:
            parts.append(
                f"{label}：{value_words(t, name, old[name])} → {value_words(t, name, new[name])}"
            )
        elif name in new:
            parts.append(f"{label}：{value_words(t, name, new[name])}")
        else:
            parts.append(f"{label}：{value_words(t, name, old[name])} → —")
    return "；".join(parts)


def problem_reason(t: Words, reason: str) -> str:
    """A reason of the opening check (`offline`, `fault camera: ...`) in words (rule DEV-1)."""
    plain = {"never reported": "never_reported", "offline": "offline", "silent": "inactive"}
    if reason in plain:
        return t(plain[reason])
    if reason.startswith("fault "):
        return code_words(t, "fault.", reason[6:].split(":", 1)[0], "fault.other")
    if reason.startswith("driver "):
        return t("driver_not_ok")
    return t("fault.other")


DEVICE_KINDS = frozenset({"offline", "inactive", "clock_skew", "outbox_backlog", "config_rejected"})


def _worded_values(t: Words, values: dict[str, Any]) -> dict[str, Any]:
    """Values with their codes in words (`cover: none` -> the words of `cover.none`)."""
    return {k: value_words(t, k, v) if isinstance(v, str) else v for k, v in values.items()}


def alert_message(t: Words, alert: Any) -> str:
    """What an alert says: its catalogue words, a device alert by its kind, else its own text."""
    if alert.words and has(alert.words):
        return t(alert.words, **_worded_values(t, alert.word_values or {}))
    if alert.source == "fleet" and (
        alert.kind in DEVICE_KINDS or alert.kind.startswith(FAULT_PREFIX)
    ):
        return alert_kind(t, alert.kind)
    return str(alert.message)


def recipient_words(t: Words, recipient: str, names: dict[str, str]) -> str:
    """Who an alert is for: the duty desk, a window or a staff member, by name."""
    kind, _, ref = recipient.partition(":")
    if kind == "window":
        return names.get(f"window:{ref}", ref)
    if kind == "staff":
        return names.get(f"staff:{ref}", ref)
    return code_words(t, "recipient.", kind, "recipient.operator")


ANSWER_NOTE = re.compile(r"^(?P<finding>[a-z_]+) / (?P<told>[a-z_]+): (?P<note>.*)$", re.S)
"""How hub.complaints.store logs an answer: `finding / told_how: the answer`."""


def complaint_log_entry(t: Words, entry: dict[str, Any]) -> dict[str, Any]:
    """A complaint's log line in words (rule DUTY-6): who (the citizen on the public page, or
    an account) and what was said, its codes (channel, finding, how told) by their names."""
    actor, action, note = entry.get("actor") or "", entry.get("action"), entry.get("note") or ""
    who = t("complaint.actor.citizen") if actor == "citizen" else actor
    said = note
    if action == "take":
        said = code_words(t, "complaint.channel.", note, "complaint.channel.other")
    elif action == "reveal":
        said = t("complaint.note.reveal")
    elif action == "answer" and (found := ANSWER_NOTE.match(note)):
        finding = code_words(t, "complaint.finding.", found["finding"], "complaint.finding.other")
        told = code_words(t, "complaint.told.", found["told"], "complaint.told.other")
        said = f"{finding}，{told}：{found['note']}"
    return {**entry, "who": who, "said": said}
