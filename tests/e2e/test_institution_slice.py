"""The walking skeleton's slice, hop by hop, against the real components.

gateway (REST) -> identity (gRPC) -> PostgreSQL with its outbox row in the same transaction
-> relay -> Kafka -> curriculum's consumer -> curriculum's own table.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from e2e.kafka_probe import envelopes

from zhurnal.identity.v1 import events_pb2
from zhurnal_kit.events import unpack
from zhurnal_kit.pytest_plugin import Person, Stack

pytestmark = pytest.mark.infra


def institution_body(**overrides: Any) -> dict[str, Any]:
    """A valid institution with a unique code."""
    body = {
        "code": f"s-{uuid.uuid4().hex[:10]}",
        "full_name": "МБОУ «Средняя общеобразовательная школа № 5 имени Ё. Ё. Щукина-Ёлкина»",
        "short_name": "Школа № 5",
        "kind": "school",
        "time_zone": "Asia/Yekaterinburg",
        "address": "г. Энск, ул. Лесная, д. 8",
    }
    return body | overrides


def topic(stack: Stack) -> str:
    return f"{stack.namespace}.zhurnal.identity.institution.v1"


async def wait_for(check: Any, *, timeout: float = 60.0, what: str) -> Any:
    """Poll an async ``check`` until it returns something truthy (errors mean "not yet")."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_error: BaseException | None = None
    while loop.time() < deadline:
        try:
            if result := await check():
                return result
        except Exception as exc:  # e.g. a restarted process not listening yet
            last_error = exc
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error!r})")


