"""Use cases of the curriculum service, and its reactions to other services' events."""

from __future__ import annotations

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
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

HANDLERS = {
    identity_events.InstitutionCreated.DESCRIPTOR.full_name: on_institution_created,
}
