"""Schemathesis over retention's OpenAPI with every check (status codes, content types,
headers and bodies as documented, negative data refused, authentication not ignored), over
real HTTP, on scratch data: a database and a broker of their own, the registry retention asks
about units it does not know, and one Harbin unit whose NVR keeps 10 days of the 15 required
(drawn half the time, so that the run reaches the checks, the verdicts and their bodies)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jifang.auth import Role
from jifang.migrate import upgrade_async
from services.registry.settings import RegistrySettings
from services.retention import ALEMBIC_INI
from services.retention.app import create_app
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth, served_over_http
from tests.scratch import schemathesis_all_checks, scratch_broker, scratch_registry
from tests.services.registry.factories import create_unit
from tests.services.retention.test_app import PASSWORD, create_nvr, settings_for, wait_mirrored


@dataclass(frozen=True)
class Scratch:
    url: str
    unit_id: str
    recorder_id: str


@pytest.fixture
async def nvr() -> AsyncIterator[SimDevice]:
    fleet = Fleet()
    await fleet.start([SimDevice("fuzz-nvr", kind="nvr", password=PASSWORD)])
    await fleet.update("fuzz-nvr", {"recordings": [{"days": 10}]})
    yield fleet.devices["fuzz-nvr"]
    await fleet.stop()


@pytest.fixture
async def retention(
    scratch_database_url: str,
    registry_settings: RegistrySettings,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    nvr: SimDevice,
    tmp_path: Path,
) -> AsyncIterator[Scratch]:
    tech = auth(token(Role.TECH_OFFICE))
    async with (
        scratch_broker(tmp_path / "broker.log") as bootstrap,
        scratch_registry(registry_settings, scratch_database_url, bootstrap) as registry_url,
        httpx.AsyncClient(base_url=registry_url) as registry,
    ):
        unit = await create_unit(registry, tech)
        recorder = await create_nvr(registry, tech, unit["id"], nvr)
        await upgrade_async(ALEMBIC_INI, scratch_database_url)
        settings = settings_for(
            scratch_database_url, bootstrap, registry_url, token, signing_keys, checks_enabled=False
        )
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            served_over_http(app) as url,
            httpx.AsyncClient(base_url=url) as c,
        ):
            await wait_mirrored(c, tech, unit["id"])
            checked = await c.post(f"/api/v1/units/{unit['id']}/checks", headers=tech)
            assert checked.status_code == 200 and checked.json()["verdict"] == "violating", checked.text
            yield Scratch(url, unit["id"], recorder["id"])


def drawn_half_the_time(scratch: Scratch) -> str:
    """schemathesis.toml: the scratch unit, recorder and recording drawn for their parameters
    half the time (generated values the other half)."""
    dictionaries = {"units": scratch.unit_id, "recorders": scratch.recorder_id, "recordings": "Recording_1"}
    bindings = {
        "path.unit_id": "units",
        "query.unit_id": "units",
        "path.recorder_id": "recorders",
        "path.recording_token": "recordings",
    }
    return "".join(
        [f'[dictionaries.{name}]\nvalues = ["{value}"]\n' for name, value in dictionaries.items()]
        + ["[parameters]\n"]
        + [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}\n' for key, name in bindings.items()]
    )


@pytest.mark.slow
@pytest.mark.parametrize("role", [Role.TECH_OFFICE, Role.UNIT_ADMIN])
async def test_every_check_passes(
    retention: Scratch, token: TokenFactory, role: Role, tmp_path: Path
) -> None:
    # The unit administrator is the scratch unit's: its own unit answers, any other 403.
    bearer = token(role, unit_id=retention.unit_id) if role == Role.UNIT_ADMIN else token(role)
    report = await schemathesis_all_checks(
        f"{retention.url}/openapi.json", bearer, tmp_path, config=drawn_half_the_time(retention)
    )
    assert report is None, report