async def create(stack: Stack, person: Person, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        return await http.post(
            "/api/v1/institutions", json=body, headers={"Authorization": f"Bearer {person.token()}"}
        )


async def test_readyz_reports_every_dependency_up(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        reply = await http.get("/readyz")
    assert reply.status_code == 200
    assert reply.json()["checks"] == {
        "identity": "up",
        "curriculum": "up",
        "journal": "up",
        "reporting": "up",
        "backup": "up",
        "keycloak": "up",
    }


async def test_institution_travels_every_hop(stack: Stack, district_admin: Person, pg: Any) -> None:
    body = institution_body()
    reply = await create(stack, district_admin, body)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["code"] == body["code"] and created["full_name"] == body["full_name"]
    assert reply.headers["Location"] == f"/api/v1/institutions/{created['id']}"

    identity = await pg(stack.database_urls["identity"])
    row = await identity.fetchrow("SELECT * FROM institution WHERE id = $1", created["id"])
    assert row["code"] == body["code"] and row["time_zone"] == "Asia/Yekaterinburg"
    outbox = await identity.fetch("SELECT * FROM outbox WHERE key = $1", created["id"])
    assert len(outbox) == 1
    assert outbox[0]["event_type"] == "zhurnal.identity.v1.InstitutionCreated"
    assert outbox[0]["topic"] == topic(stack)

    async def published() -> bool:
        return bool(
            await identity.fetchval(
                "SELECT published_at IS NOT NULL FROM outbox WHERE key = $1", created["id"]
            )
        )

    await wait_for(published, what="the relay to mark the outbox row published")

    on_kafka = await envelopes(stack.infra.kafka_bootstrap, topic(stack), key=created["id"])
    assert [e.event_id for e in on_kafka] == [str(outbox[0]["event_id"])]
    event = unpack(on_kafka[0], events_pb2.InstitutionCreated)
    assert event.institution.code == body["code"]
    assert on_kafka[0].producer == "identity" and on_kafka[0].institution_id == created["id"]

    curriculum = await pg(stack.database_urls["curriculum"])

    async def projected() -> Any:
        return await curriculum.fetchrow(
            "SELECT * FROM institution_calendar WHERE institution_id = $1", created["id"]
        )

    projection = await wait_for(projected, what="curriculum to record the institution")
    assert projection["code"] == body["code"]
    assert projection["time_zone"] == "Asia/Yekaterinburg"
    assert projection["source_event_id"] == str(outbox[0]["event_id"])

    # The read side through the gateway sees it too.
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        got = await http.get(
            f"/api/v1/institutions/{created['id']}",
            headers={"Authorization": f"Bearer {district_admin.token()}"},
        )
    assert got.status_code == 200 and got.json() == created


async def test_retried_create_with_the_same_idempotency_key_creates_once(
    stack: Stack, district_admin: Person, pg: Any
) -> None:
    body = institution_body()
    headers = {
        "Authorization": f"Bearer {district_admin.token()}",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        first = await http.post("/api/v1/institutions", json=body, headers=headers)
        second = await http.post("/api/v1/institutions", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    identity = await pg(stack.database_urls["identity"])
    assert (
        await identity.fetchval("SELECT count(*) FROM outbox WHERE key = $1", first.json()["id"])
        == 1
    )


async def count_rows(stack: Stack, pg: Any) -> tuple[int, int]:
    identity = await pg(stack.database_urls["identity"])
    return (
        await identity.fetchval("SELECT count(*) FROM institution"),
        await identity.fetchval("SELECT count(*) FROM outbox"),
    )


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        pytest.param(
            {k: v for k, v in institution_body().items() if k != "code"},
            422,
            "code",
            id="missing-code",
        ),
        pytest.param(institution_body(kind=7), 422, "kind", id="wrong-type"),
        pytest.param(institution_body(kind="university"), 422, "kind", id="unknown-kind"),
        pytest.param(institution_body(full_name="Ш" * 501), 422, "full_name", id="too-long"),
        pytest.param(institution_body(code="Школа 7"), 422, "code", id="bad-code"),
        pytest.param(
            institution_body(time_zone="Mars/Olympus"), 422, "time_zone", id="unknown-time-zone"
        ),
        pytest.param(institution_body(short_name="   "), 422, "short_name", id="blank"),
        pytest.param(institution_body(extra="x"), 422, "extra", id="unknown-field"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    stack: Stack, district_admin: Person, pg: Any, body: dict[str, Any], status: int, field: str
) -> None:
    before = await count_rows(stack, pg)
    reply = await create(stack, district_admin, body)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == status and problem["title"] == "Ошибка в данных"
    assert field in [e["field"] for e in problem["errors"]]
    assert await count_rows(stack, pg) == before


async def test_malformed_json_is_400_in_english_when_asked(
    stack: Stack, district_admin: Person, pg: Any
) -> None:
    before = await count_rows(stack, pg)
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        reply = await http.post(
            "/api/v1/institutions",
            content=b'{"code": "x",',
            headers={
                "Authorization": f"Bearer {district_admin.token()}",
                "Content-Type": "application/json",
                "Accept-Language": "en-GB,en;q=0.8",
            },
        )
    assert reply.status_code == 400
    assert reply.json()["title"] == "Malformed request"
    assert reply.json()["errors"][0]["field"] == "body"
    assert await count_rows(stack, pg) == before


async def test_duplicate_code_is_409_naming_code(
    stack: Stack, district_admin: Person, pg: Any
) -> None:
    body = institution_body()
    assert (await create(stack, district_admin, body)).status_code == 201
    before = await count_rows(stack, pg)
    again = await create(stack, district_admin, institution_body(code=body["code"]))
    assert again.status_code == 409
    assert again.json()["errors"] == [
        {"field": "code", "detail": "is already used by another institution"}
    ]
    assert await count_rows(stack, pg) == before


async def test_concurrent_duplicates_yield_one_institution(
    stack: Stack, district_admin: Person, pg: Any
) -> None:
    body = institution_body()
    replies = await asyncio.gather(*(create(stack, district_admin, body) for _ in range(6)))
    assert sorted(r.status_code for r in replies) == [201] + [409] * 5
    identity = await pg(stack.database_urls["identity"])
    assert (
        await identity.fetchval("SELECT count(*) FROM institution WHERE code = $1", body["code"])
        == 1
    )


async def test_without_a_token_is_401_and_without_the_role_is_403(
    stack: Stack, make_person: Any, pg: Any
) -> None:
    before = await count_rows(stack, pg)
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        anonymous = await http.post("/api/v1/institutions", json=institution_body())
        forged = await http.post(
            "/api/v1/institutions",
            json=institution_body(),
            headers={"Authorization": "Bearer not.a.token"},
        )
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert forged.status_code == 401
    teacher = make_person("teacher", "teacher")
    denied = await create(stack, teacher, institution_body())
    assert denied.status_code == 403
    assert await count_rows(stack, pg) == before
