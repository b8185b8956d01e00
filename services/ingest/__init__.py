"""Ingest: polls ONVIF devices for health and stream metadata, pulls their events, and
publishes all of it to Kafka (issue 3; being built in slices)."""

from pathlib import Path

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"
