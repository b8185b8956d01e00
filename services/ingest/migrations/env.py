"""Alembic environment of ingest: its own schema and its own version table."""

from __future__ import annotations

from jifang.migrations_env import run_migrations
from services.ingest.models import SCHEMA, Base
from services.ingest.settings import IngestSettings

run_migrations(Base.metadata, SCHEMA, lambda: IngestSettings().database_url)
