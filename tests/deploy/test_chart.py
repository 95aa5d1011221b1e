"""The application chart: lint, Kubernetes schema validation, the shape of every service's
objects, the values schema, and deploy/local/chart-check.sh."""

from __future__ import annotations

import copy
import importlib
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from .conftest import CHART, KUBE_VERSION, RELEASE, ROOT, VALUES_FILES, helm_path, values_args

Objects = list[dict[str, Any]]

HARDENED = {
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
}


def full(name: str) -> str:
    return f"{RELEASE}-{name}"


def of_kind(objects: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def component(obj: dict[str, Any]) -> str | None:
    return obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def enabled(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in values["services"].items() if s["enabled"]}


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


# ------------------------------------------------------------------------------ helm lint


def test_helm_lint_strict(helm, flavour):
    result = helm("lint", "--strict", str(CHART), *values_args(flavour))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


# ------------------------------------------------------------------------------ validation


def test_every_object_validates_strictly(rendered, flavour):
    failures = []
    for obj in rendered[flavour]:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            failures.append(f"{where}: {path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            # The CLI only warns here; an unknown kind is an error for this chart.
            failures.append(f"{where}: {e.message}")
    assert not failures, "\n".join(failures)


def test_validation_is_strict_enough_to_catch_a_typo(rendered):
    """Guards the test above: an unknown field in a container must not pass."""
    deployment = copy.deepcopy(next(o for o in rendered["default"] if o["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSION, strict=True)


def test_object_names_are_unique(rendered, flavour):
    counts = Counter((o["kind"], o["metadata"]["name"]) for o in rendered[flavour])
    assert [k for k, n in counts.items() if n > 1] == []


# ------------------------------------------------------------------------------ per service


def test_every_enabled_service_has_all_its_objects(rendered, values, flavour):
    objects, vals = rendered[flavour], values[flavour]
    services = enabled(vals)
    assert set(services) == {"identity", "curriculum", "journal", "reporting", "backup", "gateway"}
    for kind in (
        "Deployment",
        "Service",
        "ServiceAccount",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    ):
        names = set(of_kind(objects, kind))
        missing = {full(n) for n in services} - names
        assert not missing, f"{kind} missing for {sorted(missing)}"
    deployments = of_kind(objects, "Deployment")
    for name, svc in services.items():
        for worker in svc["workers"]:
            assert f"{full(name)}-{worker['name']}" in deployments
    expected = {full(n) for n in services} | {
        f"{full(n)}-{w['name']}" for n, s in services.items() for w in s["workers"]
    }
    assert set(deployments) == expected


def test_every_container_has_requests_and_limits(rendered, flavour):
    for d in of_kind(rendered[flavour], "Deployment").values():
        for c in containers(d):
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(res.get(part, {})), (
                    f"{d['metadata']['name']}/{c['name']}: no {part}"
                )


def test_every_pod_is_hardened(rendered, flavour):
    for d in of_kind(rendered[flavour], "Deployment").values():
        name = d["metadata"]["name"]
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["enableServiceLinks"] is False, name
        assert pod["serviceAccountName"] == full(component(d)), name
        tmp = {v["name"]: v for v in pod["volumes"]}
        for c in containers(d):
            sc = c["securityContext"]
            for key, want in HARDENED.items():
                assert sc.get(key) is want, f"{name}/{c['name']}: {key}"
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
            mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
            assert "emptyDir" in tmp[mounts["/tmp"]], f"{name}: /tmp is not an emptyDir"
            assert c["image"].rsplit("/", 1)[-1].count(":") == 1 or "@sha256:" in c["image"]
            assert not c["image"].endswith(":latest"), name


def test_probes(rendered, values, flavour):
    g = values[flavour]["global"]
    deployments = of_kind(rendered[flavour], "Deployment")
    for name, svc in enabled(values[flavour]).items():
        (server,) = deployments[full(name)]["spec"]["template"]["spec"]["containers"]
        if svc["kind"] == "grpc":
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert server[probe]["grpc"] == {"port": g["ports"]["grpc"]}, f"{name} {probe}"
        else:
            assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert server["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert server["startupProbe"]["httpGet"]["path"] == "/healthz"
        for worker in svc["workers"]:
            (c,) = deployments[f"{full(name)}-{worker['name']}"]["spec"]["template"]["spec"][
                "containers"
            ]
            assert c["command"] == worker["command"]
            assert "readinessProbe" not in c  # no Service routes to a worker
            if worker.get("metricsProbe", True):
                assert c["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}


def test_services_select_only_the_server_pods(rendered, values, flavour):
    objects = rendered[flavour]
    deployments, services = of_kind(objects, "Deployment"), of_kind(objects, "Service")
    g = values[flavour]["global"]
    for name, svc in enabled(values[flavour]).items():
        service = services[full(name)]
        selector = service["spec"]["selector"]
        matching = [
            d
            for d in deployments.values()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert [d["metadata"]["name"] for d in matching] == [full(name)]
        ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
        if svc["kind"] == "grpc":
            assert ports == {"grpc": g["ports"]["grpc"], "metrics": g["ports"]["metrics"]}
        else:
            assert set(ports) == {"http"}


def test_service_accounts_mount_no_token(rendered, flavour):
    for sa in of_kind(rendered[flavour], "ServiceAccount").values():
        assert sa["automountServiceAccountToken"] is False


def test_autoscaler_owns_the_replica_count(rendered, values, flavour):
    objects = rendered[flavour]
    deployments = of_kind(objects, "Deployment")
    for name, hpa in of_kind(objects, "HorizontalPodAutoscaler").items():
        svc = values[flavour]["services"][component(hpa)]
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert "replicas" not in deployments[name]["spec"], "the HPA and helm would fight"
        assert hpa["spec"]["minReplicas"] == svc["autoscaling"]["minReplicas"]
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"


def test_disruption_budgets_cover_the_server_pods(rendered, flavour):
    objects = rendered[flavour]
    deployments = of_kind(objects, "Deployment")
    for name, pdb in of_kind(objects, "PodDisruptionBudget").items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert ("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"])


def test_settings_come_from_env_with_the_service_prefix(rendered, values, flavour):
    objects, vals = rendered[flavour], values[flavour]
    g = vals["global"]
    deployments = of_kind(objects, "Deployment")
    for d in deployments.values():
        svc_name = component(d)
        svc = vals["services"][svc_name]
        prefix = f"ZHURNAL_{svc_name.upper()}_"
        (c,) = d["spec"]["template"]["spec"]["containers"]
        names = [e["name"] for e in c.get("env", [])]
        assert len(names) == len(set(names)), f"{d['metadata']['name']}: duplicate env"
        env = env_of(c)
        assert all(n.startswith(prefix) for n in env), names
        assert env[f"{prefix}ENVIRONMENT"] == g["environment"]
        if svc["uses"]["kafka"]:
            assert env[f"{prefix}KAFKA_BOOTSTRAP"] == g["kafka"]["bootstrap"]
        if svc["uses"]["keycloak"]:
            assert env[f"{prefix}KEYCLOAK_URL"] == g["keycloak"]["url"]
        for callee in svc["calls"]:
            assert env[f"{prefix}{callee.upper()}_ADDR"] == f"{full(callee)}:{g['ports']['grpc']}"
        if svc.get("envFromSecret"):
            assert c["envFrom"] == [{"prefix": prefix, "secretRef": {"name": svc["envFromSecret"]}}]
    gateway = env_of(deployments[full("gateway")]["spec"]["template"]["spec"]["containers"][0])
    assert gateway["ZHURNAL_GATEWAY_IDENTITY_ADDR"] == f"{full('identity')}:50051"
    assert gateway["ZHURNAL_GATEWAY_KEYCLOAK_URL"] == g["keycloak"]["url"]


def _settings_class(service: str) -> Any:
    """The service's pydantic-settings class: the one ServiceSettings in zhurnal_<svc>.config."""
    from zhurnal_kit.settings import ServiceSettings

    module = importlib.import_module(f"zhurnal_{service}.config")
    (cls,) = [
        c
        for c in vars(module).values()
        if isinstance(c, type)
        and issubclass(c, ServiceSettings)
        and c.__module__ == module.__name__
    ]
    return cls


def test_every_variable_the_chart_sets_is_a_setting(rendered, flavour):
    """Names identical to the settings' fields: a typo would silently keep a local default."""
    for d in of_kind(rendered[flavour], "Deployment").values():
        service = component(d)
        cls = _settings_class(service)
        prefix = cls.model_config["env_prefix"]
        (c,) = d["spec"]["template"]["spec"]["containers"]
        for source in c.get("envFrom", []):
            assert source["prefix"] == prefix
        unknown = [
            e["name"]
            for e in c.get("env", [])
            if not e["name"].startswith(prefix)
            or e["name"].removeprefix(prefix).lower() not in cls.model_fields
        ]
        assert not unknown, f"{d['metadata']['name']}: {cls.__name__} has no {unknown}"


def test_calls_match_the_addresses_each_service_has(values, flavour):
    """A service's `calls` are exactly the *_addr settings it has: none unset, none unopened."""
    for name, svc in enabled(values[flavour]).items():
        fields = _settings_class(name).model_fields
        addrs = {f.removesuffix("_addr") for f in fields if f.endswith("_addr")}
        assert set(svc["calls"]) == addrs, name


def test_secrets_are_referenced_never_created(rendered, flavour):
    assert of_kind(rendered[flavour], "Secret") == {}


# ------------------------------------------------------------------------------ network


def _rule_ports(rule: dict[str, Any]) -> set[Any]:
    return {p["port"] for p in rule.get("ports", [])}


def _pod_peers(rule: dict[str, Any], key: str) -> set[str]:
    return {
        p["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for p in rule.get(key, [])
        if "podSelector" in p and "namespaceSelector" not in p
    }


def test_network_policies(rendered, values, flavour):
    vals = values[flavour]
    g = vals["global"]
    services = enabled(vals)
    policies = of_kind(rendered[flavour], "NetworkPolicy")
    for name, svc in services.items():
        spec = policies[full(name)]["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        # Over every pod of the service: its server and its workers.
        assert "zhurnal.io/process" not in spec["podSelector"]["matchLabels"]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == name

        callers = {n for n, s in services.items() if name in s["calls"]}
        grpc_in = [r for r in spec["ingress"] if _rule_ports(r) == {"grpc"}]
        if svc["kind"] == "grpc" and callers:
            assert "gateway" in callers
            (rule,) = grpc_in
            assert _pod_peers(rule, "from") == callers
        else:
            assert grpc_in == []
        scrape = [
            r
            for r in spec["ingress"]
            if _rule_ports(r) & {"metrics", "http"}
            and r.get("from") == g["networkPolicy"]["prometheus"]["peers"]
        ]
        assert scrape, f"{name}: Prometheus cannot scrape it"

        egress = spec["egress"]
        dns = egress[0]
        assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}
        for dep in ("postgres", "kafka", "keycloak"):
            peers = g[dep].get("peers", [])
            rules = [
                r
                for r in egress
                if _rule_ports(r) == set(g[dep]["ports"]) and r.get("to", []) == peers
            ]
            assert bool(rules) == svc["uses"][dep], f"{name}: egress to {dep}"
        calls = {c for c in svc["calls"] if c in services}
        to_services = set().union(*(_pod_peers(r, "to") for r in egress))
        assert to_services == calls


def test_production_opens_external_endpoints_only(values, rendered):
    g = values["production"]["global"]
    for dep in ("postgres", "kafka", "keycloak"):
        assert g[dep]["peers"], f"production must name the {dep} endpoints"
        assert all("ipBlock" in p for p in g[dep]["peers"])
    gateway = of_kind(rendered["production"], "NetworkPolicy")[full("gateway")]["spec"]
    (http_in,) = [
        r
        for r in gateway["ingress"]
        if _rule_ports(r) == {"http"} and r.get("from") != g["networkPolicy"]["prometheus"]["peers"]
    ]
    assert http_in["from"], "production must say who reaches the gateway"


# ------------------------------------------------------------------------------ production


def test_production_values_are_production_like(values, rendered):
    vals = values["production"]
    assert vals["global"]["environment"] == "production"
    assert vals["global"]["image"]["tag"] not in ("", "latest")
    assert vals["global"]["image"]["registry"]
    for name, svc in enabled(vals).items():
        assert svc["replicas"] >= 2, name
        assert svc["autoscaling"]["enabled"] and svc["autoscaling"]["minReplicas"] >= 2, name
        assert svc["pdb"]["enabled"], name
    for d in of_kind(rendered["production"], "Deployment").values():
        image = d["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.startswith(vals["global"]["image"]["registry"] + "/")
        assert image.endswith(":" + vals["global"]["image"]["tag"]) or "@sha256:" in image


# ------------------------------------------------------------------------------ switches


def test_disabling_a_service_removes_its_objects(render):
    result = render("default", "services.reporting.enabled=false")
    assert result.returncode == 0, result.stderr
    objects = result.objects
    assert [o["kind"] for o in objects if component(o) == "reporting"] == []
    gateway = of_kind(objects, "Deployment")[full("gateway")]
    assert "ZHURNAL_GATEWAY_REPORTING_ADDR" not in env_of(
        gateway["spec"]["template"]["spec"]["containers"][0]
    )
    policies = of_kind(objects, "NetworkPolicy")
    gateway_out = policies[full("gateway")]["spec"]["egress"]
    assert "reporting" not in set().union(*(_pod_peers(r, "to") for r in gateway_out))


def test_disabling_a_caller_closes_the_callees_door(render):
    result = render("default", "services.gateway.enabled=false")
    assert result.returncode == 0, result.stderr
    identity_in = of_kind(result.objects, "NetworkPolicy")[full("identity")]["spec"]["ingress"]
    assert "gateway" not in set().union(*(_pod_peers(r, "from") for r in identity_in))


def test_disabling_a_service_with_workers_removes_them_too(render):
    result = render("production", "services.identity.enabled=false")
    assert result.returncode == 0, result.stderr
    assert not [o for o in result.objects if component(o) == "identity"]
    assert not [o for o in result.objects if o["metadata"]["name"].startswith(full("identity"))]


def test_switching_off_autoscaling_pdb_and_policies(render):
    result = render(
        "default",
        "services.journal.autoscaling.enabled=false",
        "services.journal.replicas=3",
        "services.journal.pdb.enabled=false",
        "global.networkPolicy.enabled=false",
    )
    assert result.returncode == 0, result.stderr
    objects = result.objects
    assert full("journal") not in of_kind(objects, "HorizontalPodAutoscaler")
    assert full("journal") not in of_kind(objects, "PodDisruptionBudget")
    assert of_kind(objects, "NetworkPolicy") == {}
    assert of_kind(objects, "Deployment")[full("journal")]["spec"]["replicas"] == 3


def test_pdb_takes_min_available_instead(render):
    result = render(
        "default", "services.gateway.pdb.maxUnavailable=null", "services.gateway.pdb.minAvailable=1"
    )
    assert result.returncode == 0, result.stderr
    pdb = of_kind(result.objects, "PodDisruptionBudget")[full("gateway")]["spec"]
    assert pdb["minAvailable"] == 1 and "maxUnavailable" not in pdb


# ------------------------------------------------------------------------------ bad values


BAD_VALUES = {
    "negative replicas": ["services.identity.replicas=-1"],
    "unknown kind": ["services.identity.kind=soap"],
    "no resources": ["services.journal.resources=null"],
    "no limits": ["services.journal.resources.limits=null"],
    "no memory request": ["services.gateway.resources.requests.memory=null"],
    "worker without limits": ["services.identity.workers[0].resources.limits=null"],
    "worker without command": ["services.identity.workers[0].command=null"],
    "worker named server": ["services.identity.workers[0].name=server"],
    "unknown service key": ["services.identity.replica=2"],
    "unknown global key": ["global.kafkaBootstrap=x:9092"],
    "both pdb bounds": ["services.gateway.pdb.minAvailable=1"],
    "autoscaling to zero": ["services.identity.autoscaling.minReplicas=0"],
    "non-numeric port": ["global.ports.grpc=grpc"],
    "root pods": ["global.podSecurityContext.runAsNonRoot=false"],
    "keycloak url without scheme": ["global.keycloak.url=keycloak:8080"],
    "service without kind": ["services.identity.kind=null"],
}


@pytest.mark.parametrize("sets", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_schema_rejects_bad_values(helm, render, sets):
    result = render("default", *sets)
    assert result.returncode != 0, f"helm template accepted {sets}"
    assert "schema" in result.stderr, result.stderr
    lint = helm("lint", "--strict", str(CHART), *values_args("default", tuple(sets)))
    assert lint.returncode != 0, f"helm lint accepted {sets}"


BAD_REFERENCES = {
    "calls an unknown service": (["services.journal.calls={identity,nosuch}"], "not a service"),
    "calls the gateway": (["services.journal.calls={gateway}"], "not a gRPC service"),
    "min above max": (["services.identity.autoscaling.minReplicas=5"], "above maxReplicas"),
}


@pytest.mark.parametrize(("sets", "message"), BAD_REFERENCES.values(), ids=BAD_REFERENCES.keys())
def test_templates_reject_what_the_schema_cannot_see(render, sets, message):
    result = render("default", *sets)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


# ------------------------------------------------------------------------------ local parity


def _procfile_processes() -> set[tuple[str, str]]:
    """(service, module) of every process of the local system (deploy/local/Procfile)."""
    procfile = ROOT / "deploy" / "local" / "Procfile"
    out = set()
    for line in procfile.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = line.split()
        module = words[words.index("-m") + 1]
        out.add((module.split(".")[0].removeprefix("zhurnal_"), module))
    return out


def test_chart_runs_the_same_processes_as_the_local_system(values, flavour):
    """Every process `make up` runs has a Deployment in the chart, and the other way round."""
    chart = set()
    for name, svc in enabled(values[flavour]).items():
        entry = "grpc_server" if svc["kind"] == "grpc" else "http"
        chart.add((name, f"zhurnal_{name}.entrypoints.{entry}"))
        for worker in svc["workers"]:
            command = worker["command"]
            chart.add((name, command[command.index("-m") + 1]))
    assert chart == _procfile_processes()


# ------------------------------------------------------------------------------ chart-check.sh


def test_chart_check_script(tmp_path):
    """deploy/local/chart-check.sh: lint, render into $RUN_DIR/chart and validate."""
    assert helm_path().is_file(), "helm is missing: run `make install`"
    env = {**os.environ, "ZHURNAL_RUN_DIR": str(tmp_path), "KUBE_VERSION": KUBE_VERSION}
    proc = subprocess.run(
        [str(ROOT / "deploy" / "local" / "chart-check.sh")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in VALUES_FILES:
        manifest = Path(tmp_path, "chart", f"{name}.yaml")
        assert manifest.read_text().count("\nkind: ") > 0
