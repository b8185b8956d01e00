"""Whom a rectification notice goes to: the using unit, or (HRB art. 25) the producer, seller or
maintainer of a product or system whose quality it is about.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "rectification_notices",
        sa.Column("addressee_party", sa.String(length=20), nullable=False, server_default="unit"),
        schema="registry",
    )
    op.add_column(
        "rectification_notices",
        sa.Column("addressee_name", sa.String(length=200), nullable=True),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_column("rectification_notices", "addressee_name", schema="registry")
    op.drop_column("rectification_notices", "addressee_party", schema="registry")
