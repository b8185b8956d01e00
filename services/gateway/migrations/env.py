"""Alembic environment of the gateway: its own schema and its own version table."""

from __future__ import annotations

from jifang.migrations_env import run_migrations
from services.gateway.models import SCHEMA, Base
from services.gateway.settings import GatewaySettings

run_migrations(Base.metadata, SCHEMA, lambda: GatewaySettings().database_url)
