"""Filing materials' bytes in the database (every registry replica serves them).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "filing_material_blobs",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_filing_material_blobs")),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_table("filing_material_blobs", schema="registry")
