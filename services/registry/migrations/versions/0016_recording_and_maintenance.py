"""How each system (or camera channel) is declared to record, and the maintenance windows a
unit declares beforehand (issue 13 item 13): gaps outside declared recording time and outages
inside declared maintenance are not interruptions (HRB art. 20(5), KMG art. 19).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "systems",
        sa.Column(
            "recording",
            postgresql.JSONB(),
            server_default=sa.text("""'{"mode": "continuous", "schedule": []}'::jsonb"""),
            nullable=False,
        ),
        schema="registry",
    )
    op.add_column("devices", sa.Column("recording", postgresql.JSONB(), nullable=True), schema="registry")
    op.create_table(
        "maintenance_windows",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "unit_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("registry.units.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("device_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=200), nullable=True),
        schema="registry",
    )
    op.create_index(
        "ix_maintenance_windows_unit_ends",
        "maintenance_windows",
        ["unit_id", "ends_at"],
        schema="registry",
    )


def downgrade() -> None:
    op.drop_index("ix_maintenance_windows_unit_ends", table_name="maintenance_windows", schema="registry")
    op.drop_table("maintenance_windows", schema="registry")
    op.drop_column("devices", "recording", schema="registry")
    op.drop_column("systems", "recording", schema="registry")
