"""`python -m services.ingest`: run the ingest on its port (8002 by default)."""

from jifang.http import serve
from services.ingest.settings import IngestSettings

if __name__ == "__main__":
    serve("services.ingest.app:create_app", IngestSettings())
