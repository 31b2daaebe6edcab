"""Why a message was refused, as a short code: what operators filter, count and read in Chinese.

A dead letter keeps the full reason (English, technical: the field, the limit, the exception);
its code is what the dashboard shows in words from the message catalogue (`dead_letter_<code>`)
and what the Prometheus metric counts by. Pure: no I/O.
"""

from __future__ import annotations

from hub.ingest.authorize import NOT_AUTHORISED, NOT_IN_LAYOUT

CODES: tuple[tuple[str, str], ...] = (
    ("bad topic", "bad_topic"),
    ("oversized", "oversized"),
    ("not JSON", "not_json"),
    ("not a JSON object", "not_json"),
    ("wrong contract version", "contract_version"),
    ("mismatch", "mismatch"),
    ("bad state payload", "bad_state"),
    ("device time ", "clock_ahead"),
    ("invalid", "invalid"),
    (NOT_IN_LAYOUT, "unknown_device"),
    (NOT_AUTHORISED, "not_authorised"),
    ("event id reused", "id_reused"),
    ("store failed", "store_failed"),
)
"""(how a reason starts, its code), first match wins."""
OTHER = "other"
"""The code of a reason none of CODES names."""
ALL_CODES: tuple[str, ...] = tuple(dict.fromkeys([*(c for _, c in CODES), OTHER]))
"""Every code, in CODES order."""
FORGERY_CODES = frozenset({"unknown_device", "not_authorised"})
"""Refusals that say a device sends what it cannot produce (misconfigured or compromised)."""


def reason_code(reason: str) -> str:
    """The code of a dead letter's reason."""
    for start, code in CODES:
        if reason.startswith(start):
            return code
    return OTHER
