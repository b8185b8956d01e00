"""Monitoring, checked against the running platform: every dashboard panel's PromQL and every
alert and recording rule reads metrics (names, labels, label values) that the four services
actually export on /metrics; the rules pass `promtool check rules` and their unit tests
(`promtool test rules`, the offline-share alert firing on sample series); the dashboards are
well-formed Grafana JSON in ConfigMaps the Grafana sidecar picks up."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import promql_parser as pq
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from devtools.broker import free_port
from devtools.monitoring import start_prometheus
from jifang.auth import Role
from jifang.migrate import upgrade_async
from jifang.policy import FindingRule
from services.gateway import ALEMBIC_INI as GATEWAY_ALEMBIC
from services.gateway.app import create_app as create_gateway
from services.ingest import ALEMBIC_INI as INGEST_ALEMBIC
from services.ingest.app import create_app as create_ingest
from services.ingest.settings import IngestSettings
from services.registry.models import FindingStatus
from services.retention import ALEMBIC_INI as RETENTION_ALEMBIC
from services.retention.app import create_app as create_retention
from services.retention.checks import VERDICTS
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth, eventually, metric_value, served_over_http
from tests.deploy.test_k8s import ROOT, rendered
from tests.services.gateway.conftest import callup, gateway_settings, hook
from tests.services.registry.factories import create_device, create_unit
from tests.services.retention.test_app import settings_for as retention_settings

MONITORING = ROOT / "deploy" / "k8s" / "base" / "monitoring"
# Labels Prometheus adds to every scraped series (the ServiceMonitor's target labels).
TARGET_LABELS = {"job", "instance", "namespace", "pod", "service", "endpoint", "container"}
# Series Prometheus makes itself.
PROMETHEUS_SERIES = {"up"}
# Label values the code can take, where one run cannot show them all.
DOMAINS: dict[tuple[str, str], set[str]] = {
    ("retention_channels", "verdict"): set(VERDICTS),
    ("ingest_devices", "status"): {"online", "offline", "unknown"},
    ("registry_findings_open", "status"): {s.value for s in FindingStatus},
    ("registry_findings_open", "rule"): {r.value for r in FindingRule},
    ("gateway_callups_total", "outcome"): {"granted", "refused"},
    ("gateway_callups_total", "mode"): {"live", "playback"},
}
# Grafana's own variables, as Grafana substitutes them before the query reaches Prometheus.
GRAFANA_RANGES = {"$__rate_interval": "2m", "$__interval": "1m", "$__range": "1d"}


# -- what the rules and dashboards ask for -----------------------------------------------------


def prometheus_rule() -> dict[str, Any]:
    (rule,) = [o for o in rendered("prod") if o["kind"] == "PrometheusRule"]
    return rule


def dashboards() -> dict[str, dict[str, Any]]:
    maps = [
        o
        for o in rendered("prod")
        if o["kind"] == "ConfigMap" and o["metadata"]["labels"].get("grafana_dashboard")
    ]
    return {name: json.loads(text) for cm in maps for name, text in cm["data"].items()}


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) for every rule and every dashboard target, Grafana variables resolved."""
    out = []
    for group in prometheus_rule()["spec"]["groups"]:
        for rule in group["rules"]:
            out.append((f"rule {rule.get('alert') or rule.get('record')}", rule["expr"]))
    for name, board in dashboards().items():
        out.extend(_dashboard_expressions(name, board))
    return out


