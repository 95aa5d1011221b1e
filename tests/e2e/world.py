"""Building a small world of the district for a test: institutions and their people, made
through the real services as an administrator would (hire, register, grant)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import grpc
import httpx

from zhurnal.curriculum.v1 import (
    calendar_pb2,
    calendar_pb2_grpc,
    groups_pb2,
    groups_pb2_grpc,
    hours_pb2,
    hours_pb2_grpc,
    plans_pb2_grpc,
    timetable_pb2_grpc,
)
from zhurnal.identity.v1 import (
    access_pb2,
    access_pb2_grpc,
    identity_pb2,
    identity_pb2_grpc,
    people_pb2,
    people_pb2_grpc,
)
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

STAFF_ROLES = {
    "administrator": access_pb2.ROLE_ADMINISTRATOR,
    "director": access_pb2.ROLE_DIRECTOR,
    "deputy": access_pb2.ROLE_DEPUTY,
    "teacher": access_pb2.ROLE_TEACHER,
}


@dataclass
class Member:
    """A person of the world with a working login (the first-login change already done)."""

    person_id: str
    login: str
    password: str
    keycloak: KeycloakAdmin

    def token(self) -> str:
        """A fresh access token."""
        return self.keycloak.password_token(self.login, self.password)


class Identity:
    """The identity service's gRPC API as one caller sees it."""

    def __init__(self, stack: Stack, token: str, *, timeout_s: float = 30) -> None:
        self._channel = make_channel(stack.grpc_addrs["identity"], default_timeout_s=timeout_s)
        self._metadata = [("authorization", f"Bearer {token}")]
        self.people = people_pb2_grpc.PeopleServiceStub(self._channel)
        self.access = access_pb2_grpc.AccessServiceStub(self._channel)
        self.directory = identity_pb2_grpc.IdentityServiceStub(self._channel)

    async def __aenter__(self) -> Identity:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._channel.close()

    async def call(self, method: Any, request: Any) -> Any:
        """Call a stub method as this caller."""
        return await method(request, metadata=self._metadata)


async def code(call: Any) -> grpc.StatusCode:
    """The status code a call ends with (OK when it succeeds)."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def unique(prefix: str) -> str:
    """A login or code no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def new_institution(stack: Stack, admin: Person) -> str:
    """An institution registered through the REST API; its id."""
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        reply = await http.post(
            "/api/v1/institutions",
            json={
                "code": unique("s"),
                "full_name": "МБОУ «Школа»",
                "short_name": "Школа",
                "kind": "school",
                "time_zone": "Europe/Moscow",
            },
            headers={"Authorization": f"Bearer {admin.token()}"},
        )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def _activate(keycloak: KeycloakAdmin, login: str, person_id: str) -> Member:
    password = secrets.token_urlsafe(16)
    keycloak.set_password(login, password)
    return Member(person_id, login, password, keycloak)


async def hire(
    stack: Stack, by: Identity, keycloak: KeycloakAdmin, institution_id: str, role: str
) -> Member:
    """Hire staff and log them in once (so they have a permanent password)."""
    login = unique(role)
    reply = await by.call(
        by.people.HireStaff,
        people_pb2.HireStaffRequest(
            institution_id=institution_id,
            last_name="Ёлкина-Щукина",
            first_name="Анна",
            patronymic="Сергеевна",
            position="учитель",
            login=login,
            role=STAFF_ROLES[role],
        ),
    )
    return _activate(keycloak, login, reply.person.id)


async def student(
    stack: Stack, by: Identity, keycloak: KeycloakAdmin, institution_id: str
) -> Member:
    """Register a student with a diary account."""
    login = unique("student")
    reply = await by.call(
        by.people.RegisterStudent,
        people_pb2.RegisterStudentRequest(
            institution_id=institution_id,
            last_name="Иванов",
            first_name="Пётр",
            login=login,
            personal_data=people_pb2.PersonalData(
                birth_date=people_pb2.Date(year=2014, month=3, day=8), address="ул. Лесная, 8"
            ),
        ),
    )
    return _activate(keycloak, login, reply.person.id)


