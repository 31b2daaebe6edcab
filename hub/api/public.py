"""What every area's Public models share: the base and the types of values as the API sends them.

Each area keeps its own response models (`hub/<area>/public.py`, as full-stack-fastapi-template's
Public models: what leaves the API, apart from the tables). They derive from `Public`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

IsoDatetime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A moment as `datetime.isoformat()` writes it (`+00:00`), for a route that always sent it so.

A plain `datetime` field is sent as pydantic writes it (UTC as `Z`), which is what every route
annotated `-> dict[str, Any]` sent before it had a model: keep each route's form as it was."""

IsoDate = Annotated[
    date,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]
"""A day as YYYY-MM-DD."""


class Public(BaseModel):
    """Base of every response model: frozen; the fields it names are all that leave the API."""

    model_config = ConfigDict(frozen=True)


CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = {"schema": {"type": "string", "format": "binary"}}
EXPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {CSV: FILE, XLSX: FILE}, "description": "The file (CSV or XLSX, as asked)"}
}
"""The OpenAPI answer of a route that sends a spreadsheet: `response_class=Response` with these."""
