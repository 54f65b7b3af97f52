"""The files under ``docker/`` that users run on their own machines.

There is no Docker engine where the suite runs, so these tests check what can be checked
without one: the Compose files are validated by ``docker-compose config`` (Debian package
``docker-compose``, which needs no engine) and their resolved form is inspected; the
Dockerfile, the proxy config, the lock and the configuration reference are read as text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
BASE = DOCKER / "compose.yml"
KAFKA_OVERRIDE = DOCKER / "compose.kafka.yml"
DOCKERFILE = DOCKER / "Dockerfile"
SETTINGS = ROOT / "config" / "settings.py"

REQUIRED_SERVICES = {
    "postgres",
    "redis",
    "rabbitmq",
    "kafka",
    "migrate",
    "web",
    "ws",
    "worker",
    "beat",
    "relay",
}
APP_SERVICES_WAITING_FOR_MIGRATE = {"web", "ws", "worker", "beat", "relay"}
# Variables an app container may receive that config/settings.py does not read itself:
# read by gunicorn (WEB_CONCURRENCY, FORWARDED_ALLOW_IPS), by the image's healthcheck
# (HEALTHCHECK_HOST) or by Django's entry points (DJANGO_SETTINGS_MODULE).
PROCESS_VARIABLES = {
    "WEB_CONCURRENCY",
    "FORWARDED_ALLOW_IPS",
    "HEALTHCHECK_HOST",
    "DJANGO_SETTINGS_MODULE",
}
SECRETS = {
    "DJANGO_SECRET_KEY": "test-secret-key-not-used-anywhere-0123456789abcdef",
    "POSTGRES_PASSWORD": "test-postgres-password",
    "RABBITMQ_PASSWORD": "test-rabbitmq-password",
}

# --------------------------------------------------------------------------- helpers


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())  # resolves the YAML anchors and << merge keys
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in env)
        return {key: value for key, value in pairs}
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def _is_app_service(service: Mapping[str, Any]) -> bool:
    """A service running the Bazaar image: it builds docker/Dockerfile."""
    build = service.get("build")
    return isinstance(build, Mapping) and str(build.get("dockerfile", "")).endswith(
        "docker/Dockerfile"
    )


def _command(service: Mapping[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def _settings_variables() -> set[str]:
    """Every environment variable config/settings.py reads through django-environ."""
    source = SETTINGS.read_text()
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    assert {"BAZAAR_PROFILE", "DJANGO_SECRET_KEY", "DATABASE_URL"} <= names, "settings parser broke"
    return names


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail(
        "docker-compose is not installed, so the Compose files cannot be validated. "
        "Install it with `apt-get install -y docker-compose` (the Debian package works "
        "without a Docker engine) and run the tests again."
    )


def _compose(
    tmp_path: Path, *files: Path, env: Mapping[str, str] = SECRETS, quiet: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `docker-compose config` on ``files`` with only ``env`` (plus PATH/HOME) set.

    An empty --env-file keeps a developer's docker/.env out of the result.
    """
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    args = [*_compose_command(), "--env-file", str(empty_env_file)]
    for file in files:
        args += ["-f", str(file)]
    args += ["config", "-q"] if quiet else ["config"]
    process_env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    process_env.update(env)
    return subprocess.run(
        args, capture_output=True, text=True, env=process_env, timeout=60, check=False
    )


def _resolved(tmp_path: Path, *files: Path) -> dict[str, Any]:
    result = _compose(tmp_path, *files)
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    assert isinstance(data, dict)
    return data


def _dockerfile_final_stage() -> list[str]:
    lines = DOCKERFILE.read_text().replace("\\\n", " ").splitlines()
    instructions = [
        line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
    ]
    starts = [i for i, line in enumerate(instructions) if line.upper().startswith("FROM ")]
    assert len(starts) >= 2, (
        "the Dockerfile must be multi-stage (a build stage and a runtime stage)"
    )
    return instructions[starts[-1] :]


# ------------------------------------------------- docker-compose config (needs the binary)


def test_base_compose_file_is_valid(tmp_path: Path) -> None:
    result = _compose(tmp_path, BASE, quiet=True)
    assert result.returncode == 0, result.stderr


