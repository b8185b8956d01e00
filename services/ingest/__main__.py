"""`python -m services.ingest`: run the ingest on its port (8002 by default)."""

from jifang.http import serve

if __name__ == "__main__":
    serve("ingest", "services.ingest.app:create_app", "INGEST_", 8002)
