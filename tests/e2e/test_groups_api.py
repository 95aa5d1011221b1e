"""Groups through the gateway's REST API, against the running services: a deputy creates an
association, enrols a student, moves them to another and ends the membership; the roster
follows each step; a teacher may do none of it and bad input is named per field."""

from __future__ import annotations

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

        created = await deputy.post(groups, json=robotics)
        assert created.status_code == 201, created.text
        group = created.json()
        assert group["name"] == "Робототехника" and group["kind"] == "association"
        listed = await deputy.get(groups)
        assert group["id"] in [g["id"] for g in listed.json()["items"]]
        chess = (await deputy.post(groups, json={**robotics, "name": "Шахматы"})).json()

        joined = today - timedelta(days=7)
        enrolled = await deputy.post(
            f"/api/v1/groups/{group['id']}/enrolments",
            json={"student_id": student, "joined": joined.isoformat(), "reason": "Заявление"},
        )
        assert enrolled.status_code == 201, enrolled.text
        enrolment = enrolled.json()
        assert enrolment["joined"] == joined.isoformat() and enrolment["left"] is None
        teacher_enrols = await teacher.post(
            f"/api/v1/groups/{group['id']}/enrolments",
            json={"student_id": student, "joined": today.isoformat()},
        )
        assert teacher_enrols.status_code == 403, teacher_enrols.text
        roster = await deputy.get(f"/api/v1/groups/{group['id']}/roster")
        assert roster.json()["student_ids"] == [student]

        moved = await deputy.post(
            f"/api/v1/enrolments/{enrolment['id']}/transfer",
            json={"to_group_id": chess["id"], "on": today.isoformat(), "reason": "Перевод"},
        )
        assert moved.status_code == 200, moved.text
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
        left = await deputy.post(
            f"/api/v1/enrolments/{started['id']}/leaving",
            json={"left": tomorrow.isoformat(), "reason": "Выбыл"},
        )
        assert left.status_code == 200, left.text
        assert left.json()["left"] == tomorrow.isoformat()
        after = await deputy.get(
            f"/api/v1/groups/{chess['id']}/roster",
            params={"on": (tomorrow + timedelta(days=1)).isoformat()},
        )
        assert after.json()["student_ids"] == []
