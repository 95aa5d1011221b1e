"""Use cases of the curriculum service, and its reactions to other services' events."""

from __future__ import annotations

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal.identity.v1 import access_pb2
from zhurnal.identity.v1 import events_pb2 as identity_events
from zhurnal_curriculum.domain.institutions import InstitutionCalendar
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.db import UnitOfWork
from zhurnal_kit.errors import NotFound
from zhurnal_kit.events import unpack


async def on_institution_created(uow: UnitOfWork, env: EventEnvelope) -> None:
    """Learn of a new institution (runs inside the consumer's transaction; no commit here)."""
    assert isinstance(uow, CurriculumUnitOfWork)
    created = unpack(env, identity_events.InstitutionCreated).institution
    await uow.institutions.upsert(
        InstitutionCalendar(created.id, created.code, created.time_zone),
        source_event_id=env.event_id,
    )


async def get_institution_calendar(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, institution_id: str
) -> InstitutionCalendar:
    """What the schedule knows of an institution (to those who may read its curriculum)."""
    await authorizer.require(CURRICULUM_READ, institution_id=institution_id)
    async with uow:
        item = await uow.institutions.get(institution_id)
    if item is None:
        raise NotFound(f"curriculum knows no institution {institution_id!r}")
    return item


CURRICULUM_READ = "curriculum.read"


def _role(binding: access_pb2.RoleBinding) -> str:
    return access_pb2.Role.Name(binding.role)


async def on_person_bound(uow: UnitOfWork, env: EventEnvelope) -> None:
    """Learn that someone became staff or a student of an institution (hire, registration)."""
    assert isinstance(uow, CurriculumUnitOfWork)
    message_type = (
        identity_events.StaffHired
        if env.event_type.endswith("StaffHired")
        else identity_events.StudentRegistered
    )
    binding = unpack(env, message_type).binding
    if binding.institution_id:
        await uow.people.record(binding.person_id, binding.institution_id, _role(binding))


async def on_access_granted(uow: UnitOfWork, env: EventEnvelope) -> None:
    """A role granted later (e.g. a teacher made deputy)."""
    assert isinstance(uow, CurriculumUnitOfWork)
    binding = unpack(env, identity_events.AccessGranted).binding
    if binding.institution_id:
        await uow.people.record(binding.person_id, binding.institution_id, _role(binding))


async def on_access_ended(uow: UnitOfWork, env: EventEnvelope) -> None:
    """A role ended (revoked, expired, dismissal): the person no longer holds it there."""
    assert isinstance(uow, CurriculumUnitOfWork)
    binding = unpack(env, identity_events.AccessEnded).binding
    if binding.institution_id:
        await uow.people.forget(binding.person_id, binding.institution_id, _role(binding))


STUDENT_ROLES = ["ROLE_STUDENT"]
STAFF_ROLES = ["ROLE_TEACHER", "ROLE_DEPUTY", "ROLE_DIRECTOR", "ROLE_ADMINISTRATOR"]

HANDLERS = {
    identity_events.InstitutionCreated.DESCRIPTOR.full_name: on_institution_created,
    identity_events.StaffHired.DESCRIPTOR.full_name: on_person_bound,
    identity_events.StudentRegistered.DESCRIPTOR.full_name: on_person_bound,
    identity_events.AccessGranted.DESCRIPTOR.full_name: on_access_granted,
    identity_events.AccessEnded.DESCRIPTOR.full_name: on_access_ended,
}
