"""`python -m services.retention`: run retention on its port (8003 by default)."""

from jifang.http import serve
from services.retention.settings import RetentionSettings

if __name__ == "__main__":
    serve("services.retention.app:create_app", RetentionSettings())
