"""deploy/k8s, checked offline: each overlay renders with `kubectl kustomize`; every object is
valid against the Kubernetes schemas, every custom object against its operator's CRD; the
KafkaTopics equal proto/topics.yaml; the containers' commands, ports, probes and environment
variable names are those the services read."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from jifang.topics import REGISTRY_TOPIC, catalogue
from services.gateway.settings import GatewaySettings
from services.ingest.settings import IngestSettings
from services.registry.settings import RegistrySettings
from services.retention.settings import RetentionSettings

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ["dev", "prod"]
CRDS = ROOT.parent / "shared" / "crds"
KUBERNETES_VERSION = "1.31"
SERVICES: dict[str, tuple[type[Any], str, int]] = {
    "registry": (RegistrySettings, "REGISTRY_", 8001),
    "ingest": (IngestSettings, "INGEST_", 8002),
    "retention": (RetentionSettings, "RETENTION_", 8003),
    "gateway": (GatewaySettings, "GATEWAY_", 8000),
}
# Variables every service reads without its prefix (jifang.settings.ServiceSettings aliases).
SHARED = {
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_ENABLE_IDEMPOTENCE",
    "JWT_PUBLIC_KEY",
    "JWKS_URL",
    "LOG_FORMAT",
}


@cache
def rendered(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (Debian's package) renders the overlays"
    out = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy" / "k8s" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the CRD's OpenAPI v3 schema."""
    schemas = {}
    for path in CRDS.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schemas[(f"{group}/{version['name']}", kind)] = _python_patterns(
                version["schema"]["openAPIV3Schema"]
            )
    return schemas


def _python_patterns(schema: Any) -> Any:
    """The CRDs' patterns are Go regular expressions; Python wants an inline flag such as the
    Prometheus operator's ``^(?i)(abort|warn)?$`` at the start (same language either way)."""
    if isinstance(schema, dict):
        out = {k: _python_patterns(v) for k, v in schema.items()}
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and "(?i)" in pattern[1:]:
            out["pattern"] = "(?i)" + pattern.replace("(?i)", "")
        return out
    if isinstance(schema, list):
        return [_python_patterns(v) for v in schema]
    return schema


def _known_env(settings: type[Any], prefix: str) -> set[str]:
    return {prefix + name.upper() for name in settings.model_fields}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates(overlay: str) -> None:
    objects = rendered(overlay)
    kinds = {o["kind"] for o in objects}
    assert {
        "Deployment",
        "Service",
        "ConfigMap",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    } <= kinds
    assert {"NetworkPolicy", "Kafka", "KafkaNodePool", "KafkaTopic", "Cluster", "ScheduledBackup"} <= kinds
    assert {"ServiceMonitor", "PodMonitor", "PrometheusRule"} <= kinds
    for obj in objects:
        key = (obj["apiVersion"], obj["kind"])
        if key in crd_schemas():
            jsonschema.validate(obj, crd_schemas()[key])
        else:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    assert all(
        o["metadata"].get("namespace") == f"jifang{'-dev' if overlay == 'dev' else ''}" for o in objects
    )


def test_kafka_topics_equal_proto() -> None:
    for overlay in OVERLAYS:
        topics = {
            o["spec"]["topicName"]: (o["spec"]["partitions"], int(o["spec"]["config"]["retention.ms"]))
            for o in rendered(overlay)
            if o["kind"] == "KafkaTopic"
        }
        assert topics == {t.name: (t.partitions, t.retention_ms) for t in catalogue().values()}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_match_what_the_services_read(overlay: str) -> None:
    objects = rendered(overlay)
    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    for name, (settings, prefix, port) in SERVICES.items():
        (deployment,) = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name]
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["command"] == ["python", "-m", f"services.{name}"]
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        env = {e["name"]: e for e in container["env"]}
        assert env[f"{prefix}PORT"]["value"] == str(port) and env[f"{prefix}HOST"]["value"] == "0.0.0.0"
        assert settings.model_fields["port"].default == port  # the port it serves without the variable too
        names = set(env)
        for source in container["envFrom"]:
            names |= set(configmaps[source["configMapRef"]["name"]])
        resolved = {
            **{
                k: {"value": v}
                for c in container["envFrom"]
                for k, v in configmaps[c["configMapRef"]["name"]].items()
            },
            **env,
        }
        # One process per pod: /metrics is then the whole pod's (each worker counts apart);
        # the HorizontalPodAutoscaler adds pods instead.
        assert resolved.get(f"{prefix}WORKERS", {"value": "1"})["value"] == "1"
        assert resolved["LOG_FORMAT"]["value"] == "json", "JSON lines for the log collector"
        unknown = names - _known_env(settings, prefix) - SHARED
        assert not unknown, f"{name} is given variables it never reads: {sorted(unknown)}"
        # Secrets only by reference: no secret value in the repository.
        for var in (
            "DATABASE_URL",
            f"{prefix}SERVICE_TOKEN",
            f"{prefix}GRANT_KEY",
            f"{prefix}GRANT_PREVIOUS_KEY",
            f"{prefix}CREDENTIALS_KEY",
        ):
            if var in env:
                assert "secretKeyRef" in env[var]["valueFrom"], var
        assert not any(o["kind"] == "Secret" for o in objects)
        # Hardened: non-root, read-only root filesystem, graceful stop.
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert services[name]["spec"]["ports"][0]["port"] == port
        (job,) = [o for o in objects if o["kind"] == "Job" and o["metadata"]["name"] == f"{name}-migrate"]
        job_container = job["spec"]["template"]["spec"]["containers"][0]
        assert job_container["command"] == ["python", "-m", "jifang.migrate", name]
        assert (ROOT / "services" / name / "alembic.ini").exists()
    autoscaled = {
        o["spec"]["scaleTargetRef"]["name"] for o in objects if o["kind"] == "HorizontalPodAutoscaler"
    }
    assert autoscaled == {"ingest", "gateway"}
    # Ingest replicas share the fleet by the registry topic's partitions: more would idle.
    (ingest_hpa,) = [
        o
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler" and o["spec"]["scaleTargetRef"]["name"] == "ingest"
    ]
    assert ingest_hpa["spec"]["maxReplicas"] <= catalogue()[REGISTRY_TOPIC].partitions
    relay = configmaps["relay-config"]["mediamtx.yml"]
    assert "authHTTPAddress: http://gateway:8000/internal/relay/auth" in relay


