"""Issue 14, items 4 and 11 (call-up input): what an officer's console, or anyone holding a
token, can put in a call-up or the relay's hook.

Item 4: a NUL in `purpose` was a 500, with no register record, the register-failure counter
raised (it pages the on-call through the critical alert) and the officer's badge, purpose and
case number in the log's traceback; a lone surrogate in the relay hook's `password` or `query`
was a 500. Each is now a 4xx naming the field (or 401 for a token), and nothing of a call-up
reaches a log.

Item 11: fields empty but for whitespace and invisible characters (a zero-width space) were
granted; a live call-up carried a time range; an officer called up any city's cameras. Each is
now refused, and registered like every refusal, with its register number."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx
import pytest

from jifang.auth import Role
from jifang.logging import JsonFormatter
from services.gateway.app import create_app
from tests.conftest import TokenFactory, auth, metric_value
from tests.services.gateway.conftest import (  # noqa: F401 - fixtures
    callup,
    camera,
    gateway,
    gateway_settings,
    hook,
    migrated,
)
from tests.services.registry.factories import create_device, create_unit

JSON = {"Content-Type": "application/json"}


async def post_raw(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    """A body as JSON escapes write it: a lone surrogate as \\ud800 (httpx would not encode it)."""
    return await client.post(path, content=json.dumps(body), headers={**headers, **JSON})


def fields_and_rules(r: httpx.Response) -> set[tuple[str, str]]:
    return {(e["field"], e["rule"]) for e in r.json()["errors"]}


async def register_row(gw: httpx.AsyncClient, token: TokenFactory, seq: int, camera_id: str) -> Any:
    """The register's record ``seq``, as the auditor reads it."""
    r = await gw.get(
        "/api/v1/register", params={"camera_id": camera_id, "limit": 500}, headers=auth(token(Role.AUDITOR))
    )
    return next(item for item in r.json()["items"] if item["seq"] == seq)


