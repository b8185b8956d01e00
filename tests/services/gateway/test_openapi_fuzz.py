"""Schemathesis over the gateway's public OpenAPI document, over real HTTP, with every check
(`--checks all`): each answer documented, in its documented status, media type, headers and
schema; invalid input refused and valid input accepted; undeclared methods 405. On scratch
data: a database of its own holding the gateway's register and a registry (without its event
relay: nothing of the run reaches the broker's topics), dropped afterwards."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jifang.auth import Role
from jifang.migrate import upgrade_async
from services.gateway import ALEMBIC_INI
from services.gateway.app import create_app
from services.registry.settings import RegistrySettings
from tests.conftest import TokenFactory, auth, served_over_http
from tests.scratch import schemathesis_all_checks, scratch_registry
from tests.services.gateway.conftest import gateway_settings
from tests.services.registry.factories import create_device, create_unit

# Each exception for one operation, and why.
CHECKS = """
[[operations]]
# The retention service is not part of this stack (it would follow the broker's shared
# topics): every forward to it answers the documented 503, which this check calls an error.
include-operation-id-regex = '^proxy\\.retention\\.'
checks.not_a_server_error.enabled = false

[[operations]]
# What a forwarded request must hold is the service's own document's to say: this one cannot
# tell a valid path or body, so "valid data is accepted" has nothing to go by.
include-operation-id-regex = '^proxy\\.'
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "footage_uses.create"
# A unit registers uses of its own cameras' footage, of a past period: business rules no schema
# can state (a generated camera id is no camera of the unit; a generated period may be ahead).
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "alarms.stream"
# An endless stream: read it a moment, then hang up (a few times: each costs that moment).
request-timeout = 0.5
generation.max-examples = 5
# Last-Event-ID is a position the stream itself issued: no schema can tell which strings are
# (any other is refused 422, as documented).
checks.positive_data_acceptance.enabled = false
"""


@dataclass(frozen=True)
class ScratchGateway:
    url: str
    unit_id: str
    camera_id: str


@pytest.fixture
async def scratch_gateway(
    scratch_database_url: str,
    bootstrap: str,
    registry_settings: RegistrySettings,
    token: TokenFactory,
    signing_keys: tuple[str, str],
) -> AsyncIterator[ScratchGateway]:
    await upgrade_async(ALEMBIC_INI, scratch_database_url)
    async with scratch_registry(registry_settings, scratch_database_url) as registry_url:
        async with httpx.AsyncClient(base_url=registry_url) as client:
            tech = auth(token(Role.TECH_OFFICE))
            unit = await create_unit(client, tech)
            camera = await create_device(
                client, tech, unit["id"], onvif_address="http://192.0.2.10/onvif/device_service"
            )
        settings = gateway_settings(
            scratch_database_url,
            bootstrap,
            registry_url,
            token,
            signing_keys,
            # The fuzzer reaches what is behind the rate limit (tested on its own, test_proxy).
            rate_limit_per_s=10_000.0,
            rate_limit_burst=10_000.0,
        )
        gateway = create_app(settings)
        async with gateway.router.lifespan_context(gateway), served_over_http(gateway) as url:
            yield ScratchGateway(url, unit["id"], camera["id"])


# Each role meets the operations as it would: the police call up and follow alarms, the
# auditor reads the registers, a unit administrator reads its own unit's uses and keeps its own
# register; each is refused the rest. The public entry forwards alike whatever the role (the
# service behind applies it): once.
RUNS = [
    (Role.POLICE_OPERATOR, ["--exclude-operation-id-regex", r"^proxy\."]),
    (Role.AUDITOR, []),
    (Role.UNIT_ADMIN, ["--exclude-operation-id-regex", r"^proxy\."]),
]


@pytest.mark.slow
async def test_every_check(scratch_gateway: ScratchGateway, token: TokenFactory, tmp_path: Path) -> None:
    failures: dict[str, str | None] = {}
    for role, selection in RUNS:
        bearer = token(role, unit_id=uuid.uuid4()) if role == Role.UNIT_ADMIN else token(role)
        failures[role.value] = await schemathesis_all_checks(
            f"{scratch_gateway.url}/openapi.json", bearer, tmp_path, *selection, config=CHECKS
        )

    # The documented call-up, for a camera the scratch registry holds (a generated camera id
    # never is one): granted, and the grant as documented.
    async with httpx.AsyncClient(base_url=scratch_gateway.url) as client:
        spec = (await client.get("/openapi.json")).json()
        spec["components"]["schemas"]["CallUpRequest"]["examples"][0]["camera_id"] = scratch_gateway.camera_id
        document = tmp_path / "openapi.json"
        document.write_text(json.dumps(spec))
        failures["granted call-up"] = await schemathesis_all_checks(
            str(document),
            token(Role.POLICE_OPERATOR),
            tmp_path,
            "--url",
            scratch_gateway.url,
            "--include-operation-id",
            "callups.create",
            config=CHECKS,
            phases="examples",
        )
        uses = await client.get(
            "/api/v1/register",
            params={"camera_id": scratch_gateway.camera_id},
            headers=auth(token(Role.AUDITOR)),
        )
        # The documented use of a unit's footage, by the scratch unit's administrator: registered.
        spec["components"]["schemas"]["FootageUseRequest"]["examples"][0]["camera_ids"] = [
            scratch_gateway.camera_id
        ]
        for operation in spec["paths"]["/api/v1/units/{unit_id}/footage-uses"].values():
            next(p for p in operation["parameters"] if p["name"] == "unit_id")["example"] = (
                scratch_gateway.unit_id
            )
        document.write_text(json.dumps(spec))
        unit_admin = token(Role.UNIT_ADMIN, unit_id=scratch_gateway.unit_id)
        failures["registered footage use"] = await schemathesis_all_checks(
            str(document),
            unit_admin,
            tmp_path,
            "--url",
            scratch_gateway.url,
            "--include-operation-id-regex",
            r"^footage_uses\.",
            config=CHECKS,
            phases="examples",
        )
        footage_uses = await client.get(
            f"/api/v1/units/{scratch_gateway.unit_id}/footage-uses", headers=auth(unit_admin)
        )
    assert [u["outcome"] for u in uses.json()["items"]] == ["granted"]
    assert footage_uses.json()["total"] >= 1
    assert all(u["camera_ids"] == [scratch_gateway.camera_id] for u in footage_uses.json()["items"])
    found = {run: report for run, report in failures.items() if report is not None}
    assert not found, "\n\n".join(f"=== {run}\n{report}" for run, report in found.items())
