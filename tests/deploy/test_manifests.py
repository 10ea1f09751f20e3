"""The container image and the Kubernetes example, held to the gateway's code so they cannot drift:
the probes ask routes the app serves, on the port it listens on; every ITSM_GATEWAY_* variable is a
setting; the example settings file is valid and its secret files come from the example Secret;
the image installs every package the distribution ships.

No cluster and no Docker daemon is needed (docs/operations.md#deployment says what was run where).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.catalog import capabilities
from gateway.app import create_app
from gateway.profiles import load_profiles
from gateway.settings import PREFIX, SECRET_SETTINGS, Settings

REPO = Path(__file__).resolve().parents[2]
KUBERNETES = REPO / "deploy" / "kubernetes"
MANIFESTS = sorted(KUBERNETES.glob("*.yaml"))
DOCKERFILE = (REPO / "Dockerfile").read_text()


def documents() -> list[dict[str, Any]]:
    return [
        document
        for path in MANIFESTS
        for document in yaml.safe_load_all(path.read_text())
        if document is not None
    ]


def one(kind: str) -> dict[str, Any]:
    [found] = [document for document in documents() if document["kind"] == kind]
    return found


def container() -> dict[str, Any]:
    [gateway] = one("Deployment")["spec"]["template"]["spec"]["containers"]
    return gateway


def env_values() -> dict[str, str]:
    """The container's variables, a Secret reference replaced by the example Secret's value."""
    secret = one("Secret")
    values = {}
    for variable in container()["env"]:
        if "value" in variable:
            values[variable["name"]] = variable["value"]
        else:
            reference = variable["valueFrom"]["secretKeyRef"]
            assert reference["name"] == secret["metadata"]["name"]
            values[variable["name"]] = secret["stringData"][reference["key"]]
    return values


def example_settings_text() -> str:
    return one("ConfigMap")["data"]["settings.toml"]


def dockerfile_instructions(name: str) -> list[str]:
    """The arguments of every ``name`` instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(f"{name} ")]


# -- the manifests -------------------------------------------------------------------------------


def test_every_manifest_is_yaml_of_a_kubernetes_kind() -> None:
    assert {path.name for path in MANIFESTS} >= {
        "deployment.yaml",
        "service.yaml",
        "configmap.yaml",
        "secret.yaml",
        "kustomization.yaml",
    }
    kinds = [document["kind"] for document in documents()]
    assert sorted(kinds) == sorted(
        [
            "ConfigMap",
            "Deployment",
            "Kustomization",
            "PodDisruptionBudget",
            "Secret",
            "Service",
        ]
    )
    for document in documents():
        assert document["apiVersion"]
        if document["kind"] != "Kustomization":
            assert document["metadata"]["name"].startswith("itsm-gateway")


def test_the_kustomization_lists_every_other_manifest() -> None:
    listed = one("Kustomization")["resources"]
    assert sorted(listed) == sorted(p.name for p in MANIFESTS if p.name != "kustomization.yaml")


def named_port(name_or_number: str | int) -> int:
    if isinstance(name_or_number, int):
        return name_or_number
    [port] = [p["containerPort"] for p in container()["ports"] if p["name"] == name_or_number]
    return port