def test_base_plus_kafka_override_is_valid(tmp_path: Path) -> None:
    result = _compose(tmp_path, BASE, KAFKA_OVERRIDE, quiet=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(tmp_path: Path, missing: str) -> None:
    env = {key: value for key, value in SECRETS.items() if key != missing}
    result = _compose(tmp_path, BASE, env=env, quiet=True)
    assert result.returncode != 0
    assert missing in result.stderr


def test_base_uses_rabbitmq_and_override_switches_events_to_the_native_kafka_consumer(
    tmp_path: Path,
) -> None:
    """ADR 0008: on Kafka, events use the native consumer; Celery keeps RabbitMQ."""
    base = _resolved(tmp_path, BASE)["services"]
    kafka = _resolved(tmp_path, BASE, KAFKA_OVERRIDE)["services"]
    app_services = [name for name, service in base.items() if _is_app_service(service)]
    assert set(app_services) >= APP_SERVICES_WAITING_FOR_MIGRATE | {"migrate"}

    for name in app_services:
        before, after = _environment(base[name]), _environment(kafka[name])
        assert before["CELERY_BROKER_URL"].startswith("amqp://"), name
        assert before["CELERY_BROKER_URL"].endswith("@rabbitmq:5672//"), name
        assert before["EVENT_BROKER"] == "rabbitmq", name
        assert after["EVENT_DISPATCH"] == "broker", name
        assert after["EVENT_BROKER"] == "kafka", name
        assert after["EVENT_BROKER_URL"] == "kafka:9092", name
        # Nothing else changes: same database, cache, secret, Celery broker and profile.
        for key in (
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SECRET_KEY",
            "CELERY_BROKER_URL",
            "BAZAAR_PROFILE",
        ):
            assert after[key] == before[key], (name, key)
        if name != "migrate":
            assert kafka[name]["depends_on"]["kafka"]["condition"] == "service_healthy", name


def test_secrets_reach_the_containers_from_the_environment(tmp_path: Path) -> None:
    services = _resolved(tmp_path, BASE)["services"]
    web = _environment(services["web"])
    assert web["DJANGO_SECRET_KEY"] == SECRETS["DJANGO_SECRET_KEY"]
    assert (
        web["DATABASE_URL"]
        == f"postgres://bazaar:{SECRETS['POSTGRES_PASSWORD']}@postgres:5432/bazaar"
    )
    assert _environment(services["postgres"])["POSTGRES_PASSWORD"] == SECRETS["POSTGRES_PASSWORD"]
    assert (
        _environment(services["rabbitmq"])["RABBITMQ_DEFAULT_PASS"] == SECRETS["RABBITMQ_PASSWORD"]
    )


def test_app_processes_wait_for_migrations_and_healthy_stores(tmp_path: Path) -> None:
    services = _resolved(tmp_path, BASE)["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES_WAITING_FOR_MIGRATE:
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        for store in ("postgres", "redis", "rabbitmq"):
            if store in depends_on:
                assert depends_on[store]["condition"] == "service_healthy", (name, store)


# ---------------------------------------------------------- the YAML itself (always)


def test_required_services_exist() -> None:
    services = _load(BASE)["services"]
    assert set(services) >= REQUIRED_SERVICES, REQUIRED_SERVICES - set(services)
    assert "version" not in _load(BASE), "Compose specification files carry no `version` key"


def test_every_app_service_runs_the_services_profile() -> None:
    services = _load(BASE)["services"]
    app_names = {name for name, service in services.items() if _is_app_service(service)}
    assert app_names >= APP_SERVICES_WAITING_FOR_MIGRATE | {"migrate"}
    for name in app_names:
        env = _environment(services[name])
        assert env.get("BAZAAR_PROFILE") == "services", name
        assert env.get("DJANGO_DEBUG") == "false", name
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?"), name


def test_kafka_override_keeps_the_services_profile() -> None:
    """The override may add variables but must not change the profile or debug mode."""
    services = _load(KAFKA_OVERRIDE)["services"]
    assert set(services) <= set(_load(BASE)["services"]), "the override only adjusts services"
    for name, service in services.items():
        env = _environment(service)
        assert env.get("BAZAAR_PROFILE", "services") == "services", name
        assert env.get("DJANGO_DEBUG", "false") == "false", name


def test_app_services_only_set_variables_that_something_reads() -> None:
    known = _settings_variables() | PROCESS_VARIABLES
    for path in (BASE, KAFKA_OVERRIDE):
        for name, service in _load(path)["services"].items():
            if path == BASE and not _is_app_service(service):
                continue
            unknown = set(_environment(service)) - known
            assert not unknown, (
                f"{path.name}:{name} sets variables nothing reads: {sorted(unknown)}"
            )


def test_process_commands() -> None:
    services = _load(BASE)["services"]
    assert _command(services["web"]).startswith("gunicorn config.wsgi:application")
    assert _command(services["ws"]).startswith("daphne ")
    assert _command(services["ws"]).endswith("config.asgi:application")
    assert _command(services["migrate"]) == "python manage.py migrate --noinput"
    assert _command(services["relay"]) == "python manage.py relay_outbox"
    assert _command(services["beat"]).startswith("celery -A config beat")

    worker = _command(services["worker"])
    assert worker.startswith("celery -A config worker")
    assert "--pool=prefork" in worker
    queues_arg = re.search(r"--queues=\$\{BAZAAR_WORKER_QUEUES:-([^}]*)\}", worker)
    assert queues_arg, worker
    queues = queues_arg.group(1).split(",")
    assert "default" in queues
    contexts = {
        "auth",
        "catalog",
        "vendors",
        "subscriptions",
        "payments",
        "orders",
        "reviews",
        "search",
        "notifications",
    }
    assert {f"events.{context}" for context in contexts} <= set(queues)
    assert _environment(services["worker"])["EVENT_DISPATCH"] == "${EVENT_DISPATCH:-celery}"


def test_infrastructure_has_healthchecks_and_kafka_runs_kraft() -> None:
    services = _load(BASE)["services"]
    for name in ("postgres", "redis", "rabbitmq", "kafka", "web", "ws", "worker", "proxy"):
        healthcheck = services[name].get("healthcheck") or {}
        assert healthcheck.get("test"), name
        assert not healthcheck.get("disable"), name
    assert services["postgres"]["image"].startswith(("postgres:15", "postgres:16"))
    assert services["redis"]["image"].startswith("redis:7")
    assert re.match(r"rabbitmq:3[.\d]*-management", services["rabbitmq"]["image"])

    kafka = services["kafka"]
    assert "apache/kafka:" in kafka["image"]
    env = _environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert not any("ZOOKEEPER" in key for key in env)
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_proxy_routes_websockets_to_the_asgi_service() -> None:
    conf = (DOCKER / "nginx.conf").read_text()
    services = _load(BASE)["services"]
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]
    assert re.search(r"upstream bazaar_asgi \{\s*server ws:8000;", conf)
    assert re.search(r"upstream bazaar_wsgi \{\s*server web:8000;", conf)
    ws_location = re.search(r"location /ws/ \{(.*?)\}", conf, re.S)
    assert ws_location
    assert "proxy_pass http://bazaar_asgi;" in ws_location.group(1)
    assert "proxy_set_header Upgrade $http_upgrade;" in ws_location.group(1)
    root_location = re.search(r"location / \{(.*?)\}", conf, re.S)
    assert root_location
    assert "proxy_pass http://bazaar_wsgi;" in root_location.group(1)
    for block in (ws_location.group(1), root_location.group(1)):
        assert "X-Forwarded-Proto" in block  # SECURE_PROXY_SSL_HEADER depends on it


def test_dockerfile_runs_as_non_root_and_serves_wsgi() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    final = _dockerfile_final_stage()
    users = [line.split(None, 1)[1].strip() for line in final if line.upper().startswith("USER ")]
    assert users, "the runtime stage has no USER directive, so it would run as root"
    user, _, group = users[-1].partition(":")
    assert user not in {"root", "0", ""}, users[-1]
    assert group not in {"root", "0"}, users[-1]
    assert any("collectstatic" in line for line in final)
    healthcheck = next(line for line in final if line.upper().startswith("HEALTHCHECK"))
    assert "/healthz" in healthcheck
    cmd = next(line for line in reversed(final) if line.upper().startswith("CMD "))
    assert '"gunicorn", "config.wsgi:application"' in cmd
    assert "pip install -c requirements/constraints.txt ." in text.replace("\\\n", " ")


def test_lock_pins_every_runtime_dependency() -> None:
    def normalise(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pinned = {
        normalise(line.split("==", 1)[0]): line.split("==", 1)[1].strip()
        for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = normalise(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0])
        assert name in pinned, f"{requirement} is not pinned in requirements/constraints.txt"
    assert "bazaar" not in pinned, "the lock must not pin the project itself"


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".env", "docker/.env", ".venv", ".local"} <= ignored
    assert "README.md" not in ignored  # pyproject.toml names it as the readme


def test_env_example_sets_no_secret() -> None:
    values = dict(
        line.split("=", 1)
        for line in (DOCKER / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for secret in SECRETS:
        assert values[secret] == "", f"{secret} must be left empty in .env.example"


def test_configuration_reference_documents_every_variable() -> None:
    reference = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`", reference, re.M))
    missing = (_settings_variables() | PROCESS_VARIABLES) - documented
    assert not missing, f"docs/configuration.md lacks a table row for {sorted(missing)}"
