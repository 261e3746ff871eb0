"""Responses every operation can give whatever its route says, added to the OpenAPI document
so that the contract is complete: 401 on each operation that takes the bearer token, and 400
on each that takes a body (FastAPI's answer to one that is not even decodable)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

_ERROR_REF = {"$ref": "#/components/schemas/ErrorMessage"}


class ErrorMessage(BaseModel):
    detail: str


def _response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def document_common_errors(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorMessage"] = ErrorMessage.model_json_schema()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                if operation.get("security"):
                    responses.setdefault("401", _response("Missing or invalid bearer token"))
                if "requestBody" in operation:
                    responses.setdefault("400", _response("Body that cannot be decoded"))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
