"""Hiring and dismissing staff through the gateway's REST API, against the running services:
an administrator hires (once, however often the request is retried), bad input is named per
field with nothing written, a teacher may not hire, and a dismissal ends the person's access."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from e2e.test_journal_api import Api, problem_fields
from e2e.world import Identity, hire, new_institution

from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


def hiring(**extra: Any) -> dict[str, Any]:
    login = f"elkina-{uuid.uuid4().hex[:8]}"
    return {
        "last_name": "Ёлкина",
        "first_name": "Анна",
        "patronymic": "Сергеевна",
        "position": "учитель математики",
        "employment_start": date.today().isoformat(),
        "login": login,
        "role": "teacher",
        "basis": {"number": "12-к", "date": date.today().isoformat()},
        "personal_data": {"email": f"{login}@school.invalid", "phone": "+7 900 000-00-00"},
        **extra,
    }


async def staff_count(http: httpx.AsyncClient, institution_id: str) -> int:
    listed = await http.get(
        f"/api/v1/institutions/{institution_id}/people", params={"kind": "staff", "page_size": 200}
    )
    assert listed.status_code == 200, listed.text
    return len(listed.json()["items"])


async def test_an_administrator_hires_once_and_dismisses_through_the_api(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    institution = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as identity:
        admin = await hire(stack, identity, keycloak, institution, "administrator")
        teacher = await hire(stack, identity, keycloak, institution, "teacher")
    body = hiring()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with Api(stack, admin) as http:
        before = await staff_count(http, institution)
        first = await http.post(f"/api/v1/institutions/{institution}/staff", json=body, headers=key)
        again = await http.post(f"/api/v1/institutions/{institution}/staff", json=body, headers=key)
        assert first.status_code == 201, first.text
        assert again.status_code == 201, again.text
        hired = first.json()
        assert again.json()["person"]["id"] == hired["person"]["id"]
        assert first.headers["location"] == f"/api/v1/people/{hired['person']['id']}"
        assert hired["temporary_password"]
        assert hired["person"]["login"] == body["login"]
        # Personal data is kept, but not answered without a purpose.
        assert hired["person"]["personal_data"] is None
        assert await staff_count(http, institution) == before + 1
        # Identity made the Keycloak account.
        assert keycloak.user(body["login"]) is not None

        dismissed = await http.post(
            f"/api/v1/people/{hired['person']['id']}/dismissal",
            json={
                "employment_end": date.today().isoformat(),
                "basis": {"number": "40-к", "date": date.today().isoformat()},
            },
        )
        assert dismissed.status_code == 200, dismissed.text
        assert dismissed.json()["employment_end"] == date.today().isoformat()
        assert dismissed.json()["account_status"] == "disabled"
        # A late retry of the hire still answers with what it made, and makes nothing new.
        late = await http.post(f"/api/v1/institutions/{institution}/staff", json=body, headers=key)
        assert late.status_code == 201, late.text
        assert late.json()["person"]["id"] == hired["person"]["id"]

    # A teacher may not hire, and nothing is written; the administrator's key gets them
    # nothing of the administrator's hire either (keys belong to their caller).
    async with Api(stack, teacher) as http:
        refused = await http.post(
            f"/api/v1/institutions/{institution}/staff", json=hiring(), headers=key
        )
        assert refused.status_code == 403, refused.text
    async with Api(stack, admin) as http:
        # The dismissed teacher left the institution's staff; nobody else joined it.
        assert await staff_count(http, institution) == before


async def test_bad_hiring_input_is_named_per_field_and_writes_nothing(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    institution = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as identity:
        admin = await hire(stack, identity, keycloak, institution, "administrator")
    async with Api(stack, admin, language="en") as http:
        before = await staff_count(http, institution)
        shape = await http.post(
            f"/api/v1/institutions/{institution}/staff",
            json=hiring(login="Не латиница", role="janitor", last_name=""),
        )
        assert shape.status_code == 422, shape.text
        assert sorted(problem_fields(shape)) == ["last_name", "login", "role"]
        assert shape.json()["title"] == "Invalid data"
        no_basis = await http.post(
            f"/api/v1/people/{uuid.uuid4()}/dismissal",
            json={"employment_end": date.today().isoformat()},
        )
        assert no_basis.status_code == 422 and problem_fields(no_basis) == ["basis"]
        assert await staff_count(http, institution) == before
