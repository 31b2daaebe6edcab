"""The duty area's words come from the hub's message catalogue (hub/dashboard/locale/*.po);
these two helpers word its issues and alerts in the reader's language."""

from __future__ import annotations

from collections.abc import Callable

from hub.dashboard.i18n import text, translator


def catalogue(lang: str) -> Callable[..., str]:
    """t(key, **values) in `lang` (an unknown key shows as itself)."""
    return translator(lang)


def say(lang: str, key: str, **values: object) -> str:
    """A message in `lang` with its `{name}` values filled in."""
    return text(lang, key, **values)
