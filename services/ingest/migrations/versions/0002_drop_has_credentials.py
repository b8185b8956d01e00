"""watched devices: drop has_credentials (nobody read it: credentials come from the registry)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("watched_devices", "has_credentials", schema="ingest")


def downgrade() -> None:
    op.add_column(
        "watched_devices",
        sa.Column("has_credentials", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema="ingest",
    )
