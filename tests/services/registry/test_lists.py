"""The lists' sort: each allowed field in both directions, '-' the exact reverse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from jifang.auth import Role
from services.registry.devices.schemas import DeviceSort
from services.registry.pagination import SortOrder
from services.registry.units.schemas import UnitSort
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit, unique


def _key(item: dict[str, Any], field: str) -> Any:
    value = item[field]
    return datetime.fromisoformat(value) if field.endswith("_at") else value


async def _check_every_sort(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    path: str,
    params: dict[str, str],
    sorts: type[SortOrder],
) -> None:
    ids: dict[str, list[str]] = {}
    for sort in sorts:
        r = await client.get(path, params={**params, "sort": sort.value}, headers=headers)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        keys = [_key(i, sort.field) for i in items]
        assert keys == sorted(keys, reverse=sort.descending), sort
        ids[sort.value] = [i["id"] for i in items]
    for sort in sorts:
        if not sort.descending:
            assert len(ids[sort.value]) == 3
            assert ids[f"-{sort.value}"] == ids[sort.value][::-1], sort


def test_each_field_is_allowed_both_ways() -> None:
    assert [s.value for s in UnitSort] == [
        "name",
        "created_at",
        "district",
        "-name",
        "-created_at",
        "-district",
    ]
    assert {(s.field, s.descending) for s in DeviceSort} == {
        (f, d) for f in ("created_at", "name", "status") for d in (False, True)
    }


async def test_units_sort_by_each_allowed_field(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    district = unique("排序区")
    for first in "cab":  # created in another order than their names'
        await create_unit(client, tech, name=unique(f"{first}单位"), district=district)
    await _check_every_sort(client, tech, "/api/v1/units", {"district": district}, UnitSort)


async def test_devices_sort_by_each_allowed_field(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    for first in "cab":
        await create_device(client, tech, unit["id"], name=unique(f"{first}摄像机"))
    await _check_every_sort(client, tech, "/api/v1/devices", {"unit_id": unit["id"]}, DeviceSort)