async def guardian(
    stack: Stack, by: Identity, keycloak: KeycloakAdmin, institution_id: str, *children: str
) -> Member:
    """Register a guardian linked to ``children``."""
    login = unique("guardian")
    reply = await by.call(
        by.people.RegisterGuardian,
        people_pb2.RegisterGuardianRequest(
            institution_id=institution_id,
            last_name="Иванова",
            first_name="Мария",
            login=login,
            student_ids=list(children),
        ),
    )
    return _activate(keycloak, login, reply.person.id)


async def grant(
    by: Identity, person_id: str, institution_id: str, role: int, **fields: Any
) -> access_pb2.RoleBinding:
    """Grant a role; returns the binding."""
    reply = await by.call(
        by.access.GrantAccess,
        access_pb2.GrantAccessRequest(
            person_id=person_id, institution_id=institution_id, role=role, **fields
        ),
    )
    return reply.binding


__all__ = [
    "Identity",
    "Member",
    "code",
    "grant",
    "guardian",
    "hire",
    "identity_pb2",
    "new_institution",
    "student",
    "unique",
]


def day(iso: str) -> calendar_pb2.Day:
    """A curriculum Day from ISO text."""
    return calendar_pb2.Day(iso=iso)


async def open_study_year(
    stack: Stack,
    deputy: Member,
    institution_id: str,
    name: str = "2026/2027",
    *,
    starts: str = "2026-09-01",
    ends: str = "2027-05-31",
) -> calendar_pb2.StudyYear:
    """The deputy opens the study year (2026-09-01 .. 2027-05-31 unless told), as soon as
    curriculum has learnt of the institution (it does so through Kafka)."""
    from e2e.test_institution_slice import wait_for

    metadata = [("authorization", f"Bearer {deputy.token()}")]
    async with make_channel(stack.grpc_addrs["curriculum"], default_timeout_s=20) as channel:
        calendar = calendar_pb2_grpc.CalendarServiceStub(channel)

        async def create() -> Any:
            return await calendar.CreateStudyYear(
                calendar_pb2.CreateStudyYearRequest(
                    institution_id=institution_id,
                    name=name,
                    starts=day(starts),
                    ends=day(ends),
                ),
                metadata=metadata,
            )

        return (await wait_for(create, what="curriculum to accept the study year")).study_year


class Curriculum:
    """The curriculum service's gRPC API as one caller sees it."""

    def __init__(self, stack: Stack, member: Member | Person, *, timeout_s: float = 30) -> None:
        self._channel = make_channel(stack.grpc_addrs["curriculum"], default_timeout_s=timeout_s)
        self.metadata = [("authorization", f"Bearer {member.token()}")]
        self.calendar = calendar_pb2_grpc.CalendarServiceStub(self._channel)
        self.groups = groups_pb2_grpc.GroupServiceStub(self._channel)
        self.hours = hours_pb2_grpc.HoursServiceStub(self._channel)
        self.timetable = timetable_pb2_grpc.TimetableServiceStub(self._channel)
        self.plans = plans_pb2_grpc.PlanServiceStub(self._channel)

    async def __aenter__(self) -> Curriculum:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._channel.close()

    async def call(self, method: Any, request: Any) -> Any:
        """Call a stub method as this caller."""
        return await method(request, metadata=self.metadata)


async def create_group(
    stub: Any,
    metadata: Any,
    study_year_id: str,
    name: str,
    years: list[int] | None = None,
    *,
    kind: int = groups_pb2.GROUP_KIND_CLASS,
    **fields: Any,
) -> groups_pb2.Group:
    """A group created through GroupService.CreateGroup (a class of year 7 unless told)."""
    reply = await stub.CreateGroup(
        groups_pb2.CreateGroupRequest(
            study_year_id=study_year_id,
            name=name,
            kind=kind,
            years_of_study=years or [7],
            **fields,
        ),
        metadata=metadata,
    )
    return reply.group


async def define_subject(
    stub: Any, metadata: Any, institution_id: str, name: str, **fields: Any
) -> hours_pb2.Subject:
    """A subject defined through HoursService.DefineSubject."""
    reply = await stub.DefineSubject(
        hours_pb2.DefineSubjectRequest(institution_id=institution_id, name=name, **fields),
        metadata=metadata,
    )
    return reply.subject
