"""Reading dashboard pages as a person does: visible text, leaked codes or English, raw JSON.

`leaks(html)` lists what a zh-CN page shows that no Chinese reader should meet: English words,
bare codes (`AM_IN`, `open`, `fault:rating_stray_reason`), JSON, rule ids that are not links to
their rule page. `crawl(client)` follows every link of the interface from the navigation.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

ALLOWED = frozenset({"English", "Excel", "CSV", "XLSX", "PDF", "LED", "ID", "IP", "WeCom"})
"""Latin words a Chinese page may show: the language switch, file formats, device terms."""
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_:/.\-]*")
RULE_ID = re.compile(r"\b(?:ATT|POST|RATE|QUEUE|DEV|DUTY|PRIV)-\d+\b")
SKIP = ("script", "style", "code")
"""Not read: scripts, and <code> (technical references such as an API path)."""


class _Text(HTMLParser):
    """Collects visible text nodes, each with the href of the link it sits in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.links: list[str | None] = []
        self.nodes: list[tuple[str, str | None]] = []
        self.hrefs: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a":
            self.links.append(found.get("href"))
            if found.get("href"):
                self.hrefs.append((str(found["href"]), found))
        if tag not in ("br", "input", "meta", "link", "img", "hr"):
            self.stack.append(tag)
        for name in ("placeholder", "title", "value", "aria-label"):
            shown = found.get(name)
            if shown and (name != "value" or (tag == "button")):
                self.nodes.append((shown, None))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            self.links.pop()
        while self.stack:
            if self.stack.pop() == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(t in SKIP for t in self.stack):
            self.nodes.append((data.strip(), self.links[-1] if self.links else None))


def parse(html: str) -> _Text:
    """The page's visible text nodes and its links."""
    parser = _Text()
    parser.feed(html)
    return parser


def visible_text(html: str) -> str:
    """The text a person sees, one node a line."""
    return "\n".join(text for text, _ in parse(html).nodes)


def leaks(html: str, allowed: Iterable[str] = ()) -> list[str]:
    """What a zh-CN page shows that is English, a bare code, JSON or an unlinked rule id."""
    ok = ALLOWED | set(allowed)
    found = []
    for text, href in parse(html).nodes:
        if "{" in text and '":' in text:
            found.append(f"JSON: {text[:80]}")
        for rule in RULE_ID.findall(text):
            if not (href and href.startswith("/rules/")):
                found.append(f"rule id not linked: {rule}")
        for word in WORD.findall(RULE_ID.sub("", text)):
            bare = word.strip(".:/-")
            if len(bare) >= 2 and not re.search(r"[\d\-]", bare) and bare not in ok:
                found.append(f"{bare!r} in {text[:80]!r}")
    return found


def crawl(client: Any, starts: Iterable[str], *, limit: int = 120) -> dict[str, Any]:
    """GET every same-site link reachable from `starts` (not logout, not the language switch)."""
    seen: dict[str, Any] = {}
    todo = deque(starts)
    while todo and len(seen) < limit:
        path = todo.popleft()
        if path in seen:
            continue
        r = client.get(path)
        seen[path] = r
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        for href, _attrs in parse(r.text).hrefs:
            target = urljoin(path, href)
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/") or "lang=" in parts.query:
                continue
            if parts.path in ("/logout", "/login"):
                continue
            todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen
