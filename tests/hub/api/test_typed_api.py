"""Every JSON route of the hub says what it returns: a response model in the OpenAPI schema.

The schema is the API's documentation (served at /openapi.json and /docs, checked by
schemathesis in tests/hub/test_openapi_fuzz.py), so an untyped `dict[str, Any]` answer is a
hole in it. Routes that answer with a file or a stream name their media type instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from tests.support.auth import full_app

NOT_YET_TYPED = (
    "/api/attendance",
    "/api/complaints",
    "/api/compliance",
    "/api/duty",
    "/api/ratings",
)
"""Areas whose routes still answer with untyped JSON (issue 17, point 4: area by area)."""


def typed(schema: dict[str, Any]) -> bool:
    """A schema naming its fields: a model, a list of models, or a plain value."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return typed(schema.get("items", {}))
    if "anyOf" in schema:
        return all(typed(s) or s.get("type") == "null" for s in schema["anyOf"])
    return schema.get("type") in ("string", "integer", "number", "boolean")


def untyped_routes(spec: dict[str, Any]) -> list[str]:
    """`METHOD path` of every route whose JSON answer has no model."""
    found = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for code, answer in op.get("responses", {}).items():
                json_answer = answer.get("content", {}).get("application/json")
                if json_answer is None or not code.startswith("2"):
                    continue
                if not typed(json_answer.get("schema", {})):
                    found.append(f"{method.upper()} {path}")
    return found


def test_every_json_route_has_a_response_model(sqlite_engine: Engine) -> None:
    spec = full_app(sqlite_engine).openapi()
    missing = [r for r in untyped_routes(spec) if not r.split()[1].startswith(NOT_YET_TYPED)]
    assert missing == []
    assert len(spec["paths"]) > 50  # the whole hub, every area mounted
