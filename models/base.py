"""The base of every wire model: frozen, strict about unknown fields; and the one decoder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from models.errors import ContractError, explain

M = TypeVar("M", bound=BaseModel)


class WireModel(BaseModel):
    """A frozen message part; unknown fields are an error, never silently dropped."""

    # allow_inf_nan=False: JSON has no NaN/Infinity; Python's json reads them, pydantic would
    # send them on as null, and the stored fact would no longer validate (tests/fuzz).
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )

    def json_text(self) -> str:
        """`model_dump_json()` with the defaults, straight from the serializer (half the cost)."""
        return self.__pydantic_serializer__.to_json(self).decode()


class TypedMessage(WireModel):
    """A message whose `body` is validated by the model its `type` names (no union guessing).

    Subclasses declare `type` and `body` fields and set BODY_TYPES and BODIES.
    """

    BODY_TYPES: ClassVar[type[StrEnum]]
    BODIES: ClassVar[Mapping[Any, type[WireModel]]]

    @model_validator(mode="before")
    @classmethod
    def _body_by_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("body"), dict):
            try:
                body_model = cls.BODIES[cls.BODY_TYPES(str(data.get("type")))]
            except ValueError:
                return data  # the `type` field itself will report the error
            data = {**data, "body": body_model.model_validate(data["body"])}
        return data

    @model_validator(mode="after")
    def _body_matches_type(self) -> TypedMessage:
        kind = getattr(self, "type")  # noqa: B009 - declared by each subclass
        if not isinstance(getattr(self, "body"), self.BODIES[kind]):  # noqa: B009
            raise ValueError(f"body is not a {kind.value} body")
        return self


def decode_object(payload: bytes, limit: int) -> dict[str, Any]:
    """Bytes off the wire as a JSON object, or ContractError: oversized, not JSON, not an object."""
    if len(payload) > limit:
        raise ContractError(f"oversized: {len(payload)} bytes > {limit}")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ContractError(f"not JSON: {exc}") from None  # RecursionError: nested too deep
    if not isinstance(data, dict):
        raise ContractError("not a JSON object")
    return data


def validate(model: type[M], data: dict[str, Any]) -> M:
    """`model` from decoded data, or ContractError saying what is invalid."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContractError(f"invalid: {explain(exc)}") from None
