"""Use cases on lesson plans (КТП, R-5): written by the teacher, approved by the deputy, laid
over the dated lessons so the journal can suggest each lesson's planned topic.

Every write is all or nothing in one transaction. A plan's row is locked while it is written
and writers give back the version they read (``expected_version``), so no save is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError

from zhurnal_curriculum.adapters.plan_protos import plan_approved
from zhurnal_curriculum.adapters.plan_repository import StoredPlan
from zhurnal_curriculum.domain import plans as domain
from zhurnal_curriculum.domain.calendar import StudyYear
from zhurnal_curriculum.domain.hours import hours_for
from zhurnal_curriculum.domain.plans import (
    LessonPlan,
    PlanImport,
    PlanProblem,
    PlanTopic,
    check_plan,
    validate_topics,
)
from zhurnal_curriculum.domain.timetable import LessonStatus
from zhurnal_curriculum.service_layer.calendar import CURRICULUM_READ
from zhurnal_curriculum.service_layer.references import Reference, check_references
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import (
    AlreadyExists,
    Conflict,
    FieldViolation,
    InvalidArgument,
    NotFound,
    invalid,
)
from zhurnal_kit.events import Event

PLAN_WRITE = "plan.write"
PLAN_APPROVE = "plan.approve"
# The largest valid plan (domain.MAX_TOPICS topics of domain.MAX_TOPIC Cyrillic letters) is
# about 2 MB as CSV; gRPC refuses messages over 4 MB before they reach us, so a larger
# limit could never be told to the user in words.
MAX_FILE_BYTES = 3 * 1024 * 1024
_WHAT = "the plan"

# The approving deputy's person id, asked only once the caller may approve.
Approver = Callable[[], Awaitable[str]]


@dataclass(frozen=True)
class WritePlan:
    """Whose plan is written: a group's subject in a study year, and its teacher."""

    study_year_id: str
    group_id: str
    subject_id: str
    teacher_id: str
    # 0 for a new plan; else the version the writer last saw.
    expected_version: int = 0


@dataclass(frozen=True)
class PlanView:
    """A stored plan with the curriculum's hours for it and what is off with it."""

    plan: LessonPlan
    version: int
    curriculum_hours: int | None
    problems: list[PlanProblem]


@dataclass(frozen=True)
class PlanReport:
    """A plan laid over the dated lessons of its group's subject."""

    view: PlanView
    lessons: int  # not cancelled
    topics_without_lessons: list[int]  # orders of the topics the lessons do not reach


@dataclass(frozen=True)
class ImportResult:
    """The file as read; ``saved`` only when it had no problem and it was not a dry run."""

    parsed: PlanImport
    # What would be (dry run) or is (saved) off with the plan: empty when the file is bad.
    plan_problems: list[PlanProblem] = field(default_factory=list)
    saved: PlanView | None = None


@dataclass(frozen=True)
class PlannedTopic:
    """The plan of a lesson's group and subject, and the topic it has for the lesson."""

    plan: LessonPlan | None
    topic: PlanTopic | None


# --- checks shared by the writes -----------------------------------------------------------


def _required(**values: str) -> None:
    problems = [FieldViolation(name, "is required") for name, v in values.items() if not v.strip()]
    if problems:
        raise InvalidArgument("required fields are missing", problems)


def _version_given(expected_version: int) -> None:
    if expected_version < 0:
        raise invalid("expected_version", "must be 0 (a new plan) or the version last read")


async def _year(uow: CurriculumUnitOfWork, year_id: str, field: str) -> StudyYear:
    year = await uow.study_years.get(year_id)
    if year is None:
        raise invalid(field, "is unknown")
    return year


async def _year_of(uow: CurriculumUnitOfWork, year_id: str) -> StudyYear:
    """A study year read about (a stored plan's or lesson's exists: a foreign key)."""
    year = await uow.study_years.get(year_id)
    if year is None:
        raise NotFound(f"no study year {year_id!r}")
    return year


