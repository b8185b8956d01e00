"""Alembic environment of the registry: its own schema and its own version table."""

from __future__ import annotations

from jifang.migrations_env import run_migrations
from services.registry.models import SCHEMA, Base
from services.registry.settings import RegistrySettings

run_migrations(Base.metadata, SCHEMA, lambda: RegistrySettings().database_url)
