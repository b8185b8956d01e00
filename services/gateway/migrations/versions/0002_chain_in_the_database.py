"""The hash chain kept by the database itself: a BEFORE INSERT trigger takes the register's
lock, numbers the record, links it to the last one and computes its digest; verification
recomputes every digest and link in one set-based query (a million records in seconds).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UTC = """to_char(({col}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def upgrade() -> None:
    fields = ", ".join(
        [
            "r.seq",
            _UTC.format(col="r.recorded_at"),
            "r.officer",
            "r.badge_number",
            "r.bureau",
            "r.role",
            "r.purpose",
            "r.case_number",
            "r.destination",
            "r.camera_id",
            "r.unit_id",
            "r.mode",
            _UTC.format(col="r.range_from"),
            _UTC.format(col="r.range_to"),
            "r.client_address",
            "r.outcome",
            "r.refusal_reason",
            "r.grant_id",
        ]
    )
    for statement in (
        # The digest of one record: the previous record's hash and this record's fields as a
        # JSON array (unambiguous, whatever the fields contain).
        f"""CREATE FUNCTION gateway.use_record_digest(prev text, r gateway.use_register) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT encode(sha256(convert_to(prev || json_build_array({fields})::text, 'UTF8')), 'hex')
        $$""",
        """CREATE FUNCTION gateway.use_register_link() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- One append at a time until commit: the chain stays linear, and the number is
            -- taken under the lock so that register order is chain order.
            PERFORM pg_advisory_xact_lock(hashtext('gateway.use_register'));
            NEW.seq := nextval(pg_get_serial_sequence('gateway.use_register', 'seq'));
            NEW.recorded_at := coalesce(NEW.recorded_at, clock_timestamp());
            NEW.prev_hash := coalesce(
                (SELECT hash FROM gateway.use_register ORDER BY seq DESC LIMIT 1), repeat('0', 64));
            NEW.hash := gateway.use_record_digest(NEW.prev_hash, NEW);
            RETURN NEW;
        END $$""",
        """CREATE TRIGGER use_register_link BEFORE INSERT ON gateway.use_register
            FOR EACH ROW EXECUTE FUNCTION gateway.use_register_link()""",
    ):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER use_register_link ON gateway.use_register")
    op.execute("DROP FUNCTION gateway.use_register_link()")
    op.execute("DROP FUNCTION gateway.use_record_digest(text, gateway.use_register)")
