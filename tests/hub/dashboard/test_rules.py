"""Rule pages: one per rule id of the digest, in the hall's words, with the source named."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.dashboard import i18n
from hub.dashboard.rules import RULE_ID, SOURCES, link_rules
from hub.users.accounts import Role
from tests.support.pages import leaks

ROOT = Path(__file__).resolve().parents[3]
DIGEST = Path("/work/shared/RULES.md")


def test_every_rule_the_code_cites_has_words_and_a_source() -> None:
    cited = set()
    for path in [*(ROOT / "hub").rglob("*.py"), *(ROOT / "edge").rglob("*.py")]:
        cited |= set(RULE_ID.findall(path.read_text(encoding="utf-8")))
    assert cited and not cited - SOURCES.keys()
    for rule_id, sources in SOURCES.items():
        for lang in i18n.LANGS:
            for part in ("title", "text"):
                assert i18n.CATALOGUE[lang].get(f"rule.{rule_id}.{part}"), (lang, rule_id)
        assert sources and all(i18n.has(f"seed.{s}") for s in sources)


@pytest.mark.skipif(not DIGEST.exists(), reason="the shared digest is not on this machine")
def test_the_pages_cover_exactly_the_digest() -> None:
    listed = re.findall(r"^- \*\*([A-Z]+-\d+)", DIGEST.read_text(encoding="utf-8"), re.M)
    assert listed and sorted(listed) == sorted(SOURCES)


def test_a_rule_page_states_the_rule_and_its_source(
    browser_as: Callable[[Role], TestClient],
) -> None:
    viewer = browser_as(Role.VIEWER)
    page = viewer.get("/rules/post-4").text
    assert "单人窗口" in page and "相邻窗口先行接待" in page
    assert "《汶上县为民服务中心进驻工作人员行为规范》" in page and not leaks(page)
    assert "neighbouring window" in viewer.get("/rules/POST-4?lang=en").text
    missing = viewer.get("/rules/POST-99?lang=zh")
    assert missing.status_code == 404 and "没有这条规则" in missing.text
    assert all(f'href="/rules/{r}"' in viewer.get("/rules").text for r in SOURCES)


def test_rule_ids_in_a_text_become_links() -> None:
    t = i18n.translator("zh-CN")
    html = str(link_rules(t, "未放置暂停服务牌（POST-2）<b>"))
    assert '<a class="rule" href="/rules/POST-2"' in html and "&lt;b&gt;" in html
