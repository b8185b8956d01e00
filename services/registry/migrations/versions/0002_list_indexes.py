"""Indexes for device and unit lists at fleet scale: name order, name-contains search.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # pg_trgm is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_devices_name_id", "devices", ["name", "id"], schema="registry")
    op.create_index(
        "ix_devices_name_trgm",
        "devices",
        ["name"],
        schema="registry",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_units_name_trgm",
        "units",
        ["name"],
        schema="registry",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_units_name_trgm", table_name="units", schema="registry")
    op.drop_index("ix_devices_name_trgm", table_name="devices", schema="registry")
    op.drop_index("ix_devices_name_id", table_name="devices", schema="registry")
