"""The PTZ preset a camera must rest at (issue 13 item 11): a camera the platform reads away from
it, poll after poll, is a suspected change of position (HRB art. 20(6), KMG art. 21(4)).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("devices", sa.Column("ptz_preset", sa.String(length=64), nullable=True), schema="registry")


def downgrade() -> None:
    op.drop_column("devices", "ptz_preset", schema="registry")
