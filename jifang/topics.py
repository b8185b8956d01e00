"""The topic catalogue, read from ``proto/topics.yaml`` (the one place topics are listed)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

TOPICS_FILE = Path(
    os.environ.get("JIFANG_TOPICS_FILE", Path(__file__).resolve().parent.parent / "proto" / "topics.yaml")
)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    owner: str
    message: str
    key: str
    partitions: int
    retention_ms: int
    replication_factor_local: int = 1


@cache
def catalogue(path: Path = TOPICS_FILE) -> dict[str, TopicSpec]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs = [TopicSpec(**entry) for entry in raw["topics"]]
    return {s.name: s for s in specs}


def topic(name: str) -> TopicSpec:
    return catalogue()[name]


REGISTRY_TOPIC = "jifang.registry.v1"
HEALTH_TOPIC = "jifang.device-health.v1"
METADATA_TOPIC = "jifang.stream-metadata.v1"
STATE_TOPIC = "jifang.device-state.v1"
ALARM_TOPIC = "jifang.device-alarms.v1"
RETENTION_TOPIC = "jifang.retention.v1"