def test_the_probes_ask_the_gateways_health_routes_on_its_port() -> None:
    settings = Settings(keycloak_issuer="https://sso.example.com/realms/smartops")
    routes = {
        resource.canonical
        for resource in create_app(settings).router.resources()
        if any(route.method == "GET" for route in resource)
    }
    gateway = container()
    listening = int(env_values()[f"{PREFIX}PORT"])
    [port] = gateway["ports"]
    assert port["containerPort"] == listening

    probes = {kind: gateway[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    for probe in [*probes.values(), gateway["startupProbe"]["httpGet"]]:
        assert probe["path"] in routes
        assert named_port(probe["port"]) == listening


def test_the_service_and_the_budget_select_the_pods_and_reach_the_port() -> None:
    deployment = one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = one("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    [port] = service["spec"]["ports"]
    assert named_port(port["targetPort"]) == int(env_values()[f"{PREFIX}PORT"])
    budget = one("PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def setting_variables(text: str) -> set[str]:
    return set(re.findall(rf"\b{PREFIX}[A-Z0-9_]+\b", text))


@pytest.mark.parametrize("path", [*MANIFESTS, REPO / "Dockerfile"], ids=lambda path: path.name)
def test_every_variable_named_is_a_setting(path: Path) -> None:
    settings = {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}
    settings |= {f"{PREFIX}{name.upper()}_FILE" for name in SECRET_SETTINGS}
    unknown = setting_variables(path.read_text()) - settings - {f"{PREFIX}SETTINGS_FILE"}
    assert not unknown, f"{path.name} names variables that are no setting: {sorted(unknown)}"


def test_the_example_settings_are_what_serve_accepts(tmp_path: Path) -> None:
    """The ConfigMap's file with the Deployment's variables loads; its profiles, with the
    Secret's files where the pod mounts them, pass the start-up checks."""
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text(example_settings_text())
    environ = env_values() | {f"{PREFIX}SETTINGS_FILE": str(settings_file)}
    mounts = {mount["name"]: mount for mount in container()["volumeMounts"]}
    volumes = {v["name"]: v for v in one("Deployment")["spec"]["template"]["spec"]["volumes"]}
    assert env_values()[f"{PREFIX}SETTINGS_FILE"] == (
        f"{mounts['settings']['mountPath']}/settings.toml"
    )

    # Each *_file and *_FILE names a file of the Secret volume; here it is written where the
    # test can.
    secret_dir = mounts["secrets"]["mountPath"]
    items = {item["path"]: item["key"] for item in volumes["secrets"]["secret"]["items"]}
    secret_values = one("Secret")["stringData"]
    for variable, value in list(environ.items()):
        if variable.endswith("_FILE") and value.startswith(f"{secret_dir}/"):
            file = tmp_path / value.removeprefix(f"{secret_dir}/")
            file.write_text(secret_values[items[file.name]] + "\n")
            environ[variable] = str(file)

    settings = Settings.load(environ)
    assert settings.redis_url and settings.keycloak_client_secret  # read from their files
    profiles: dict[str, dict[str, Any]] = {}
    for name, table in settings.connections.items():
        profiles[name] = dict(table)
        for key, value in table.items():
            if key.endswith("_file"):
                assert value.startswith(f"{secret_dir}/"), f"connections.{name}.{key}"
                file = tmp_path / value.removeprefix(f"{secret_dir}/")
                file.write_text(secret_values[items[file.name]] + "\n")
                profiles[name][key] = str(file)
            if key.endswith("_env"):
                assert value in environ, f"connections.{name}.{key} names an unset variable"
    assert profiles, "the example should show a connection profile"

    def public_address(host: str, port: int) -> Sequence[str]:
        return [
            "149.96.5.10"
        ]  # a ServiceNow data-centre address if host.endswith(".service-now.com") else []

    loaded = load_profiles(
        profiles, settings.url_policy(), capabilities(), environ=environ, resolve=public_address
    )
    assert loaded.keys() == settings.connections.keys()


def test_the_shutdown_fits_in_the_termination_grace_period() -> None:
    pod = one("Deployment")["spec"]["template"]["spec"]
    settings = tomllib.loads(example_settings_text())
    grace = settings.get("shutdown_grace_seconds", Settings.model_fields["shutdown_grace_seconds"])
    pause = re.search(
        r"sleep\((\d+)\)", " ".join(container()["lifecycle"]["preStop"]["exec"]["command"])
    )
    assert pause
    assert pod["terminationGracePeriodSeconds"] > grace + int(pause[1])


def test_workers_and_cpu_limit_agree() -> None:
    """A worker uses up to one core: a CPU limit below the workers throttles them."""
    workers = int(env_values()[f"{PREFIX}WORKERS"])
    resources = container()["resources"]
    assert int(resources["limits"]["cpu"]) == workers
    assert int(one("Deployment")["spec"]["replicas"]) >= 2


def test_the_pod_runs_unprivileged_on_a_read_only_root() -> None:
    pod = one("Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    [user] = dockerfile_instructions("USER")
    assert pod["securityContext"]["runAsUser"] == int(user.split(":")[0]) != 0
    security = container()["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    for mount in container()["volumeMounts"]:
        if mount["name"] in ("settings", "secrets"):
            assert mount["readOnly"] is True
    # Several workers share their metrics through files in the temporary directory.
    [tmp] = [mount for mount in container()["volumeMounts"] if mount["mountPath"] == "/tmp"]  # noqa: S108
    assert not tmp.get("readOnly", False)
    [volume] = [volume for volume in pod["volumes"] if volume["name"] == tmp["name"]]
    assert "emptyDir" in volume


def test_the_secret_holds_placeholders_only() -> None:
    for key, value in one("Secret")["stringData"].items():
        assert "REPLACE-ME" in value, key
    assert "REPLACE-ME" not in example_settings_text()  # no secret in the ConfigMap


# -- the image -----------------------------------------------------------------------------------


def test_the_image_listens_where_the_manifests_look() -> None:
    [exposed] = dockerfile_instructions("EXPOSE")
    environment = " ".join(dockerfile_instructions("ENV"))
    assert f"{PREFIX}HOST=0.0.0.0" in environment
    assert f"{PREFIX}PORT={exposed}" in environment
    assert (
        int(exposed)
        == Settings.model_fields["port"].default
        == container()["ports"][0]["containerPort"]
    )


def test_the_image_copies_every_package_the_distribution_ships() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    shipped = {
        name
        for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
        if "." not in name
    }
    copied = {line.split()[0].rstrip("/") for line in dockerfile_instructions("COPY")}
    assert shipped <= copied
    ignored = {
        line.strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert not shipped & ignored
    assert {"tests", "bench", ".venv", ".git"} <= ignored
