"""Benchmarks of the walking skeleton (`make bench`; never part of `make test`).

Every figure is reported next to a baseline measured in the same run on the same machine, as
a ratio: a bare FastAPI endpoint under the same load generator for HTTP, and pgbench running
the same inserts (institution + outbox row, one transaction) for the write path.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from statistics import quantiles
from typing import Any

import httpx
import pytest

from zhurnal_kit.pytest_plugin import ROOT, Person, Stack, free_port, wait_until

DURATION_S = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
RESULTS: dict[str, Any] = {}


async def load(
    request: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    concurrency: int = CONCURRENCY,
) -> dict[str, float]:
    """Run ``request`` from ``concurrency`` workers for DURATION_S; rate and latency
    percentiles."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as http:
        deadline = time.perf_counter() + DURATION_S

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                reply = await request(http)
                latencies.append(time.perf_counter() - started)
                errors += reply.status_code >= 400

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    cuts = quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors,
        "rate_per_s": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
    }


def attack(url: str, *, headers: dict[str, str] | None = None, clients: int) -> dict[str, float]:
    """GET ``url`` from ``clients`` concurrent connections for DURATION_S with vegeta (Go), as
    fast as answers come; rate and latency percentiles like ``load``. Far lighter than a
    Python client, so on 2 cores it measures the server rather than itself."""
    vegeta = os.environ.get("ZHURNAL_VEGETA") or str(ROOT / ".cache" / "bin" / "vegeta")
    target = json.dumps(
        {"method": "GET", "url": url, "header": {k: [v] for k, v in (headers or {}).items()}}
    )
    attacked = subprocess.run(
        [
            vegeta,
            "attack",
            "-format=json",
            "-rate=0",
            f"-workers={clients}",
            f"-max-workers={clients}",
            f"-duration={DURATION_S}s",
            "-timeout=30s",
        ],
        input=target.encode() + b"\n",
        capture_output=True,
    )
    assert attacked.returncode == 0, attacked.stderr.decode()
    results = attacked.stdout
    report = json.loads(
        subprocess.run(
            [vegeta, "report", "-type=json"], input=results, capture_output=True, check=True
        ).stdout
    )
    ok = int(report["status_codes"].get("200", 0))
    return {
        "requests": report["requests"],
        "errors": report["requests"] - ok,
        "rate_per_s": round(ok / (report["duration"] / 1e9), 1),
        "p50_ms": round(report["latencies"]["50th"] / 1e6, 2),
        "p99_ms": round(report["latencies"]["99th"] / 1e6, 2),
        "load_generator": "vegeta",
        "status_codes": report["status_codes"],
    }


@pytest.fixture(scope="module")
def bare_url() -> Any:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=Path(__file__).parent,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{url}/bare").status_code == 200, what="the bare app")
    yield url
    proc.terminate()
    proc.wait()


async def test_read_path_against_bare_fastapi(
    stack: Stack, district_admin: Person, bare_url: str
) -> None:
    token = district_admin.token()
    baseline = await load(lambda http: http.get("/bare"), bare_url)
    gateway = await load(
        lambda http: http.get("/api/v1/institutions?page_size=10"),
        stack.gateway_url,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert baseline["errors"] == gateway["errors"] == 0
    RESULTS["read"] = {
        "bare_fastapi": baseline,
        "gateway_list_institutions": gateway,
        "rate_ratio": gateway["rate_per_s"] / baseline["rate_per_s"],
    }


# The same two rows the use case writes; the outbox row is marked published at once so the
# test stack's relay leaves it alone.
PGBENCH_SCRIPT = r"""\set n random(1, 1000000000)
BEGIN;
INSERT INTO institution (id, code, full_name, short_name, kind, time_zone, address)
  VALUES (gen_random_uuid()::text, 'pgb-' || :client_id || '-' || :n,
          'МБОУ «Школа»', 'Школа', 'school', 'Europe/Moscow', '');
INSERT INTO outbox (event_id, topic, key, event_type, envelope, headers, published_at)
  VALUES (gen_random_uuid(), 'bench', 'k', 'bench', '\x00', '{}', now());
COMMIT;
"""


def pgbench_rate(stack: Stack, tmp_path: Path) -> float:
    script = tmp_path / "insert.sql"
    script.write_text(PGBENCH_SCRIPT)
    url = stack.database_urls["identity"].replace("postgresql+asyncpg", "postgresql")
    pgbench = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))[-1]
    result = subprocess.run(
        [
            str(pgbench),
            "-n",
            "-c",
            str(CONCURRENCY),
            "-j",
            "2",
            "-T",
            str(int(DURATION_S)),
            "-f",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"tps = ([\d.]+)", result.stdout)
    assert match, result.stdout
    return float(match.group(1))


async def test_write_path_against_pgbench(
    stack: Stack, district_admin: Person, tmp_path: Path
) -> None:
    token = district_admin.token()

    def create(http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        code = f"b-{uuid.uuid4().hex[:12]}"
        return http.post(
            "/api/v1/institutions",
            json={
                "code": code,
                "full_name": "МБОУ «Школа»",
                "short_name": "Школа",
                "kind": "school",
                "time_zone": "Europe/Moscow",
            },
        )

    gateway = await load(create, stack.gateway_url, headers={"Authorization": f"Bearer {token}"})
    assert gateway["errors"] == 0
    raw = pgbench_rate(stack, tmp_path)
    RESULTS["write"] = {
        "gateway_create_institution": gateway,
        "pgbench_tps": raw,
        "rate_ratio": gateway["rate_per_s"] / raw,
    }


def teardown_module() -> None:
    out = ROOT / "artifacts" / "bench-slice.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2))
    print("\n" + json.dumps(RESULTS, indent=2))