def _dashboard_expressions(name: str, board: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    query_vars = [var for var in board["templating"]["list"] if var["type"] == "query"]
    for var in query_vars:
        # label_values(metric, label): the same question as count by (label) (metric)
        found = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", var["query"]["query"])
        assert found, f"{name}: variable {var['name']}"
        out.append((f"{name}: variable {var['name']}", f"count by ({found[2]}) ({found[1]})"))
    for panel in panels(board):
        for target in panel["targets"]:
            expr = target["expr"]
            for placeholder, value in GRAFANA_RANGES.items():
                expr = expr.replace(placeholder, value)
            for var in query_vars:  # "All", as the dashboard opens
                expr = expr.replace(f"${var['name']}", var["allValue"])
            out.append((f"{name}: {panel['title']}", expr))
    return out


def recorded() -> dict[str, str]:
    return {
        r["record"]: r["expr"]
        for g in prometheus_rule()["spec"]["groups"]
        for r in g["rules"]
        if "record" in r
    }


@dataclass
class Use:
    """What one expression reads: selectors (metric, label matchers) and grouping labels with
    the metrics they group."""

    selectors: list[tuple[str, list[tuple[str, str, str]]]] = field(default_factory=list)
    groupings: list[tuple[list[str], set[str]]] = field(default_factory=list)


def uses(node: Any, use: Use | None = None) -> Use:
    use = use if use is not None else Use()
    if isinstance(node, pq.VectorSelector):
        matchers = [(m.name, str(m.op).rsplit(".", 1)[-1], m.value) for m in node.matchers.matchers]
        assert not node.matchers.or_matchers
        assert node.name, "selectors name their metric"
        use.selectors.append((node.name, matchers))
    elif isinstance(node, pq.AggregateExpr):
        _aggregate_uses(node, use)
    elif isinstance(node, pq.BinaryExpr):
        _binary_uses(node, use)
    else:
        for child in _children(node):
            uses(child, use)
    return use


def _children(node: Any) -> list[Any]:
    if isinstance(node, pq.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, pq.Call):
        return list(node.args)
    if isinstance(node, pq.ParenExpr | pq.UnaryExpr | pq.SubqueryExpr):
        return [node.expr]
    assert isinstance(node, pq.NumberLiteral | pq.StringLiteral), type(node)
    return []


def _aggregate_uses(node: Any, use: Use) -> None:
    inner = uses(node.expr)
    use.selectors += inner.selectors
    use.groupings += inner.groupings
    if node.modifier is not None and node.modifier.labels:
        use.groupings.append((list(node.modifier.labels), {n for n, _ in inner.selectors}))
    if node.param is not None:
        uses(node.param, use)


def _binary_uses(node: Any, use: Use) -> None:
    left, right = uses(node.lhs), uses(node.rhs)
    for side in (left, right):
        use.selectors += side.selectors
        use.groupings += side.groupings
    matching = node.modifier.matching if node.modifier is not None else None
    if matching is not None and matching.labels:
        both = {n for n, _ in left.selectors + right.selectors}
        use.groupings.append((list(matching.labels), both))


# -- what the services export ------------------------------------------------------------------


@dataclass
class Exported:
    """Per job, the sample names and, per sample name, its label names and values seen."""

    names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    labels: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    by_job: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    sampled: set[str] = field(default_factory=set)
    urls: dict[str, str] = field(default_factory=dict)  # each service over HTTP, by job

    def add(self, job: str, exposition: str) -> None:
        for family in text_string_to_metric_families(exposition):
            # A labelled metric nothing has touched yet shows only its HELP and TYPE.
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
            for suffix in suffixes.get(family.type, [""]):
                self.names[job].add(family.name + suffix)
            for sample in family.samples:
                self.names[job].add(sample.name)
                self.sampled.add(sample.name)
                for label, value in sample.labels.items():
                    self.labels[sample.name][label].add(value)
                    self.by_job[(job, sample.name, label)].add(value)

    def all_names(self) -> set[str]:
        return set().union(*self.names.values())


@pytest.fixture(scope="module")
async def exported(
    client: httpx.AsyncClient,
    registry_app: FastAPI,
    database_url: str,
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
) -> AsyncIterator[Exported]:
    """The four services running on the real database and broker, with a unit whose camera goes
    offline and raises an alarm, whose NVR keeps 10 days (a retention violation), a call-up and
    a relay authorisation; then each one's /metrics."""
    for ini in (INGEST_ALEMBIC, RETENTION_ALEMBIC, GATEWAY_ALEMBIC):
        await upgrade_async(ini, database_url)
    tech = auth(token(Role.TECH_OFFICE))
    async with AsyncExitStack() as stack:
        fleet = Fleet()
        await fleet.start(
            [SimDevice("mon-cam", password="pw"), SimDevice("mon-nvr", kind="nvr", password="pw")]
        )
        stack.push_async_callback(fleet.stop)
        await fleet.update("mon-nvr", {"recordings": [{"days": 10}]})
        unit = await create_unit(client, tech)
        district = unit["district"]
        # A place with no mandated system yet: a finding in the unit's district.
        place = {"name": "营业厅", "category": "hrb-7-10"}
        assert (
            await client.post(f"/api/v1/units/{unit['id']}/places", json=place, headers=tech)
        ).status_code == 201
        ids = {}
        for sim in fleet.devices.values():
            device = await create_device(
                client,
                tech,
                unit["id"],
                kind=sim.kind,
                name=sim.device_id,
                onvif_address=f"{sim.base_url}/onvif/device_service",
                username=sim.username,
                password=sim.password,
            )
            ids[sim.device_id] = device["id"]

        urls = {"registry": registry_url}

        async def serve(app: FastAPI, name: str) -> httpx.AsyncClient:
            await stack.enter_async_context(app.router.lifespan_context(app))
            urls[name] = await stack.enter_async_context(served_over_http(app))  # for Prometheus
            transport = httpx.ASGITransport(app=app)
            return await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
            )

        service_token = SecretStr(token(Role.SERVICE))
        ingest = await serve(
            create_ingest(
                IngestSettings(
                    database_url=database_url,
                    kafka_bootstrap_servers=bootstrap,
                    registry_url=registry_url,
                    service_token=service_token,
                    consumer_group=f"ingest-monitoring-{uuid.uuid4().hex[:6]}",
                    jwt_public_key_file=None,
                    poll_interval_s=1.0,
                    event_keep_alive_s=10,
                    event_wait_s=2,
                )
            ),
            "ingest",
        )
        retention = await serve(
            create_retention(
                retention_settings(
                    database_url, bootstrap, registry_url, token, signing_keys, checks_enabled=False
                )
            ),
            "retention",
        )
        gateway = await serve(
            create_gateway(gateway_settings(database_url, bootstrap, registry_url, token, signing_keys)),
            "gateway",
        )
        services = {"registry": client, "ingest": ingest, "retention": retention, "gateway": gateway}

        async def value(job: str, sample: str, **labels: str) -> float | None:
            return metric_value((await services[job].get("/metrics")).text, sample, **labels)

        # Ingest: both devices online, then the camera raises an alarm and goes offline.
        online: dict[str, float | None] = {}

        async def poll_online() -> bool:
            online["n"] = await value("ingest", "ingest_devices", district=district, status="online")
            return online["n"] == 2

        await eventually(poll_online, 30)
        cam = fleet.devices["mon-cam"]
        await eventually(lambda: bool(cam.event_source.pull_points), 20)
        cam.raise_alarm("video_loss", True)
        await fleet.update("mon-cam", {"offline": True})

        async def outage() -> bool:
            return await value("ingest", "ingest_device_outages_total", district=district) == 1

        await eventually(outage, 30)

        # Retention: the unit mirrored from the registry, checked now; the registry follows.
        async def mirrored() -> bool:
            return (await retention.get(f"/api/v1/units/{unit['id']}", headers=tech)).status_code == 200

        await eventually(mirrored, 20)
        assert (await retention.post(f"/api/v1/units/{unit['id']}/checks", headers=tech)).status_code == 200

        async def retention_short() -> bool:
            return (
                await value(
                    "registry",
                    "registry_findings_open",
                    rule="retention_short",
                    status="open",
                    district=district,
                )
                == 1
            )

        await eventually(retention_short, 30)

        # Gateway: a call-up of the camera, its grant used by the relay, and a forged one refused.
        operator = auth(token(Role.POLICE_OPERATOR))
        r = await gateway.post("/api/v1/callups", json=callup(ids["mon-cam"]), headers=operator)
        assert r.status_code == 201, r.text
        grant = r.json()
        assert (
            await gateway.post("/internal/relay/auth", json=hook(grant["token"], grant["path"]))
        ).status_code == 200
        assert (
            await gateway.post("/internal/relay/auth", json=hook("forged", grant["path"]))
        ).status_code == 401
        admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
        refused = await gateway.post("/api/v1/callups", json=callup(ids["mon-cam"]), headers=admin)
        assert refused.status_code == 403

        out = Exported(urls=urls)
        for job, c in services.items():
            out.add(job, (await c.get("/metrics")).text)
        yield out


