"""The class journal through the gateway's REST API, against the running services: a lesson's
ETag and If-Match (428 without it, 412 when stale), idempotent retries, bad input named per
field in the caller's language, the grid, a guardian's diary of their own child only, and the
overdue list."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from e2e.journal_world import ClassJournal, class_journal
from e2e.world import Member

from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
async def world(stack: Stack, district_admin: Person, keycloak: KeycloakAdmin) -> ClassJournal:
    return await class_journal(stack, district_admin, keycloak)


class Api:
    """The REST API as one member calls it (a bearer token, like any API client)."""

    def __init__(self, stack: Stack, member: Member, language: str = "ru") -> None:
        self.http = httpx.AsyncClient(
            base_url=stack.gateway_url,
            headers={
                "Authorization": f"Bearer {member.token()}",
                "Accept-Language": language,
            },
            timeout=30.0,
        )

    async def __aenter__(self) -> httpx.AsyncClient:
        return self.http

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()


@pytest.fixture
async def teacher(stack: Stack, world: ClassJournal) -> AsyncIterator[httpx.AsyncClient]:
    async with Api(stack, world.teacher) as http:
        yield http


def entries(world: ClassJournal, **extra: Any) -> dict[str, Any]:
    s0, s1, s2 = (m.person_id for m in world.students)
    return {
        "record": {"topic": "Решение линейных уравнений", "homework": "№ 112, 114"},
        "attendance_all": "present",
        "attendance": [{"student_id": s2, "status": "ill"}],
        "marks": [
            {"student_id": s0, "value": "5", "type_code": "oral"},
            {"student_id": s1, "value": "4"},
        ],
        **extra,
    }


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [e["field"] for e in response.json().get("errors", [])]


async def test_a_lesson_is_saved_with_its_etag_once_however_often_it_is_retried(
    world: ClassJournal, teacher: httpx.AsyncClient, stack: Stack
) -> None:
    url = f"/api/v1/lessons/{world.yesterday.id}"
    got = await teacher.get(url)
    assert got.status_code == 200, got.text
    assert got.headers["etag"] == '"0"'
    lesson = got.json()
    assert lesson["record"] is None and lesson["version"] == 0
    assert set(lesson["roster"]) == {m.person_id for m in world.students}
    assert lesson["lesson"]["date"] == world.yesterday.date.iso

    # Without If-Match the save is refused before anything is sent to the journal.
    missing = await teacher.put(f"{url}/entries", json=entries(world))
    assert missing.status_code == 428
    assert problem_fields(missing) == ["If-Match"]
    assert missing.json()["title"] == "Нужна версия изменяемых данных"

    key = str(uuid.uuid4())
    headers = {"If-Match": got.headers["etag"], "Idempotency-Key": key}
    saved = await teacher.put(f"{url}/entries", json=entries(world), headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"1"'
    body = saved.json()
    assert body["changes"] == 1 + 3 + 2 and body["warnings"] == []
    assert body["lesson"]["record"]["topic"] == "Решение линейных уравнений"
    assert {a["status"] for a in body["lesson"]["attendance"]} == {"present", "ill"}
    assert sorted(m["value"] for m in body["lesson"]["marks"]) == ["4", "5"]

    # The same request again (a client that lost the answer): the first save's answer.
    again = await teacher.put(f"{url}/entries", json=entries(world), headers=headers)
    assert again.status_code == 200 and again.headers["etag"] == '"1"'
    assert len(again.json()["lesson"]["marks"]) == 2

    # Another save from the old ETag: the lesson changed meanwhile. In English when asked.
    stale = await teacher.put(
        f"{url}/entries",
        json=entries(world),
        headers={"If-Match": '"0"', "Accept-Language": "en"},
    )
    assert stale.status_code == 412, stale.text
    assert problem_fields(stale) == ["If-Match"]
    assert stale.json()["title"] == "Changed since it was read"
    assert (await teacher.get(url)).headers["etag"] == '"1"'


async def test_bad_input_is_named_per_field_and_writes_nothing(
    world: ClassJournal, teacher: httpx.AsyncClient
) -> None:
    url = f"/api/v1/lessons/{world.ahead.id}"
    s0 = world.students[0].person_id
    cases = [
        ({"marks": [{"student_id": s0, "value": "6"}]}, "marks[0].value", 422),
        ({"attendance": [{"student_id": s0, "status": "sleeping"}]}, "attendance.0.status", 422),
        ({"record": {"topic": "   "}}, "record.topic", 422),
        ({"unknown": 1}, "unknown", 422),
    ]
    for body, field, status in cases:
        refused = await teacher.put(f"{url}/entries", json=body, headers={"If-Match": '"0"'})
        assert refused.status_code == status, (body, refused.text)
        assert field in problem_fields(refused), (field, refused.text)
    unreadable = await teacher.put(
        f"{url}/entries",
        content=b"{not json",
        headers={"If-Match": '"0"', "Content-Type": "application/json"},
    )
    assert unreadable.status_code == 400
    malformed = await teacher.put(f"{url}/entries", json={}, headers={"If-Match": "three"})
    assert malformed.status_code == 422 and problem_fields(malformed) == ["If-Match"]
    assert (await teacher.get(url)).json()["version"] == 0


async def test_the_grid_the_diary_of_ones_own_child_and_the_overdue_list(
    world: ClassJournal, stack: Stack
) -> None:
    s0, s1 = world.students[0].person_id, world.students[1].person_id
    overdue_url = f"/api/v1/institutions/{world.institution_id}/overdue-lessons"
    async with Api(stack, world.deputy) as deputy:
        before = await deputy.get(overdue_url, params={"page_size": 10})
    assert before.status_code == 200, before.text
    page = before.json()
    # The test stack's deadline is the lesson's end: the lesson ten days ago is overdue.
    listed = {item["lesson"]["id"]: item for item in page["items"]}
    assert world.earlier.id in listed
    assert listed[world.earlier.id]["link"].endswith(world.earlier.id)
    assert listed[world.earlier.id]["overdue_s"] > 0
    assert page["by_teacher"][world.teacher.person_id] >= 1

    async with Api(stack, world.teacher) as teacher:
        lesson = await teacher.get(f"/api/v1/lessons/{world.earlier.id}")
        await teacher.put(
            f"/api/v1/lessons/{world.earlier.id}/entries",
            json=entries(world),
            headers={"If-Match": lesson.headers["etag"]},
        )
        grid = await teacher.get(
            f"/api/v1/groups/{world.group.id}/grid",
            params={"period_id": world.first.id, "subject_id": world.maths.id},
        )
    assert grid.status_code == 200, grid.text
    body = grid.json()
    order = [s["student_id"] for s in body["students"]]
    column = next(c for c in body["lessons"] if c["lesson"]["id"] == world.earlier.id)
    assert column["topic"] == "Решение линейных уравнений" and column["version"] == 1
    assert column["attendance"][order.index(world.students[2].person_id)] == "ill"
    assert {(m["student_id"], m["value"]) for m in body["marks"]} == {(s0, "5"), (s1, "4")}

    days = {"from": world.earlier.date.iso, "to": world.ahead.date.iso}
    async with Api(stack, world.guardian) as parent:
        own = await parent.get(f"/api/v1/students/{s0}/diary", params=days)
        other = await parent.get(f"/api/v1/students/{s1}/diary", params=days)
        overdue = await parent.get(overdue_url)
    assert own.status_code == 200, own.text
    by_lesson = {item["lesson"]["id"]: item for item in own.json()["lessons"]}
    assert [m["value"] for m in by_lesson[world.earlier.id]["marks"]] == ["5"]
    assert by_lesson[world.earlier.id]["homework"] == "№ 112, 114"
    # Another child's diary and the institution's overdue list are not the guardian's.
    assert other.status_code == 403 and problem_fields(other) == []
    assert overdue.status_code == 403

    async with Api(stack, world.deputy) as deputy:
        after = await deputy.get(overdue_url, params={"page_size": 10})
    assert after.status_code == 200, after.text
    assert world.earlier.id not in {item["lesson"]["id"] for item in after.json()["items"]}
