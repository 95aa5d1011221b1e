"""Use cases on subjects, the curriculum and the teaching load of a study year (R-5)."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from zhurnal_curriculum.domain.calendar import StudyYear
from zhurnal_curriculum.domain.hours import (
    CurriculumLine,
    LoadLine,
    Mismatch,
    Names,
    Subject,
    SubjectKind,
    check_load,
    validate_curriculum,
    validate_load,
)
from zhurnal_curriculum.service_layer.calendar import (
    CURRICULUM_MANAGE,
    CURRICULUM_READ,
    INSTITUTION_READ,
)
from zhurnal_curriculum.service_layer.references import Reference, check_references
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import AlreadyExists, FieldViolation, NotFound, invalid


async def define_subject(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    institution_id: str,
    name: str,
    kind: SubjectKind | None,
) -> Subject:
    """A subject or programme of an institution."""
    await authorizer.require(CURRICULUM_MANAGE, institution_id=institution_id)
    item = Subject.create(id=str(uuid.uuid4()), name=name, kind=kind or SubjectKind.SUBJECT)
    async with uow:
        if await uow.institutions.get(institution_id) is None:
            raise invalid("institution_id", "is not known to the schedule yet")
        await uow.hours.add_subject(item, institution_id)
        try:
            await uow.commit()
        except IntegrityError:
            raise AlreadyExists(
                "a subject of that name exists",
                [FieldViolation("name", "is already a subject of the institution")],
            ) from None
    return item


async def list_subjects(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, institution_id: str
) -> list[Subject]:
    """An institution's subjects by name: not personal, so anyone who may read the institution
    may read them (the diary names its lessons' subjects)."""
    if not institution_id:
        raise invalid("institution_id", "is required")
    await authorizer.require(INSTITUTION_READ, institution_id=institution_id)
    async with uow:
        return sorted(await uow.hours.subjects(institution_id), key=lambda s: s.name)


async def _year(uow: CurriculumUnitOfWork, year_id: str) -> StudyYear:
    year = await uow.study_years.get(year_id, for_update=True)
    if year is None:
        raise invalid("study_year_id", "is unknown")
    return year


async def set_curriculum(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, *, year_id: str, lines: list[CurriculumLine]
) -> int:
    """Replace the year's curriculum; all lines valid or nothing written."""
    async with uow:
        year = await _year(uow, year_id)
        await authorizer.require(CURRICULUM_MANAGE, institution_id=year.institution_id)
        valid = validate_curriculum(lines, period_ids=[p.id for p in year.periods])
        await check_references(
            uow,
            year,
            [Reference(x.group_id, x.subject_id, at=f"lines[{i}].") for i, x in enumerate(valid)],
            "the curriculum",
        )
        await uow.hours.replace_curriculum(year.id, valid)
        await uow.commit()
    return len(valid)


async def set_load(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, *, year_id: str, lines: list[LoadLine]
) -> int:
    """Replace the year's teaching load; all lines valid or nothing written."""
    async with uow:
        year = await _year(uow, year_id)
        await authorizer.require(CURRICULUM_MANAGE, institution_id=year.institution_id)
        valid = validate_load(lines)
        await check_references(
            uow,
            year,
            [
                Reference(x.group_id, x.subject_id, x.teacher_id, at=f"lines[{i}].")
                for i, x in enumerate(valid)
            ],
            "the teaching load",
        )
        await uow.hours.replace_load(year.id, valid)
        await uow.commit()
    return len(valid)


async def check(uow: CurriculumUnitOfWork, authorizer: Authorizer, year_id: str) -> list[Mismatch]:
    """Every mismatch of the year's load with its curriculum, in the deputy's words."""
    async with uow:
        year = await uow.study_years.get(year_id)
        if year is None:
            raise NotFound(f"no study year {year_id!r}")
        await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
        names = Names.of(
            groups={g.id: g.name for g in await uow.groups.of_year(year.id)},
            subjects=await uow.hours.subjects(year.institution_id),
        )
        return check_load(await uow.hours.curriculum(year.id), await uow.hours.load(year.id), names)
