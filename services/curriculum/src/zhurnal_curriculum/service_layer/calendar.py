"""Use cases on study years: opening the year, its periods and holidays, closing periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError

from zhurnal.curriculum.v1 import events_pb2
from zhurnal_curriculum.adapters.protos import period_to_proto, year_to_proto
from zhurnal_curriculum.domain.calendar import StudyPeriod, StudyYear
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import AlreadyExists, FieldViolation, NotFound, invalid
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import recall, remember

CURRICULUM_READ = "curriculum.read"
CURRICULUM_MANAGE = "curriculum.manage"
PERIOD_MANAGE = "period.manage"
INSTITUTION_READ = "institution.read"


@dataclass(frozen=True)
class CreateStudyYear:
    """The command to open a study year."""

    institution_id: str
    name: str
    starts: date
    ends: date
    working_days: frozenset[int]
    idempotency_key: str = ""


def _changed(year: StudyYear) -> Event:
    return Event(
        aggregate="study_year",
        aggregate_id=year.id,
        institution_id=year.institution_id,
        payload=events_pb2.StudyYearChanged(study_year=year_to_proto(year)),
    )


async def create_study_year(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, command: CreateStudyYear
) -> StudyYear:
    """Open a study year (R-5): inside no other year of the institution."""
    await authorizer.require(CURRICULUM_MANAGE, institution_id=command.institution_id)
    year = StudyYear.create(
        institution_id=command.institution_id,
        name=command.name,
        starts=command.starts,
        ends=command.ends,
        working_days=command.working_days or frozenset(range(5)),
    )
    async with uow:
        if earlier := await recall(uow.session, "create_study_year", command.idempotency_key):
            found = await uow.study_years.get(earlier.decode())
            assert found is not None, "an idempotency record points at a missing study year"
            return found
        if await uow.institutions.get(command.institution_id) is None:
            raise invalid("institution_id", "is not known to the schedule yet")
        for other in await uow.study_years.of_institution(command.institution_id):
            if year.starts <= other.ends and other.starts <= year.ends:
                raise invalid("starts", f"overlaps the study year «{other.name}»")
        await uow.study_years.add(year)
        uow.publish(_changed(year))
        await remember(uow.session, "create_study_year", command.idempotency_key, year.id.encode())
        try:
            await uow.commit()
        except IntegrityError:
            raise AlreadyExists(
                "a study year of that name exists",
                [
                    FieldViolation(
                        "name", "is already used by another study year of the institution"
                    )
                ],
            ) from None
    return year


async def _locked(uow: CurriculumUnitOfWork, year_id: str) -> StudyYear:
    year = await uow.study_years.get(year_id, for_update=True)
    if year is None:
        raise NotFound(f"no study year {year_id!r}")
    return year


async def add_period(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    year_id: str,
    name: str,
    starts: date,
    ends: date,
) -> tuple[StudyYear, StudyPeriod]:
    """Add a period inside the year, apart from the others."""
    async with uow:
        year = await _locked(uow, year_id)
        await authorizer.require(CURRICULUM_MANAGE, institution_id=year.institution_id)
        year, period = year.with_period(name, starts, ends)
        await uow.study_years.save(year)
        uow.publish(_changed(year))
        await uow.commit()
    return year, period


async def add_holiday(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    year_id: str,
    starts: date,
    ends: date,
    name: str,
) -> StudyYear:
    """Add holidays or non-working days inside the year."""
    async with uow:
        year = await _locked(uow, year_id)
        await authorizer.require(CURRICULUM_MANAGE, institution_id=year.institution_id)
        year = year.with_holiday(starts, ends, name)
        await uow.study_years.save(year)
        uow.publish(_changed(year))
        await uow.commit()
    return year


async def close_period(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    year_id: str,
    period_id: str,
) -> StudyPeriod:
    """Close a period (R-6.3); the journal locks its entries on PeriodClosed. ``closed_by``
    is the deputy's person id."""
    async with uow:
        year = await _locked(uow, year_id)
        await authorizer.require(PERIOD_MANAGE, institution_id=year.institution_id)
        closer = await authorizer.person_id()
        year = year.close_period(period_id, by=closer, at=datetime.now(UTC))
        period = year.period(period_id)
        await uow.study_years.save(year)
        uow.publish(
            Event(
                aggregate="study_year",
                aggregate_id=year.id,
                institution_id=year.institution_id,
                payload=events_pb2.PeriodClosed(
                    study_year_id=year.id, period=period_to_proto(period)
                ),
            )
        )
        await uow.commit()
    return period


async def open_period(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, *, year_id: str, period_id: str, reason: str
) -> StudyPeriod:
    """Open a closed period again, with a written reason."""
    if not reason.strip():
        raise invalid("reason", "say why the period is opened again")
    async with uow:
        year = await _locked(uow, year_id)
        await authorizer.require(PERIOD_MANAGE, institution_id=year.institution_id)
        year = year.open_period(period_id)
        period = year.period(period_id)
        await uow.study_years.save(year)
        uow.publish(
            Event(
                aggregate="study_year",
                aggregate_id=year.id,
                institution_id=year.institution_id,
                payload=events_pb2.PeriodOpened(
                    study_year_id=year.id,
                    period=period_to_proto(period),
                    reason=reason.strip()[:500],
                ),
            )
        )
        await uow.commit()
    return period


async def get_study_year(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, year_id: str
) -> StudyYear:
    """One study year with its calendar."""
    async with uow:
        year = await uow.study_years.get(year_id)
    if year is None:
        raise NotFound(f"no study year {year_id!r}")
    await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
    return year