# -- the checks --------------------------------------------------------------------------------


class Checker:
    """Checks one expression against what the services export: every metric exported (and
    sampled, unless only trouble makes it), every label matched or grouped by one of its labels,
    every value matched with = one the metric takes, every job= one that exports it."""

    def __init__(self, exported: Exported) -> None:
        self.exported = exported
        self.records = recorded()
        # A recording rule's labels: those it aggregates by (or its metrics').
        self.record_labels = {}
        for name, expr in self.records.items():
            use = uses(pq.parse(expr))
            self.record_labels[name] = (
                set(use.groupings[-1][0]) if use.groupings else self.labels_of({n for n, _ in use.selectors})
            )
        self.referenced: set[str] = set()

    def labels_of(self, metrics: set[str]) -> set[str]:
        return set().union(
            *(self.record_labels.get(m) or set(self.exported.labels.get(m, {})) for m in metrics)
        )

    def values(self, name: str, label: str, job: str | None) -> set[str]:
        """The values a label took, in the job the selector names if it names one."""
        if job is None:
            return self.exported.labels[name][label]
        return self.exported.by_job[(job, name, label)]

    def problems(self, expr: str) -> list[str]:
        try:
            use = uses(pq.parse(expr))
        except Exception as exc:  # the parser's message names the position
            return [f"does not parse: {exc}"]
        out = []
        for name, matchers in use.selectors:
            self.referenced.add(name)
            out += self._selector_problems(name, matchers)
        for labels, metrics in use.groupings:
            known = self.labels_of(metrics) | TARGET_LABELS | {"le"}
            out += [
                f"groups by {label!r}, which none of {sorted(metrics)} has"
                for label in labels
                if label not in known
            ]
        return out

    def _selector_problems(self, name: str, matchers: list[tuple[str, str, str]]) -> list[str]:
        if name in PROMETHEUS_SERIES:
            return []
        if name not in self.records:
            if name not in self.exported.all_names():
                return [f"no service exports {name}"]
            if name not in self.exported.sampled:
                return [f"{name} has no sample in a running platform (labels unknown)"]
        known = self.labels_of({name})
        job = next((v for lbl, op, v in matchers if lbl == "job" and op == "Equal"), None)
        out = []
        for label, op, value in matchers:
            if label not in known | TARGET_LABELS:
                out.append(f"{name} has no label {label!r} (has {sorted(known)})")
            elif label == "job" and op == "Equal":
                if name not in self.exported.names.get(value, set()) and name not in self.records:
                    out.append(f"job {value!r} does not export {name}")
            elif (
                op == "Equal"
                and label not in TARGET_LABELS
                and name not in self.records
                and value not in DOMAINS.get((name, label), self.values(name, label, job))
            ):
                out.append(f"{name}{{{label}={value!r}}} never exported")
        return out


