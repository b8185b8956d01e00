"""What every event carries (``jifang.v1.EventMeta``), built in one place."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime

from jifang.logging import request_id_var
from jifang.v1 import common_pb2

# The writing process: the pod's name in Kubernetes (its hostname) and the pid.
INSTANCE = f"{socket.gethostname()}/{os.getpid()}"


def event_meta(producer: str, jurisdiction: str) -> common_pb2.EventMeta:
    """A new event id, the time, the producing service and the request that caused it."""
    meta = common_pb2.EventMeta(
        event_id=str(uuid.uuid4()),
        producer=producer,
        request_id=request_id_var.get() or "",
        jurisdiction=jurisdiction,
        instance=INSTANCE,
    )
    meta.occurred_at.FromDatetime(datetime.now(UTC))
    return meta
