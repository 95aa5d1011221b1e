"""Study periods through the gateway's REST API, against the running services (R-6.3): a
deputy closes a period and its lessons become read-only, unlocks it with a written reason for
a correction, and reopens it; a teacher may do none of it."""

from __future__ import annotations

import uuid

import pytest
from e2e.journal_world import ClassJournal, class_journal
from e2e.test_institution_slice import wait_for
from e2e.test_journal_api import Api, problem_fields

from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


async def test_a_deputy_closes_unlocks_and_reopens_a_period_and_a_teacher_may_not(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    world: ClassJournal = await class_journal(stack, district_admin, keycloak)
    year, first, lesson = world.year.id, world.first.id, world.earlier.id
    period = f"/api/v1/study-years/{year}/periods/{first}"
    topic = {"record": {"topic": "Повторение: дроби"}}
    async with Api(stack, world.deputy) as deputy, Api(stack, world.teacher) as teacher:
        refused = await teacher.post(f"{period}/closing")
        assert refused.status_code == 403, refused.text

        closed = await deputy.post(f"{period}/closing")
        assert closed.status_code == 200, closed.text
        assert closed.json()["closed"] is True and closed.json()["id"] == first

        async def read_only() -> dict | None:
            got = (await teacher.get(f"/api/v1/lessons/{lesson}")).json()
            return got if got["lesson"]["read_only"] else None

        entries = await wait_for(read_only, what="the journal to lock the closed period")
        write = await teacher.put(
            f"/api/v1/lessons/{lesson}/entries",
            json=topic,
            headers={"If-Match": f'"{entries["version"]}"'},
        )
        assert write.status_code == 409, write.text
        assert problem_fields(write) == ["lesson_id"]

        # An unlock needs its reason; a teacher may not unlock.
        no_reason = await deputy.post(f"/api/v1/periods/{first}/unlocks", json={"reason": " "})
        assert no_reason.status_code == 422 and problem_fields(no_reason) == ["reason"]
        teacher_unlock = await teacher.post(
            f"/api/v1/periods/{first}/unlocks", json={"reason": "Хочу исправить"}
        )
        assert teacher_unlock.status_code == 403, teacher_unlock.text
        key = {"Idempotency-Key": str(uuid.uuid4())}
        reason = {"reason": "Исправление оценки по заявлению родителя", "hours": 2}
        unlocked = await deputy.post(f"/api/v1/periods/{first}/unlocks", json=reason, headers=key)
        again = await deputy.post(f"/api/v1/periods/{first}/unlocks", json=reason, headers=key)
        assert unlocked.status_code == 201, unlocked.text
        assert again.json()["id"] == unlocked.json()["id"]
        assert unlocked.json()["unlocked_by"] == world.deputy.person_id

        async def writable() -> dict | None:
            got = (await teacher.get(f"/api/v1/lessons/{lesson}")).json()
            return None if got["lesson"]["read_only"] else got

        entries = await wait_for(writable, what="the journal to see the unlock")
        write = await teacher.put(
            f"/api/v1/lessons/{lesson}/entries",
            json=topic,
            headers={"If-Match": f'"{entries["version"]}"'},
        )
        assert write.status_code == 200, write.text

        locks = await deputy.get(f"/api/v1/institutions/{world.institution_id}/period-locks")
        assert locks.status_code == 200, locks.text
        mine = {p["period"]["id"]: p for p in locks.json()["items"]}[first]
        assert mine["period"]["closed"] and not mine["locked"]
        assert [u["reason"] for u in mine["unlocks"]] == [reason["reason"]]
        teacher_locks = await teacher.get(
            f"/api/v1/institutions/{world.institution_id}/period-locks"
        )
        assert teacher_locks.status_code == 403, teacher_locks.text

        reopened = await deputy.post(f"{period}/reopening", json={"reason": "Ошибочно закрыт"})
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["closed"] is False
        no_reason = await deputy.post(f"{period}/reopening", json={})
        assert no_reason.status_code == 422 and problem_fields(no_reason) == ["reason"]
