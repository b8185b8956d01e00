"""How each system or channel is declared to record, the maintenance windows units declare,
and the function that turns a declaration into the recording time of a span (issue 13 item
13): gaps outside declared recording time, or inside declared maintenance, are not
interruptions (HRB art. 20(5), KMG art. 19).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The time a declaration says is recorded within [from_ts, to_ts): all of it (continuous), none
# (event: footage only on events), or the slots of its schedule, in the unit's local time; a
# slot whose end is not after its start runs into the next day. STABLE: it reads the time zone
# rules.
RECORDING_TIME = """
CREATE FUNCTION retention.recording_time(declaration jsonb, tz text, from_ts timestamptz, to_ts timestamptz)
RETURNS tstzmultirange LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE coalesce(declaration->>'mode', 'continuous')
    WHEN 'continuous' THEN tstzmultirange(tstzrange(from_ts, to_ts))
    WHEN 'event' THEN '{}'::tstzmultirange
    ELSE coalesce((
      SELECT range_agg(tstzrange(
        (d + (s->>'start')::time) AT TIME ZONE tz,
        (d + (s->>'end')::time
           + CASE WHEN (s->>'end')::time <= (s->>'start')::time THEN interval '1 day' ELSE interval '0' END
        ) AT TIME ZONE tz))
      FROM generate_series(
             ((from_ts AT TIME ZONE tz)::date - 1)::timestamp,
             ((to_ts AT TIME ZONE tz)::date)::timestamp,
             interval '1 day') AS d,
           jsonb_array_elements(declaration->'schedule') AS s
      WHERE extract(isodow FROM d)::int IN (SELECT jsonb_array_elements_text(s->'days')::int)
    ), '{}'::tstzmultirange) * tstzmultirange(tstzrange(from_ts, to_ts))
  END
$$
"""


def upgrade() -> None:
    op.add_column(
        "systems",
        sa.Column("recording", postgresql.JSONB(none_as_null=True), nullable=True),
        schema="retention",
    )
    op.add_column(
        "devices",
        sa.Column("recording", postgresql.JSONB(none_as_null=True), nullable=True),
        schema="retention",
    )
    op.create_table(
        "maintenance_windows",
        sa.Column("window_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("device_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=False),
        sa.PrimaryKeyConstraint("window_id", name=op.f("pk_maintenance_windows")),
        schema="retention",
    )
    op.create_index(
        op.f("ix_retention_maintenance_windows_unit_id"),
        "maintenance_windows",
        ["unit_id"],
        unique=False,
        schema="retention",
    )
    op.execute(RECORDING_TIME)


def downgrade() -> None:
    op.execute("DROP FUNCTION retention.recording_time(jsonb, text, timestamptz, timestamptz)")
    op.drop_index(
        op.f("ix_retention_maintenance_windows_unit_id"), table_name="maintenance_windows", schema="retention"
    )
    op.drop_table("maintenance_windows", schema="retention")
    op.drop_column("devices", "recording", schema="retention")
    op.drop_column("systems", "recording", schema="retention")
