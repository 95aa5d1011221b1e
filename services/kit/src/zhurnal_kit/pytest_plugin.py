"""Pytest fixtures shared by every service's tests and the end-to-end suite.

The heavy components (PostgreSQL, Kafka, Keycloak, Prometheus) are started once per run by the
project's own scripts and left as they were found. Every run gets its own databases and its
own Kafka topic namespace, so runs and a developer's `make up` never see each other's data.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from zhurnal_kit.testing import KeycloakAdmin

ROOT = Path(__file__).resolve().parents[4]
LOCAL = ROOT / "deploy" / "local"

# The browser fixtures (`browser`, `page`, `screenshots`): headless Debian Chromium (ADR 16).
pytest_plugins = ["zhurnal_kit.pytest_browser"]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Infra:
    """Where the real components listen."""

    pg_port: int
    pg_user: str
    kafka_bootstrap: str
    keycloak_url: str
    prometheus_url: str
    run_dir: Path

    def database_url(self, name: str, *, driver: str = "postgresql+asyncpg") -> str:
        """A URL of database ``name`` on the local cluster."""
        return f"{driver}://{self.pg_user}@127.0.0.1:{self.pg_port}/{name}"


def _infra_up() -> bool:
    return subprocess.run([LOCAL / "infra.sh", "status"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """The real components, started by deploy/local/infra.sh unless they already run."""
    was_up = _infra_up()
    if not was_up:
        result = subprocess.run([LOCAL / "infra.sh", "up"], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.exit(f"the components did not come up:\n{result.stdout}\n{result.stderr}", 3)
    run_dir = Path(os.environ.get("ZHURNAL_RUN_DIR", ROOT / ".run"))
    yield Infra(
        pg_port=_env_int("PG_PORT", 55432),
        pg_user=os.environ.get("PG_USER", "zhurnal"),
        kafka_bootstrap=f"127.0.0.1:{_env_int('KAFKA_PORT', 59092)}",
        keycloak_url=f"http://127.0.0.1:{_env_int('KEYCLOAK_PORT', 58080)}",
        prometheus_url=f"http://127.0.0.1:{_env_int('PROMETHEUS_PORT', 59090)}",
        run_dir=run_dir,
    )
    if not was_up and not os.environ.get("ZHURNAL_KEEP_INFRA"):
        subprocess.run([LOCAL / "infra.sh", "down"], check=False)


@pytest.fixture(scope="session")
def run_id() -> str:
    """A short id naming this test run's databases and topics."""
    return "t" + uuid.uuid4().hex[:8]


