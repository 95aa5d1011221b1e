"""Use cases on groups and enrolment (history is kept: records end, they are not erased)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError

from zhurnal.curriculum.v1 import events_pb2
from zhurnal_curriculum.adapters.protos import enrolment_to_proto, group_to_proto
from zhurnal_curriculum.domain import groups as domain
from zhurnal_curriculum.domain.groups import Enrolment, Group, GroupKind
from zhurnal_curriculum.service_layer.calendar import CURRICULUM_MANAGE, CURRICULUM_READ
from zhurnal_curriculum.service_layer.handlers import STUDENT_ROLES
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import AlreadyExists, FieldViolation, NotFound, invalid
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import recall, remember


def group_created(item: Group) -> Event:
    """GroupCreated, as every use case that creates a group publishes it."""
    return Event(
        aggregate="group",
        aggregate_id=item.id,
        institution_id=item.institution_id,
        payload=events_pb2.GroupCreated(group=group_to_proto(item)),
    )


def enrolment_changed(item: Enrolment, institution_id: str) -> Event:
    """EnrolmentChanged of one enrolment record."""
    return Event(
        aggregate="group",
        aggregate_id=item.group_id,
        institution_id=institution_id,
        payload=events_pb2.EnrolmentChanged(enrolment=enrolment_to_proto(item)),
    )


async def create_group(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    study_year_id: str,
    name: str,
    kind: GroupKind | None,
    years_of_study: frozenset[int],
    starts: date | None,
    idempotency_key: str = "",
) -> Group:
    """A class or an association in a study year."""
    if kind is None:
        raise invalid("kind", "must be class or association")
    async with uow:
        if earlier := await recall(uow.session, "create_group", idempotency_key):
            return await _group(uow, earlier.decode())
        year = await uow.study_years.get(study_year_id)
        if year is None:
            raise invalid("study_year_id", "is unknown")
        await authorizer.require(CURRICULUM_MANAGE, institution_id=year.institution_id)
        first = starts or year.starts
        if not year.starts <= first <= year.ends:
            raise invalid("starts", f"must lie within the study year «{year.name}»")
        item = Group.create(
            institution_id=year.institution_id,
            study_year_id=year.id,
            name=name,
            kind=kind,
            years_of_study=years_of_study,
            starts=first,
            ends=year.ends,
        )
        try:
            # The insert runs at once: a taken name fails here, not at commit.
            await uow.groups.add(item)
            uow.publish(group_created(item))
            await remember(uow.session, "create_group", idempotency_key, item.id.encode())
            await uow.commit()
        except IntegrityError:
            raise AlreadyExists(
                "a group of that name exists",
                [FieldViolation("name", "is already used by another group of the study year")],
            ) from None
    return item


async def list_groups(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, study_year_id: str
) -> list[Group]:
    """The groups of a study year."""
    async with uow:
        year = await uow.study_years.get(study_year_id)
        if year is None:
            raise NotFound(f"no study year {study_year_id!r}")
        await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
        return await uow.groups.of_year(study_year_id)


async def _group(uow: CurriculumUnitOfWork, group_id: str, field: str = "group_id") -> Group:
    item = await uow.groups.get(group_id)
    if item is None:
        raise invalid(field, "is unknown")
    return item


async def enrol(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    group_id: str,
    student_id: str,
    joined: date,
    reason: str,
    idempotency_key: str = "",
) -> Enrolment:
    """Enrol a student from a date (never before the group exists)."""
    if not student_id.strip():
        raise invalid("student_id", "is required")
    async with uow:
        if earlier := await recall(uow.session, "enrol", idempotency_key):
            return await _enrolment(uow, earlier.decode())
        target = await _group(uow, group_id)
        await authorizer.require(CURRICULUM_MANAGE, institution_id=target.institution_id)
        if not await uow.people.holders(target.institution_id, STUDENT_ROLES, [student_id]):
            raise invalid("student_id", "is not a student of the institution")
        current = await uow.groups.enrolments_of(student_id, group_id)
        item = domain.enrol(target, student_id, joined=joined, reason=reason, current=current)
        await uow.groups.add_enrolment(item)
        uow.publish(enrolment_changed(item, target.institution_id))
        await remember(uow.session, "enrol", idempotency_key, item.id.encode())
        await uow.commit()
    return item


async def _locked_enrolment(uow: CurriculumUnitOfWork, enrolment_id: str) -> Enrolment:
    item = await uow.groups.enrolment(enrolment_id, for_update=True)
    if item is None:
        raise invalid("enrolment_id", "is unknown")
    return item


async def _enrolment(uow: CurriculumUnitOfWork, enrolment_id: str) -> Enrolment:
    item = await uow.groups.enrolment(enrolment_id)
    assert item is not None, "an idempotency record points at a missing enrolment"
    return item


async def leave(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    enrolment_id: str,
    left: date,
    reason: str,
    idempotency_key: str = "",
) -> Enrolment:
    """End an enrolment on a date; the record stays."""
    async with uow:
        current = await _locked_enrolment(uow, enrolment_id)
        # After the lock: a concurrent twin of this request has committed by now.
        if await recall(uow.session, "leave", idempotency_key):
            return current
        source = await _group(uow, current.group_id)
        await authorizer.require(CURRICULUM_MANAGE, institution_id=source.institution_id)
        ended = domain.leave(current, left=left, reason=reason)
        await uow.groups.save_enrolment(ended)
        uow.publish(enrolment_changed(ended, source.institution_id))
        await remember(uow.session, "leave", idempotency_key, ended.id.encode())
        await uow.commit()
    return ended


async def transfer(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    enrolment_id: str,
    to_group_id: str,
    on: date,
    reason: str,
    idempotency_key: str = "",
) -> tuple[Enrolment, Enrolment]:
    """Move a student to another group of the same institution from a date."""
    async with uow:
        current = await _locked_enrolment(uow, enrolment_id)
        if earlier := await recall(uow.session, "transfer", idempotency_key):
            return current, await _enrolment(uow, earlier.decode())
        source = await _group(uow, current.group_id)
        target = await _group(uow, to_group_id, "to_group_id")
        if target.institution_id != source.institution_id:
            raise invalid("to_group_id", "is a group of another institution")
        await authorizer.require(CURRICULUM_MANAGE, institution_id=source.institution_id)
        others = await uow.groups.enrolments_of(current.student_id, to_group_id)
        ended, started = domain.transfer(current, target, on=on, reason=reason, current=others)
        await uow.groups.save_enrolment(ended)
        await uow.groups.add_enrolment(started)
        uow.publish(enrolment_changed(ended, source.institution_id))
        uow.publish(enrolment_changed(started, target.institution_id))
        await remember(uow.session, "transfer", idempotency_key, started.id.encode())
        await uow.commit()
    return ended, started


async def roster(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, *, group_id: str, on: date
) -> list[str]:
    """The students of a group on a date (the journal asks for it)."""
    async with uow:
        target = await _group(uow, group_id)
        await authorizer.require(CURRICULUM_READ, institution_id=target.institution_id)
        return await uow.groups.roster(group_id, on)
