"""Alembic environment of retention: its own schema and its own version table."""

from __future__ import annotations

from jifang.migrations_env import run_migrations
from services.retention.models import SCHEMA, Base
from services.retention.settings import RetentionSettings

run_migrations(Base.metadata, SCHEMA, lambda: RetentionSettings().database_url)
