"""The gateway's OpenAPI document holds the contract (tests/contract.py): every operation with
a stable id, a summary, a description, tags and examples, every error as problem+json; the
relay's hook, internal, is not in it."""

from __future__ import annotations

from fastapi.routing import iter_route_contexts

from services.gateway.app import create_app
from tests.contract import contract_violations


def test_the_document_holds_the_contract() -> None:
    spec = create_app().openapi()
    assert contract_violations(spec) == []
    operations = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "callups.create",
        "register.list",
        "register.export",
        "register.verify",
        "footage_uses.create",
        "footage_uses.list",
        "footage_uses.verify",
        "alarms.stream",
        "proxy.registry.get",
        "proxy.retention.delete",
    } <= operations


def test_the_relay_hook_is_not_in_the_document() -> None:
    app = create_app()
    assert not [path for path in app.openapi()["paths"] if "relay" in path or "internal" in path]
    # Still served (the relay's requests: test_callups).
    assert "/internal/relay/auth" in {ctx.path for ctx in iter_route_contexts(app.routes)}