async def _may_take_over(
    authorizer: Authorizer, institution_id: str, teacher_id: str, current: StoredPlan | None
) -> None:
    """The caller, who may write ``teacher_id``'s plans, may also write ``current`` when it is
    another teacher's: a teacher writes only their own plans, a deputy any of the school's."""
    if current is not None and current.plan.teacher_id != teacher_id:
        # Handing a plan to another teacher writes the current teacher's plan too: a teacher
        # may neither take a colleague's plan over nor give their own away.
        await authorizer.require(
            PLAN_WRITE, institution_id=institution_id, teacher_ids=[current.plan.teacher_id]
        )


def _stale(expected: int, current: int) -> Conflict:
    return Conflict(
        "the plan changed since it was read",
        [
            FieldViolation(
                "expected_version", f"is {expected}, the plan is at version {current}: reload it"
            )
        ],
    )


def _check_version(current: StoredPlan | None, expected: int) -> None:
    """The writer saw the stored version (0: there was no plan)."""
    if current is None:
        if expected:
            raise Conflict(
                "the plan does not exist",
                [
                    FieldViolation(
                        "expected_version",
                        f"is {expected}, but the group's subject has no plan: give 0 to create it",
                    )
                ],
            )
    elif expected == 0:
        raise AlreadyExists(
            "the group's subject already has a plan",
            [
                FieldViolation(
                    "expected_version",
                    f"the plan exists at version {current.version}: give it to replace the plan",
                )
            ],
        )
    elif expected != current.version:
        raise _stale(expected, current.version)


async def _commit(uow: CurriculumUnitOfWork, field: str) -> None:
    try:
        await uow.commit()
    except IntegrityError:
        # Two first saves of one group's subject raced: the other one's plan stands.
        raise AlreadyExists(
            "the group's subject already has a plan",
            [FieldViolation(field, "a plan of the group's subject was saved meanwhile: reload")],
        ) from None


async def _curriculum_hours(uow: CurriculumUnitOfWork, plan: LessonPlan) -> int | None:
    return hours_for(await uow.hours.curriculum(plan.study_year_id), plan.group_id, plan.subject_id)


async def _view(uow: CurriculumUnitOfWork, stored: StoredPlan) -> PlanView:
    hours = await _curriculum_hours(uow, stored.plan)
    return PlanView(stored.plan, stored.version, hours, check_plan(stored.plan, hours))


async def _write(
    uow: CurriculumUnitOfWork,
    year: StudyYear,
    command: WritePlan,
    topics: Sequence[PlanTopic],
    current: StoredPlan | None,
) -> StoredPlan:
    """Stage the plan: new at version 1, or the current one with new topics, a draft again."""
    _check_version(current, command.expected_version)
    if current is None:
        plan = LessonPlan.create(
            group_id=command.group_id,
            subject_id=command.subject_id,
            teacher_id=command.teacher_id,
            study_year_id=year.id,
            topics=topics,
        )
        return await uow.plans.add(plan, institution_id=year.institution_id)
    changed = replace(current.plan.with_topics(topics), teacher_id=command.teacher_id)
    return await uow.plans.save(changed, version=current.version + 1)


async def _open_for_writing(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, command: WritePlan, *, lock: bool
) -> tuple[StudyYear, StoredPlan | None]:
    """The year and the current plan (locked when it will be written), once the caller may
    write it and the request names a group, subject and teacher of the year."""
    year = await _year(uow, command.study_year_id, "study_year_id")
    await authorizer.require(
        PLAN_WRITE, institution_id=year.institution_id, teacher_ids=[command.teacher_id]
    )
    current = await uow.plans.find(year.id, command.group_id, command.subject_id, for_update=lock)
    await _may_take_over(authorizer, year.institution_id, command.teacher_id, current)
    await check_references(
        uow, year, [Reference(command.group_id, command.subject_id, command.teacher_id)], _WHAT
    )
    return year, current


def _check_write(command: WritePlan) -> None:
    _required(
        study_year_id=command.study_year_id,
        group_id=command.group_id,
        subject_id=command.subject_id,
        teacher_id=command.teacher_id,
    )
    _version_given(command.expected_version)


