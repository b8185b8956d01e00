"""`python -m services.registry`: run the registry on its port (8001 by default)."""

from jifang.http import serve
from services.registry.settings import RegistrySettings

if __name__ == "__main__":
    serve("services.registry.app:create_app", RegistrySettings())
