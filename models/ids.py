"""Time-ordered unique event ids (ULID layout: 48-bit milliseconds + 80 random bits, base32)."""

from __future__ import annotations

import os
import re
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
EVENT_ID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_lock = threading.Lock()
_last: list[int] = [0, 0]  # last (ms, random) issued by this process, for monotonic ids


def _encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_event_id(now_ms: int | None = None) -> str:
    """A new 26-character id; ids made later in this process sort after earlier ones."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    with _lock:
        if ms <= _last[0]:
            ms = _last[0]
            rand = _last[1] + 1
        else:
            rand = int.from_bytes(os.urandom(10), "big")
        _last[0], _last[1] = ms, rand & ((1 << 80) - 1)
        rand = _last[1]
    return _encode(ms, 10) + _encode(rand, 16)


def event_id_ms(event_id: str) -> int:
    """The millisecond timestamp inside an event id."""
    value = 0
    for ch in event_id[:10]:
        value = value * 32 + _ALPHABET.index(ch)
    return value