# --- the use cases -------------------------------------------------------------------------


async def save_plan(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    command: WritePlan,
    topics: Sequence[PlanTopic],
) -> PlanView:
    """Create or replace a group's subject's plan, as a draft whatever its hours."""
    _check_write(command)
    valid = validate_topics(topics)
    async with uow:
        year, current = await _open_for_writing(uow, authorizer, command, lock=True)
        stored = await _write(uow, year, command, valid, current)
        view = await _view(uow, stored)
        await _commit(uow, "expected_version")
    return view


async def import_plan(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    command: WritePlan,
    *,
    fmt: Literal["csv", "xlsx"] | None,
    content: bytes,
    dry_run: bool,
) -> ImportResult:
    """Read a CSV or XLSX plan: every bad row named and nothing saved, or all of it saved
    (nothing on a dry run, which shows what would be)."""
    _check_write(command)
    if fmt is None:
        raise invalid("format", "must be CSV or XLSX")
    if len(content) > MAX_FILE_BYTES:
        raise invalid("content", f"must be at most {MAX_FILE_BYTES // 1024 // 1024} MB")
    async with uow:
        year, current = await _open_for_writing(uow, authorizer, command, lock=not dry_run)
        parsed = domain.parse_plan_file(content, fmt)
        if not parsed.ok:
            return ImportResult(parsed)
        if dry_run:
            draft = LessonPlan.create(
                group_id=command.group_id,
                subject_id=command.subject_id,
                teacher_id=command.teacher_id,
                study_year_id=year.id,
                topics=parsed.topics,
            )
            return ImportResult(parsed, check_plan(draft, await _curriculum_hours(uow, draft)))
        stored = await _write(uow, year, command, parsed.topics, current)
        view = await _view(uow, stored)
        await _commit(uow, "expected_version")
    return ImportResult(parsed, view.problems, view)


async def copy_plan(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    from_plan_id: str,
    to_study_year_id: str,
    to_group_id: str,
    teacher_id: str,
) -> PlanView:
    """A new draft with another plan's topics (last year's, or another group's).

    Without ``to_study_year_id`` the copy is for the source's year; without ``teacher_id``
    the source's teacher keeps it.
    """
    _required(from_plan_id=from_plan_id, to_group_id=to_group_id)
    async with uow:
        source = await uow.plans.get(from_plan_id)
        if source is None:
            raise NotFound(
                f"no lesson plan {from_plan_id!r}", [FieldViolation("from_plan_id", "is unknown")]
            )
        source_year = await _year_of(uow, source.plan.study_year_id)
        await authorizer.require(CURRICULUM_READ, institution_id=source_year.institution_id)
        year = source_year
        if to_study_year_id and to_study_year_id != source_year.id:
            year = await _year(uow, to_study_year_id, "to_study_year_id")
        if year.institution_id != source_year.institution_id:
            raise invalid("to_study_year_id", "is a study year of another institution")
        teacher = teacher_id or source.plan.teacher_id
        await authorizer.require(
            PLAN_WRITE, institution_id=year.institution_id, teacher_ids=[teacher]
        )
        if year.id == source.plan.study_year_id and to_group_id == source.plan.group_id:
            raise invalid("to_group_id", "is the plan's own group: give another group or year")
        await check_references(
            uow,
            year,
            [Reference(to_group_id, source.plan.subject_id, teacher, group_field="to_group_id")],
            _WHAT,
        )
        if await uow.plans.find(year.id, to_group_id, source.plan.subject_id) is not None:
            raise AlreadyExists(
                "the group's subject already has a plan",
                [FieldViolation("to_group_id", "has a plan of this subject in that study year")],
            )
        plan = domain.copy_from(
            source.plan, group_id=to_group_id, study_year_id=year.id, teacher_id=teacher
        )
        stored = await uow.plans.add(plan, institution_id=year.institution_id)
        view = await _view(uow, stored)
        await _commit(uow, "to_group_id")
    return view


