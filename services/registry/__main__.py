"""`python -m services.registry`: run the registry on its port (8001 by default)."""

from jifang.http import serve

if __name__ == "__main__":
    serve("registry", "services.registry.app:create_app", "REGISTRY_", 8001)
