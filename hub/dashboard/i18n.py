"""The interface's words in Chinese (zh-CN, the default) and English: one gettext catalogue.

The words live in `locale/<lang>/LC_MESSAGES/hallkeeper.po` (Babel reads them; no compiled .mo
is needed). A message id is a stable key (`"away"`, `"alert.away_no_sign"`), the same in every
language; `t(key, **values)` fills `{name}` placeholders. How to add words: `locale/README.md`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from models.devices import KINDS

logger = logging.getLogger(__name__)

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
COOKIE = "hk_lang"
DOMAIN = "hallkeeper"
LOCALE_DIR = Path(__file__).parent / "locale"
_FOLDERS = {"zh-CN": "zh_CN", "en": "en"}
ROLES = ("admin", "supervisor", "duty_chief", "window_lead", "viewer")


def po_path(lang: str) -> Path:
    """The .po file of a language."""
    return LOCALE_DIR / _FOLDERS[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(path: Path) -> dict[str, str]:
    """msgid -> msgstr of one .po file (the header entry left out)."""
    with path.open("rb") as fh:
        catalog = read_po(fh, abort_invalid=True)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str)}


@lru_cache(maxsize=1)
def _load() -> dict[str, dict[str, str]]:
    words = {lang: read_catalogue(po_path(lang)) for lang in LANGS}
    for kind, spec in KINDS.items():  # device kinds are named where defined (models/devices/)
        words["zh-CN"].setdefault(kind, spec.label_zh)
        words["en"].setdefault(kind, spec.label_en)
    return words


class _Catalogue(Mapping[str, dict[str, str]]):
    """lang -> message key -> text, read from the .po files on first use."""

    def __getitem__(self, lang: str) -> dict[str, str]:
        return _load()[lang]

    def __iter__(self) -> Any:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)


CATALOGUE: Mapping[str, dict[str, str]] = _Catalogue()
"""lang -> message key -> text."""


class _RoleNames(Mapping[str, dict[str, str]]):
    """lang -> role -> its name (catalogue keys `role.<role>`)."""

    def __getitem__(self, lang: str) -> dict[str, str]:
        table = CATALOGUE[lang]
        return {r: table.get(f"role.{r}", r) for r in ROLES}

    def __iter__(self) -> Any:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)


ROLE_NAMES: Mapping[str, dict[str, str]] = _RoleNames()
"""lang -> role value -> the role's name."""

_missed: set[str] = set()
_missed_lock = threading.Lock()


def missed() -> set[str]:
    """The keys asked for since the last clear() that no catalogue has (tests check it)."""
    with _missed_lock:
        return set(_missed)


def clear_missed() -> None:
    """Forget the keys missed so far."""
    with _missed_lock:
        _missed.clear()


def choose_lang(query: str | None, cookie: str | None) -> str:
    """The language asked for by ?lang=, else the cookie, else zh-CN."""
    for asked in (query, cookie):
        if asked and asked.lower().startswith(("en", "zh")):
            return "en" if asked.lower().startswith("en") else "zh-CN"
    return DEFAULT_LANG


def has(key: str) -> bool:
    """Whether the catalogue has words for `key`."""
    return key in CATALOGUE[DEFAULT_LANG]


def text(lang: str, key: str, **values: object) -> str:
    """The words of `key` in `lang` with `{name}` placeholders filled; an unknown key as itself."""
    table = CATALOGUE[lang] if lang in LANGS else CATALOGUE[DEFAULT_LANG]
    found = table.get(key)
    if found is None:
        with _missed_lock:
            _missed.add(key)
        logger.debug("no words for %r", key)
        return key
    if not values:
        return found
    try:
        return found.format_map(values)
    except (KeyError, IndexError, ValueError):
        logger.warning("words of %r do not fit the values %s", key, sorted(values))
        return found


def translator(lang: str) -> Callable[..., str]:
    """t(key, **values) for a language; an unknown key shows as itself (and is noted)."""

    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)

    return t
