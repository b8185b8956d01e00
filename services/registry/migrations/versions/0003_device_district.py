"""Devices carry their unit's district, indexed: police lists filter fleets by district.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("devices", sa.Column("district", sa.String(100), nullable=True), schema="registry")
    op.execute(
        "UPDATE registry.devices d SET district = u.district FROM registry.units u WHERE u.id = d.unit_id"
    )
    op.alter_column("devices", "district", nullable=False, schema="registry")
    op.create_index(
        "ix_devices_district_created_at", "devices", ["district", "created_at", "id"], schema="registry"
    )


def downgrade() -> None:
    op.drop_index("ix_devices_district_created_at", table_name="devices", schema="registry")
    op.drop_column("devices", "district", schema="registry")
