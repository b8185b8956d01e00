"""What was stored before the registry refused it (issue 14 items 7 and 9): credentials inside
device addresses (``http://user:pass@...``, ``?password=...``) are removed, and the file names
of filing materials and rule documents are made safe as uploads are now. No column changes.

The credentials in an address were never used to reach a device (ingest signs its ONVIF calls
with the device's own ``username`` and ``password``), so removing them loses nothing a poll
needs; the device's event carries the cleaned address the next time the device changes.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jifang.addresses import credential_in, strip_credentials
from jifang.downloads import safe_filename

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _clean_addresses(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.text("SELECT id, onvif_address FROM registry.devices WHERE onvif_address IS NOT NULL")
    ).all()
    for device_id, address in rows:
        if credential_in(address) is not None:
            bind.execute(
                sa.text("UPDATE registry.devices SET onvif_address = :a WHERE id = :id"),
                {"a": strip_credentials(address), "id": device_id},
            )


def _clean_filenames(bind: sa.Connection, table: str, fallback_column: str) -> None:
    rows = bind.execute(
        sa.text(f"SELECT id, filename, content_type, {fallback_column} FROM registry.{table}")
    ).all()
    for row_id, filename, content_type, fallback in rows:
        safe = safe_filename(filename, content_type, str(fallback))
        if safe != filename:
            bind.execute(
                sa.text(f"UPDATE registry.{table} SET filename = :f WHERE id = :id"),
                {"f": safe, "id": row_id},
            )


def upgrade() -> None:
    bind = op.get_bind()
    _clean_addresses(bind)
    _clean_filenames(bind, "filing_materials", "code")
    _clean_filenames(bind, "management_rule_documents", "kind")


def downgrade() -> None:
    """Nothing to undo: the removed credentials and characters are not kept anywhere."""
