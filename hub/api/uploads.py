"""Uploads never touch the disk unencrypted (rule PRIV-1): a request body is limited, and every
uploaded file part is kept in memory.

Starlette keeps an uploaded file in a SpooledTemporaryFile that rolls over to an unencrypted
temporary file on disk past `MultiPartParser.spool_max_size` (1 MiB by default). A face photo
is biometric personal data: it may be stored only encrypted. So every request body is refused
(413) past MAX_UPLOAD_BYTES, before more is read, and the spool holds that much in memory: no
part of a body that is taken can roll over. The refusal is worded by the error page
(`error.413`, zh-CN first) for a person and is JSON for a program.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_UPLOAD_BYTES = 32 * 1024 * 1024
"""The largest request body the hub takes: a few face photos of at most 10 MiB each (PRIV-1)."""
TOO_LARGE = "error.413"
"""The 413's detail: a catalogue key, worded on the error page and in a program's JSON."""


def keep_uploads_in_memory(max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Rule PRIV-1: an uploaded part up to `max_bytes` stays in memory, never in a temp file."""
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, max_bytes)


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` is refused with 413 (rule PRIV-1).

    A declared Content-Length over the limit is refused at the first read, before any byte of
    the body is taken; a body sent without one (chunked) is counted as it arrives.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a receive that stops at the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        taken = 0

        async def limited() -> Message:
            nonlocal taken
            if declared is not None and declared > self.max_bytes:
                raise HTTPException(413, TOO_LARGE)
            message = await receive()
            if message["type"] == "http.request":
                taken += len(message.get("body", b""))
                if taken > self.max_bytes:
                    raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    try:
        return int(Headers(scope=scope)["content-length"])
    except (KeyError, ValueError):
        return None
