"""The demo fleet of `make run`: simulated devices registered once in the registry, under a
Harbin unit and a Kunming unit, so that a newcomer sees health flowing."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from jifang.identifiers import make_uscc

DEMO_UNITS = [
    {
        "name": "演示单位 哈尔滨银行南岗支行",
        "uscc": make_uscc("91230100", "DEM0HRB1"),
        "address": "哈尔滨市南岗区",
        "district": "南岗区",
        "is_business": True,
        "security_affiliation": "none",
        "jurisdiction": "harbin-2008",
    },
    {
        "name": "演示单位 昆明市第一医院",
        "uscc": make_uscc("12530100", "DEM0KMG1"),
        "address": "昆明市五华区",
        "district": "五华区",
        "is_business": False,
        "security_affiliation": "none",
        "jurisdiction": "kunming-2012",
    },
]


def ensure_demo_fleet(registry_url: str, token: str, devices: list[dict[str, Any]]) -> int:
    """Register the simulated devices that are not registered yet; return how many were added."""
    with httpx.Client(
        base_url=registry_url.rstrip("/") + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ) as c:
        unit_codes = []
        for unit in DEMO_UNITS:
            r = c.post("/units", json=unit)
            if r.status_code not in (201, 409):
                r.raise_for_status()
            unit_codes.append(unit["uscc"])
        known = {d["onvif_address"] for d in _all_devices(c)}
        # Cameras alternate between the units; so do the NVRs (40 days, 10 days, 40 days with a
        # gap, ...), so that each city's retention rule meets compliant and violating recorders.
        nvr_rank = {d["device_id"]: k for k, d in enumerate(x for x in devices if x["kind"] == "nvr")}
        rows = [
            [
                unit_codes[nvr_rank[d["device_id"]] % 2 if d["kind"] == "nvr" else i % 2],
                d["kind"],
                d["device_id"],
                "entrance" if d["kind"] == "camera" else "server_room",
                d["onvif_address"],
                d["username"],
                d["password"],
            ]
            for i, d in enumerate(devices)
            if d["onvif_address"] not in known
        ]
        if not rows:
            return 0
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["unit_uscc", "kind", "name", "location_type", "onvif_address", "username", "password"])
        w.writerows(rows)
        r = c.post("/imports/devices", content=buf.getvalue().encode(), headers={"Content-Type": "text/csv"})
        r.raise_for_status()
        return int(r.json()["imported"])


def _all_devices(c: httpx.Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = c.get("/devices", params={"limit": 500, "offset": len(out)}).json()
        out.extend(page["items"])
        if not page["items"] or len(out) >= page["total"]:
            return out
