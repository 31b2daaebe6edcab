"""The hall's rules as the dashboard explains them: one page per rule id, its source named.

The words (title, text) are in the message catalogue (`rule.<ID>.title`, `rule.<ID>.text`);
here only which source regulations each rule comes from (the seed documents of RULES.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

from hub.dashboard.i18n import has

SOURCES: dict[str, tuple[str, ...]] = {
    "ATT-1": ("002",),
    "ATT-2": ("002",),
    "ATT-3": ("000",),
    "ATT-4": ("003",),
    "ATT-5": ("002", "000", "003"),
    "ATT-6": ("002", "003"),
    "ATT-7": ("002",),
    "ATT-8": ("002",),
    "ATT-9": ("003",),
    "ATT-10": ("000", "002"),
    "ATT-11": ("002",),
    "ATT-12": ("003", "004"),
    "POST-1": ("002",),
    "POST-2": ("002", "003"),
    "POST-3": ("002",),
    "POST-4": ("002",),
    "POST-5": ("002", "000"),
    "POST-6": ("002", "003"),
    "POST-7": ("000", "001", "003"),
    "POST-8": ("003",),
    "RATE-1": ("002", "003"),
    "RATE-2": ("002",),
    "RATE-3": ("002",),
    "RATE-4": ("000", "001", "003"),
    "QUEUE-1": ("000", "001", "003"),
    "QUEUE-2": ("003",),
    "QUEUE-3": ("002",),
    "QUEUE-4": ("001", "003"),
    "QUEUE-5": ("000", "003"),
    "QUEUE-6": ("002",),
    "DEV-1": ("003",),
    "DEV-2": ("002", "003", "004"),
    "DEV-3": ("003",),
    "DEV-4": ("004",),
    "DUTY-1": ("001",),
    "DUTY-2": ("003",),
    "DUTY-3": ("003",),
    "DUTY-4": ("001", "003"),
    "DUTY-5": ("000", "002", "003"),
    "DUTY-6": ("003", "004"),
    "PRIV-1": ("000", "001", "002"),
}
"""Rule id -> the seed documents (seeds/000..004) it is drawn from."""
GROUPS = ("ATT", "POST", "RATE", "QUEUE", "DEV", "DUTY", "PRIV")
RULE_ID = re.compile(r"\b(?:ATT|POST|RATE|QUEUE|DEV|DUTY|PRIV)-\d+\b")


def rules_by_group() -> list[tuple[str, list[str]]]:
    """The rule ids of each group, in the digest's order."""
    return [(g, [r for r in SOURCES if r.split("-")[0] == g]) for g in GROUPS]


def known(rule_id: str) -> bool:
    """Whether `rule_id` is a rule of the digest."""
    return rule_id in SOURCES


def rule_link(t: Callable[..., str], rule_id: str, *, title: bool = True) -> Markup:
    """A rule id as a link to its page, with its title (an unknown id shows as plain text)."""
    if not known(rule_id):
        return Markup(escape(rule_id))
    name = t(f"rule.{rule_id}.title") if title and has(f"rule.{rule_id}.title") else ""
    label = f"{rule_id} {name}".strip()
    return Markup('<a class="rule" href="/rules/{0}" title="{1}">{2}</a>').format(
        rule_id, t(f"rule.{rule_id}.title"), label
    )


def link_rules(t: Callable[..., str], text: str) -> Markup:
    """Text with every rule id in it made a link to its page (titles left out)."""
    out, last = [], 0
    for m in RULE_ID.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(rule_link(t, m.group(0), title=False))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
