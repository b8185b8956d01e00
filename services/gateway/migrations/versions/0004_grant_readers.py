"""The readers the relay admitted on each grant: a grant admits at most
``GATEWAY_GRANT_MAX_READERS`` distinct readers over its lifetime, counted here so that every
gateway replica counts the same. Rows live until their grant has expired; the service's role
removes them (SELECT, INSERT, DELETE: no UPDATE).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grant_readers",
        sa.Column("grant_id", sa.UUID(), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("grant_id", "reader", name=op.f("pk_grant_readers")),
        schema="gateway",
    )
    # The expired rows, found by each admission.
    op.create_index(
        op.f("ix_gateway_grant_readers_expires_at"),
        "grant_readers",
        ["expires_at"],
        unique=False,
        schema="gateway",
    )
    op.execute("GRANT SELECT, INSERT, DELETE ON gateway.grant_readers TO jifang_gateway")


def downgrade() -> None:
    op.drop_table("grant_readers", schema="gateway")