def test_every_expression_reads_what_the_services_export(exported: Exported) -> None:
    checker = Checker(exported)
    problems = [f"{where}: {p}" for where, expr in expressions() for p in checker.problems(expr)]
    assert not problems, "\n".join(problems)
    # The operators' questions each have their metric on a dashboard or in an alert.
    assert {
        "ingest_devices",
        "ingest_device_outages_total",
        "retention_channels",
        "registry_findings_open",
        "registry_findings_active",
        "gateway_callups_total",
        "gateway_register_write_failures_total",
        "kafka_consumer_lag",
        "service_dependency_up",
        "http_requests_total",
        "http_request_duration_seconds_bucket",
    } <= checker.referenced


def test_a_misnamed_metric_or_label_would_be_caught(exported: Exported) -> None:
    """The same check on expressions wrong in the ways a dashboard goes wrong."""
    checker = Checker(exported)
    wrong = {
        'sum(ingest_device{status="offline"})': "no service exports ingest_device",
        "sum by (district) (gateway_callups_total)": "groups by 'district'",
        'sum(retention_channels{verdict="violated"})': "never exported",
        'sum(gateway_callups_total{district="南岗区"})': "has no label 'district'",
        'sum(http_requests_total{job="ingest", route="/api/v1/callups"})': "never exported",
        'sum(registry_devices{job="gateway"})': "job 'gateway' does not export",
        "sum by (district) (rate(ingest_polls_total[5m]))": "groups by 'district'",
        "sum(rate(ingest_polls_total[5m])": "does not parse",
    }
    for expr, error in wrong.items():
        problems = checker.problems(expr)
        assert any(error in p for p in problems), (expr, problems)
    assert checker.problems('sum by (district) (ingest_devices{status="offline"})') == []


# Panels that stay empty in the scenario above, and why.
EMPTY_IN_THE_SCENARIO = {
    "filings-findings.json: Filings overdue by district": "no system is past its filing deadline",
    "filings-findings.json: Escalated findings (second penalty step) by district": "none escalated",
}