async def test_text_the_register_cannot_hold_is_refused_naming_the_field(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """NUL characters and lone surrogates in the call-up's text: 422 naming the field, nothing
    written, no register failure counted, and no badge, purpose, case number or destination in
    any log record (as the service writes it, tracebacks and extra fields included) at any level,
    SQLAlchemy's statement log included."""
    caplog.set_level(logging.DEBUG)
    marker = uuid.uuid4().hex[:8]
    badge, purpose = f"HRB-{marker}", f"追查{marker}"
    case, destination = f"A{marker}", f"南岗分局{marker}"
    operator = auth(token(Role.POLICE_OPERATOR, badge_number=badge))
    personal = {"purpose": purpose, "case_number": case, "destination": destination}
    for name in ("purpose", "case_number", "destination"):
        for bad, rule in (("\x00", "no-nul-characters"), ("\ud800", "string_unicode")):
            body = callup(camera["id"], **{**personal, name: personal[name] + bad})
            r = await post_raw(gateway, "/api/v1/callups", body, operator)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
            assert fields_and_rules(r) == {(f"body.{name}", rule)}
    # The same officer's call-ups that are written, granted and refused.
    granted = await gateway.post("/api/v1/callups", json=callup(camera["id"], **personal), headers=operator)
    assert granted.status_code == 201, granted.text
    refused = await gateway.post(
        "/api/v1/callups", json=callup(str(uuid.uuid4()), **personal), headers=operator
    )
    assert refused.status_code == 404 and refused.json()["use_seq"] > granted.json()["use_seq"]
    metrics = (await gateway.get("/metrics")).text
    assert metric_value(metrics, "gateway_register_write_failures_total") == 0

    written = [JsonFormatter("gateway").format(record) for record in caplog.records]
    # The log was listening: the call-ups' own request lines are in it.
    assert sum('"route": "/api/v1/callups"' in line for line in written) >= 8
    leaked = [line for line in written if any(v in line for v in (badge, marker))]
    assert leaked == []


async def test_a_register_failure_logs_nothing_of_the_call_up(
    migrated: str,  # noqa: F811
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    camera: dict[str, Any],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The register refuses the write (here: the service acting as a role that may read it and
    not append to it, a misconfigured deployment): no grant, the failure counted and logged with
    its traceback, and nothing of the call-up in that traceback (the statement's values are
    left out of the database's errors)."""
    settings = gateway_settings(
        migrated, bootstrap, registry_url, token, signing_keys, database_role="pg_read_all_data"
    )
    app = create_app(settings)
    # The server's own answer to an error it did not expect (ASGITransport would raise it).
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gw") as gw,
    ):
        # The service set up its logging as it starts (its handler alone on the root): listen too.
        logging.getLogger().addHandler(caplog.handler)
        caplog.set_level(logging.DEBUG)
        marker = uuid.uuid4().hex[:8]
        operator = auth(token(Role.POLICE_OPERATOR, badge_number=f"HRB-{marker}"))
        body = callup(camera["id"], purpose=f"追查{marker}", case_number=f"A{marker}", destination=marker)
        r = await gw.post("/api/v1/callups", json=body, headers=operator)
        assert r.status_code >= 500 and "token" not in r.json()
        metrics = (await gw.get("/metrics")).text
        assert metric_value(metrics, "gateway_register_write_failures_total") == 1
    written = [JsonFormatter("gateway").format(record) for record in caplog.records]
    failure = [line for line in written if "permission denied" in line]
    assert failure and "INSERT INTO gateway.use_register" in failure[0]
    assert [line for line in written if marker in line] == []


async def test_a_token_whose_claims_the_register_cannot_hold_is_refused(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
) -> None:
    """The officer's badge, bureau and subject go into the register: a claim with a control
    character, or longer than its column, is an invalid token (401), not a register failure."""
    for claims in (
        {"badge_number": "HRB-\x00001"},
        {"badge_number": "HRB-" + "9" * 60},
        {"bureau": "哈尔滨市公安局\x07"},
        {"subject": "officer-" + "x" * 200},
        {"jurisdiction": 2008},
    ):
        r = await gateway.post(
            "/api/v1/callups", json=callup(camera["id"]), headers=auth(token(Role.POLICE_OPERATOR, **claims))
        )
        assert r.status_code == 401 and "Invalid token: the claim" in r.json()["detail"], (claims, r.text)
    metrics = (await gateway.get("/metrics")).text
    assert metric_value(metrics, "gateway_register_write_failures_total") == 0


@pytest.mark.parametrize("field", ["password", "query", "token", "user", "path", "action", "id"])
async def test_the_relay_hook_refuses_what_is_no_text(
    gateway: httpx.AsyncClient,  # noqa: F811
    field: str,
) -> None:
    """MediaMTX's request with a lone surrogate in any field: 422 naming it (the relay reads any
    answer but 200 as "no"), not a 500."""
    body = {**hook("eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "cam/x"), field: "token=\ud800"}
    r = await post_raw(gateway, "/internal/relay/auth", body, {})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == [f"body.{field}"]


async def test_a_grant_is_ascii_or_none(gateway: httpx.AsyncClient, camera: dict[str, Any]) -> None:  # noqa: F811
    """Text that is Unicode but no JWT (a grant is ASCII throughout) is no grant: 401."""
    for password in ("令牌.令牌.令牌", "eyJhbGciOiJIUzI1NiJ9.e30.é"):
        r = await gateway.post("/internal/relay/auth", json=hook(password, f"cam/{camera['id']}"))
        assert r.status_code == 401


async def test_fields_that_show_nothing_are_refused_and_registered(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
) -> None:
    """Blanks and invisible characters (zero-width space U+200B, word joiner U+2060, byte order
    mark U+FEFF, direction marks) say nothing: the call-up is refused naming each field, and
    the refusal is registered."""
    operator = auth(token(Role.POLICE_OPERATOR))
    body = callup(camera["id"], purpose="\u200b\u200b", case_number=" \u2060 ", destination="\ufeff\u200e")
    r = await gateway.post("/api/v1/callups", json=body, headers=operator)
    assert r.status_code == 422, r.text
    assert fields_and_rules(r) == {
        ("purpose", "required"),
        ("case_number", "required"),
        ("destination", "required"),
    }
    row = await register_row(gateway, token, r.json()["use_seq"], camera["id"])
    assert row["outcome"] == "refused" and "purpose" in row["refusal_reason"]
    # Visible text around an invisible character is text.
    ok = await gateway.post(
        "/api/v1/callups", json=callup(camera["id"], purpose="追查\u200b嫌疑人"), headers=operator
    )
    assert ok.status_code == 201, ok.text


async def test_a_live_call_up_takes_no_range(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
) -> None:
    """A live call-up is now: a range on it (which the grant would carry) is refused, registered."""
    operator = auth(token(Role.POLICE_OPERATOR))
    body = callup(camera["id"], mode="live", range_from="2026-01-01T00:00:00+08:00")
    r = await gateway.post("/api/v1/callups", json=body, headers=operator)
    assert r.status_code == 422 and fields_and_rules(r) == {("range_from", "live-without-range")}
    row = await register_row(gateway, token, r.json()["use_seq"], camera["id"])
    assert row["outcome"] == "refused" and row["mode"] == "live"
    body = callup(camera["id"], range_from="2026-01-01T00:00:00+08:00", range_to="2026-01-01T01:00:00+08:00")
    r = await gateway.post("/api/v1/callups", json=body, headers=operator)  # live by default
    assert r.status_code == 422
    assert fields_and_rules(r) == {("range_from", "live-without-range"), ("range_to", "live-without-range")}


async def test_an_officer_calls_up_its_own_jurisdiction(
    gateway: httpx.AsyncClient,  # noqa: F811
    client: httpx.AsyncClient,
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
) -> None:
    """A `police_operator` calls up the cameras of its bureau's jurisdiction: the city its
    token's `jurisdiction` claim names (the policy pack id of the cameras' units) and, for an
    officer of a district bureau, the district its `district` claim names. Across jurisdictions
    a `police_supervisor` may; every call-up, either way, is registered."""
    tech = auth(token(Role.TECH_OFFICE))
    kunming_unit = await create_unit(client, tech, jurisdiction="kunming-2012", district="五华区")
    kunming_camera = await create_device(
        client, tech, kunming_unit["id"], onvif_address="http://192.0.2.11/onvif/device_service"
    )
    harbin_district = camera["district"]
    harbin_city = auth(token(Role.POLICE_OPERATOR))  # 哈尔滨市公安局: harbin-2008, every district
    kunming = auth(token(Role.POLICE_OPERATOR, bureau="昆明市公安局", jurisdiction="kunming-2012"))
    in_district = auth(token(Role.POLICE_OPERATOR, bureau="南岗分局", district=harbin_district))
    other_district = auth(token(Role.POLICE_OPERATOR, bureau="道里分局", district="道里区"))
    no_claim = auth(token(Role.POLICE_OPERATOR, jurisdiction=None))
    supervisor = auth(token(Role.POLICE_SUPERVISOR))  # of Harbin

    async def call_up(cam: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await gateway.post("/api/v1/callups", json=callup(cam["id"]), headers=headers)

    for cam, headers in ((camera, harbin_city), (camera, in_district), (kunming_camera, kunming)):
        assert (await call_up(cam, headers)).status_code == 201
    for cam, headers in ((kunming_camera, harbin_city), (camera, kunming), (camera, other_district)):
        r = await call_up(cam, headers)
        assert r.status_code == 403, r.text
        assert "needs police_supervisor" in r.json()["detail"]
        row = await register_row(gateway, token, r.json()["use_seq"], cam["id"])
        assert row["outcome"] == "refused" and row["role"] == "police_operator"
        assert "jurisdiction" in row["refusal_reason"]
    r = await call_up(camera, no_claim)
    assert r.status_code == 403 and "names no jurisdiction" in r.json()["detail"]
    crossing = await call_up(kunming_camera, supervisor)
    assert crossing.status_code == 201, crossing.text
    row = await register_row(gateway, token, crossing.json()["use_seq"], kunming_camera["id"])
    assert row["outcome"] == "granted" and row["role"] == "police_supervisor"
