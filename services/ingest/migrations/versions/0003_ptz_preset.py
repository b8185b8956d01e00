"""watched devices: the PTZ preset a camera must rest at, as the registry holds it (a camera
away from it is a suspected change of position, HRB art. 20(6), KMG art. 21(4))

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "watched_devices", sa.Column("ptz_preset", sa.String(length=64), nullable=True), schema="ingest"
    )


def downgrade() -> None:
    op.drop_column("watched_devices", "ptz_preset", schema="ingest")
