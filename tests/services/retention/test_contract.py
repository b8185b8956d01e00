"""Retention's OpenAPI document holds the API contract (issue 12): operation ids, summaries,
descriptions, tags and examples; every problem as problem+json; enums where a value is one of
a few; the unit routes' two kinds of 503 documented with an example each."""

from __future__ import annotations

from services.retention.app import create_app
from services.retention.settings import RetentionSettings
from tests.contract import contract_violations


def test_the_document_holds_the_contract() -> None:
    spec = create_app(RetentionSettings()).openapi()
    assert contract_violations(spec) == []
    assert {op["operationId"] for ops in spec["paths"].values() for op in ops.values()} >= {
        "channels.list",
        "channels.history",
        "units.get",
        "units.check",
        "summary.get",
    }


def test_a_unit_not_yet_mirrored_and_a_unit_unknown_are_documented() -> None:
    spec = create_app(RetentionSettings()).openapi()
    for path, method in (("/api/v1/units/{unit_id}", "get"), ("/api/v1/units/{unit_id}/checks", "post")):
        responses = spec["paths"][path][method]["responses"]
        assert "404" in responses
        examples = responses["503"]["content"]["application/problem+json"]["examples"]
        assert examples["not-yet-known"]["value"]["type"] == "/problems/not-yet-known"
        assert "Retry-After" in responses["503"]["headers"]


def test_verdict_and_grouping_are_enums() -> None:
    spec = create_app(RetentionSettings()).openapi()
    schemas = spec["components"]["schemas"]
    params = {p["name"]: p for p in spec["paths"]["/api/v1/channels"]["get"]["parameters"]}
    assert "Verdict" in str(params["verdict"]["schema"])
    assert schemas["Verdict"]["enum"] == ["compliant", "violating", "not_yet_due", "cannot_verify"]
    (by,) = spec["paths"]["/api/v1/summary"]["get"]["parameters"]
    assert by["schema"]["$ref"] == "#/components/schemas/SummaryGrouping"
    assert schemas["SummaryGrouping"]["enum"] == ["district", "category"]
