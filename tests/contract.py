"""What every service's OpenAPI document must hold (issue 12, "The API contract"): a stable
operation id (``units.create``), a summary, a description, tags and an example of what goes in
and comes out for every operation; every error answered as problem+json; ``sort`` parameters
as enums; no internal route in the public document."""

from __future__ import annotations

import re
from typing import Any

OPERATION_ID = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _has_example(spec: dict[str, Any], media: dict[str, Any]) -> bool:
    if "example" in media or "examples" in media:
        return True
    schema = _resolve(spec, media.get("schema", {}))
    if "example" in schema or "examples" in schema:
        return True
    if schema.get("type") == "array" and "items" in schema:
        return _has_example(spec, {"schema": schema["items"]})
    return False


def _enum_values(spec: dict[str, Any], schema: dict[str, Any]) -> list[Any] | None:
    schema = _resolve(spec, schema)
    if "enum" in schema:
        return list(schema["enum"])
    for option in schema.get("anyOf", []):
        values = _enum_values(spec, option)
        if values:
            return values
    return None


def contract_violations(spec: dict[str, Any]) -> list[str]:
    """Everything in the document that falls short of the contract, one line each."""
    out: list[str] = []
    seen: dict[str, str] = {}
    for path, operations in spec["paths"].items():
        if "/internal/" in path:
            out.append(f"{path}: an internal route is in the public document")
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            oid = op.get("operationId", "")
            if not OPERATION_ID.fullmatch(oid):
                out.append(f"{where}: operationId {oid!r} is not resource.action")
            elif oid in seen:
                out.append(f"{where}: operationId {oid!r} also names {seen[oid]}")
            seen[oid] = where
            out.extend(f"{where}: no {key}" for key in ("summary", "description", "tags") if not op.get(key))
            out.extend(f"{where}: {problem}" for problem in _operation_violations(spec, op))
    return out


def _operation_violations(spec: dict[str, Any], op: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for media_type, media in op.get("requestBody", {}).get("content", {}).items():
        if not _has_example(spec, media):
            out.append(f"no example of the {media_type} request body")
    for status, response in op.get("responses", {}).items():
        content = response.get("content", {})
        if status.startswith("2"):
            out.extend(
                f"no example of its {status} {media_type} response"
                for media_type, media in content.items()
                if not _has_example(spec, media)
            )
        elif status[0] in "45" and set(content) != {"application/problem+json"}:
            out.append(f"{status} is not documented as application/problem+json")
    for param in op.get("parameters", []):
        if param["name"] == "sort" and not _enum_values(spec, param.get("schema", {})):
            out.append("the sort parameter is not an enum")
    return out
