"""What every event carries (``jifang.v1.EventMeta``), built in one place."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from jifang.logging import request_id_var
from jifang.v1 import common_pb2


def event_meta(producer: str, jurisdiction: str) -> common_pb2.EventMeta:
    """A new event id, the time, the producing service and the request that caused it."""
    meta = common_pb2.EventMeta(
        event_id=str(uuid.uuid4()),
        producer=producer,
        request_id=request_id_var.get() or "",
        jurisdiction=jurisdiction,
    )
    meta.occurred_at.FromDatetime(datetime.now(UTC))
    return meta