async def approve_plan(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    approver: Approver,
    *,
    plan_id: str,
    expected_version: int,
) -> PlanView:
    """The deputy approves a plan whose hours equal the curriculum's; PlanApproved goes out
    in the same transaction. ``expected_version`` 0 approves what is stored."""
    _required(plan_id=plan_id)
    _version_given(expected_version)
    async with uow:
        stored = await uow.plans.get(plan_id, for_update=True)
        if stored is None:
            raise NotFound(f"no lesson plan {plan_id!r}", [FieldViolation("plan_id", "is unknown")])
        year = await _year_of(uow, stored.plan.study_year_id)
        await authorizer.require(PLAN_APPROVE, institution_id=year.institution_id)
        if expected_version and expected_version != stored.version:
            raise _stale(expected_version, stored.version)
        hours = await _curriculum_hours(uow, stored.plan)
        approved = domain.approve(stored.plan, hours, await approver(), at=datetime.now(UTC))
        saved = await uow.plans.save(approved, version=stored.version + 1)
        uow.publish(
            Event(
                aggregate="plan",
                aggregate_id=approved.id,
                institution_id=year.institution_id,
                payload=plan_approved(approved),
            )
        )
        await uow.commit()
    return PlanView(saved.plan, saved.version, hours, check_plan(approved, hours))


async def get_plan(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    plan_id: str,
    study_year_id: str,
    group_id: str,
    subject_id: str,
) -> PlanReport:
    """One plan, by id or by its group's subject, laid over the dated lessons."""
    if not plan_id and not (study_year_id and group_id and subject_id):
        raise invalid("plan_id", "give plan_id, or study_year_id with group_id and subject_id")
    async with uow:
        if plan_id:
            stored = await uow.plans.get(plan_id)
            if stored is None:
                raise NotFound(f"no lesson plan {plan_id!r}")
            year = await _year_of(uow, stored.plan.study_year_id)
            await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
        else:
            year = await _year_of(uow, study_year_id)
            await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
            stored = await uow.plans.find(year.id, group_id, subject_id)
            if stored is None:
                raise NotFound("the group's subject has no lesson plan in this study year")
        plan = stored.plan
        lessons = await uow.timetable.count_held(plan.study_year_id, plan.group_id, plan.subject_id)
        view = await _view(uow, stored)
    missing = domain.topics_without_lessons(plan, lessons)
    return PlanReport(view, lessons, [t.order for t in missing])


async def list_plans(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, *, study_year_id: str, group_id: str
) -> list[PlanView]:
    """The plans of a study year, of one group when given."""
    async with uow:
        year = await uow.study_years.get(study_year_id)
        if year is None:
            raise NotFound(f"no study year {study_year_id!r}")
        await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
        stored = await uow.plans.of_year(year.id, group_id)
        curriculum = await uow.hours.curriculum(year.id)
    views = []
    for item in stored:
        hours = hours_for(curriculum, item.plan.group_id, item.plan.subject_id)
        views.append(PlanView(item.plan, item.version, hours, check_plan(item.plan, hours)))
    return views


async def planned_topic(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, lesson_id: str
) -> PlannedTopic:
    """The topic the plan of a lesson's group and subject has for it (the journal's
    suggestion): its hours taken in order by the lessons not cancelled."""
    _required(lesson_id=lesson_id)
    async with uow:
        found = await uow.timetable.get_lesson(lesson_id)
        if found is None:
            raise NotFound(f"no lesson {lesson_id!r}", [FieldViolation("lesson_id", "is unknown")])
        lesson, year_id, _ = found
        year = await _year_of(uow, year_id)
        await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
        stored = await uow.plans.find(year.id, lesson.group_id, lesson.subject_id)
        if stored is None:
            return PlannedTopic(None, None)
        if lesson.status == LessonStatus.CANCELLED:
            # A lesson not held takes no hour of the plan.
            return PlannedTopic(stored.plan, None)
        ids = await uow.timetable.held_lesson_ids(year.id, lesson.group_id, lesson.subject_id)
    return PlannedTopic(stored.plan, domain.planned_topic_for(stored.plan, ids, lesson_id))
