"""`make run MONITORING=1`: the local Prometheus is configured as promtool wants it, scrapes a
running service under its job name and evaluates the alerts of deploy/k8s."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from devtools.broker import free_port
from devtools.monitoring import start_prometheus, write_prometheus_config
from tests.conftest import eventually


def test_the_config_passes_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package)"
    config = write_prometheus_config(tmp_path, {"registry": 8001, "gateway": 8000})
    check = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS" in check.stdout and "rules found" in check.stdout


async def test_prometheus_scrapes_a_running_service(
    tmp_path: Path, registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    registry_port = int(registry_url.rsplit(":", 1)[1])
    monkeypatch.chdir(tmp_path)  # a relative folder, as make run's .run/prometheus
    proc = start_prometheus(
        Path("run") / "prometheus", {"registry": registry_port}, port=port, scrape_interval="1s"
    )
    assert proc is not None, "prometheus (Debian's package) is installed by .ci/run"
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as prom:

            async def query(expr: str) -> list[dict[str, object]]:
                try:
                    if (await prom.get("/-/ready")).status_code != 200:
                        return []  # 503 while its storage starts
                except httpx.TransportError:
                    return []  # not listening yet
                r = await prom.get("/api/v1/query", params={"query": expr})
                result: list[dict[str, object]] = r.json()["data"]["result"]
                return result

            async def ready_scraped() -> bool:
                return [s["value"][1] for s in await query('service_ready{job="registry"}')] == ["1"]  # type: ignore[index]

            await eventually(ready_scraped, 30)
            assert [s["value"][1] for s in await query('up{job="registry"}')] == ["1"]  # type: ignore[index]
            rules = (await prom.get("/api/v1/rules")).json()["data"]["groups"]
            assert {"jifang.fleet", "jifang.gateway", "jifang.services"} <= {g["name"] for g in rules}
            alerts = {r["name"] for g in rules for r in g["rules"] if r["type"] == "alerting"}
            assert "DistrictDevicesOffline" in alerts
    finally:
        proc.terminate()
        proc.wait(15)
