"""A unit's management rules kept as documents (HRB art. 20(1)-(3); KMG art. 20, 21(1)-(2)),
each version with who uploaded it and when; what an inspection record found of them.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from jifang.policy import ManagementRuleKind

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "management_rule_documents",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "unit_id",
            UUID(as_uuid=True),
            sa.ForeignKey("registry.units.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                *[k.value for k in ManagementRuleKind],
                name="managementrulekind",
                native_enum=False,
                create_constraint=True,
                length=40,
                schema="registry",
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        schema="registry",
    )
    op.create_index(
        op.f("ix_registry_management_rule_documents_unit_id"),
        "management_rule_documents",
        ["unit_id"],
        schema="registry",
    )
    op.create_index(
        "uq_management_rule_documents_current",
        "management_rule_documents",
        ["unit_id", "kind"],
        unique=True,
        schema="registry",
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.add_column("inspections", sa.Column("management_rules", JSONB(), nullable=True), schema="registry")


def downgrade() -> None:
    op.drop_column("inspections", "management_rules", schema="registry")
    op.drop_index(
        "uq_management_rule_documents_current", table_name="management_rule_documents", schema="registry"
    )
    op.drop_index(
        op.f("ix_registry_management_rule_documents_unit_id"),
        table_name="management_rule_documents",
        schema="registry",
    )
    op.drop_table("management_rule_documents", schema="registry")
