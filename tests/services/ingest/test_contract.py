"""Ingest's OpenAPI document (its health operations) holds the API contract (issue 12)."""

from __future__ import annotations

from services.ingest.app import create_app
from services.ingest.settings import IngestSettings
from tests.contract import contract_violations


def test_the_document_holds_the_contract() -> None:
    spec = create_app(IngestSettings()).openapi()
    assert contract_violations(spec) == []
    assert {op["operationId"] for ops in spec["paths"].values() for op in ops.values()} == {
        "health.live",
        "health.ready",
        "health.metrics",
    }
