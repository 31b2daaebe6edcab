"""Errors raised when a message does not satisfy the contract."""

from __future__ import annotations

from pydantic import ValidationError


class ContractError(ValueError):
    """A message broke the wire contract; `reason` says what is wrong, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def explain(exc: ValidationError) -> str:
    """Turn a pydantic ValidationError into one readable line: `field.path: message; ...`."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(message)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)
