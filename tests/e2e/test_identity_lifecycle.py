"""The access lifecycle against the real Keycloak, PostgreSQL and Kafka (R-4.1 .. R-4.4)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import wait_for
from e2e.world import Identity, code, grant, guardian, hire, new_institution, student, unique
from google.protobuf.timestamp_pb2 import Timestamp

from zhurnal.identity.v1 import access_pb2, people_pb2
from zhurnal_kit.grpc_errors import field_violations
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


def stamp(value: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


async def allowed(
    stack: Stack, token: str, action: str, institution_id: str, **resource: Any
) -> bool:
    async with Identity(stack, token) as me:
        reply = await me.call(
            me.access.Authorize,
            access_pb2.AuthorizeRequest(
                action=action,
                resource=access_pb2.Resource(institution_id=institution_id, **resource),
            ),
        )
    return bool(reply.allowed)


async def test_hire_creates_an_account_that_must_change_its_password(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin, pg: Any
) -> None:
    school = await new_institution(stack, district_admin)
    login = unique("teacher")
    async with Identity(stack, district_admin.token()) as admin:
        reply = await admin.call(
            admin.people.HireStaff,
            people_pb2.HireStaffRequest(
                institution_id=school,
                last_name="Щукина-Ёлкина",
                first_name="Алёна",
                patronymic="Петровна",
                position="учитель математики",
                login=login,
                role=access_pb2.ROLE_TEACHER,
                basis=access_pb2.Basis(number="15-к", date="2026-09-01"),
            ),
        )
    assert reply.person.account_status == people_pb2.ACCOUNT_STATUS_ACTIVE
    assert len(reply.temporary_password) >= 10
    account = keycloak.user(login)
    assert account is not None
    assert account["enabled"] is True
    assert "UPDATE_PASSWORD" in account["requiredActions"]
    # The temporary password opens nothing until it is changed (the browser flow does that).
    with pytest.raises(httpx.HTTPStatusError) as refused:
        keycloak.password_token(login, reply.temporary_password)
    assert "not fully set up" in refused.value.response.text
    identity = await pg(stack.database_urls["identity"])
    row = await identity.fetchrow("SELECT * FROM person WHERE login = $1", login)
    assert row["keycloak_user_id"] == account["id"]
    assert row["last_name"] == "Щукина-Ёлкина"

    async def hired_event() -> list[Any]:
        return await envelopes(
            stack.infra.kafka_bootstrap,
            f"{stack.namespace}.zhurnal.identity.person.v1",
            key=reply.person.id,
        )

    events = await wait_for(hired_event, what="StaffHired on Kafka")
    assert events[0].event_type == "zhurnal.identity.v1.StaffHired"


async def test_bad_input_names_the_field_and_writes_nothing(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin, pg: Any
) -> None:
    school = await new_institution(stack, district_admin)
    identity = await pg(stack.database_urls["identity"])
    async with Identity(stack, district_admin.token()) as admin:
        teacher = await hire(stack, admin, keycloak, school, "teacher")
        before = await identity.fetchval("SELECT count(*) FROM person")
        bindings_before = await identity.fetchval("SELECT count(*) FROM role_binding")
        cases = {
            "login": people_pb2.HireStaffRequest(
                institution_id=school,
                last_name="Иванов",
                first_name="Иван",
                position="учитель",
                login=teacher.login,
                role=access_pb2.ROLE_TEACHER,
            ),
            "institution_id": people_pb2.HireStaffRequest(
                institution_id="00000000-0000-0000-0000-000000000000",
                last_name="Иванов",
                first_name="Иван",
                position="учитель",
                login=unique("t"),
                role=access_pb2.ROLE_TEACHER,
            ),
            "last_name": people_pb2.HireStaffRequest(
                institution_id=school,
                last_name="Иванов1",
                first_name="Иван",
                position="учитель",
                login=unique("t"),
                role=access_pb2.ROLE_TEACHER,
            ),
        }
        for field, request in cases.items():
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await admin.call(admin.people.HireStaff, request)
            assert field in [v.field for v in field_violations(caught.value)], field
        now = datetime.now(UTC)
        with pytest.raises(grpc.aio.AioRpcError) as backwards:
            await grant(
                admin,
                teacher.person_id,
                school,
                access_pb2.ROLE_DEPUTY,
                valid_from=stamp(now + timedelta(days=2)),
                valid_until=stamp(now + timedelta(days=1)),
                basis=access_pb2.Basis(number="1", date="2026-11-28"),
            )
        assert "valid_until" in [v.field for v in field_violations(backwards.value)]
        with pytest.raises(grpc.aio.AioRpcError) as not_a_student:
            await admin.call(
                admin.people.RegisterGuardian,
                people_pb2.RegisterGuardianRequest(
                    institution_id=school,
                    last_name="Петрова",
                    first_name="Ольга",
                    login=unique("g"),
                    student_ids=[teacher.person_id],
                ),
            )
        assert [v.field for v in field_violations(not_a_student.value)] == ["student_ids[0]"]
    assert await identity.fetchval("SELECT count(*) FROM person") == before
    assert await identity.fetchval("SELECT count(*) FROM role_binding") == bindings_before
    assert keycloak.user(cases["institution_id"].login) is None


async def test_a_dismissed_teacher_loses_login_sessions_and_access_at_once(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        teacher = await hire(stack, admin, keycloak, school, "teacher")
        tokens = keycloak.password_tokens(teacher.login, teacher.password)
        assert await allowed(stack, tokens["access_token"], "institution.read", school)
        reply = await admin.call(
            admin.people.DismissStaff,
            people_pb2.DismissStaffRequest(
                person_id=teacher.person_id,
                basis=access_pb2.Basis(number="77-к", date="2026-11-28"),
            ),
        )
    assert reply.person.account_status == people_pb2.ACCOUNT_STATUS_DISABLED
    assert [b.end_reason for b in reply.ended] == ["dismissed"]
    # Keycloak: no new login, and the session is gone (its refresh token is dead).
    with pytest.raises(httpx.HTTPStatusError):
        keycloak.password_token(teacher.login, teacher.password)
    with pytest.raises(httpx.HTTPStatusError):
        keycloak.refresh(tokens["refresh_token"])
    # Zhurnal: the still unexpired access token is refused by the policy right away.
    assert not await allowed(stack, tokens["access_token"], "institution.read", school)
    async with Identity(stack, tokens["access_token"]) as former:
        me = await former.call(former.access.WhoAmI, access_pb2.WhoAmIRequest())
    assert me.active is False


async def test_temporary_access_ends_by_itself_on_time(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    until = datetime.now(UTC) + timedelta(seconds=6)
    async with Identity(stack, district_admin.token()) as admin:
        inspector = await hire(stack, admin, keycloak, school, "teacher")
        binding = await grant(
            admin,
            inspector.person_id,
            school,
            access_pb2.ROLE_INSPECTOR,
            valid_until=stamp(until),
            scope=["journal.read"],
            basis=access_pb2.Basis(number="заявление 12", date="2026-11-27"),
        )
        review = await admin.call(
            admin.access.ReviewAccess, access_pb2.ReviewAccessRequest(institution_id=school)
        )
    assert binding.id in {b.id for b in review.bindings}
    token = inspector.token()
    assert await allowed(stack, token, "journal.read", school)
    assert not await allowed(stack, token, "diary.read", school)

    async def denied() -> bool:
        return not await allowed(stack, token, "journal.read", school)

    await wait_for(denied, timeout=70, what="the inspector's access to end")
    ended_after = datetime.now(UTC) - until
    assert ended_after < timedelta(seconds=60)

    async def ended_event() -> list[Any]:
        found = await envelopes(
            stack.infra.kafka_bootstrap,
            f"{stack.namespace}.zhurnal.identity.binding.v1",
            key=binding.id,
        )
        return [e for e in found if e.event_type == "zhurnal.identity.v1.AccessEnded"]

    assert await wait_for(ended_event, what="AccessEnded on Kafka")
    async with Identity(stack, district_admin.token()) as admin:
        review = await admin.call(
            admin.access.ReviewAccess, access_pb2.ReviewAccessRequest(institution_id=school)
        )
    assert binding.id not in {b.id for b in review.bindings}


async def test_a_user_disabled_in_the_keycloak_console_loses_access(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        teacher = await hire(stack, admin, keycloak, school, "teacher")
    token = teacher.token()
    assert await allowed(stack, token, "institution.read", school)
    keycloak.set_enabled(teacher.login, False)
    started = time.monotonic()

    async def denied() -> bool:
        return not await allowed(stack, token, "institution.read", school)

    await wait_for(denied, timeout=60, what="Zhurnal to reflect the console's change")
    assert time.monotonic() - started < 60
    async with Identity(stack, district_admin.token()) as admin:
        person = await admin.call(
            admin.people.GetPerson, people_pb2.GetPersonRequest(id=teacher.person_id)
        )
    assert person.person.account_status == people_pb2.ACCOUNT_STATUS_DISABLED


async def test_guardian_reads_linked_children_and_personal_data_reads_are_logged(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        administrator = await hire(stack, admin, keycloak, school, "administrator")
        child = await student(stack, admin, keycloak, school)
        other_child = await student(stack, admin, keycloak, school)
        parent = await guardian(stack, admin, keycloak, school, child.person_id)
    token = parent.token()
    assert await allowed(stack, token, "diary.read", school, person_id=child.person_id)
    assert not await allowed(stack, token, "diary.read", school, person_id=other_child.person_id)
    async with Identity(stack, administrator.token()) as office:
        assert (
            await code(
                office.call(
                    office.people.GetPerson,
                    people_pb2.GetPersonRequest(id=child.person_id, with_personal_data=True),
                )
            )
            == grpc.StatusCode.INVALID_ARGUMENT
        )
        card = await office.call(
            office.people.GetPerson,
            people_pb2.GetPersonRequest(
                id=child.person_id, with_personal_data=True, purpose="справка для родителей"
            ),
        )
        assert card.person.personal_data.birth_date.year == 2014
        log = await office.call(
            office.access.ListPersonalDataAccess,
            access_pb2.ListPersonalDataAccessRequest(institution_id=school),
        )
    assert [(e.subject_id, e.reader_id, e.purpose) for e in log.entries] == [
        (child.person_id, administrator.person_id, "справка для родителей")
    ]
    assert set(log.entries[0].fields) == {"birth_date", "address"}
    # The guardian sees the child's name, not their personal data.
    async with Identity(stack, token) as family:
        assert await code(
            family.call(
                family.people.GetPerson,
                people_pb2.GetPersonRequest(
                    id=child.person_id, with_personal_data=True, purpose="посмотреть"
                ),
            )
        ) == (grpc.StatusCode.PERMISSION_DENIED)
        seen = await family.call(
            family.people.GetPerson, people_pb2.GetPersonRequest(id=child.person_id)
        )
    assert not seen.person.HasField("personal_data")
    await asyncio.sleep(0)


async def test_a_dismissed_teachers_browser_session_stops_working_within_a_minute(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    from e2e.test_login import COOKIE, Browser, base, login

    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        teacher = await hire(stack, admin, keycloak, school, "teacher")
    browser = Browser()
    try:
        landed = await login(stack, browser, teacher.login, teacher.password)
        assert landed.status_code == 200
        session = browser.session_cookie()
        assert session
        async with httpx.AsyncClient(
            base_url=base(stack), headers={"Cookie": f"{COOKIE}={session}"}
        ) as signed_in:
            assert (await signed_in.get("/api/v1/institutions")).status_code == 200
            async with Identity(stack, district_admin.token()) as admin:
                await admin.call(
                    admin.people.DismissStaff,
                    people_pb2.DismissStaffRequest(person_id=teacher.person_id),
                )
            dismissed_at = time.monotonic()

            async def refused() -> bool:
                return (await signed_in.get("/api/v1/institutions")).status_code == 401

            await wait_for(refused, timeout=60, what="the session to stop working")
            assert time.monotonic() - dismissed_at < 60
    finally:
        await browser.http.aclose()
