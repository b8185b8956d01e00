"""The fleet in a process of its own (`make run`, benchmarks): started, and its devices read
from the one JSON line it prints per device."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def start_fleet_process(
    devices: int,
    password: str,
    *,
    control_port: int,
    base_port: int = 0,
    nvr_every: int = 10,
    cwd: Path | None = None,
) -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
    """(the process, each device as `describe` gives it); the caller stops the process."""
    args = [sys.executable, "-m", "simulator", "--devices", str(devices), "--control-port", str(control_port)]
    args += ["--password", password, "--nvr-every", str(nvr_every)]
    args += ["--base-port", str(base_port)] if base_port else []
    # A session of its own: the caller stops it (after the services polling it), not a
    # terminal's Ctrl-C.
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=cwd, start_new_session=True)
    assert proc.stdout is not None
    return proc, [json.loads(proc.stdout.readline()) for _ in range(devices)]
