"""The committed event classes equal what `make proto` generates from proto/."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from google.protobuf import symbol_database

import jifang.v1
from devtools.protogen import ROOT, generate
from jifang.topics import catalogue
from jifang.v1 import registry_pb2


def test_generated_code_matches_proto_files(tmp_path: Path) -> None:
    fresh = generate(tmp_path)
    assert fresh, "protoc generated nothing"
    for path in fresh:
        committed = ROOT / path.relative_to(tmp_path)
        assert committed.exists(), f"{committed} is missing: run `make proto`"
        assert committed.read_bytes() == path.read_bytes(), f"{committed} is stale: run `make proto`"


def test_every_topic_names_a_message_that_exists() -> None:
    for module in pkgutil.iter_modules(jifang.v1.__path__):
        importlib.import_module(f"jifang.v1.{module.name}")
    db = symbol_database.Default()
    assert registry_pb2.RegistryEvent.DESCRIPTOR.full_name == "jifang.v1.RegistryEvent"
    for spec in catalogue().values():
        assert db.GetSymbol(spec.message) is not None
        assert spec.partitions >= 1 and spec.retention_ms > 0