async def test_every_panel_shows_data_in_a_live_prometheus(
    exported: Exported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local Prometheus of `make run MONITORING=1` scraping the four running services with
    the alerts loaded: every rule evaluates without error and every panel (but those the
    scenario cannot fill) shows data, as an operator opening the dashboards would see it."""
    port = free_port()
    targets = {job: int(url.rsplit(":", 1)[1]) for job, url in exported.urls.items()}
    assert set(targets) == {"registry", "ingest", "retention", "gateway"}
    monkeypatch.chdir(tmp_path)
    proc = start_prometheus(Path("prometheus"), targets, port=port, scrape_interval="1s")
    assert proc is not None, "prometheus (Debian's package) is installed by .ci/run"
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as prom:

            async def query(expr: str) -> dict[str, Any]:
                r = await prom.get("/api/v1/query", params={"query": expr})
                data: dict[str, Any] = r.json()
                return data

            async def scraped_a_few_times() -> bool:
                try:
                    if (await prom.get("/-/ready")).status_code != 200:
                        return False  # 503 while its storage starts
                except httpx.TransportError:
                    return False  # not listening yet
                result = (await query("min(count_over_time(up[1m])) >= 5 and min(up) == 1"))["data"]
                return bool(result["result"])

            await eventually(scraped_a_few_times, 60)
            empty, failed = [], []
            for where, expr in expressions():
                answer = await query(expr)
                if answer["status"] != "success":
                    failed.append(f"{where}: {answer.get('error')}")
                elif not answer["data"]["result"] and not where.startswith("rule "):
                    empty.append(where)
            assert not failed, "\n".join(failed)
            assert sorted(empty) == sorted(EMPTY_IN_THE_SCENARIO), empty
            groups = (await prom.get("/api/v1/rules")).json()["data"]["groups"]
            assert {g["name"] for g in groups} == {g["name"] for g in prometheus_rule()["spec"]["groups"]}
            unhealthy = [
                (r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] != "ok"
            ]
            assert not unhealthy
    finally:
        proc.terminate()
        proc.wait(15)


def test_alerts_an_operator_acts_on() -> None:
    rule = prometheus_rule()
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert {
        "DistrictDevicesOffline",
        "RetentionViolationsRising",
        "UseRegisterNotWriting",
        "KafkaConsumerLag",
        "ServiceNotReady",
        "ServiceDown",
        "HighErrorRate",
    } <= set(alerts)
    for name, alert in alerts.items():
        assert alert["labels"]["severity"] in {"warning", "critical"}, name
        assert alert["annotations"]["summary"] and alert["annotations"]["description"], name
    assert alerts["UseRegisterNotWriting"]["labels"]["severity"] == "critical"


def test_rules_pass_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package) checks the rules"
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": prometheus_rule()["spec"]["groups"]}, allow_unicode=True))
    check = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    shutil.copy(MONITORING / "tests" / "alerts.test.yaml", tmp_path / "alerts.test.yaml")
    test = subprocess.run(
        [promtool, "test", "rules", str(tmp_path / "alerts.test.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert test.returncode == 0, test.stdout + test.stderr
    # The unit tests cover the offline-share alert firing (and not firing below its thresholds).
    tested = yaml.safe_load((MONITORING / "tests" / "alerts.test.yaml").read_text())
    fired = {
        t["alertname"] for case in tested["tests"] for t in case.get("alert_rule_test", []) if t["exp_alerts"]
    }
    assert "DistrictDevicesOffline" in fired


def test_dashboards_are_provisioned_grafana_json() -> None:
    boards = dashboards()
    assert set(boards) == {p.name for p in (MONITORING / "dashboards").glob("*.json")}
    assert len({b["uid"] for b in boards.values()}) == len(boards)
    titles = " ".join(b["title"] for b in boards.values())
    for topic in ("Fleet", "Retention", "Filings", "call-ups", "Kafka"):
        assert topic in titles
    for name, board in boards.items():
        assert board["templating"]["list"][0]["name"] == "datasource", name
        cells: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            g = panel["gridPos"]
            assert g["x"] + g["w"] <= 24, (name, panel["title"])
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & mine, f"{name}: {panel['title']} overlaps another panel"
            cells |= mine
        for panel in panels(board):
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, (
                name,
                panel["title"],
            )
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), (name, panel["title"])
            assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])