def test_only_the_gateway_and_the_relay_are_reachable_from_outside() -> None:
    policies = [o for o in rendered("prod") if o["kind"] == "NetworkPolicy"]
    open_to_all = {
        p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        for p in policies
        for rule in p["spec"].get("ingress", [])
        for peer in rule.get("from", [])
        if peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0"
    }
    assert open_to_all == {"gateway", "relay"}
    deny = [p for p in policies if p["metadata"]["name"] == "default-deny"]
    assert deny and deny[0]["spec"]["podSelector"] == {}


# Instructions in which Docker substitutes build arguments (not RUN and CMD: their shell does).
SUBSTITUTED = {"COPY", "ENV", "EXPOSE", "USER", "WORKDIR"}


def _dockerfile(build_args: dict[str, str]) -> list[tuple[str, str]]:
    """The Dockerfile's instructions (keyword, arguments) as built with ``build_args``: each
    stage substitutes the arguments it declares."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    steps: list[tuple[str, str]] = []
    declared: set[str] = set()
    for line in joined.splitlines():
        if not line.strip():
            continue
        keyword, rest = line.strip().split(None, 1)
        if keyword == "FROM":
            declared = set()
        elif keyword == "ARG":
            declared.add(rest.split("=")[0])
        elif keyword in SUBSTITUTED:
            for arg in declared:
                rest = rest.replace(f"${{{arg}}}", build_args[arg])
        steps.append((keyword, rest))
    return steps


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dockerfile_builds_what_the_deployment_runs(name: str, tmp_path: Path) -> None:
    """Offline (no Docker daemon here), the one Dockerfile with this service's build arguments:
    multi-stage on one pinned base, non-root as the pod's runAsUser, its port, the command and
    settings it starts the service with those of the Deployment, only this service's code, and
    the runtime lock installed with its hashes."""
    _, prefix, port = SERVICES[name]
    steps = _dockerfile({"SERVICE": name, "PORT": str(port)})
    froms = [i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"]
    bases = [steps[i][1].split()[0] for i in froms]
    assert len(bases) == 2 and len(set(bases)) == 1, "a build stage and a runtime stage on one base"
    image, tag = bases[0].split(":")
    assert image == "python" and tag.startswith("3.11.") and tag.count(".") >= 2, "a pinned patch release"
    runtime = steps[froms[1] :]
    (deployment,) = [
        o for o in rendered("prod") if o["kind"] == "Deployment" and o["metadata"]["name"] == name
    ]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    (user,) = [rest for keyword, rest in steps if keyword == "USER"]
    assert ("USER", user) in runtime, "the runtime stage runs as the user"
    assert int(user) == pod["securityContext"]["runAsUser"] != 0
    assert ("EXPOSE", str(port)) in runtime

    # What the container runs: the CMD in the image's environment, with `python` caught on the PATH.
    image_env = dict(kv.split("=", 1) for keyword, rest in runtime if keyword == "ENV" for kv in rest.split())
    (cmd,) = [json.loads(rest) for keyword, rest in steps if keyword == "CMD"]
    python = tmp_path / "python"
    python.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\necho ---\nenv\n')
    python.chmod(0o755)
    shell_env = {**image_env, "PATH": f"{tmp_path}:/usr/bin:/bin"}
    out = subprocess.run(cmd, env=shell_env, capture_output=True, text=True, check=True).stdout
    argv, environ = out.split("---\n")
    assert ["python", *argv.split()] == container["command"]
    ran_with = dict(line.split("=", 1) for line in environ.splitlines() if "=" in line)
    deployment_env = {e["name"]: e.get("value") for e in container["env"]}
    for var in (f"{prefix}HOST", f"{prefix}PORT"):
        assert ran_with[var] == deployment_env[var], var

    copies = [rest.split() for keyword, rest in steps if keyword == "COPY" and not rest.startswith("--from")]
    sources = [source for *paths, _ in copies for source in paths]
    for source in sources:
        assert (ROOT / source).exists(), source
    services_copied = {Path(s).parts[1] for s in sources if s.startswith("services/") and (ROOT / s).is_dir()}
    assert services_copied == {name}, "the image holds this service's code and no other's"
    # The runtime lock alone, every package checked against its hash.
    assert [s for s in sources if s.startswith("requirements")] == ["requirements.lock"]
    (install,) = [rest for keyword, rest in steps if keyword == "RUN" and "pip install" in rest]
    assert "--require-hashes" in install and "-r /tmp/requirements.lock" in install


# -- NetworkPolicies, evaluated ----------------------------------------------------------------
# A pod: (namespace, labels). Namespaces carry kubernetes.io/metadata.name.
Pod = tuple[str, dict[str, str]]
NAMESPACE = "jifang"


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
        ):
            return False
    return True


def _peer_matches(peer: dict[str, Any], pod: Pod) -> bool:
    """Strictly: an ipBlock never stands for a pod (network plugins differ on that)."""
    namespace, labels = pod
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        ns_ok = _selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace})
    else:
        ns_ok = namespace == NAMESPACE
    return ns_ok and _selects(peer.get("podSelector", {}), labels)


def _port_matches(rule: dict[str, Any], port: int) -> bool:
    return "ports" not in rule or any(p.get("port") == port for p in rule["ports"])


def _allowed(policies: list[dict[str, Any]], src: Pod, dst: Pod, port: int) -> bool:
    def direction(pod: Pod, kind: str, peer_key: str, other: Pod) -> bool:
        if pod[0] != NAMESPACE:
            return True  # not governed by these policies
        selecting = [
            p
            for p in policies
            if _selects(p["spec"]["podSelector"], pod[1]) and kind in p["spec"]["policyTypes"]
        ]
        if not selecting:
            return True
        return any(
            _port_matches(rule, port) and any(_peer_matches(peer, other) for peer in rule.get(peer_key, []))
            for p in selecting
            for rule in p["spec"].get(kind.lower(), [])
        )

    return direction(src, "Egress", "to", dst) and direction(dst, "Ingress", "from", src)


def test_network_policies_allow_what_the_platform_needs_and_no_more() -> None:
    policies = [o for o in rendered("prod") if o["kind"] == "NetworkPolicy"]

    def pod(name: str, **labels: str) -> Pod:
        return (NAMESPACE, {"app.kubernetes.io/name": name, **labels} if name else labels)

    db = pod("", **{"cnpg.io/cluster": "jifang-db"})
    kafka = pod("", **{"strimzi.io/cluster": "jifang"})
    prometheus = ("monitoring", {"app.kubernetes.io/name": "prometheus"})
    cnpg_operator = ("cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"})
    ports = {name: port for name, (_, _, port) in SERVICES.items()}
    needed = [
        *[(pod(s), db, 5432) for s in SERVICES],
        *[(pod(s, **{"app.kubernetes.io/component": "migration"}), db, 5432) for s in SERVICES],
        *[(pod(s), kafka, 9092) for s in SERVICES],
        *[(prometheus, pod(s), ports[s]) for s in SERVICES],
        (prometheus, pod("relay"), 9998),
        (prometheus, db, 9187),
        (pod("gateway"), pod("registry"), 8001),
        (pod("gateway"), pod("retention"), 8003),
        (pod("ingest"), pod("registry"), 8001),
        (pod("retention"), pod("registry"), 8001),
        (pod("relay"), pod("gateway"), 8000),  # the authentication hook
        (db, db, 5432),  # streaming replication
        (db, db, 8000),
        (cnpg_operator, db, 8000),
        (kafka, kafka, 9091),  # replication between brokers
        (kafka, kafka, 9090),  # KRaft controllers
    ]
    missing = [(s, d, p) for s, d, p in needed if not _allowed(policies, s, d, p)]
    assert not missing, missing
    refused = [
        (pod("registry"), pod("gateway"), 8000),  # the registry never calls the gateway
        (pod("ingest"), pod("retention"), 8003),
        (pod("retention"), pod("ingest"), 8002),
        (pod("relay"), db, 5432),  # the relay has no business with the database
        (pod("relay"), pod("registry"), 8001),
        (pod("ingest"), db, 9187),
        (("other", {}), pod("registry"), 8001),  # another namespace's pods
        (("other", {}), db, 5432),
        (("other", {}), kafka, 9092),
    ]
    allowed = [(s, d, p) for s, d, p in refused if _allowed(policies, s, d, p)]
    assert not allowed, allowed
