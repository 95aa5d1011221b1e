"""The authorization matrix through the running identity service: every role against every
action, in its own institution and in another; and the directory calls, across institutions,
return nothing of the other institution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from e2e.world import Identity, Member, code, guardian, hire, new_institution, student, unique

from zhurnal.identity.v1 import access_pb2, identity_pb2, people_pb2
from zhurnal_identity.domain import policy
from zhurnal_identity.domain.access import Role
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


@dataclass
class World:
    home: str
    other: str
    members: dict[Role, Member]
    other_student: Member
    other_teacher: Member
    home_student: Member


async def _hire_other(
    stack: Stack,
    admin: Identity,
    keycloak: KeycloakAdmin,
    institution: str,
    role: int,
    **fields: Any,
) -> Member:
    login = unique("user")
    reply = await admin.call(
        admin.people.HireStaff,
        people_pb2.HireStaffRequest(
            institution_id=institution,
            last_name="Проверяющая",
            first_name="Ольга",
            login=login,
            position="инспектор",
            role=role,
            **fields,
        ),
    )
    keycloak.set_password(login, "Проверка-" + login)
    return Member(reply.person.id, login, "Проверка-" + login, keycloak)


@pytest.fixture(scope="module")
async def world(stack: Stack, district_admin: Person, keycloak: KeycloakAdmin) -> World:
    home = await new_institution(stack, district_admin)
    other = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        members = {
            Role(role): await hire(stack, admin, keycloak, home, role)
            for role in ("administrator", "director", "deputy", "teacher")
        }
        child = await student(stack, admin, keycloak, home)
        members[Role.STUDENT] = child
        members[Role.GUARDIAN] = await guardian(stack, admin, keycloak, home, child.person_id)
        members[Role.INSPECTOR] = await _hire_other(
            stack,
            admin,
            keycloak,
            home,
            access_pb2.ROLE_INSPECTOR,
            scope=sorted(policy.INSPECTABLE),
            basis=access_pb2.Basis(number="12", date="2026-11-01"),
        )
        members[Role.DISTRICT_ANALYST] = await _hire_other(
            stack, admin, keycloak, "", access_pb2.ROLE_DISTRICT_ANALYST
        )
        other_student = await student(stack, admin, keycloak, other)
        other_teacher = await hire(stack, admin, keycloak, other, "teacher")
    return World(home, other, members, other_student, other_teacher, child)


def _resource(world: World, member: Member, institution: str, person: str) -> Any:
    """A resource that is as favourable to ``member`` as a resource can be."""
    return access_pb2.Resource(
        institution_id=institution,
        person_id=person,
        teacher_ids=[member.person_id, world.other_teacher.person_id],
        substitute_ids=[member.person_id],
    )


async def _decisions(stack: Stack, member: Member, resource: Any) -> dict[str, bool]:
    async with Identity(stack, member.token()) as me:
        return {
            action: (
                await me.call(
                    me.access.Authorize,
                    access_pb2.AuthorizeRequest(action=action, resource=resource),
                )
            ).allowed
            for action in policy.ACTIONS
        }


@pytest.mark.parametrize("role", [r for r in Role if r != Role.DISTRICT_ADMINISTRATOR])
async def test_every_action_at_home_follows_the_table_and_nothing_reaches_elsewhere(
    stack: Stack, world: World, role: Role
) -> None:
    member = world.members[role]
    # The most a home resource can offer: about the member themself or (guardian) their child.
    subjects = [member.person_id]
    if role == Role.GUARDIAN:
        subjects.append(world.home_student.person_id)
    at_home = dict.fromkeys(policy.ACTIONS, False)
    for subject in subjects:
        decided = await _decisions(stack, member, _resource(world, member, world.home, subject))
        at_home = {a: at_home[a] or decided[a] for a in policy.ACTIONS}
    expected = {a: a in policy.RULES[role] for a in policy.ACTIONS}
    assert at_home == expected
    elsewhere = await _decisions(
        stack, member, _resource(world, member, world.other, world.other_student.person_id)
    )
    if role.is_district:
        # District roles span institutions by design: exactly their table, anywhere.
        assert elsewhere == expected
    else:
        assert not any(elsewhere.values()), {a for a, ok in elsewhere.items() if ok}


@pytest.mark.parametrize("role", [r for r in Role if not r.is_district])
async def test_directory_calls_return_nothing_of_another_institution(
    stack: Stack, world: World, role: Role
) -> None:
    member = world.members[role]
    other = world.other
    async with Identity(stack, member.token()) as me:
        denied = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND}
        calls = {
            "GetPerson": me.call(
                me.people.GetPerson, people_pb2.GetPersonRequest(id=world.other_student.person_id)
            ),
            "ListPeople": me.call(
                me.people.ListPeople, people_pb2.ListPeopleRequest(institution_id=other)
            ),
            "ReviewAccess": me.call(
                me.access.ReviewAccess, access_pb2.ReviewAccessRequest(institution_id=other)
            ),
            "ListPersonalDataAccess": me.call(
                me.access.ListPersonalDataAccess,
                access_pb2.ListPersonalDataAccessRequest(institution_id=other),
            ),
            "GetInstitution": me.call(
                me.directory.GetInstitution, identity_pb2.GetInstitutionRequest(id=other)
            ),
            "GrantAccess": me.call(
                me.access.GrantAccess,
                access_pb2.GrantAccessRequest(
                    person_id=member.person_id, institution_id=other, role=access_pb2.ROLE_DEPUTY
                ),
            ),
            "HireStaff": me.call(
                me.people.HireStaff,
                people_pb2.HireStaffRequest(
                    institution_id=other,
                    last_name="Чужой",
                    first_name="Пётр",
                    position="учитель",
                    login=unique("x"),
                    role=access_pb2.ROLE_TEACHER,
                ),
            ),
            "DismissStaff": me.call(
                me.people.DismissStaff,
                people_pb2.DismissStaffRequest(person_id=world.other_teacher.person_id),
            ),
        }
        outcomes = {name: await code(call) for name, call in calls.items()}
        listed = await me.call(
            me.directory.ListInstitutions, identity_pb2.ListInstitutionsRequest(page_size=200)
        )
    assert {name for name, status in outcomes.items() if status not in denied} == set()
    assert other not in {i.id for i in listed.institutions}
    assert world.home in {i.id for i in listed.institutions}
    # Through the gateway too: the other institution does not exist for this member.
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        reply = await http.get(
            f"/api/v1/institutions/{other}", headers={"Authorization": f"Bearer {member.token()}"}
        )
    assert reply.status_code == 404
