"""Retention: checks from each recorder's own ONVIF Profile G index that every unit keeps its
footage for the days its policy pack requires, and reports gaps and deletions (issue 4)."""

from pathlib import Path

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"
