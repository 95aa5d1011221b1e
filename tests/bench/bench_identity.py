"""Benchmarks of identity (`make bench`): a school's import, and logging in through the
gateway against Keycloak's own token endpoint (the same run, the same machine)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import time
import uuid
from typing import Any

import httpx
from bench.people_files import people_csv, school_people
from e2e.test_login import Browser, login
from e2e.world import Identity, new_institution

from zhurnal.identity.v1 import people_pb2
from zhurnal_kit.pytest_plugin import ROOT, Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

STUDENTS = int(os.environ.get("BENCH_IMPORT_STUDENTS", "2000"))
LOGIN_SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
LOGIN_CONCURRENCY = int(os.environ.get("BENCH_LOGIN_CONCURRENCY", "4"))
RESULTS: dict[str, Any] = {}


def school(students: int) -> list[dict[str, Any]]:
    prefix = f"b{uuid.uuid4().hex[:6]}."
    rows = school_people(students)
    for row in rows:
        row["login"] = prefix + row["login"]
        if row["email"]:
            row["email"] = prefix + row["email"]
        if row["children"]:
            children = [c.strip() for c in re.split(r"[;,]", row["children"]) if c.strip()]
            row["children"] = ", ".join(prefix + c for c in children)
    return rows


async def _import(stack: Stack, admin_person: Person, rows: list[dict[str, Any]]) -> dict[str, Any]:
    institution = await new_institution(stack, admin_person)
    content = people_csv(rows)
    async with Identity(stack, admin_person.token(), timeout_s=600) as admin:
        started = time.perf_counter()
        checked = await admin.call(
            admin.people.ImportPeople,
            people_pb2.ImportPeopleRequest(
                institution_id=institution,
                format=people_pb2.IMPORT_FORMAT_CSV,
                content=content,
                dry_run=True,
            ),
        )
        dry = time.perf_counter() - started
        started = time.perf_counter()
        imported = await admin.call(
            admin.people.ImportPeople,
            people_pb2.ImportPeopleRequest(
                institution_id=institution, format=people_pb2.IMPORT_FORMAT_CSV, content=content
            ),
        )
        real = time.perf_counter() - started
    assert not checked.problems
    assert len(imported.accounts) == len(rows)
    return {
        "people": len(rows),
        "dry_run_s": round(dry, 2),
        "import_s": round(real, 2),
        "people_per_s": round(len(rows) / real, 1),
    }


async def test_import_of_2000_students(stack: Stack, district_admin: Person) -> None:
    # The students of a school and its staff, without guardians: what the issue asks for.
    rows = [r for r in school(STUDENTS) if r["kind"] != "guardian"]
    for row in rows:
        row["children"] = ""
    RESULTS["import_students"] = await _import(stack, district_admin, rows)


async def test_import_of_a_whole_school_with_guardians(
    stack: Stack, district_admin: Person
) -> None:
    RESULTS["import_school"] = await _import(stack, district_admin, school(STUDENTS))


async def _rate(action: Any) -> dict[str, float]:
    done = 0
    deadline = time.perf_counter() + LOGIN_SECONDS

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await action()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(LOGIN_CONCURRENCY)))
    return {"logins": done, "per_s": round(done / (time.perf_counter() - started), 2)}


async def test_login_through_the_gateway_against_keycloaks_token_endpoint(
    stack: Stack, keycloak: KeycloakAdmin, make_person: Any
) -> None:
    user = make_person(f"bench-{secrets.token_hex(3)}")
    token_url = f"{stack.infra.keycloak_url}/realms/zhurnal/protocol/openid-connect/token"

    async def keycloak_only() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            reply = await http.post(
                token_url,
                data={
                    "grant_type": "password",
                    "client_id": "zhurnal-dev",
                    "username": user.username,
                    "password": user.password,
                },
            )
            reply.raise_for_status()

    async def through_gateway() -> None:
        browser = Browser()
        try:
            page = await login(stack, browser, user.username, user.password)
            assert page.status_code == 200 and browser.session_cookie(), page.text[:300]
        finally:
            await browser.http.aclose()

    baseline = await _rate(keycloak_only)
    gateway = await _rate(through_gateway)
    RESULTS["login"] = {
        "concurrency": LOGIN_CONCURRENCY,
        "keycloak_password_grant": baseline,
        "gateway_code_flow": gateway,
        "ratio": round(gateway["per_s"] / baseline["per_s"], 3),
    }


def teardown_module() -> None:
    out = ROOT / "artifacts" / "bench-identity.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2, ensure_ascii=False))
    print("\n" + json.dumps(RESULTS, indent=2, ensure_ascii=False))
