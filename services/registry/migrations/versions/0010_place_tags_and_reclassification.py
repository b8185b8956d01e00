"""What a place is (tags among its category's), and the mark a place carries when its unit moved
to a pack without a truly corresponding category: re-classified by the tech office, not mapped
by a guess.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "places",
        sa.Column("tags", ARRAY(sa.String(length=50)), nullable=False, server_default=sa.text("'{}'")),
        schema="registry",
    )
    op.add_column(
        "places", sa.Column("reclassify_from", sa.String(length=200), nullable=True), schema="registry"
    )


def downgrade() -> None:
    op.drop_column("places", "reclassify_from", schema="registry")
    op.drop_column("places", "tags", schema="registry")
