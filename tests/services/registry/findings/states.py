"""Ingest's device states as the registry's findings tests send them, and the findings they
read back (shared by the outage and position tests, and ingest's end-to-end position test)."""

from __future__ import annotations

from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from jifang.events import event_meta
from jifang.topics import STATE_TOPIC
from jifang.v1 import ingest_pb2


def state(device: dict[str, Any], jurisdiction: str = "harbin-2008") -> ingest_pb2.DeviceStateChange:
    """A state change of ``device`` (a registry device as the API returns it), its body unset."""
    return ingest_pb2.DeviceStateChange(
        meta=event_meta("ingest", jurisdiction), device_id=device["id"], unit_id=device["unit_id"]
    )


async def send(producer: AIOKafkaProducer, *events: ingest_pb2.DeviceStateChange) -> None:
    """On ingest's topic, keyed by the device as ingest keys them: a device's in order."""
    for e in events:
        await producer.send_and_wait(STATE_TOPIC, e.SerializeToString(), key=e.device_id.encode())


async def findings_of(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str, rule: str
) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/findings", params={"unit_id": unit_id, "rule": rule}, headers=tech)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items
