"""Units can be closed (注销), their history kept; the unified social credit code is unique
among active units only.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "units", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True), schema="registry"
    )
    op.add_column("units", sa.Column("closed_on", sa.Date(), nullable=True), schema="registry")
    op.add_column("units", sa.Column("closed_reason", sa.Text(), nullable=True), schema="registry")
    op.add_column("units", sa.Column("closed_by", sa.String(length=200), nullable=True), schema="registry")
    op.drop_constraint("uq_units_uscc", "units", schema="registry", type_="unique")
    op.create_index(
        "uq_units_uscc_active",
        "units",
        ["uscc"],
        unique=True,
        schema="registry",
        postgresql_where=sa.text("closed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_units_uscc_active", table_name="units", schema="registry")
    op.create_unique_constraint("uq_units_uscc", "units", ["uscc"], schema="registry")
    for column in ("closed_by", "closed_reason", "closed_on", "closed_at"):
        op.drop_column("units", column, schema="registry")
