"""Test data built through the API, with unique names so that tests isolate themselves."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx

from jifang.identifiers import USCC_ALPHABET, make_uscc

_rng = random.Random()


def new_uscc() -> str:
    body = "".join(_rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY"[:10] + "ABCDEFGH") for _ in range(8))
    assert all(c in USCC_ALPHABET for c in body)
    return make_uscc("91230100", body)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def create_unit(
    client: httpx.AsyncClient, headers: dict[str, str], jurisdiction: str = "harbin-2008", **over: Any
) -> dict[str, Any]:
    body = {
        "name": unique("测试银行支行"),
        "uscc": new_uscc(),
        "address": "哈尔滨市南岗区红军街1号",
        "district": unique("南岗区"),
        "is_business": True,
        "security_affiliation": "district",
        "affiliation_district": "南岗区",
        "jurisdiction": jurisdiction,
        **over,
    }
    r = await client.post("/api/v1/units", json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def create_device(
    client: httpx.AsyncClient, headers: dict[str, str], unit_id: str, **over: Any
) -> dict[str, Any]:
    """A camera at the unit's entrance; ``over`` sets any field (address, credentials...)."""
    body = {"kind": "camera", "name": unique("摄像机"), "location_type": "entrance", **over}
    r = await client.post(f"/api/v1/units/{unit_id}/devices", json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def create_firm(client: httpx.AsyncClient, headers: dict[str, str], **over: Any) -> dict[str, Any]:
    """A design/construction/maintenance firm (KMG art. 16)."""
    body = {
        "name": unique("昆明示例安防工程有限公司"),
        "uscc": new_uscc(),
        "contact_person": "李工",
        "contact_phone": "0871-63001234",
        **over,
    }
    r = await client.post("/api/v1/firms", json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data
