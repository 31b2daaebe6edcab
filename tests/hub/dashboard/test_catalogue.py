"""The message catalogue (.po files): complete, the same in both languages, no key twice."""

from __future__ import annotations

import re
import string
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from hub.dashboard import i18n

ROOT = Path(__file__).resolve().parents[3]
MSGID = re.compile(r'^msgid "(.+)"$', re.MULTILINE)


def interim_words() -> set[str]:
    """Keys still in an area's own dict, to be moved to the .po files by its owner (none left)."""
    return set()


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders of a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_no_msgid_is_defined_twice(lang: str) -> None:
    # merge=union keeps both sides' entries: two people adding one key would show up here
    counts = Counter(MSGID.findall(i18n.po_path(lang).read_text(encoding="utf-8")))
    assert not [k for k, n in counts.items() if n > 1]


def test_both_languages_have_every_word_and_the_same_placeholders() -> None:
    zh, en = i18n.CATALOGUE["zh-CN"], i18n.CATALOGUE["en"]
    assert zh.keys() == en.keys()
    assert len(zh) > 200
    assert not [k for k in zh if not zh[k].strip() or not en[k].strip()]
    assert not [k for k in zh if placeholders(zh[k]) != placeholders(en[k])]
    assert not [k for k, v in zh.items() if k != "language" and v.isascii() and v.isalpha()]
    assert not [f for f in ("fuzzy",) if f in i18n.po_path("zh-CN").read_text(encoding="utf-8")]


def test_every_key_the_code_and_templates_ask_for_is_defined() -> None:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    asked = {
        (msg, f"{name}:{line}")
        for name, line, msg, _c, _x in extract_from_dir(
            str(ROOT / "hub"), method_map=method_map, keywords={"t": None, "text": (2,)}
        )
        if isinstance(msg, str)
    }
    assert len(asked) > 100
    assert not [where for msg, where in asked if not i18n.has(msg) and msg not in interim_words()]


def test_every_refusal_key_in_the_code_is_defined() -> None:
    # HTTPException(403, "forbidden.chiefs") and Problem("att.x") name catalogue keys
    keyed = re.compile(r'(?:HTTPException\(\s*\d+,\s*|Problem\(\s*)f?"([a-z_]+\.[\w.{}-]+)"')
    missing = []
    for path in (ROOT / "hub").rglob("*.py"):
        for key in keyed.findall(path.read_text(encoding="utf-8")):
            keys = [key.replace("{stage}", s) for s in ("department", "office")]
            missing += [f"{path.name}: {k}" for k in keys if not i18n.has(k)]
    assert not missing


def test_words_fill_their_placeholders_and_unknown_keys_are_noted() -> None:
    i18n.clear_missed()
    t = i18n.translator("zh-CN")
    assert t("away") == "离岗" and i18n.translator("en")("away") == "Away"
    assert "500" in t("validation.string_too_long", max_length=500)
    assert t("no.such.key") == "no.such.key" and i18n.missed() == {"no.such.key"}
    assert t("validation.string_too_long") == i18n.CATALOGUE["zh-CN"]["validation.string_too_long"]
    i18n.clear_missed()


def test_the_po_files_merge_by_union_and_the_readme_says_how_to_add_words() -> None:
    attributes = (ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert re.search(r"^\*\.po\s+merge=union", attributes, re.MULTILINE)
    readme = (i18n.LOCALE_DIR / "README.md").read_text(encoding="utf-8")
    assert "msgid" in readme and "pybabel extract" in readme
    tracked = subprocess.run(
        ["git", "ls-files", "*.mo"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert tracked.stdout == ""  # read from .po; a .mo is only ever built, never kept
