"""Benchmarks of identity (`make bench`): a school's import, and logging in through the
gateway against Keycloak's own token endpoint (the same run, the same machine)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from bench.people_files import people_csv, school_people
from e2e.test_login import Browser, base, form_action, login
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


async def _rate(action: Any, users: list[Person]) -> dict[str, float]:
    done = 0
    deadline = time.perf_counter() + LOGIN_SECONDS

    async def worker(user: Person) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await action(user)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(u) for u in users))
    return {"logins": done, "per_s": round(done / (time.perf_counter() - started), 2)}


async def test_login_through_the_gateway_against_keycloaks_token_endpoint(
    stack: Stack, keycloak: KeycloakAdmin, make_person: Any
) -> None:
    # One user per client: Keycloak's brute-force protection refuses concurrent logins of
    # one user ("Invalid user credentials"), which would measure the wrong thing.
    users = [make_person(f"bench-{secrets.token_hex(3)}") for _ in range(LOGIN_CONCURRENCY)]
    token_url = f"{stack.infra.keycloak_url}/realms/zhurnal/protocol/openid-connect/token"

    async def keycloak_only(user: Person) -> None:
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
            assert reply.status_code == 200, reply.text

    async def through_gateway(user: Person) -> None:
        browser = Browser()
        try:
            page = await login(stack, browser, user.username, user.password)
            assert page.status_code == 200, page.text[:300]
            assert browser.session_cookie()
        finally:
            await browser.http.aclose()

    secret = (stack.infra.run_dir / "secrets" / "gateway-client-secret").read_text().strip()
    callback = f"{base(stack)}/auth/callback"

    async def keycloak_code_flow(user: Person) -> None:
        # The same code flow with PKCE, its client part done here instead of by the gateway.
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .decode()
            .rstrip("=")
        )
        browser = Browser()
        try:
            page = await browser.http.get(
                f"{stack.infra.keycloak_url}/realms/zhurnal/protocol/openid-connect/auth",
                params={
                    "client_id": "zhurnal-gateway",
                    "response_type": "code",
                    "redirect_uri": callback,
                    "scope": "openid",
                    "state": "s",
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                },
            )
            landed = await browser.http.post(
                form_action(page, "kc-form-login"),
                data={"username": user.username, "password": user.password, "credentialId": ""},
                follow_redirects=False,
            )
            code = parse_qs(urlsplit(landed.headers["location"]).query)["code"][0]
            reply = await browser.http.post(
                token_url,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": callback,
                    "client_id": "zhurnal-gateway",
                    "client_secret": secret,
                    "code_verifier": verifier,
                },
            )
            assert reply.status_code == 200, reply.text
        finally:
            await browser.http.aclose()

    grant = await _rate(keycloak_only, users)
    code_flow = await _rate(keycloak_code_flow, users)
    gateway = await _rate(through_gateway, users)
    RESULTS["login"] = {
        "concurrency": LOGIN_CONCURRENCY,
        "keycloak_password_grant": grant,
        "keycloak_code_flow_without_gateway": code_flow,
        "gateway_code_flow": gateway,
        "ratio_to_keycloak_code_flow": round(gateway["per_s"] / code_flow["per_s"], 3),
        "ratio_to_password_grant": round(gateway["per_s"] / grant["per_s"], 3),
    }


def teardown_module() -> None:
    out = ROOT / "artifacts" / "bench-identity.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2, ensure_ascii=False))
    print("\n" + json.dumps(RESULTS, indent=2, ensure_ascii=False))
