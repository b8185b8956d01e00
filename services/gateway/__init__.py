"""Gateway: the police real-time access API (call-up of live video and playback), with every
use registered in an append-only, hash-chained register before any image is handed out."""

from pathlib import Path

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"
