"""`python -m services.retention`: run retention on its port (8003 by default)."""

from jifang.http import serve

if __name__ == "__main__":
    serve("retention", "services.retention.app:create_app", "RETENTION_", 8003)
