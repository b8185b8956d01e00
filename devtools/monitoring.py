"""`make run MONITORING=1`: a local Prometheus (Debian's package) scraping every service with
the alerts of deploy/k8s, and Grafana with the same dashboards where it is installed.

The job names are the services' names, as the ServiceMonitors make them in Kubernetes, so the
dashboards and alerts read the same series here and there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MONITORING = ROOT / "deploy" / "k8s" / "base" / "monitoring"
PROMETHEUS_PORT, GRAFANA_PORT = 9090, 3000


def alert_groups() -> list[dict[str, Any]]:
    """The rule groups of the PrometheusRule that Kubernetes gets."""
    rule = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


def write_prometheus_config(run_dir: Path, targets: Mapping[str, int], scrape_interval: str = "15s") -> Path:
    """prometheus.yml and rules.yaml under ``run_dir``: one job per service on 127.0.0.1."""
    # Absolute: Prometheus reads rule_files relative to the config's folder, and a pattern
    # that matches nothing is no error (the alerts would silently be missing).
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    rules = run_dir / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": alert_groups()}, allow_unicode=True, sort_keys=False))
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
            }
            for job, port in targets.items()
        ],
    }
    path = run_dir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_prometheus(
    run_dir: Path,
    targets: Mapping[str, int],
    port: int = PROMETHEUS_PORT,
    scrape_interval: str = "15s",
) -> subprocess.Popen[bytes] | None:
    """Prometheus on 127.0.0.1:``port`` keeping its data under ``run_dir``; None if not installed."""
    binary = shutil.which("prometheus")
    if binary is None:
        return None
    run_dir = run_dir.resolve()
    config = write_prometheus_config(run_dir, targets, scrape_interval)
    log = (run_dir / "prometheus.log").open("ab")
    return subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={run_dir / 'data'}",
            "--storage.tsdb.retention.time=7d",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # stopped by `make run` in its order, not by the terminal's Ctrl-C
    )


def start_grafana(
    run_dir: Path, prometheus_url: str, port: int = GRAFANA_PORT
) -> subprocess.Popen[bytes] | None:
    """Grafana with the Prometheus data source and the dashboards of deploy/k8s provisioned;
    None if Grafana is not installed (it is not in Debian's archive)."""
    binary = shutil.which("grafana") or shutil.which("grafana-server")
    home = next((p for p in ("/usr/share/grafana", "/opt/grafana") if Path(p).is_dir()), None)
    if binary is None or home is None:
        return None
    provisioning = run_dir / "provisioning"
    (provisioning / "datasources").mkdir(parents=True, exist_ok=True)
    (provisioning / "dashboards").mkdir(parents=True, exist_ok=True)
    (provisioning / "datasources" / "jifang.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": 1,
                "datasources": [
                    {"name": "Prometheus", "type": "prometheus", "url": prometheus_url, "isDefault": True}
                ],
            }
        )
    )
    (provisioning / "dashboards" / "jifang.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": 1,
                "providers": [
                    {
                        "name": "jifang",
                        "folder": "Jifang",
                        "type": "file",
                        "options": {"path": str(MONITORING / "dashboards")},
                    }
                ],
            }
        )
    )
    env = {
        **os.environ,
        "GF_PATHS_PROVISIONING": str(provisioning),
        "GF_PATHS_DATA": str(run_dir / "data"),
        "GF_PATHS_LOGS": str(run_dir / "logs"),
        "GF_SERVER_HTTP_ADDR": "127.0.0.1",
        "GF_SERVER_HTTP_PORT": str(port),
    }
    args = [binary, "server"] if Path(binary).name == "grafana" else [binary]
    log = (run_dir / "grafana.log").open("ab")
    return subprocess.Popen(
        [*args, f"--homepath={home}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as Prometheus
    )
