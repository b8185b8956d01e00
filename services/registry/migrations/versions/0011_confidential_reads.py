"""Who read which confidential material, when (HRB art. 18, 19 para. 1; KMG art. 18); whether an
acceptance record says the tech office was notified to attend (KMG art. 14 para. 1).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "confidential_reads",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "unit_id",
            UUID(as_uuid=True),
            sa.ForeignKey("registry.units.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("filing_id", UUID(as_uuid=True), nullable=False),
        sa.Column("material_id", UUID(as_uuid=True), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("roles", ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        schema="registry",
    )
    op.create_index(
        op.f("ix_registry_confidential_reads_unit_id"), "confidential_reads", ["unit_id"], schema="registry"
    )
    op.add_column(
        "systems", sa.Column("acceptance_police_notified", sa.Boolean(), nullable=True), schema="registry"
    )


def downgrade() -> None:
    op.drop_column("systems", "acceptance_police_notified", schema="registry")
    op.drop_index(
        op.f("ix_registry_confidential_reads_unit_id"), table_name="confidential_reads", schema="registry"
    )
    op.drop_table("confidential_reads", schema="registry")