def run_admin_sql(infra: Infra, sql: str) -> None:
    """Run ``sql`` on the cluster's postgres database as the superuser."""

    async def admin() -> None:
        conn = await asyncpg.connect(infra.database_url("postgres", driver="postgresql"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # In a thread of its own: callers may be async fixtures inside a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, admin()).result()


# Services whose processes run as a login role of their own that owns nothing, while their
# migrations run as the owner (ADR 13): the login role, and the group role its migrations grant
# the service's privileges to.
SERVICE_ROLES = {"journal": ("zhurnal_journal", "zhurnal_journal_app")}


def ensure_service_role(infra: Infra, service: str) -> str:
    """Create the service's login role and group role if missing (roles belong to the
    cluster, and concurrent test runs may race to create them); the login role's name."""
    login, group = SERVICE_ROLES[service]
    run_admin_sql(
        infra,
        f"""
        DO $$
        BEGIN
            BEGIN
                CREATE ROLE {group} NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
            BEGIN
                CREATE ROLE {login} LOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
            IF NOT pg_has_role('{login}', '{group}', 'MEMBER') THEN
                BEGIN
                    GRANT {group} TO {login};
                EXCEPTION WHEN unique_violation THEN NULL;
                END;
            END IF;
        END
        $$
        """,
    )
    return login


def as_role(url: str, role: str) -> str:
    """``url`` with ``role`` as its user (trust authentication: no password)."""
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def make_database(infra: Infra, run_id: str) -> Iterator[Callable[[str], str]]:
    """Creates a fresh database per call (``<run>_<name>``); all are dropped at the end."""
    created: list[str] = []

    def run(sql: str) -> None:
        run_admin_sql(infra, sql)

    def make(name: str) -> str:
        db = f"{run_id}_{name}"
        run(f'CREATE DATABASE "{db}"')
        created.append(db)
        return infra.database_url(db)

    yield make
    for db in created:
        run(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class ProcessSpec:
    """One process of the system: its module and environment."""

    name: str
    module: str
    env: dict[str, str]
    metrics_port: int


@dataclass
class Stack:
    """The services of the system running as real processes against the real components."""

    infra: Infra
    namespace: str
    database_urls: dict[str, str]
    gateway_url: str
    grpc_addrs: dict[str, str]
    specs: dict[str, ProcessSpec]
    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """Start process ``name`` (extra_env adds settings, e.g. a fault drill's pause)."""
        spec = self.specs[name]
        # Unbuffered: a process killed in a drill must not take its last log lines with it.
        env = {**os.environ, **spec.env, **extra_env, "PYTHONUNBUFFERED": "1"}
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "python"), "-m", spec.module],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL process ``name``: no cleanup, no goodbye (a crash)."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self, name: str) -> None:
        """SIGTERM process ``name`` and wait for its graceful exit."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        """Stop every process started: all are signalled at once, then awaited (a slow one
        does not hold the others up)."""
        procs, self.procs = self.procs, {}
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def run_cli(self, *args: str) -> str:
        """Run an identity operator command against this stack; its output."""
        result = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "python"),
                "-m",
                "zhurnal_identity.entrypoints.cli",
                *args,
            ],
            env={**os.environ, **self.specs["identity"].env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def metric(self, name: str, metric: str, **labels: str) -> float:
        """The value of ``metric{labels}`` on process ``name``'s /metrics (0 when absent)."""
        text = httpx.get(f"http://127.0.0.1:{self.specs[name].metrics_port}/metrics").text
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(metric + "{") and not line.startswith(metric + " "):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total


SERVICES = ("identity", "curriculum", "journal", "reporting", "backup")


def _specs(
    infra: Infra, namespace: str, urls: dict[str, str], logins: dict[str, str]
) -> tuple[dict[str, ProcessSpec], dict[str, str], int]:
    common: dict[str, str] = {}
    grpc: dict[str, str] = {}
    for svc in SERVICES:
        prefix = f"ZHURNAL_{svc.upper()}_"
        port = free_port()
        grpc[svc] = f"127.0.0.1:{port}"
        if svc in logins:
            # The service runs as its own login role; migrations run as the owner.
            common[f"{prefix}MIGRATIONS_DATABASE_URL"] = urls[svc]
            common[f"{prefix}DATABASE_URL"] = as_role(urls[svc], logins[svc])
        else:
            common[f"{prefix}DATABASE_URL"] = urls[svc]
        common |= {
            f"{prefix}KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            f"{prefix}KAFKA_TOPIC_NAMESPACE": namespace,
            f"{prefix}KEYCLOAK_URL": infra.keycloak_url,
            f"{prefix}GRPC_PORT": str(port),
            f"{prefix}ENVIRONMENT": "test",
            f"{prefix}DATABASE_POOL_SIZE": "4",
        }
    secrets_dir = infra.run_dir / "secrets"
    common |= {
        # The identity service manages Keycloak accounts through its service-account client.
        "ZHURNAL_IDENTITY_KEYCLOAK_ADMIN_CLIENT_SECRET": _read(
            secrets_dir / "identity-client-secret"
        ),
        # Short intervals so tests of expiry and console changes need not wait long.
        "ZHURNAL_IDENTITY_EXPIRY_INTERVAL_S": "1",
        "ZHURNAL_IDENTITY_ACCOUNT_EVENTS_INTERVAL_S": "1",
    }
    http_port = free_port()
    common |= {f"ZHURNAL_GATEWAY_{svc.upper()}_ADDR": addr for svc, addr in grpc.items()}
    common["ZHURNAL_CURRICULUM_IDENTITY_ADDR"] = grpc["identity"]
    common |= {
        "ZHURNAL_JOURNAL_IDENTITY_ADDR": grpc["identity"],
        "ZHURNAL_JOURNAL_CURRICULUM_ADDR": grpc["curriculum"],
        # A short deadline (the lesson's end) and a 1 s monitor, so tests of late entries and
        # of the overdue alert need not wait for midnight.
        "ZHURNAL_JOURNAL_TOPIC_DUE": "lesson_end",
        "ZHURNAL_JOURNAL_MONITOR_INTERVAL_S": "1",
    }
    common |= {
        "ZHURNAL_GATEWAY_DATABASE_URL": urls["gateway"],
        "ZHURNAL_GATEWAY_HTTP_PORT": str(http_port),
        "ZHURNAL_GATEWAY_KEYCLOAK_URL": infra.keycloak_url,
        "ZHURNAL_GATEWAY_ENVIRONMENT": "test",
        # The gateway's OIDC client (people's logins); sessions re-validated every 2 s.
        "ZHURNAL_GATEWAY_CLIENT_SECRET": _read(secrets_dir / "gateway-client-secret"),
        "ZHURNAL_GATEWAY_SESSION_REVALIDATE_S": "2",
    }
    processes = [
        ("identity", "zhurnal_identity.entrypoints.grpc_server", "identity"),
        ("identity-relay", "zhurnal_identity.entrypoints.relay", "identity"),
        ("identity-scheduler", "zhurnal_identity.entrypoints.scheduler", "identity"),
        ("curriculum", "zhurnal_curriculum.entrypoints.grpc_server", "curriculum"),
        ("curriculum-consumers", "zhurnal_curriculum.entrypoints.consumers", "curriculum"),
        ("curriculum-relay", "zhurnal_curriculum.entrypoints.relay", "curriculum"),
        ("journal", "zhurnal_journal.entrypoints.grpc_server", "journal"),
        ("journal-consumers", "zhurnal_journal.entrypoints.consumers", "journal"),
        ("journal-relay", "zhurnal_journal.entrypoints.relay", "journal"),
        ("journal-monitor", "zhurnal_journal.entrypoints.monitor", "journal"),
        ("reporting", "zhurnal_reporting.entrypoints.grpc_server", "reporting"),
        ("backup", "zhurnal_backup.entrypoints.grpc_server", "backup"),
    ]
    specs: dict[str, ProcessSpec] = {}
    for name, module, svc in processes:
        metrics = free_port()
        env = {**common, f"ZHURNAL_{svc.upper()}_METRICS_PORT": str(metrics)}
        specs[name] = ProcessSpec(name, module, env, metrics)
    specs["gateway"] = ProcessSpec("gateway", "zhurnal_gateway.entrypoints.http", common, http_port)
    return specs, grpc, http_port


def _read(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""


def wait_until(
    check: Callable[[], Any],
    *,
    timeout: float = 60.0,
    interval: float = 0.2,
    what: str = "condition",
) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` on time-out."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except Exception as exc:  # the thing is not up yet: keep polling
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last_error!r})")


@pytest.fixture(scope="session")
def stack(infra: Infra, make_database: Callable[[str], str], run_id: str) -> Iterator[Stack]:
    """Every service running as real processes against fresh databases and topics."""
    # The owners' URLs: tests read (and tamper with) the databases directly.
    urls = {svc: make_database(svc) for svc in (*SERVICES, "gateway")}
    logins = {svc: ensure_service_role(infra, svc) for svc in SERVICE_ROLES}
    specs, grpc_addrs, http_port = _specs(infra, run_id, urls, logins)
    log_dir = infra.run_dir / "test-logs" / run_id
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(
        infra=infra,
        namespace=run_id,
        database_urls=urls,
        gateway_url=f"http://127.0.0.1:{http_port}",
        grpc_addrs=grpc_addrs,
        specs=specs,
        log_dir=log_dir,
    )
    targets = infra.run_dir / "prometheus" / "targets" / f"test-{run_id}.json"
    try:
        for name in specs:
            stack.start(name)
        wait_until(
            lambda: httpx.get(f"{stack.gateway_url}/readyz").status_code == 200,
            timeout=90,
            what=f"the test stack to be ready (logs: {log_dir})",
        )
        targets.parent.mkdir(parents=True, exist_ok=True)
        targets.write_text(
            json.dumps(
                [
                    {
                        "targets": [f"127.0.0.1:{spec.metrics_port}"],
                        "labels": {"process": name, "run": run_id},
                    }
                    for name, spec in specs.items()
                ]
            )
        )
        yield stack
    finally:
        targets.unlink(missing_ok=True)
        stack.stop_all()


@dataclass
class Person:
    """A person with a Keycloak account and realm roles."""

    username: str
    password: str
    keycloak: KeycloakAdmin
    person_id: str = ""

    def token(self) -> str:
        """A fresh access token (they live 5 minutes)."""
        return self.keycloak.password_token(self.username, self.password)


@pytest.fixture(scope="session")
def keycloak(infra: Infra) -> KeycloakAdmin:
    """The Admin API of the local Keycloak's zhurnal realm."""
    return KeycloakAdmin(infra.keycloak_url)


@pytest.fixture(scope="session")
def make_person(keycloak: KeycloakAdmin, run_id: str) -> Callable[..., Person]:
    """Creates a Keycloak user with realm roles, named after this run."""

    def make(name: str, *roles: str) -> Person:
        username = f"{run_id}.{name}"
        password = secrets.token_urlsafe(16)
        keycloak.ensure_user(username, password, list(roles))
        return Person(username, password, keycloak)

    return make


@pytest.fixture(scope="session")
def district_admin(stack: Stack, make_person: Callable[..., Person]) -> Person:
    """A district administrator of the stack (bootstrapped the way an operator does it)."""
    admin = make_person("district-admin")
    admin.person_id = stack.run_cli("bootstrap-district-admin", admin.username)
    return admin


@pytest.fixture
async def pg() -> AsyncIterator[Callable[[str], Any]]:
    """Opens asyncpg connections to a database URL (closed after the test)."""
    conns: list[asyncpg.Connection] = []

    async def connect(url: str) -> asyncpg.Connection:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        conns.append(conn)
        return conn

    yield connect
    for conn in conns:
        await conn.close()
