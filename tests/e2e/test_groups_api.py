"""Groups through the gateway's REST API, against the running services: a deputy creates an
association, enrols a student, moves them to another and ends the membership, each write
retried with its idempotency key changing nothing more; the roster follows each step; a
teacher may do none of it and bad input is named per field."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from e2e.journal_world import ClassJournal, class_journal
from e2e.test_journal_api import Api, problem_fields

from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


async def test_a_deputy_creates_a_group_and_moves_a_student_through_it(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    world: ClassJournal = await class_journal(stack, district_admin, keycloak)
    student = world.students[0].person_id
    today = date.today()
    groups = f"/api/v1/study-years/{world.year.id}/groups"
    robotics = {"name": "Робототехника", "kind": "association", "years_of_study": [1]}
    async with Api(stack, world.deputy) as deputy, Api(stack, world.teacher) as teacher:
        refused = await teacher.post(groups, json=robotics)
        assert refused.status_code == 403, refused.text
        bad = await deputy.post(groups, json={"name": "", "kind": "club"})
        assert bad.status_code == 422 and sorted(problem_fields(bad)) == ["kind", "name"]

        key = {"Idempotency-Key": str(uuid.uuid4())}
        created = await deputy.post(groups, json=robotics, headers=key)
        retried = await deputy.post(groups, json=robotics, headers=key)
        assert created.status_code == 201, created.text
        group = created.json()
        # The retry answers like the first call; without a key the name is taken (409).
        assert retried.status_code == 201 and retried.json()["id"] == group["id"]
        taken = await deputy.post(groups, json=robotics)
        assert taken.status_code == 409 and problem_fields(taken) == ["name"]
        assert group["name"] == "Робототехника" and group["kind"] == "association"
        listed = await deputy.get(groups)
        assert group["id"] in [g["id"] for g in listed.json()["items"]]
        chess = (await deputy.post(groups, json={**robotics, "name": "Шахматы"})).json()

        joined = today - timedelta(days=7)
        enrolling = {"student_id": student, "joined": joined.isoformat(), "reason": "Заявление"}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        enrolled = await deputy.post(
            f"/api/v1/groups/{group['id']}/enrolments", json=enrolling, headers=key
        )
        again = await deputy.post(
            f"/api/v1/groups/{group['id']}/enrolments", json=enrolling, headers=key
        )
        assert enrolled.status_code == 201, enrolled.text
        enrolment = enrolled.json()
        assert again.status_code == 201 and again.json()["id"] == enrolment["id"]
        assert enrolment["joined"] == joined.isoformat() and enrolment["left"] is None
        teacher_enrols = await teacher.post(
            f"/api/v1/groups/{group['id']}/enrolments",
            json={"student_id": student, "joined": today.isoformat()},
        )
        assert teacher_enrols.status_code == 403, teacher_enrols.text
        roster = await deputy.get(f"/api/v1/groups/{group['id']}/roster")
        assert roster.json()["student_ids"] == [student]

        moving = {"to_group_id": chess["id"], "on": today.isoformat(), "reason": "Перевод"}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        moved = await deputy.post(
            f"/api/v1/enrolments/{enrolment['id']}/transfer", json=moving, headers=key
        )
        moved_again = await deputy.post(
            f"/api/v1/enrolments/{enrolment['id']}/transfer", json=moving, headers=key
        )
        assert moved.status_code == 200, moved.text
        assert moved_again.json()["started"]["id"] == moved.json()["started"]["id"]
        started = moved.json()["started"]
        assert moved.json()["ended"]["left"] is not None
        assert started["group_id"] == chess["id"]
        was = await deputy.get(
            f"/api/v1/groups/{group['id']}/roster", params={"on": joined.isoformat()}
        )
        now = await deputy.get(f"/api/v1/groups/{chess['id']}/roster")
        assert was.json()["student_ids"] == [student]
        assert now.json()["student_ids"] == [student]

        tomorrow = today + timedelta(days=1)
        leaving = {"left": tomorrow.isoformat(), "reason": "Выбыл"}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        left = await deputy.post(
            f"/api/v1/enrolments/{started['id']}/leaving", json=leaving, headers=key
        )
        left_again = await deputy.post(
            f"/api/v1/enrolments/{started['id']}/leaving", json=leaving, headers=key
        )
        assert left.status_code == 200, left.text
        assert left_again.status_code == 200 and left_again.json() == left.json()
        assert left.json()["left"] == tomorrow.isoformat()
        after = await deputy.get(
            f"/api/v1/groups/{chess['id']}/roster",
            params={"on": (tomorrow + timedelta(days=1)).isoformat()},
        )
        assert after.json()["student_ids"] == []
