"""The base of every wire model: frozen, strict about unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """A frozen message part; unknown fields are an error, never silently dropped."""

    # allow_inf_nan=False: JSON has no NaN/Infinity; Python's json reads them, pydantic would
    # send them on as null, and the stored fact would no longer validate (tests/fuzz).
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )
