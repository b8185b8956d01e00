"""Place types the tech office adds to a pack's forbidden-camera list, which ends in 等 (HRB
art. 19 para. 2, KMG art. 7; ruling 5), each with its reason.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jifang.policy import LocationType

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forbidden_place_additions",
        sa.Column("jurisdiction", sa.String(length=50), primary_key=True),
        sa.Column(
            "location_type",
            sa.Enum(
                *[t.value for t in LocationType],
                name="locationtype",
                native_enum=False,
                create_constraint=True,
                length=40,
                schema="registry",
            ),
            primary_key=True,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_table("forbidden_place_additions", schema="registry")
