from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer

from jifang.kafka import create_producer


@pytest.fixture
async def producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """A producer on the test broker, as ingest publishes (no idempotence: Tansu refuses it)."""
    p = create_producer(bootstrap, enable_idempotence=False)
    await p.start()
    yield p
    await p.stop()
