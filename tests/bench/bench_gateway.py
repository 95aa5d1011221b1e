"""Benchmarks of the gateway (issue 6; `make bench`, never part of `make test`).

- Added latency: a student's diary for a week read one call at a time, through the gateway's
  REST API and straight from the journal over gRPC with the same token; the gateway adds the
  difference, quoted at the 50th and 99th percentiles.
- The diary week at 100 concurrent clients through the gateway, next to a bare FastAPI JSON
  endpoint served the same way (uvicorn) under the same load generator (vegeta, built by
  `make bench`) in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from statistics import quantiles
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from bench.bench_slice import attack, bare_url
from e2e.journal_world import ClassJournal, Journal, class_journal

from zhurnal.curriculum.v1 import calendar_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_kit.pytest_plugin import ROOT, Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

__all__ = ["bare_url"]  # the baseline's fixture, shared with bench_slice

CALLS = int(os.environ.get("BENCH_GATEWAY_CALLS", "300"))
CLIENTS = 100
RESULTS: dict[str, Any] = {}


def pct(values: list[float]) -> dict[str, float]:
    cuts = quantiles(values, n=100)
    return {"p50_ms": round(cuts[49] * 1000, 2), "p99_ms": round(cuts[98] * 1000, 2)}


@pytest.fixture(scope="module")
async def world(stack: Stack, district_admin: Person, keycloak: KeycloakAdmin) -> ClassJournal:
    world = await class_journal(stack, district_admin, keycloak)
    async with Journal(stack, world.teacher) as j:
        for lesson in (world.earlier, world.yesterday):
            await j.save(
                lesson.id,
                0,
                record=pb.LessonRecord(topic="Решение линейных уравнений", homework="№ 112"),
                attendance_all=pb.ATTENDANCE_STATUS_PRESENT,
                marks=pb.LessonMarks(
                    marks=[pb.MarkInput(student_id=m.person_id, value="5") for m in world.students]
                ),
            )
    return world


async def test_the_gateways_added_latency_and_the_diary_week_at_100_clients(
    stack: Stack, world: ClassJournal, bare_url: str
) -> None:
    student = world.students[0]
    token = student.token()
    week = {"from": world.earlier.date.iso, "to": world.ahead.date.iso}
    path = f"/api/v1/students/{student.person_id}/diary"
    request = pb.GetDiaryRequest(
        student_id=student.person_id,
        from_date=calendar_pb2.Day(iso=week["from"]),
        to_date=calendar_pb2.Day(iso=week["to"]),
    )
    direct, through = [], []
    async with (
        Journal(stack, student) as j,
        httpx.AsyncClient(
            base_url=stack.gateway_url, headers={"Authorization": f"Bearer {token}"}
        ) as http,
    ):
        first = await http.get(path, params=week)
        assert first.status_code == 200 and len(first.json()["lessons"]) >= 2, first.text
        for _ in range(30):  # warm both paths
            await j.call(j.journal.GetDiary, request)
            await http.get(path, params=week)
        for _ in range(CALLS):  # interleaved, so both see the same machine
            started = time.perf_counter()
            await j.call(j.journal.GetDiary, request)
            direct.append(time.perf_counter() - started)
            started = time.perf_counter()
            reply = await http.get(path, params=week)
            through.append(time.perf_counter() - started)
            assert reply.status_code == 200
    direct_pct, through_pct = pct(direct), pct(through)

    # The token lives 5 minutes: fresh for the load, which lasts BENCH_SECONDS.
    auth = {"Authorization": f"Bearer {student.token()}"}
    baseline = await asyncio.to_thread(attack, f"{bare_url}/bare", clients=CLIENTS)
    diary = await asyncio.to_thread(
        attack, f"{stack.gateway_url}{path}?{urlencode(week)}", headers=auth, clients=CLIENTS
    )
    assert baseline["errors"] == diary["errors"] == 0, (baseline, diary)
    RESULTS["added_latency"] = {
        "calls": CALLS,
        "journal_grpc_direct": direct_pct,
        "through_the_gateway": through_pct,
        "added_p50_ms": round(through_pct["p50_ms"] - direct_pct["p50_ms"], 2),
        "added_p99_ms": round(through_pct["p99_ms"] - direct_pct["p99_ms"], 2),
    }
    RESULTS["diary_week_100_clients"] = {
        "bare_fastapi": baseline,
        "gateway_diary_week": diary,
        "rate_ratio": round(diary["rate_per_s"] / baseline["rate_per_s"], 3),
        "p50_ratio": round(diary["p50_ms"] / baseline["p50_ms"], 2),
        "p99_ratio": round(diary["p99_ms"] / baseline["p99_ms"], 2),
        "load_average_1min": os.getloadavg()[0],
    }


def teardown_module() -> None:
    out = ROOT / "artifacts" / "bench-gateway.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2, ensure_ascii=False))
    print("\n" + json.dumps(RESULTS, indent=2, ensure_ascii=False))
